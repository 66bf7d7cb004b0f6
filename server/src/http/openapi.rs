//! `GET /v1/openapi.json`: the OpenAPI 3 document, generated from the
//! handlers' annotations and the protocol crate's types.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    accounts, attachments, billing, contact_sessions, contacts, conversations, desk, events, hours,
    knowledge, mail, messages, onboarding, operator, plugins, pro, ratings, reports, security,
    team, two_factor, vapi_webhook, voice_calls, widget, widget_settings,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Echo API",
        description = "The public API of Echo, the embeddable support chat. \
            Visitor calls carry `Authorization: Bearer <contactSessionId>`; operator \
            calls carry the console's `echo_session` cookie (state changes only from \
            the server's own origin) or an API key as `Authorization: Bearer <key>`. \
            Errors are always `{\"error\":{\"code\",\"message\"}}` with a stable code. \
            Timestamps are milliseconds since the Unix epoch."
    ),
    paths(
        widget::widget_config,
        contact_sessions::create_contact_session,
        contact_sessions::current_contact_session,
        contact_sessions::end_contact_session,
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
        widget_settings::get_widget_settings,
        widget_settings::put_widget_settings,
        events::operator_events,
        billing::billing_webhook,
        pro::enhance,
        pro::organization,
        knowledge::list_files,
        knowledge::upload_file,
        knowledge::delete_file,
        knowledge::search,
        accounts::sign_in,
        accounts::sign_out,
        accounts::me,
        accounts::choose_organization,
        accounts::change_password,
        accounts::accept_invitation,
        two_factor::complete,
        two_factor::setup,
        two_factor::enable,
        two_factor::disable,
        hours::get_business_hours,
        hours::put_business_hours,
        ratings::rate_conversation,
        ratings::rating_page,
        ratings::rate_by_link,
        reports::report,
        reports::report_csv,
        reports::export_csv,
        plugins::list_plugins,
        plugins::connect_vapi,
        plugins::disconnect_vapi,
        plugins::vapi_phone_numbers,
        plugins::vapi_assistants,
        voice_calls::start_call,
        voice_calls::end_call,
        voice_calls::live_calls,
        voice_calls::conversation_calls,
        vapi_webhook::vapi_webhook,
        onboarding::sign_up,
        onboarding::verify_email,
        onboarding::resend_verification,
        onboarding::setup_status,
        onboarding::setup_server,
        onboarding::create_organization,
        onboarding::installation,
        security::update_organization,
        security::audit_log,
        contacts::export,
        contacts::erase,
        team::list_team,
        team::update_member,
        team::remove_member,
        team::create_invitation,
        team::list_api_keys,
        team::create_api_key,
        team::delete_api_key,
        team::get_identity_secret,
        team::rotate_identity_secret,
        mail::request_transcript,
        mail::set_notifications,
        mail::unsubscribe_page,
        mail::unsubscribe,
        mail::confirm_page,
        mail::confirm,
        attachments::visitor_upload,
        attachments::operator_upload,
        attachments::download,
        attachments::download_preview,
        desk::canned::list,
        desk::canned::create,
        desk::canned::update,
        desk::canned::delete,
        desk::notes::add_note,
        desk::notes::list_members,
        desk::notes::list_mentions,
        desk::notes::read_mentions,
        desk::labels::list,
        desk::labels::create,
        desk::labels::update,
        desk::labels::delete,
        desk::labels::set_conversation_labels,
        desk::bulk::bulk_change,
        desk::search::search,
        desk::visitor::visitor_context,
        desk::typing::operator_typing,
        desk::typing::visitor_typing,
    ),
    components(schemas(
        echo_protocol::ErrorBody,
        echo_protocol::ErrorCode,
        echo_protocol::events::StreamPosition
    )),
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
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::accounts::SESSION_COOKIE,
            ))),
        );
        components.add_security_scheme(
            "operatorKey",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        super::openapi_exact::make_exact(openapi);
    }
}

/// The document, with this server's public URL as its server (generated
/// clients need one).
#[tracing::instrument(skip_all)]
pub async fn serve(
    axum::extract::State(ctx): axum::extract::State<super::ApiContext>,
) -> Json<utoipa::openapi::OpenApi> {
    let mut doc = ApiDoc::openapi();
    // The crate names no licence; an empty one only misleads.
    doc.info.license = None;
    doc.servers = Some(vec![utoipa::openapi::server::Server::new(
        ctx.public.base(),
    )]);
    Json(doc)
}
