//! The server's own operation: each request counted for `/metrics`, the
//! metrics listener's route, and new writes refused while the store is
//! past its overload bound.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::ApiContext;
use crate::metrics::Metrics;

/// Middleware: each request's route template (never its path: a path can
/// hold a link token), method, status and time.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.observe(
        &route,
        &method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// Middleware: refuses a new write (any request but GET, HEAD and
/// OPTIONS) while the store is past a bound.
pub async fn refuse_writes(
    State(ctx): State<ApiContext>,
    request: Request,
    next: Next,
) -> Response {
    let reads = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !reads && ctx.overload.passed(&ctx.store.pressure()) {
        ctx.metrics.overloaded.inc();
        return ApiError::overloaded("The server is busy; try again in a moment", 1)
            .into_response();
    }
    next.run(request).await
}

/// The metrics listener's one route.
pub fn metrics_router(ctx: ApiContext) -> axum::Router {
    axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(|State(ctx): State<ApiContext>| async move {
                let text = ctx
                    .metrics
                    .render(ctx.store.as_ref(), ctx.clock.now())
                    .await;
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
                    )],
                    text,
                )
                    .into_response()
            }),
        )
        .with_state(ctx)
}
