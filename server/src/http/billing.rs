//! `POST /v1/webhooks/billing`: signed subscription changes from the billing
//! provider. The signature is checked over the raw body before anything in
//! it is trusted or even parsed.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use echo_protocol::billing::{BillingEvent, BillingEventReceived, BillingStatus};
use echo_protocol::ErrorCode;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::error::{ApiError, ApiResult};
use super::extract::organization_not_found;
use super::ApiContext;
use crate::secrets::WebhookSecret;
use crate::store::{StoreError, SubscriptionStatus};

/// Events signed further than this from now (either way) are refused, so a
/// captured request cannot be replayed later.
pub const TOLERANCE_SECS: i64 = 5 * 60;
pub const SIGNATURE_HEADER: &str = "echo-signature";

pub fn router() -> Router<ApiContext> {
    Router::new().route("/v1/webhooks/billing", post(billing_webhook))
}

/// `t=<unix seconds>,v1=<hex>` -> (timestamp, signature bytes).
fn parse_signature(header: &str) -> Option<(i64, Vec<u8>)> {
    let mut timestamp = None;
    let mut signature = None;
    for part in header.split(',') {
        match part.trim().split_once('=')? {
            ("t", value) => timestamp = value.parse().ok(),
            ("v1", value) => signature = hex::decode(value).ok(),
            _ => {}
        }
    }
    Some((timestamp?, signature?))
}

/// The `Echo-Signature` value for `body` signed at `timestamp` (what a
/// billing provider, or a test, sends).
pub fn sign(secret: &WebhookSecret, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret()).expect("any key length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(digest))
}

fn verify(secret: &WebhookSecret, header: &str, body: &[u8], now_secs: i64) -> ApiResult<()> {
    let rejected = |why: &str| ApiError::new(ErrorCode::Unauthorized, why.to_owned());
    let (timestamp, signature) =
        parse_signature(header).ok_or_else(|| rejected("Malformed Echo-Signature header"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret()).expect("any key length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    mac.verify_slice(&signature)
        .map_err(|_| rejected("The signature does not match"))?;
    if (now_secs - timestamp).abs() > TOLERANCE_SECS {
        return Err(rejected(
            "The event's timestamp is outside the five-minute window",
        ));
    }
    Ok(())
}

/// Applies a signed subscription change; a redelivered event changes nothing.
#[utoipa::path(
    post,
    path = "/v1/webhooks/billing",
    tag = "billing",
    params(("Echo-Signature" = String, Header, description = "`t=<unix seconds>,v1=<hex HMAC-SHA256 of \"t.body\">`")),
    request_body = BillingEvent,
    responses(
        (status = 200, body = BillingEventReceived),
        (status = 400, description = "`VALIDATION`", body = echo_protocol::ErrorBody),
        (status = 401, description = "Bad, missing or stale signature (`UNAUTHORIZED`)", body = echo_protocol::ErrorBody),
        (status = 404, description = "Webhooks off, or unknown organization (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn billing_webhook(
    State(ctx): State<ApiContext>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<BillingEventReceived>> {
    let secret = ctx.billing_webhook_secret.as_ref().ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotFound,
            "Billing webhooks are not enabled on this server",
        )
    })?;
    let header = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "Echo-Signature header missing"))?;
    let now = ctx.clock.now();
    verify(secret, header, &body, now.millis() / 1000)?;
    let event: BillingEvent =
        serde_json::from_slice(&body).map_err(|e| ApiError::validation("body", e.to_string()))?;
    if event.id.is_empty() || event.id.len() > 200 {
        return Err(ApiError::validation("id", "must be 1 to 200 characters"));
    }
    let status = match event.status {
        BillingStatus::Active => SubscriptionStatus::Active,
        BillingStatus::Inactive => SubscriptionStatus::Inactive,
    };
    let applied = ctx
        .store
        .apply_billing_event(event.id.clone(), event.organization_id, status, now)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => organization_not_found(),
            other => other.into(),
        })?;
    tracing::info!(
        organization_id = %event.organization_id,
        status = status.as_str(),
        applied,
        "billing event"
    );
    Ok(Json(BillingEventReceived { applied }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> WebhookSecret {
        WebhookSecret::new("whsec_test_0123456789".into()).unwrap()
    }

    #[test]
    fn a_signature_round_trips_and_binds_body_and_time() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign(&secret(), 1_000, body);
        assert!(verify(&secret(), &header, body, 1_000).is_ok());
        assert!(verify(&secret(), &header, body, 1_000 + TOLERANCE_SECS).is_ok());
        assert!(
            verify(&secret(), &header, body, 1_001 + TOLERANCE_SECS).is_err(),
            "stale"
        );
        assert!(
            verify(&secret(), &header, b"{}", 1_000).is_err(),
            "other body"
        );
        let other = WebhookSecret::new("another_secret_value".into()).unwrap();
        assert!(
            verify(&other, &header, body, 1_000).is_err(),
            "other secret"
        );
        let moved = header.replace("t=1000", "t=1001");
        assert!(
            verify(&secret(), &moved, body, 1_001).is_err(),
            "timestamp is signed"
        );
    }

    #[test]
    fn malformed_headers_are_refused() {
        for header in ["", "t=1", "v1=00", "t=x,v1=00", "t=1,v1=zz", "t=1,v1=0"] {
            assert!(verify(&secret(), header, b"{}", 1).is_err(), "{header}");
        }
    }
}
