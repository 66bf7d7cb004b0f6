//! `POST /v1/webhooks/vapi`: Vapi's server messages about the calls our
//! server made (<https://docs.vapi.ai/server-url/events>). Each carries
//! the organization's webhook secret as `X-Vapi-Secret` (our server set it
//! as the call's `server.secret`), checked in constant time. Final
//! transcript lines become the conversation's voice messages, through the
//! same text hygiene as typed ones, once each however often Vapi sends
//! them; partial lines are only published live; the end-of-call report
//! records the call's end once.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use echo_protocol::events::Change;
use echo_protocol::messages::{Message, MessageRole};
use echo_protocol::validate::MessageText;
use echo_protocol::{ErrorCode, Timestamp};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::error::{ApiError, ApiResult};
use super::ApiContext;
use crate::store::model::new_message;
use crate::store::voice::{StoredVoiceCall, VoiceReport};
use crate::store::StoreError;

/// An end-of-call report carries the whole transcript: more than the
/// API's usual 64 KiB.
const MAX_WEBHOOK_BYTES: usize = 1024 * 1024;

/// What the webhook secret is derived for (`Vault::derive`): the calls
/// are created with it (`voice_calls.rs`), the webhook checks it.
pub(super) const WEBHOOK_PURPOSE: &str = "vapi.webhook";

pub fn router() -> Router<ApiContext> {
    Router::new().route(
        "/v1/webhooks/vapi",
        post(vapi_webhook).layer(DefaultBodyLimit::max(MAX_WEBHOOK_BYTES)),
    )
}

/// Vapi's server messages for the calls our server made: `transcript`
/// (final lines stored as voice messages, partial ones published live),
/// `status-update` and `end-of-call-report` (the end, recorded once); the
/// others are acknowledged and ignored.
#[utoipa::path(
    post,
    path = "/v1/webhooks/vapi",
    tag = "voice",
    params(("X-Vapi-Secret" = String, Header, description = "The organization's webhook secret")),
    request_body(content = Object, description = "`{\"message\": {\"type\", \"call\": {\"id\"}, ...}}`"),
    responses(
        (status = 204, description = "Taken (or already taken)"),
        (status = 400, description = "Not a server message (`VALIDATION`)", body = echo_protocol::ErrorBody),
        (status = 401, description = "A wrong or missing secret (`UNAUTHORIZED`)", body = echo_protocol::ErrorBody),
        (status = 404, description = "A call our server did not make (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn vapi_webhook(
    State(ctx): State<ApiContext>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let body: Value = serde_json::from_slice(&body)
        .map_err(|_| ApiError::validation("message", "must be a JSON server message"))?;
    let message = &body["message"];
    let (Some(kind), Some(call_id)) = (message["type"].as_str(), message["call"]["id"].as_str())
    else {
        return Err(ApiError::validation(
            "message",
            "must have a type and the call's id",
        ));
    };
    let call = ctx
        .store
        .voice_call_by_vapi(call_id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "No such voice call"))?;
    check_secret(&ctx, &call, &headers)?;
    match kind {
        kind if kind.starts_with("transcript") => transcript(&ctx, &call, message).await?,
        "status-update" if message["status"] == "ended" => {
            ctx.store.end_voice_call(&call.id, ctx.clock.now()).await?;
        }
        "end-of-call-report" => report(&ctx, &call, message).await?,
        _ => {}
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The secret Vapi sent back is the organization's (under the current
/// secrets key or an old one), compared in constant time.
fn check_secret(ctx: &ApiContext, call: &StoredVoiceCall, headers: &HeaderMap) -> ApiResult<()> {
    let given = headers
        .get("x-vapi-secret")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    let expected = ctx
        .vault
        .as_ref()
        .map(|v| v.derive(call.organization, WEBHOOK_PURPOSE))
        .unwrap_or_default();
    // Every candidate is compared in full, so the time says nothing of
    // which one (or which byte) differed.
    let matched = expected.iter().fold(false, |found, secret| {
        found | same(secret.as_bytes(), given)
    });
    if matched {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::Unauthorized,
            "The webhook secret is wrong",
        ))
    }
}

fn same(a: &[u8], b: &[u8]) -> bool {
    let (a, b) = (Sha256::digest(a), Sha256::digest(b));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// Who said a line: Vapi's `user` is the visitor.
fn role(message: &Value) -> Option<MessageRole> {
    match message["role"].as_str()? {
        "user" => Some(MessageRole::Visitor),
        "assistant" | "bot" => Some(MessageRole::Assistant),
        _ => None,
    }
}

/// A line's text after the typed messages' hygiene (at most 4,000
/// characters); `None` for nothing visible.
fn clean(raw: &str) -> Option<String> {
    let bounded: String = raw.chars().take(4000).collect();
    MessageText::parse(&bounded)
        .ok()
        .map(MessageText::into_inner)
}

async fn transcript(ctx: &ApiContext, call: &StoredVoiceCall, message: &Value) -> ApiResult<()> {
    let (Some(role), Some(text)) = (
        role(message),
        message["transcript"].as_str().and_then(clean),
    ) else {
        return Ok(());
    };
    let call_id = call.vapi_call_id.clone().unwrap_or_default();
    if message["transcriptType"] != "final" {
        let change = Change::VoiceTranscript {
            call_id,
            role,
            transcript: text,
        };
        ctx.store
            .ephemeral(call.organization, call.conversation, change)
            .await;
        return Ok(());
    }
    // The same line sent again (a retried delivery) has the same key.
    let when = message["timestamp"].to_string();
    let key = Sha256::new()
        .chain_update(call_id.as_bytes())
        .chain_update([0])
        .chain_update(role.as_str().as_bytes())
        .chain_update([0])
        .chain_update(when.as_bytes())
        .chain_update([0])
        .chain_update(text.as_bytes())
        .finalize();
    let key = format!("vapi:{}", &hex::encode(key)[..40]);
    let line = Message {
        voice: true,
        ..new_message(role, text, ctx.clock.now())
    };
    match ctx
        .store
        .add_voice_line(call.organization, call.conversation, line, key)
        .await
    {
        // Resolved meanwhile: the line has nowhere to go.
        Ok(_) | Err(StoreError::Conflict(_)) | Err(StoreError::NotFound) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

async fn report(ctx: &ApiContext, call: &StoredVoiceCall, message: &Value) -> ApiResult<()> {
    let now = ctx.clock.now();
    let measured = (now.millis() - call.started_at.millis()).max(0) / 1000;
    let duration = message["durationSeconds"]
        .as_f64()
        .filter(|d| d.is_finite() && *d >= 0.0)
        .map_or(measured, |d| d.round() as i64)
        .min(86_400);
    let reason = message["endedReason"]
        .as_str()
        .map(|r| r.chars().take(100).collect());
    let report = VoiceReport {
        ended_at: Timestamp(now.millis()),
        reason,
        duration_seconds: duration,
    };
    if ctx
        .store
        .report_voice_call(&call.id, report)
        .await?
        .is_some()
    {
        tracing::info!(duration, "voice call ended");
    }
    Ok(())
}
