//! A stand-in for Vapi's REST API, written to its documented shapes
//! (<https://docs.vapi.ai/api-reference>): `GET /assistant` and
//! `GET /phone-number` answer arrays newest first, paged by `limit` and
//! `createdAtLt`, for the one private key it knows (401 otherwise). It can
//! be made slow (no answer for 30 s) to test the server's timeout.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

/// The private key the stand-in accepts.
pub const GOOD_KEY: &str = "vapi-private-0123456789-SECRET";
pub const PUBLIC_KEY: &str = "vapi-public-9876543210-SECRET";
/// How many assistants the account has (three pages of 100).
pub const ASSISTANTS: usize = 230;

#[derive(Clone, Default)]
struct Shared {
    slow: Arc<AtomicBool>,
    revoked: Arc<AtomicBool>,
    requests: Arc<AtomicUsize>,
}

pub struct VapiStandIn {
    pub url: String,
    shared: Shared,
}

impl VapiStandIn {
    pub async fn start() -> Self {
        let shared = Shared::default();
        let app = Router::new()
            .route("/assistant", get(assistants))
            .route("/phone-number", get(phone_numbers))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, shared }
    }

    /// From now on it never answers in time.
    pub fn go_slow(&self) {
        self.shared.slow.store(true, Ordering::SeqCst);
    }

    /// The account's key is revoked: Vapi refuses it from now on.
    pub fn revoke(&self) {
        self.shared.revoked.store(true, Ordering::SeqCst);
    }

    /// How many list requests it has had.
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }
}

/// `count` items, newest first: item `i` was created `i` minutes after
/// 2026-01-01 00:00 UTC.
fn page(
    count: usize,
    query: &HashMap<String, String>,
    item: impl Fn(usize, String) -> serde_json::Value,
) -> Vec<serde_json::Value> {
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(100);
    let before = query.get("createdAtLt");
    (0..count)
        .rev()
        .map(|i| {
            let at = format!("2026-01-01T{:02}:{:02}:00.000Z", i / 60, i % 60);
            (i, at)
        })
        .filter(|(_, at)| before.is_none_or(|b| at < b))
        .take(limit.min(1000))
        .map(|(i, at)| item(i, at))
        .collect()
}

async fn guard(shared: &Shared, headers: &HeaderMap) -> Option<Response> {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    if shared.slow.load(Ordering::SeqCst) {
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer != Some(GOOD_KEY) || shared.revoked.load(Ordering::SeqCst) {
        let body = json!({"message": "Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa.", "error": "Unauthorized", "statusCode": 401});
        return Some((StatusCode::UNAUTHORIZED, Json(body)).into_response());
    }
    None
}

async fn assistants(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = guard(&shared, &headers).await {
        return refused;
    }
    let items = page(ASSISTANTS, &query, |i, at| {
        json!({"id": format!("asst-{i:04}"), "orgId": "org-1", "name": format!("Assistant {i}"),
               "createdAt": at, "updatedAt": at})
    });
    Json(items).into_response()
}

async fn phone_numbers(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = guard(&shared, &headers).await {
        return refused;
    }
    let items = page(3, &query, |i, at| {
        json!({"id": format!("pn-{i}"), "orgId": "org-1", "provider": "vapi",
               "number": format!("+1415555010{i}"), "name": format!("Line {i}"),
               "status": "active", "createdAt": at, "updatedAt": at})
    });
    Json(items).into_response()
}
