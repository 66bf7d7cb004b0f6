//! `GET /v1/openapi.json`: the OpenAPI 3 document, generated from the
//! handlers' annotations and the protocol crate's types.

use axum::Json;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    billing, contact_sessions, conversations, events, knowledge, messages, operator, pro, widget,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Echo API",
        description = "The public API of Echo, the embeddable support chat. \
            Visitor calls carry `Authorization: Bearer <contactSessionId>`. \
            Errors are always `{\"error\":{\"code\",\"message\"}}` with a stable code. \
            Timestamps are milliseconds since the Unix epoch."
    ),
    paths(
        widget::widget_config,
        contact_sessions::create_contact_session,
        contact_sessions::current_contact_session,
        conversations::create_conversation,
        conversations::get_conversation,
        conversations::list_conversations,
        messages::send_message,
        messages::list_messages,
        events::visitor_events,
        operator::list_conversations,
        operator::get_conversation,
        operator::update_conversation,
        operator::list_messages,
        operator::reply,
        operator::get_widget_settings,
        operator::put_widget_settings,
        events::operator_events,
        billing::billing_webhook,
        pro::enhance,
        pro::organization,
        knowledge::list_files,
        knowledge::upload_file,
        knowledge::delete_file,
        knowledge::search,
    ),
    components(schemas(echo_protocol::ErrorBody, echo_protocol::ErrorCode)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "contactSession",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "operatorKey",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

#[tracing::instrument]
pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
