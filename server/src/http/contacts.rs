//! A visitor's data on request (admins): `GET /v1/operator/contacts/export`
//! answers everything stored about them in this organization as one JSON
//! document; `POST /v1/operator/contacts/erase` deletes it all, ends their
//! open streams on every replica and answers what was deleted. Both are
//! in the audit log.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use echo_protocol::trust::{AuditAction, ContactErased, ContactExport, ContactKey};

use super::audit::Audited;
use super::auth::Operator;
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiQuery};
use super::ApiContext;
use crate::revocations::Revoked;
use crate::store::erasure::ContactMatch;
use crate::store::{Cursor, Reader};

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/v1/operator/contacts/export", get(export))
        .route("/v1/operator/contacts/erase", post(erase))
}

fn contact(key: &ContactKey) -> ApiResult<ContactMatch> {
    ContactMatch::from_key(key)
        .ok_or_else(|| ApiError::validation("email", "give exactly one of email and userId"))
}

/// Messages read per call while exporting a conversation.
const PAGE: u32 = 100;

/// Everything stored about one visitor: their sessions' details and their
/// conversations with every message (not the team's notes), attachments
/// as signed links.
#[utoipa::path(
    get,
    path = "/v1/operator/contacts/export",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    params(
        ("email" = Option<String>, Query, description = "The email the visitor gave"),
        ("userId" = Option<String>, Query, description = "The user ID the host verified"),
    ),
    responses(
        (status = 200, body = ContactExport),
        (status = 400, description = "Neither or both of `email` and `userId` (`VALIDATION`)", body = echo_protocol::ErrorBody),
        (status = 403, description = "Not an admin (`FORBIDDEN`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn export(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiQuery(key): ApiQuery<ContactKey>,
) -> ApiResult<Json<ContactExport>> {
    operator.require_admin()?;
    let who = contact(&key)?;
    let (sessions, mut conversations) = ctx
        .store
        .contact_records(operator.organization, who.clone())
        .await?;
    let now = ctx.clock.now();
    for conversation in &mut conversations {
        let mut before: Option<Cursor> = None;
        loop {
            let mut page = ctx
                .store
                .messages(conversation.conversation_id, before, PAGE, Reader::Visitor)
                .await?;
            ctx.links.sign_all(&mut page.items, now);
            page.items.append(&mut conversation.messages);
            conversation.messages = page.items;
            match page.next_cursor {
                Some(next) => before = Some(next),
                None => break,
            }
        }
    }
    let audited = Audited::new(AuditAction::ContactExported).target(who.value());
    operator.audit(&ctx, audited).await;
    let (email, user_id) = match who {
        ContactMatch::Email(email) => (Some(email), None),
        ContactMatch::UserId(user) => (None, Some(user)),
    };
    Ok(Json(ContactExport {
        organization_id: operator.organization,
        exported_at: now,
        email,
        user_id,
        sessions,
        conversations,
    }))
}

/// Deletes everything stored about one visitor in this organization: their
/// sessions, conversations, messages, attachments' bytes, mail, live
/// events and search entries (the knowledge base is untouched).
/// Irreversible. Someone unknown is 200 with zero counts.
#[utoipa::path(
    post,
    path = "/v1/operator/contacts/erase",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    request_body = ContactKey,
    responses(
        (status = 200, body = ContactErased),
        (status = 400, description = "Neither or both of `email` and `userId` (`VALIDATION`)", body = echo_protocol::ErrorBody),
        (status = 403, description = "Not an admin (`FORBIDDEN`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn erase(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiJson(key): ApiJson<ContactKey>,
) -> ApiResult<Json<ContactErased>> {
    operator.require_admin()?;
    let who = contact(&key)?;
    let (erased, sessions) = ctx
        .store
        .erase_contact(operator.organization, who.clone())
        .await?;
    for hash in sessions {
        ctx.store.revoke(Revoked::ContactSession(hash)).await;
    }
    let audited = Audited::new(AuditAction::ContactErased).target(who.value());
    operator.audit(&ctx, audited).await;
    tracing::info!(
        conversations = erased.conversations,
        "a visitor's data erased"
    );
    Ok(Json(erased))
}
