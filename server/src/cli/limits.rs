//! The abuse limits' command-line settings (see [`crate::limits`]).

use crate::limits::{self, LimitSettings};

/// The abuse limits (per replica).
#[derive(clap::Args)]
pub(super) struct LimitArgs {
    /// `off` turns every limit off (benchmarks and load tests only).
    #[arg(long, env = "ECHO_RATE_LIMITS", default_value = "on", value_parser = ["on", "off"])]
    pub(super) rate_limits: String,
    /// New contact sessions per client address per minute.
    #[arg(long, env = "ECHO_LIMIT_SESSIONS_PER_MINUTE", default_value_t = limits::DEFAULT_SESSIONS_PER_MINUTE)]
    pub(super) limit_sessions_per_minute: u32,
    /// New conversations per contact session per hour.
    #[arg(long, env = "ECHO_LIMIT_CONVERSATIONS_PER_HOUR", default_value_t = limits::DEFAULT_CONVERSATIONS_PER_HOUR)]
    pub(super) limit_conversations_per_hour: u32,
    /// Visitor messages per contact session per minute.
    #[arg(long, env = "ECHO_LIMIT_MESSAGES_PER_MINUTE", default_value_t = limits::DEFAULT_MESSAGES_PER_MINUTE)]
    pub(super) limit_messages_per_minute: u32,
    /// Open event streams per contact session.
    #[arg(long, env = "ECHO_LIMIT_STREAMS_PER_SESSION", default_value_t = limits::DEFAULT_STREAMS_PER_SESSION)]
    pub(super) limit_streams_per_session: u32,
    /// Open event streams per client address.
    #[arg(long, env = "ECHO_LIMIT_STREAMS_PER_ADDRESS", default_value_t = limits::DEFAULT_STREAMS_PER_ADDRESS)]
    pub(super) limit_streams_per_address: u32,
    /// Assistant replies per organization per day; then conversations wait
    /// for a person.
    #[arg(long, env = "ECHO_AI_DAILY_LIMIT", default_value_t = limits::DEFAULT_AI_DAILY_LIMIT)]
    pub(super) ai_daily_limit: u32,
    /// Files a visitor's contact session may upload per hour.
    #[arg(long, env = "ECHO_LIMIT_UPLOADS_PER_SESSION_PER_HOUR", default_value_t = limits::DEFAULT_UPLOADS_PER_SESSION_PER_HOUR)]
    pub(super) limit_uploads_per_session_per_hour: u32,
    /// Files visitors may upload per client address per hour.
    #[arg(long, env = "ECHO_LIMIT_UPLOADS_PER_ADDRESS_PER_HOUR", default_value_t = limits::DEFAULT_UPLOADS_PER_ADDRESS_PER_HOUR)]
    pub(super) limit_uploads_per_address_per_hour: u32,
    /// Proxies (addresses or CIDR ranges, comma-separated or repeated)
    /// whose X-Forwarded-For names the client; otherwise the TCP peer is.
    #[arg(long, env = "ECHO_TRUSTED_PROXY")]
    pub(super) trusted_proxy: Vec<String>,
}

impl LimitArgs {
    pub(super) fn settings(&self) -> LimitSettings {
        LimitSettings {
            enabled: self.rate_limits == "on",
            sessions_per_minute: self.limit_sessions_per_minute,
            conversations_per_hour: self.limit_conversations_per_hour,
            messages_per_minute: self.limit_messages_per_minute,
            streams_per_session: self.limit_streams_per_session,
            streams_per_address: self.limit_streams_per_address,
            ai_daily_limit: self.ai_daily_limit,
            uploads_per_session_per_hour: self.limit_uploads_per_session_per_hour,
            uploads_per_address_per_hour: self.limit_uploads_per_address_per_hour,
        }
    }
}
