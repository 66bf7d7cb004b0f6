//! Abuse limits, per replica (each process counts on its own, so N
//! replicas allow up to N times these): contact sessions per client
//! address, conversations and messages per contact session (GCRA rate
//! limits from `governor`), open event streams per session and per
//! address (held while a stream is open), and assistant replies per
//! organization per day. `--rate-limits off` turns all of them off for
//! benchmarks and load tests.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use echo_protocol::{OrganizationId, Timestamp};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub const DEFAULT_SESSIONS_PER_MINUTE: u32 = 20;
pub const DEFAULT_CONVERSATIONS_PER_HOUR: u32 = 10;
pub const DEFAULT_MESSAGES_PER_MINUTE: u32 = 30;
pub const DEFAULT_STREAMS_PER_SESSION: u32 = 5;
pub const DEFAULT_STREAMS_PER_ADDRESS: u32 = 50;
pub const DEFAULT_AI_DAILY_LIMIT: u32 = 2000;
/// A visitor sends at most five files a message; this is a few messages'
/// worth in a burst, then one upload every two minutes.
pub const DEFAULT_UPLOADS_PER_SESSION_PER_HOUR: u32 = 30;
pub const DEFAULT_UPLOADS_PER_ADDRESS_PER_HOUR: u32 = 120;
/// Sign-ups an address (IP) may make an hour, and sign-ups naming one
/// email address an hour (each mails that address).
pub const SIGN_UPS_PER_ADDRESS_PER_HOUR: u32 = 10;
pub const SIGN_UPS_PER_EMAIL_PER_HOUR: u32 = 3;

/// The limits' settings.
#[derive(Debug, Clone)]
pub struct LimitSettings {
    pub enabled: bool,
    pub sessions_per_minute: u32,
    pub conversations_per_hour: u32,
    pub messages_per_minute: u32,
    pub streams_per_session: u32,
    pub streams_per_address: u32,
    pub ai_daily_limit: u32,
    pub uploads_per_session_per_hour: u32,
    pub uploads_per_address_per_hour: u32,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            sessions_per_minute: DEFAULT_SESSIONS_PER_MINUTE,
            conversations_per_hour: DEFAULT_CONVERSATIONS_PER_HOUR,
            messages_per_minute: DEFAULT_MESSAGES_PER_MINUTE,
            streams_per_session: DEFAULT_STREAMS_PER_SESSION,
            streams_per_address: DEFAULT_STREAMS_PER_ADDRESS,
            ai_daily_limit: DEFAULT_AI_DAILY_LIMIT,
            uploads_per_session_per_hour: DEFAULT_UPLOADS_PER_SESSION_PER_HOUR,
            uploads_per_address_per_hour: DEFAULT_UPLOADS_PER_ADDRESS_PER_HOUR,
        }
    }
}

impl LimitSettings {
    pub fn off() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }
}

/// A rate per key, or nothing when the limits are off.
struct Rate<K: Hash + Eq + Clone> {
    limiter: Option<DefaultKeyedRateLimiter<K>>,
    checks: AtomicU32,
}

impl<K: Hash + Eq + Clone> Rate<K> {
    fn new(enabled: bool, quota: Option<Quota>) -> Self {
        Self {
            limiter: quota.filter(|_| enabled).map(RateLimiter::keyed),
            checks: AtomicU32::new(0),
        }
    }

    /// `Err(seconds to wait)` when `key` is over its rate.
    fn check(&self, key: &K) -> Result<(), u64> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        // Forget idle keys now and then, so memory follows the live ones.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            limiter.retain_recent();
        }
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

fn per_minute(n: u32) -> Option<Quota> {
    NonZeroU32::new(n).map(Quota::per_minute)
}

fn per_hour(n: u32) -> Option<Quota> {
    NonZeroU32::new(n).map(Quota::per_hour)
}

/// Open streams per key; a [`StreamSlot`] holds one until dropped.
struct Open<K: Hash + Eq> {
    counts: Mutex<HashMap<K, u32>>,
}

impl<K: Hash + Eq> Default for Open<K> {
    fn default() -> Self {
        Self {
            counts: Mutex::new(HashMap::new()),
        }
    }
}

/// One open stream's place in the counts; freed when the stream ends.
pub struct StreamSlot {
    release: Option<Box<dyn FnOnce() + Send + Sync>>,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            release();
        }
    }
}

pub struct Limits {
    settings: LimitSettings,
    sessions: Rate<IpAddr>,
    conversations: Rate<String>,
    messages: Rate<String>,
    uploads_by_session: Rate<String>,
    uploads_by_address: Rate<IpAddr>,
    sign_ups_by_address: Rate<IpAddr>,
    sign_ups_by_email: Rate<String>,
    streams_by_session: Arc<Open<String>>,
    streams_by_address: Arc<Open<IpAddr>>,
    ai_replies: Mutex<HashMap<OrganizationId, (i64, u32)>>,
    /// Refusals by limit, for `/metrics`.
    pub refused: crate::metrics::Refusals,
}

/// A limit was reached: too many of `what`; try again in `retry_after_secs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooFast {
    pub what: &'static str,
    pub retry_after_secs: u64,
}

impl std::fmt::Display for TooFast {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Too many {}; try again in a moment", self.what)
    }
}

impl Limits {
    /// A refusal, counted by what was refused (`/metrics`).
    fn too_fast(&self, what: &'static str, secs: u64) -> TooFast {
        self.refused
            .get_or_create(&crate::metrics::KindLabels { kind: what })
            .inc();
        TooFast {
            what,
            retry_after_secs: secs,
        }
    }

    pub fn new(settings: LimitSettings) -> Self {
        let on = settings.enabled;
        Self {
            sessions: Rate::new(on, per_minute(settings.sessions_per_minute)),
            conversations: Rate::new(on, per_hour(settings.conversations_per_hour)),
            messages: Rate::new(on, per_minute(settings.messages_per_minute)),
            uploads_by_session: Rate::new(on, per_hour(settings.uploads_per_session_per_hour)),
            uploads_by_address: Rate::new(on, per_hour(settings.uploads_per_address_per_hour)),
            sign_ups_by_address: Rate::new(on, per_hour(SIGN_UPS_PER_ADDRESS_PER_HOUR)),
            sign_ups_by_email: Rate::new(on, per_hour(SIGN_UPS_PER_EMAIL_PER_HOUR)),
            streams_by_session: Arc::default(),
            streams_by_address: Arc::default(),
            ai_replies: Mutex::default(),
            refused: Default::default(),
            settings,
        }
    }

    pub fn new_contact_session(&self, address: IpAddr) -> Result<(), TooFast> {
        self.sessions
            .check(&address)
            .map_err(|s| self.too_fast("new chat sessions from this address", s))
    }

    /// A sign-up from `address` naming `email` (lowercased): both rates
    /// are spent, so one address cannot mail a stranger's inbox over and
    /// over, nor make accounts without end.
    pub fn sign_up(&self, address: IpAddr, email: &str) -> Result<(), TooFast> {
        self.sign_ups_by_address
            .check(&address)
            .map_err(|s| self.too_fast("sign-ups from this address", s))?;
        self.sign_ups_by_email
            .check(&email.to_owned())
            .map_err(|s| self.too_fast("sign-ups for this email address", s))
    }

    pub fn new_conversation(&self, session: &str) -> Result<(), TooFast> {
        self.conversations
            .check(&session.to_owned())
            .map_err(|s| self.too_fast("new conversations", s))
    }

    pub fn visitor_message(&self, session: &str) -> Result<(), TooFast> {
        self.messages
            .check(&session.to_owned())
            .map_err(|s| self.too_fast("messages", s))
    }

    /// One more file from this visitor's session and address; either over
    /// its rate is 429. (The address's count is not spent when the
    /// session's refuses.)
    pub fn visitor_upload(&self, session: &str, address: IpAddr) -> Result<(), TooFast> {
        self.uploads_by_session
            .check(&session.to_owned())
            .map_err(|s| self.too_fast("files", s))?;
        self.uploads_by_address
            .check(&address)
            .map_err(|s| self.too_fast("files from this address", s))
    }

    /// A place for one more open stream of this session from this address,
    /// or 429 when either already has its maximum open.
    pub fn open_stream(&self, session: &str, address: IpAddr) -> Result<StreamSlot, TooFast> {
        if !self.settings.enabled {
            return Ok(StreamSlot { release: None });
        }
        let busy = || self.too_fast("open live connections", 5);
        let session = session.to_owned();
        let by_session = take(
            &self.streams_by_session,
            session.clone(),
            self.settings.streams_per_session,
        )
        .ok_or_else(busy)?;
        let by_address = take(
            &self.streams_by_address,
            address,
            self.settings.streams_per_address,
        );
        let Some(by_address) = by_address else {
            drop(by_session);
            return Err(busy());
        };
        Ok(StreamSlot {
            release: Some(Box::new(move || {
                drop(by_session);
                drop(by_address);
            })),
        })
    }

    /// Counts one assistant reply for the organization today (UTC); `false`
    /// once today's limit is reached, when conversations wait for a human.
    pub fn ai_reply(&self, organization: OrganizationId, now: Timestamp) -> bool {
        if !self.settings.enabled {
            return true;
        }
        let day = now.millis().div_euclid(86_400_000);
        let mut replies = self.ai_replies.lock().expect("limits poisoned");
        let entry = replies.entry(organization).or_insert((day, 0));
        if entry.0 != day {
            *entry = (day, 0);
        }
        if entry.1 >= self.settings.ai_daily_limit {
            return false;
        }
        entry.1 += 1;
        true
    }

    /// Whether the organization's assistant has used up today's replies.
    pub fn ai_limit_reached(&self, organization: OrganizationId, now: Timestamp) -> bool {
        let day = now.millis().div_euclid(86_400_000);
        self.settings.enabled
            && self
                .ai_replies
                .lock()
                .expect("limits poisoned")
                .get(&organization)
                .is_some_and(|(d, n)| *d == day && *n >= self.settings.ai_daily_limit)
    }
}

/// One of at most `max` places for `key`, released when the returned
/// slot drops.
fn take<K: Hash + Eq + Clone + Send + Sync + 'static>(
    open: &Arc<Open<K>>,
    key: K,
    max: u32,
) -> Option<StreamSlot> {
    {
        let mut counts = open.counts.lock().expect("limits poisoned");
        let count = counts.entry(key.clone()).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
    }
    let open = open.clone();
    Some(StreamSlot {
        release: Some(Box::new(move || {
            let mut counts = open.counts.lock().expect("limits poisoned");
            if let Some(count) = counts.get_mut(&key) {
                *count -= 1;
                if *count == 0 {
                    counts.remove(&key);
                }
            }
        })),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn the_twenty_first_session_in_a_minute_waits() {
        let limits = Limits::new(LimitSettings::default());
        for _ in 0..20 {
            assert!(limits.new_contact_session(HOME).is_ok());
        }
        let refused = limits.new_contact_session(HOME).unwrap_err();
        assert_eq!(refused.what, "new chat sessions from this address");
        let other = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
        assert!(limits.new_contact_session(other).is_ok());
    }

    #[test]
    fn uploads_stop_at_the_session_rate_and_at_the_address_rate() {
        let limits = Limits::new(LimitSettings {
            uploads_per_session_per_hour: 3,
            uploads_per_address_per_hour: 5,
            ..LimitSettings::default()
        });
        for _ in 0..3 {
            assert!(limits.visitor_upload("s", HOME).is_ok());
        }
        let refused = limits.visitor_upload("s", HOME).unwrap_err();
        assert_eq!(refused.what, "files");
        // Another session from the same address has the address's two left.
        assert!(limits.visitor_upload("t", HOME).is_ok());
        assert!(limits.visitor_upload("u", HOME).is_ok());
        assert!(limits.visitor_upload("v", HOME).is_err());
        let other = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
        assert!(limits.visitor_upload("v", other).is_ok());
    }

    #[test]
    fn stream_places_come_back_when_streams_end() {
        let limits = Limits::new(LimitSettings::default());
        let held: Vec<_> = (0..5)
            .map(|_| limits.open_stream("s", HOME).unwrap())
            .collect();
        assert!(limits.open_stream("s", HOME).is_err());
        assert!(limits.open_stream("t", HOME).is_ok());
        drop(held);
        assert!(limits.open_stream("s", HOME).is_ok());
    }

    #[test]
    fn the_assistant_stops_at_the_daily_limit_until_the_next_day() {
        let limits = Limits::new(LimitSettings {
            ai_daily_limit: 2,
            ..LimitSettings::default()
        });
        let org = OrganizationId::from_uuid(uuid::Uuid::nil());
        let today = Timestamp(1_800_000_000_000);
        assert!(limits.ai_reply(org, today) && limits.ai_reply(org, today));
        assert!(!limits.ai_reply(org, today));
        assert!(limits.ai_limit_reached(org, today));
        assert!(limits.ai_reply(org, Timestamp(today.millis() + 86_400_000)));
    }

    #[test]
    fn off_means_off() {
        let limits = Limits::new(LimitSettings::off());
        for _ in 0..100 {
            assert!(limits.new_contact_session(HOME).is_ok());
            assert!(limits.visitor_message("s").is_ok());
        }
        let _held: Vec<_> = (0..100)
            .map(|_| limits.open_stream("s", HOME).unwrap())
            .collect();
    }
}
