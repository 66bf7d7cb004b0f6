//! The contact-session lifetime rule (the product brief's session refresh):
//! a session lives `duration`; when the visitor is active and less than
//! `refresh_threshold` remains, it is extended to now + `duration`. An expired session is never
//! brought back.

use echo_protocol::Timestamp;

/// `SESSION_DURATION`: how long a session lives by default (24 h).
pub const SESSION_DURATION_SECS: i64 = 24 * 60 * 60;
/// `AUTO_REFRESH_THRESHOLD`: activity with less than this left extends the
/// session (4 h).
pub const AUTO_REFRESH_THRESHOLD_SECS: i64 = 4 * 60 * 60;

/// Both constants of the rule; the defaults above, configurable for tests
/// through `ECHO_SESSION_DURATION_SECS` and
/// `ECHO_SESSION_REFRESH_THRESHOLD_SECS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub duration_secs: i64,
    pub refresh_threshold_secs: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            duration_secs: SESSION_DURATION_SECS,
            refresh_threshold_secs: AUTO_REFRESH_THRESHOLD_SECS,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    Unchanged,
    ExtendTo(Timestamp),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("contact session expired")]
pub struct SessionExpired;

impl SessionPolicy {
    pub fn expiry_for_new_session(&self, now: Timestamp) -> Timestamp {
        now.plus_secs(self.duration_secs)
    }

    pub fn is_live(&self, expires_at: Timestamp, now: Timestamp) -> bool {
        expires_at > now
    }

    /// What activity at `now` does to a session expiring at `expires_at`.
    pub fn refresh(
        &self,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<Refresh, SessionExpired> {
        if !self.is_live(expires_at, now) {
            return Err(SessionExpired);
        }
        let remaining_ms = expires_at.millis() - now.millis();
        if remaining_ms < self.refresh_threshold_secs * 1000 {
            Ok(Refresh::ExtendTo(now.plus_secs(self.duration_secs)))
        } else {
            Ok(Refresh::Unchanged)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3600;
    const NOW: Timestamp = Timestamp(1_700_000_000_000);

    #[test]
    fn fresh_session_is_unchanged() {
        let p = SessionPolicy::default();
        let expires = p.expiry_for_new_session(NOW);
        assert_eq!(p.refresh(expires, NOW), Ok(Refresh::Unchanged));
        assert_eq!(
            p.refresh(expires, NOW.plus_secs(20 * HOUR)),
            Ok(Refresh::Unchanged),
            "exactly 4 h left is not below the threshold"
        );
    }

    #[test]
    fn session_near_expiry_is_extended_from_now() {
        let p = SessionPolicy::default();
        let expires = p.expiry_for_new_session(NOW);
        let later = NOW.plus_secs(20 * HOUR + 1);
        assert_eq!(
            p.refresh(expires, later),
            Ok(Refresh::ExtendTo(later.plus_secs(24 * HOUR)))
        );
    }

    #[test]
    fn expired_session_is_never_resurrected() {
        let p = SessionPolicy::default();
        let expires = p.expiry_for_new_session(NOW);
        assert_eq!(p.refresh(expires, expires), Err(SessionExpired));
        assert_eq!(
            p.refresh(expires, expires.plus_secs(1)),
            Err(SessionExpired)
        );
        assert!(!p.is_live(expires, expires));
    }
}
