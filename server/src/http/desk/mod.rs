//! `/v1/operator/...` for the desk an operator works in all day: saved
//! replies, private notes and mentions, labels and bulk changes, search,
//! the visitor's context, and typing (both ways). Every call is the
//! operator API's: authenticated, scoped to the caller's organization,
//! another organization's anything a 404.

pub mod bulk;
pub mod canned;
pub mod labels;
pub mod notes;
pub mod search;
pub mod typing;
pub mod visitor;

use axum::routing::{get, post, put};
use axum::Router;

use super::ApiContext;
pub use typing::TypingGate;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route(
            "/v1/operator/canned-replies",
            get(canned::list).post(canned::create),
        )
        .route(
            "/v1/operator/canned-replies/{reply_id}",
            axum::routing::patch(canned::update).delete(canned::delete),
        )
        .route(
            "/v1/operator/conversations/{conversation_id}/notes",
            post(notes::add_note),
        )
        .route("/v1/operator/members", get(notes::list_members))
        .route("/v1/operator/mentions", get(notes::list_mentions))
        .route("/v1/operator/mentions/read", post(notes::read_mentions))
        .route(
            "/v1/operator/labels",
            get(labels::list).post(labels::create),
        )
        .route(
            "/v1/operator/labels/{label_id}",
            axum::routing::patch(labels::update).delete(labels::delete),
        )
        .route(
            "/v1/operator/conversations/{conversation_id}/labels",
            put(labels::set_conversation_labels),
        )
        .route("/v1/operator/conversations/bulk", post(bulk::bulk_change))
        .route("/v1/operator/search", get(search::search))
        .route(
            "/v1/operator/conversations/{conversation_id}/visitor",
            get(visitor::visitor_context),
        )
        .route(
            "/v1/operator/conversations/{conversation_id}/typing",
            post(typing::operator_typing),
        )
        .route(
            "/v1/conversations/{conversation_id}/typing",
            post(typing::visitor_typing),
        )
}
