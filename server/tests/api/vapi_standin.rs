//! A stand-in for Vapi's REST API, written to its documented shapes
//! (<https://docs.vapi.ai/api-reference>): `GET /assistant` and
//! `GET /phone-number` answer arrays newest first, paged by `limit` and
//! `createdAtLt`, for the one private key it knows (401 otherwise). It can
//! be made slow (no answer for 30 s) to test the server's timeout.
//!
//! Calls (<https://docs.vapi.ai/calls/websocket-transport>, `.../call-features`,
//! `.../server-url/events`): `POST /call` keeps the request and answers the
//! call with `transport.websocketCallUrl` and `monitor.controlUrl` on the
//! stand-in; `POST /{id}/control` with `{"type": "end-call"}` ends it and,
//! as Vapi does, posts the end-of-call report to the call's server URL with
//! its secret as `X-Vapi-Secret`. Tests post the other server messages
//! through [`VapiStandIn::post`], the way Vapi would. (The browser test's
//! stand-in, `tests/e2e/vapi-standin.mjs`, also carries the audio.)

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
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
    url: Arc<Mutex<String>>,
    /// Each `POST /call` body, in order.
    calls: Arc<Mutex<Vec<serde_json::Value>>>,
    /// The IDs of the calls ended through their control URL.
    ended: Arc<Mutex<Vec<String>>>,
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
            .route("/call", post(create_call))
            .route("/{id}/control", post(control))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        *shared.url.lock().unwrap() = url.clone();
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

    /// The bodies of the calls asked for, in order.
    pub fn calls(&self) -> Vec<serde_json::Value> {
        self.shared.calls.lock().unwrap().clone()
    }

    /// The calls ended through their control URL.
    pub fn ended(&self) -> Vec<String> {
        self.shared.ended.lock().unwrap().clone()
    }

    /// Posts a server message about call `id` to the server URL the call
    /// was made with, with its secret (or `secret` instead, when given).
    pub async fn post(
        &self,
        id: &str,
        message: serde_json::Value,
        secret: Option<&str>,
    ) -> reqwest::Response {
        let body = call_body(&self.shared, id).expect("a call the stand-in made");
        post_message(&body, id, message, secret).await
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

/// The request call `id` was made with.
fn call_body(shared: &Shared, id: &str) -> Option<serde_json::Value> {
    let index: usize = id.strip_prefix("call-")?.parse().ok()?;
    shared.calls.lock().unwrap().get(index).cloned()
}

async fn post_message(
    body: &serde_json::Value,
    id: &str,
    mut message: serde_json::Value,
    secret: Option<&str>,
) -> reqwest::Response {
    let server = &body["assistantOverrides"]["server"];
    let url = server["url"].as_str().expect("the call's server URL");
    let secret = secret.or(server["secret"].as_str()).unwrap_or_default();
    message["call"] = json!({"id": id, "orgId": "org-1", "type": "vapi.websocketCall"});
    reqwest::Client::new()
        .post(url)
        .header("x-vapi-secret", secret)
        .json(&json!({ "message": message }))
        .send()
        .await
        .unwrap()
}

async fn create_call(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<serde_json::Value>,
) -> Response {
    if let Some(refused) = guard(&shared, &headers).await {
        return refused;
    }
    let id = {
        let mut calls = shared.calls.lock().unwrap();
        calls.push(body.clone());
        format!("call-{}", calls.len() - 1)
    };
    let base = shared.url.lock().unwrap().clone();
    let socket = base.replacen("http://", "ws://", 1);
    let answer = json!({
        "id": id, "assistantId": body["assistantId"], "type": "vapi.websocketCall",
        "orgId": "org-1", "status": "queued", "cost": 0,
        "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z",
        "transport": {"provider": "vapi.websocket", "websocketCallUrl": format!("{socket}/{id}/transport")},
        "monitor": {"listenUrl": format!("{socket}/{id}/listen"), "controlUrl": format!("{base}/{id}/control")},
    });
    (StatusCode::CREATED, Json(answer)).into_response()
}

async fn control(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    Json(body): Json<serde_json::Value>,
) -> StatusCode {
    let Some(call) = call_body(&shared, &id) else {
        return StatusCode::NOT_FOUND;
    };
    if body["type"] != "end-call" {
        return StatusCode::OK;
    }
    shared.ended.lock().unwrap().push(id.clone());
    // Vapi reports the end to the server URL, after answering.
    tokio::spawn(async move {
        let report = json!({"type": "end-of-call-report", "endedReason": "call.ended-by-api",
                            "durationSeconds": 42.4, "timestamp": 1});
        post_message(&call, &id, report, None).await;
    });
    StatusCode::OK
}
