//! Voice calls from the widget: the visitor starts one on their
//! conversation (our server asks Vapi for a WebSocket call with the
//! organization's key; the browser never holds one) and ends it; the team
//! reads the live calls and a conversation's calls. What is said arrives
//! through Vapi's webhook (`vapi_webhook`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use echo_protocol::conversations::ConversationStatus;
use echo_protocol::voice::{
    LiveVoiceCall, LiveVoiceCalls, VoiceCallList, VoiceCallStarted, SAMPLE_RATE,
};
use echo_protocol::{ConversationId, ErrorCode};

use super::auth::{Operator, Visitor};
use super::error::{ApiError, ApiResult};
use super::extract::{conversation_not_found, ApiPath};
use super::plugins::{noted, private_key, vapi_plugin};
use super::vapi_webhook::WEBHOOK_PURPOSE;
use super::ApiContext;
use crate::plugins::vapi::CallRequest;
use crate::store::voice::{NewVoiceCall, VoiceLimits, VoiceRefusal};

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route(
            "/v1/conversations/{conversation_id}/voice-calls",
            post(start_call),
        )
        .route(
            "/v1/conversations/{conversation_id}/voice-calls/{call_id}",
            delete(end_call),
        )
        .route("/v1/operator/voice-calls", get(live_calls))
        .route(
            "/v1/operator/conversations/{conversation_id}/voice-calls",
            get(conversation_calls),
        )
}

fn not_offered() -> ApiError {
    ApiError::new(
        ErrorCode::Conflict,
        "This organization does not offer voice calls",
    )
}

/// Starts a voice call with the organization's Vapi assistant on the
/// visitor's conversation: the browser streams 16-bit PCM to `socketUrl`
/// and plays what comes back. One live call per session, five an hour, a
/// cap on each organization's live calls, ended by our server after the
/// maximum duration.
#[utoipa::path(
    post,
    path = "/v1/conversations/{conversationId}/voice-calls",
    tag = "conversations",
    security(("contactSession" = [])),
    params(("conversationId" = String, Path)),
    responses(
        (status = 201, body = VoiceCallStarted),
        (status = 404, description = "Missing or another session's (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
        (status = 409, description = "Resolved, voice not offered, or a call already live in this session (`CONFLICT`)", body = echo_protocol::ErrorBody),
        (status = 429, description = "Five calls this hour, or the organization's live calls at their cap (`RATE_LIMITED`, `Retry-After`)", body = echo_protocol::ErrorBody),
        (status = 502, description = "Vapi refused or is unavailable (`UPSTREAM_UNAVAILABLE`)", body = echo_protocol::ErrorBody),
        (status = 503, description = "No secrets key (`SECRETS_UNAVAILABLE`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(conversation_id = %id))]
pub async fn start_call(
    State(ctx): State<ApiContext>,
    visitor: Visitor,
    ApiPath(id): ApiPath<ConversationId>,
) -> ApiResult<(StatusCode, Json<VoiceCallStarted>)> {
    let conversation = visitor.conversation(&ctx, id).await?;
    if conversation.status == ConversationStatus::Resolved {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "The conversation is resolved",
        ));
    }
    let organization = conversation.organization_id;
    let org = ctx
        .store
        .organization(organization)
        .await?
        .ok_or_else(conversation_not_found)?;
    if !super::voice::public(&ctx, &org)
        .await?
        .is_some_and(|v| v.call)
    {
        return Err(not_offered());
    }
    let plugin = vapi_plugin(&ctx, organization)
        .await?
        .ok_or_else(not_offered)?;
    let assistant_id = plugin.voice.assistant_id.clone().ok_or_else(not_offered)?;
    let key = private_key(&ctx, &plugin)?;
    let secret = ctx
        .vault
        .as_ref()
        .map(|v| v.derive(organization, WEBHOOK_PURPOSE).remove(0))
        .ok_or_else(not_offered)?;
    let now = ctx.clock.now();
    let settings = ctx.voice_calls;
    let reservation = NewVoiceCall {
        id: uuid::Uuid::new_v4().to_string(),
        organization,
        conversation: id,
        session_hash: visitor.0.id_hash.as_str().to_owned(),
        started_at: now,
        deadline: echo_protocol::Timestamp(now.millis() + settings.max_duration.as_millis() as i64),
    };
    let limits = VoiceLimits {
        per_session_hour: settings.per_session_hour,
        concurrent: settings.max_calls,
    };
    let reserved = reservation.id.clone();
    match ctx.store.reserve_voice_call(reservation, limits).await? {
        Ok(()) => {}
        Err(VoiceRefusal::Live) => {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "A voice call is already live in this session",
            ))
        }
        Err(VoiceRefusal::Hourly) => {
            return Err(ApiError::rate_limited(
                "At most 5 voice calls an hour: try again later",
                3600,
            ))
        }
        Err(VoiceRefusal::Busy) => {
            return Err(ApiError::rate_limited(
                "Every line is busy: try again in a minute",
                60,
            ))
        }
    }
    let webhook = format!("{}/v1/webhooks/vapi", ctx.public.base());
    let request = CallRequest {
        assistant_id: &assistant_id,
        webhook_url: &webhook,
        webhook_secret: &secret,
        max_duration_seconds: settings.max_duration.as_secs(),
        sample_rate: SAMPLE_RATE,
        metadata: serde_json::json!({
            "echoOrganizationId": organization,
            "echoConversationId": id,
        }),
    };
    let made = ctx.vapi.create_call(&key, request).await;
    let made = match noted(&ctx, organization, made).await {
        Ok(made) => made,
        Err(error) => {
            ctx.store.forget_voice_call(&reserved).await?;
            return Err(error);
        }
    };
    // The widget page's CSP allows exactly this origin: a socket elsewhere
    // would fail in the browser, so it fails here, plainly.
    let expected = ctx.vapi.socket_origin();
    if !made.socket_url.starts_with(&format!("{expected}/")) {
        if let Some(control) = &made.control_url {
            let _ = ctx.vapi.end_call(control).await;
        }
        ctx.store.forget_voice_call(&reserved).await?;
        tracing::warn!(socket = %made.socket_url, %expected, "Vapi named a call socket at an unexpected origin");
        return Err(ApiError::new(
            ErrorCode::UpstreamUnavailable,
            "Vapi named a call socket at an unexpected origin",
        ));
    }
    let call = ctx
        .store
        .voice_call_made(&reserved, made.id, made.control_url)
        .await?;
    let call_id = call.vapi_call_id.unwrap_or_default();
    tracing::info!(%call_id, "voice call started");
    Ok((
        StatusCode::CREATED,
        Json(VoiceCallStarted {
            call_id,
            socket_url: made.socket_url,
            sample_rate: SAMPLE_RATE,
        }),
    ))
}

/// Ends the visitor's call (204 also when it had already ended).
#[utoipa::path(
    delete,
    path = "/v1/conversations/{conversationId}/voice-calls/{callId}",
    tag = "conversations",
    security(("contactSession" = [])),
    params(("conversationId" = String, Path), ("callId" = String, Path)),
    responses(
        (status = 204, description = "Ended"),
        (status = 404, description = "No such call in the visitor's conversation (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn end_call(
    State(ctx): State<ApiContext>,
    visitor: Visitor,
    axum::extract::Path((id, call_id)): axum::extract::Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = ConversationId::parse(&id).ok_or_else(conversation_not_found)?;
    visitor.conversation(&ctx, id).await?;
    let call = ctx
        .store
        .voice_call_by_vapi(&call_id)
        .await?
        .filter(|c| c.conversation == id)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "No such voice call"))?;
    end(&ctx, &call).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends a call at Vapi (best effort: Vapi ends it at its own maximum
/// anyway) and here.
pub async fn end(ctx: &ApiContext, call: &crate::store::voice::StoredVoiceCall) -> ApiResult<()> {
    if call.ended_at.is_some() {
        return Ok(());
    }
    if let Some(control) = &call.control_url {
        if let Err(error) = ctx.vapi.end_call(control).await {
            tracing::warn!(?error, "ending a voice call at Vapi failed");
        }
    }
    ctx.store.end_voice_call(&call.id, ctx.clock.now()).await?;
    Ok(())
}

/// The organization's live voice calls, each with its conversation.
#[utoipa::path(
    get,
    path = "/v1/operator/voice-calls",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    responses((status = 200, body = LiveVoiceCalls)),
)]
pub async fn live_calls(
    State(ctx): State<ApiContext>,
    operator: Operator,
) -> ApiResult<Json<LiveVoiceCalls>> {
    let calls = ctx.store.live_voice_calls(operator.organization).await?;
    Ok(Json(LiveVoiceCalls {
        calls: calls
            .iter()
            .map(|c| LiveVoiceCall {
                conversation_id: c.conversation,
                call: c.public(),
            })
            .collect(),
    }))
}

/// A conversation's voice calls, oldest first, with their durations.
#[utoipa::path(
    get,
    path = "/v1/operator/conversations/{conversationId}/voice-calls",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    params(("conversationId" = String, Path)),
    responses(
        (status = 200, body = VoiceCallList),
        (status = 404, description = "Missing or another organization's (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
    )
)]
pub async fn conversation_calls(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiPath(id): ApiPath<ConversationId>,
) -> ApiResult<Json<VoiceCallList>> {
    operator.conversation(&ctx, id).await?;
    let calls = ctx.store.voice_calls_of(id).await?;
    Ok(Json(VoiceCallList {
        calls: calls.iter().map(|c| c.public()).collect(),
    }))
}
