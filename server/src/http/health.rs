//! `GET /healthz` (liveness: the process answers) and `GET /readyz`
//! (readiness: the database answers and the server is not shutting down),
//! for load balancers and orchestrators. Neither needs credentials; neither
//! says more than `ok` or what is wrong.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::ApiContext;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/healthz", get(live))
        .route("/readyz", get(ready))
}

#[tracing::instrument]
async fn live() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

#[tracing::instrument(skip_all)]
async fn ready(State(ctx): State<ApiContext>) -> (StatusCode, Json<Value>) {
    if *ctx.shutdown.borrow() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "shutting down"})),
        );
    }
    match ctx.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({"status": "ok"}))),
        Err(error) => {
            tracing::error!(error = %error, "readiness check: the database did not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "database unavailable"})),
            )
        }
    }
}
