//! `echo-server serve`: its settings, and the configuration they make.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

use super::limits::LimitArgs;
use super::mail::MailArgs;
use crate::accounts::PublicUrl;
use crate::clock::Clock;
use crate::config::{self, Config};
use crate::llm::LlmConfig;
use crate::proxies::TrustedProxies;
use crate::sandbox::SandboxSettings;
use crate::secrets::WebhookSecret;
use crate::session::{SessionPolicy, AUTO_REFRESH_THRESHOLD_SECS, SESSION_DURATION_SECS};

#[derive(clap::Args)]
pub(super) struct ServeArgs {
    #[arg(long, env = "ECHO_BIND", default_value = config::DEFAULT_BIND)]
    pub(super) bind: SocketAddr,
    /// Live events are kept this long for clients that reconnect (0: forever).
    #[arg(long, env = "ECHO_EVENT_RETENTION_HOURS", default_value_t = config::DEFAULT_EVENT_RETENTION_HOURS)]
    event_retention_hours: u64,
    /// PostgreSQL connections per server process (ignored for SQLite).
    #[arg(long, env = "ECHO_DATABASE_MAX_CONNECTIONS", default_value_t = config::DEFAULT_MAX_CONNECTIONS)]
    database_max_connections: u32,
    /// Directory of the built widget to serve at `/` (default: ./dist if present).
    #[arg(long, env = "ECHO_WIDGET_DIR")]
    widget_dir: Option<PathBuf>,
    /// How long a contact session lives.
    #[arg(long, env = "ECHO_SESSION_DURATION_SECS", default_value_t = SESSION_DURATION_SECS)]
    session_duration_secs: i64,
    /// Activity with less than this left extends the session.
    #[arg(
        long,
        env = "ECHO_SESSION_REFRESH_THRESHOLD_SECS",
        default_value_t = AUTO_REFRESH_THRESHOLD_SECS
    )]
    session_refresh_threshold_secs: i64,
    /// Shared secret of the billing webhook (at least 16 characters);
    /// without it POST /v1/webhooks/billing is off.
    #[arg(long, env = "ECHO_BILLING_WEBHOOK_SECRET", hide_env_values = true)]
    billing_webhook_secret: Option<String>,
    /// Base URL of an OpenAI-compatible API (e.g. https://api.openai.com/v1,
    /// http://localhost:11434/v1 for Ollama); without it the AI features are off.
    #[arg(long, env = "ECHO_LLM_BASE_URL")]
    llm_base_url: Option<String>,
    /// API key for the model endpoint, if it needs one.
    #[arg(long, env = "ECHO_LLM_API_KEY", hide_env_values = true)]
    llm_api_key: Option<String>,
    /// Model name.
    #[arg(long, env = "ECHO_LLM_MODEL", default_value = config::DEFAULT_LLM_MODEL)]
    llm_model: String,
    /// Seconds to wait for one model answer.
    #[arg(long, env = "ECHO_LLM_TIMEOUT_SECS", default_value_t = config::DEFAULT_LLM_TIMEOUT_SECS)]
    llm_timeout_secs: u64,
    /// Where browsers reach this server (e.g. https://chat.example.com):
    /// invitation links, the session cookie's Secure flag, and the origin
    /// the console's changes must come from. Default: http://<bind address>.
    #[arg(long, env = "ECHO_PUBLIC_URL")]
    public_url: Option<String>,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    mail: MailArgs,
    /// The largest file a visitor or operator can attach, in bytes.
    #[arg(long, env = "ECHO_MAX_ATTACHMENT_BYTES", default_value_t = echo_protocol::attachments::DEFAULT_MAX_BYTES)]
    max_attachment_bytes: u64,
    /// Bytes of uploads an organization may have waiting unsent (sent in
    /// no message yet); more are refused with 413 until some are sent.
    #[arg(long, env = "ECHO_MAX_UNSENT_BYTES_PER_ORG", default_value_t = config::DEFAULT_MAX_UNSENT_BYTES)]
    max_unsent_bytes_per_org: u64,
    /// Seconds a push stream stays open before it ends and the client
    /// resumes where it was (fractions allowed).
    #[arg(long, env = "ECHO_STREAM_LIFETIME_SECS", default_value_t = config::DEFAULT_STREAM_LIFETIME.as_secs_f64())]
    stream_lifetime_secs: f64,
    /// Uploaded files parsed at once (images, documents), each in a child
    /// process of its own (default: half the cores).
    #[arg(long, env = "ECHO_PARSER_CONCURRENCY")]
    parser_concurrency: Option<usize>,
    /// The memory one parser process may take, in MiB.
    #[arg(long, env = "ECHO_PARSER_MEMORY_MB", default_value_t = crate::sandbox::DEFAULT_MEMORY_BYTES / (1024 * 1024))]
    parser_memory_mb: u64,
    /// The time one file may take to parse, in seconds.
    #[arg(long, env = "ECHO_PARSER_TIME_SECS", default_value_t = crate::sandbox::DEFAULT_TIME.as_secs())]
    parser_time_secs: u64,
    /// Serve `GET /metrics` (Prometheus text format) on this address, a
    /// listener of its own (off by default: never public by accident).
    #[arg(long, env = "ECHO_METRICS_BIND")]
    metrics_bind: Option<SocketAddr>,
    /// SQLite: writes queued for the writer past which new writes are
    /// refused with 503 OVERLOADED.
    #[arg(long, env = "ECHO_OVERLOAD_WRITE_QUEUE", default_value_t = crate::overload::DEFAULT_WRITE_QUEUE)]
    overload_write_queue: u64,
    /// PostgreSQL: milliseconds a transaction may have waited for a pool
    /// connection before new writes are refused with 503 OVERLOADED.
    #[arg(long, env = "ECHO_OVERLOAD_POOL_WAIT_MS", default_value_t = crate::overload::DEFAULT_POOL_WAIT.as_millis() as u64)]
    overload_pool_wait_ms: u64,
    /// `open`: anyone may sign up (an account and an organization) in the
    /// console; needs mail (the address is checked by a link). `off`: only
    /// invitations and the command line make accounts.
    #[arg(long, env = "ECHO_SIGNUP", default_value = "off")]
    signup: SignUpMode,
    /// The most organizations one account may be in before it can create
    /// another.
    #[arg(long, env = "ECHO_ORGANIZATIONS_PER_ACCOUNT", default_value_t = crate::onboarding::DEFAULT_ORGANIZATIONS_PER_ACCOUNT)]
    organizations_per_account: u32,
    /// The billing provider's hosted checkout page; the console's "Upgrade"
    /// button opens it with the organization's ID appended.
    #[arg(long, env = "ECHO_BILLING_CHECKOUT_URL")]
    billing_checkout_url: Option<String>,
    #[command(flatten)]
    secrets: SecretsArgs,
    /// Vapi's REST API (a proxy, or a stand-in in tests).
    #[arg(long, env = "ECHO_VAPI_BASE_URL", default_value = crate::plugins::vapi::DEFAULT_BASE_URL)]
    vapi_base_url: String,
    /// Live voice calls one organization may have at once.
    #[arg(long, env = "ECHO_VOICE_MAX_CALLS", default_value_t = crate::plugins::DEFAULT_MAX_CALLS)]
    voice_max_calls: u32,
    /// Minutes after which our server ends a voice call.
    #[arg(long, env = "ECHO_VOICE_MAX_MINUTES", default_value_t = crate::plugins::DEFAULT_MAX_MINUTES)]
    voice_max_minutes: u64,
}

/// The keys plugins' keys are sealed with.
#[derive(clap::Args)]
pub(super) struct SecretsArgs {
    /// 32 random bytes as base64 (`openssl rand -base64 32`): seals plugins'
    /// API keys at rest. Without it no plugin can be connected.
    #[arg(long = "secrets-key", env = "ECHO_SECRETS_KEY", hide_env_values = true)]
    key: Option<String>,
    /// Earlier secrets keys, comma-separated: they still open what they
    /// sealed until `echo-server secrets re-encrypt` moves it to the key.
    #[arg(
        long = "secrets-old-keys",
        env = "ECHO_SECRETS_OLD_KEYS",
        hide_env_values = true
    )]
    old_keys: Option<String>,
}

impl SecretsArgs {
    pub(super) fn vault(self) -> anyhow::Result<Option<crate::vault::Vault>> {
        let Some(key) = self.key else {
            anyhow::ensure!(
                self.old_keys.is_none(),
                "ECHO_SECRETS_OLD_KEYS needs ECHO_SECRETS_KEY"
            );
            return Ok(None);
        };
        let old = self.old_keys.map(secrecy::SecretString::from);
        crate::vault::Vault::new(&key.into(), old.as_ref())
            .map(Some)
            .context("ECHO_SECRETS_KEY")
    }
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SignUpMode {
    Off,
    Open,
}

/// The base of the links a command prints: the server's public URL.
impl ServeArgs {
    pub(super) fn into_config(self, database_url: String) -> anyhow::Result<Config> {
        anyhow::ensure!(
            self.session_duration_secs > 0 && self.session_refresh_threshold_secs >= 0,
            "session durations must be positive"
        );
        let billing_webhook_secret = self
            .billing_webhook_secret
            .map(|secret| {
                WebhookSecret::new(secret)
                    .context("the billing webhook secret must be at least 16 characters")
            })
            .transpose()?;
        let mail = self.mail.config()?;
        anyhow::ensure!(
            self.signup == SignUpMode::Off || mail.is_some(),
            "ECHO_SIGNUP=open needs mail (ECHO_SMTP_URL): a new account's address is checked by a mailed link"
        );
        anyhow::ensure!(
            self.vapi_base_url.starts_with("https://") || self.vapi_base_url.starts_with("http://"),
            "ECHO_VAPI_BASE_URL must be an http(s) URL"
        );
        let plugins = crate::plugins::PluginSettings {
            vault: self.secrets.vault()?,
            vapi_base_url: self.vapi_base_url,
            voice: crate::plugins::VoiceCallSettings {
                max_calls: self.voice_max_calls,
                max_duration: Duration::from_secs(self.voice_max_minutes.clamp(1, 240) * 60),
                ..Default::default()
            },
        };
        if let Some(url) = &self.billing_checkout_url {
            anyhow::ensure!(
                url.starts_with("https://") || url.starts_with("http://"),
                "ECHO_BILLING_CHECKOUT_URL must be an http(s) URL"
            );
        }
        Ok(Config {
            bind: self.bind,
            database_url,
            database_max_connections: self.database_max_connections,
            event_retention: (self.event_retention_hours > 0)
                .then(|| Duration::from_secs(self.event_retention_hours * 3600)),
            session: SessionPolicy {
                duration_secs: self.session_duration_secs,
                refresh_threshold_secs: self.session_refresh_threshold_secs,
            },
            widget_dir: self.widget_dir.or_else(|| {
                let dist = PathBuf::from("dist");
                dist.join("index.html").exists().then_some(dist)
            }),
            clock: Clock::system(),
            billing_webhook_secret,
            llm: self.llm_base_url.map(|base_url| LlmConfig {
                base_url,
                api_key: self.llm_api_key.map(Into::into),
                model: self.llm_model,
                timeout: Duration::from_secs(self.llm_timeout_secs),
            }),
            public_url: self
                .public_url
                .as_deref()
                .map(PublicUrl::parse)
                .transpose()?,
            limits: self.limits.settings(),
            trusted_proxies: TrustedProxies::parse(&self.limits.trusted_proxy)?,
            mail,
            max_attachment_bytes: self.max_attachment_bytes,
            max_unsent_bytes: self.max_unsent_bytes_per_org,
            stream_lifetime: Duration::try_from_secs_f64(self.stream_lifetime_secs)
                .ok()
                .filter(|d| !d.is_zero())
                .context("--stream-lifetime-secs must be a positive number of seconds")?,
            sandbox: SandboxSettings {
                concurrency: self
                    .parser_concurrency
                    .unwrap_or_else(SandboxSettings::default_concurrency)
                    .max(1),
                memory_bytes: self.parser_memory_mb.max(64) * 1024 * 1024,
                time: Duration::from_secs(self.parser_time_secs.max(1)),
                ..SandboxSettings::with_exe(SandboxSettings::default_exe())
            },
            metrics_bind: self.metrics_bind,
            overload: crate::overload::OverloadBounds {
                write_queue: self.overload_write_queue,
                pool_wait: Duration::from_millis(self.overload_pool_wait_ms),
            },
            onboarding: crate::onboarding::OnboardingSettings {
                sign_up: self.signup == SignUpMode::Open,
                organizations_per_account: self.organizations_per_account.max(1),
                billing_checkout_url: self.billing_checkout_url,
            },
            plugins,
        })
    }
}
