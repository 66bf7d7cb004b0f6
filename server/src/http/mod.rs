//! The HTTP API: one router module per flow, merged here over a shared
//! [`ApiContext`], with the layers every route gets (body limit, security
//! headers, CORS, panic catching, tracing) and JSON answers for unknown
//! routes and methods.

mod accounts;
mod attachments;
mod audit;
pub use audit::KEEP_DAYS as AUDIT_KEEP_DAYS;
mod auth;
pub mod billing;
mod contact_sessions;
mod contacts;
mod conversations;
pub mod desk;
pub mod error;
mod events;
pub mod extract;
mod first_screen;
mod headers;
mod health;
mod hours;
mod knowledge;
mod mail;
mod messages;
mod onboarding;
pub mod openapi;
mod openapi_exact;
mod openapi_rules;
mod operations;
mod operator;
pub use operations::metrics_router;
pub use voice_calls::end as end_voice_call;
mod parsers;
mod plugins;
mod pro;
mod ratings;
mod reports;
mod security;
mod session_start;
mod sites;
mod static_files;
mod team;
mod two_factor;
mod vapi_webhook;
mod voice;
mod voice_calls;
mod widget;
mod widget_page;
mod widget_settings;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use echo_protocol::ErrorCode;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;

use self::error::ApiError;
use crate::clock::Clock;
use crate::live::Hub;
use crate::session::SessionPolicy;
use crate::store::Store;

/// Request bodies above this size are refused with 413 before parsing.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What every handler can reach: one shared [`Services`]. axum clones the
/// state for every extractor and middleware of every request, so it is one
/// reference count, not a count for each of the services' parts (cloning
/// and dropping those took about a seventh of echo-bench's process, the
/// server and its visitors, under load).
#[derive(Clone)]
pub struct ApiContext(Arc<Services>);

impl ApiContext {
    pub fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }
}

impl std::ops::Deref for ApiContext {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// The services behind [`ApiContext`].
pub struct Services {
    pub store: Arc<dyn Store>,
    pub clock: Clock,
    pub policy: SessionPolicy,
    pub hub: Arc<Hub>,
    /// Becomes true when the server starts shutting down: long-lived push
    /// streams end then, so graceful shutdown does not wait on them forever.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
    pub billing_webhook_secret: Option<crate::secrets::WebhookSecret>,
    pub llm: Option<Arc<crate::llm::Llm>>,
    pub knowledge: Arc<crate::knowledge::KnowledgeBase>,
    /// The AI support agent; present when a language model is configured.
    pub agent: Option<Arc<crate::agent::Agent>>,
    /// Where browsers reach the server (links, cookie flags, origin checks).
    pub public: crate::accounts::PublicUrl,
    pub lockout: Arc<crate::lockout::SignInLockout>,
    pub limits: Arc<crate::limits::Limits>,
    pub trusted_proxies: Arc<crate::proxies::TrustedProxies>,
    /// Email notifications; `None` when no SMTP server is configured.
    pub mailer: Option<Arc<crate::mail::Mailer>>,
    /// Signs and checks the attachments' links.
    pub links: Arc<crate::attachments::links::Links>,
    /// The largest upload accepted, in bytes.
    pub max_attachment_bytes: u64,
    /// The most bytes of uploads an organization may have waiting unsent.
    pub max_unsent_bytes: u64,
    /// Where uploaded files are parsed: a child process with a budget.
    pub sandbox: Arc<crate::sandbox::Sandbox>,
    /// How long a push stream stays open before the client is asked to
    /// resume (it ends; the client reconnects from where it was).
    pub stream_lifetime: Duration,
    /// The typing signals' throttle.
    pub typing: Arc<desk::TypingGate>,
    /// What `/metrics` shows (on its own listener).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// New writes are refused with 503 `OVERLOADED` past these bounds.
    pub overload: crate::overload::OverloadBounds,
    /// Sign-up's settings, the setup token, the seen-sites throttle.
    pub onboarding: Arc<crate::onboarding::Onboarding>,
    /// The away reply to visitors who write while the desk is closed.
    pub away: Arc<crate::away::AwayReplies>,
    /// The secrets key (none: plugins cannot be connected) and Vapi.
    pub vault: Option<crate::vault::Vault>,
    pub vapi: crate::plugins::vapi::Vapi,
    pub voice_calls: crate::plugins::VoiceCallSettings,
}

impl Services {
    /// Resolves once shutdown has begun.
    pub async fn shutting_down(&self) {
        let mut shutdown = self.shutdown.clone();
        let _ = shutdown.wait_for(|stopping| *stopping).await;
    }
}

/// The whole application: the API, and the built widget at `/` when
/// `widget_dir` is set (any path the API does not know is looked up there).
pub fn router(ctx: ApiContext, widget_dir: Option<PathBuf>) -> Router {
    let api = Router::new()
        .merge(attachments::router(ctx.max_attachment_bytes))
        .merge(widget::router())
        .merge(contact_sessions::router())
        .merge(conversations::router())
        .merge(messages::router())
        .merge(events::router())
        .merge(operator::router())
        .merge(widget_settings::router())
        .merge(desk::router())
        .merge(accounts::router())
        .merge(team::router())
        .merge(billing::router())
        .merge(pro::router())
        .merge(security::router())
        .merge(contacts::router())
        .merge(two_factor::router())
        .merge(onboarding::router())
        .merge(hours::router())
        .merge(ratings::router())
        .merge(reports::router())
        .merge(plugins::router())
        .merge(voice_calls::router())
        .merge(vapi_webhook::router())
        .merge(knowledge::router())
        .merge(mail::router())
        .merge(health::router())
        .route("/v1/openapi.json", get(openapi::serve))
        .method_not_allowed_fallback(method_not_allowed);
    let voice_socket = ctx.vault.as_ref().map(|_| ctx.vapi.socket_origin());
    let security = headers::SecurityHeaders::new(
        widget_dir.as_deref(),
        ctx.public.is_https(),
        voice_socket.as_deref(),
    );
    let api = match widget_dir {
        Some(dir) => {
            let files = static_files::router(&dir);
            match widget_page::WidgetPage::load(&dir).map(std::sync::Arc::new) {
                Some(built) => {
                    // The page is made per request (its settings, words and
                    // first screen), so it is compressed per request too,
                    // quickly: about 4-8 KB to 2-3 KB.
                    let page = get(move |state, headers, query| {
                        widget_page::widget_page(built.clone(), state, headers, query)
                    })
                    .layer(
                        tower_http::compression::CompressionLayer::new()
                            .quality(tower_http::compression::CompressionLevel::Precise(5)),
                    );
                    api.route("/", page.clone())
                        .route("/index.html", page)
                        .fallback_service(files)
                }
                None => api.fallback_service(files),
            }
        }
        None => api.fallback(unknown_route),
    };
    let metrics = ctx.metrics.clone();
    let guard = ctx.clone();
    api.layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(ctx)
        .layer(axum::middleware::from_fn_with_state(
            guard,
            operations::refuse_writes,
        ))
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            operations::track,
        ))
        .layer(axum::middleware::from_fn_with_state(
            security,
            headers::security_headers,
        ))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(cors())
}

/// The widget runs on other origins (and outside clients may too), with a
/// bearer header. Credentials (the console's cookie) are never allowed
/// cross-origin: without `Access-Control-Allow-Credentials` a browser sends
/// no cookie on another site's request and shows it no answer to one.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(Duration::from_secs(600))
}

#[tracing::instrument]
async fn unknown_route() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "No such route")
}

#[tracing::instrument]
async fn method_not_allowed() -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        "Method not allowed on this route",
    )
}

/// The request's span names its route pattern, not its path: a path can
/// hold a link token (`/v1/unsubscribe/{token}`), which must not be logged.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("-", |path| path.as_str());
    tracing::debug_span!("request", method = %request.method(), route)
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::internal("a handler panicked").into_response()
}
