//! Settings: the defaults live here (the session's own in
//! [`crate::session`]); environment variables, then command-line flags,
//! override them (clap reads both; see [`crate::cli`]).

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::accounts::PublicUrl;
use crate::clock::Clock;
use crate::llm::LlmConfig;
use crate::secrets::WebhookSecret;
use crate::session::SessionPolicy;

pub const DEFAULT_BIND: &str = "127.0.0.1:8787";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://echo.db";
/// PostgreSQL connections per process: enough for concurrent requests,
/// few enough that several replicas stay well inside `max_connections`.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 10;
/// A week of live events for clients that reconnect.
pub const DEFAULT_EVENT_RETENTION_HOURS: u64 = 168;
/// Push streams are recycled hourly.
pub const DEFAULT_STREAM_LIFETIME: std::time::Duration = std::time::Duration::from_secs(3600);
/// Unsent uploads an organization may hold: 25 of the largest files.
pub const DEFAULT_MAX_UNSENT_BYTES: u64 = 256 * 1024 * 1024;
pub const DEFAULT_LLM_MODEL: &str = "gpt-4o-mini";
pub const DEFAULT_LLM_TIMEOUT_SECS: u64 = 30;

#[derive(Clone)]
pub struct Config {
    pub bind: SocketAddr,
    /// Never logged: a PostgreSQL URL may hold a password.
    pub database_url: String,
    pub database_max_connections: u32,
    /// How long live events stay in the log for reconnecting clients; `None`
    /// keeps them forever.
    pub event_retention: Option<std::time::Duration>,
    pub session: SessionPolicy,
    /// The built widget (Trunk's `dist/`), served at `/` when set.
    pub widget_dir: Option<PathBuf>,
    pub clock: Clock,
    /// Signs `POST /v1/webhooks/billing`; without it the endpoint is off.
    pub billing_webhook_secret: Option<WebhookSecret>,
    /// The language model behind the pro features; without it they answer
    /// `AI_UNAVAILABLE`.
    pub llm: Option<LlmConfig>,
    /// Where browsers reach the server; `None`: `http://<bound address>`.
    pub public_url: Option<PublicUrl>,
    pub limits: crate::limits::LimitSettings,
    pub trusted_proxies: crate::proxies::TrustedProxies,
    /// SMTP and the notification windows; without it no mail is sent.
    pub mail: Option<crate::mail::MailConfig>,
    /// The largest attachment accepted, in bytes.
    pub max_attachment_bytes: u64,
    /// The most bytes of uploads one organization may have waiting unsent
    /// (uploaded, not yet in a message; swept after a day).
    pub max_unsent_bytes: u64,
    /// How untrusted files are parsed: the process, its budget, how many
    /// at once.
    pub sandbox: crate::sandbox::SandboxSettings,
    /// A push stream ends after this and the client resumes (so streams
    /// spread again over replicas).
    pub stream_lifetime: std::time::Duration,
    /// Where `GET /metrics` is served; `None`: nowhere.
    pub metrics_bind: Option<SocketAddr>,
    /// New writes are refused with 503 past these.
    pub overload: crate::overload::OverloadBounds,
    /// Sign-up, organizations per account, the billing checkout page.
    pub onboarding: crate::onboarding::OnboardingSettings,
    /// The secrets key plugins' keys are sealed with, and where Vapi is.
    pub plugins: crate::plugins::PluginSettings,
}

impl Config {
    /// Loopback on a free port with the given database: what tests use.
    pub fn for_tests(database_url: String) -> Self {
        Self {
            bind: "127.0.0.1:0".parse().expect("valid address"),
            database_url,
            database_max_connections: DEFAULT_MAX_CONNECTIONS,
            event_retention: None,
            session: SessionPolicy::default(),
            widget_dir: None,
            clock: Clock::system(),
            billing_webhook_secret: None,
            llm: None,
            public_url: None,
            limits: crate::limits::LimitSettings::default(),
            trusted_proxies: crate::proxies::TrustedProxies::default(),
            mail: None,
            max_attachment_bytes: echo_protocol::attachments::DEFAULT_MAX_BYTES,
            max_unsent_bytes: DEFAULT_MAX_UNSENT_BYTES,
            sandbox: crate::sandbox::SandboxSettings::with_exe(
                crate::sandbox::SandboxSettings::default_exe(),
            ),
            stream_lifetime: DEFAULT_STREAM_LIFETIME,
            metrics_bind: None,
            overload: crate::overload::OverloadBounds::default(),
            onboarding: crate::onboarding::OnboardingSettings::default(),
            plugins: crate::plugins::PluginSettings::default(),
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field(
                "database_url",
                &crate::secrets::redacted_url(&self.database_url),
            )
            .field("database_max_connections", &self.database_max_connections)
            .field("event_retention", &self.event_retention)
            .field("session", &self.session)
            .field("widget_dir", &self.widget_dir)
            .field("billing_webhook_secret", &self.billing_webhook_secret)
            .field("llm", &self.llm)
            .field("public_url", &self.public_url)
            .field("limits", &self.limits)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("mail", &self.mail)
            .field("max_attachment_bytes", &self.max_attachment_bytes)
            .field("max_unsent_bytes", &self.max_unsent_bytes)
            .field("sandbox", &self.sandbox)
            .field("stream_lifetime", &self.stream_lifetime)
            .field("metrics_bind", &self.metrics_bind)
            .field("overload", &self.overload)
            .finish_non_exhaustive()
    }
}
