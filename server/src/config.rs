//! Settings: defaults, then environment variables, then command-line flags
//! (clap reads both; see `main.rs`).

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::clock::Clock;
use crate::llm::LlmConfig;
use crate::secrets::WebhookSecret;
use crate::session::SessionPolicy;

pub const DEFAULT_BIND: &str = "127.0.0.1:8787";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://echo.db";

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub database_url: String,
    pub session: SessionPolicy,
    /// The built widget (Trunk's `dist/`), served at `/` when set.
    pub widget_dir: Option<PathBuf>,
    pub clock: Clock,
    /// Signs `POST /v1/webhooks/billing`; without it the endpoint is off.
    pub billing_webhook_secret: Option<WebhookSecret>,
    /// The language model behind the pro features; without it they answer
    /// `AI_UNAVAILABLE`.
    pub llm: Option<LlmConfig>,
}

impl Config {
    /// Loopback on a free port with the given database: what tests use.
    pub fn for_tests(database_url: String) -> Self {
        Self {
            bind: "127.0.0.1:0".parse().expect("valid address"),
            database_url,
            session: SessionPolicy::default(),
            widget_dir: None,
            clock: Clock::system(),
            billing_webhook_secret: None,
            llm: None,
        }
    }
}
