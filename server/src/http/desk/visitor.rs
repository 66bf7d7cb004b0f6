//! The visitor's context: what their browser reported, read for a person
//! (`crate::agent_string`), and their other conversations here.

use axum::extract::State;
use axum::Json;
use echo_protocol::desk::VisitorContext;
use echo_protocol::ConversationId;

use crate::agent_string;
use crate::http::auth::Operator;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{conversation_not_found, ApiPath};
use crate::http::ApiContext;

/// Who the conversation's visitor is: browser, system and device (parsed
/// from the user agent), language, time zone and their local time now,
/// the page and referrer, the verified user ID, when they were first seen,
/// and their other conversations in this organization.
#[utoipa::path(
    get,
    path = "/v1/operator/conversations/{conversationId}/visitor",
    tag = "desk",
    security(("session" = []), ("operatorKey" = [])),
    params(("conversationId" = String, Path)),
    responses(
        (status = 200, body = VisitorContext),
        (status = 404, description = "`NOT_FOUND`", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization, conversation_id = %id))]
pub async fn visitor_context(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiPath(id): ApiPath<ConversationId>,
) -> ApiResult<Json<VisitorContext>> {
    let record = ctx
        .store
        .visitor_record(operator.organization, id)
        .await?
        .ok_or_else(conversation_not_found)?;
    let metadata = record.metadata;
    let user_agent = metadata.user_agent.clone().unwrap_or_default();
    // The rules compile on first use (a CPU-bound moment): off the async
    // workers, as is every read of them.
    let agent = tokio::task::spawn_blocking(move || agent_string::parse(&user_agent))
        .await
        .map_err(ApiError::internal)?;
    let local_time = metadata
        .timezone
        .as_deref()
        .and_then(|zone| agent_string::local_time(zone, ctx.clock.now()));
    Ok(Json(VisitorContext {
        browser: agent.browser,
        os: agent.os,
        device: agent.device.as_str().to_owned(),
        language: metadata.languages.first().cloned(),
        time_zone: metadata.timezone,
        local_time,
        page: metadata.current_url,
        referrer: metadata.referrer.filter(|r| !r.is_empty()),
        user_id: record.user_id,
        first_seen_at: record.first_seen_at,
        conversations: record.conversations,
    }))
}
