//! Onboarding's settings and state: whether anyone may sign up, how many
//! organizations an account may make, the billing provider's checkout
//! page, the first admin's setup token, and the throttle on recording the
//! sites the widget is seen on.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use echo_protocol::OrganizationId;

use crate::secrets::{SecretHash, SetupToken};

/// The most organizations one account may belong to before it can make
/// another (`ECHO_ORGANIZATIONS_PER_ACCOUNT`).
pub const DEFAULT_ORGANIZATIONS_PER_ACCOUNT: u32 = 10;
/// A mailed email check works this long.
pub const VERIFICATION_TTL_SECS: i64 = 24 * 3600;
/// Checks an operator may have mailed an hour ("send again").
pub const VERIFICATIONS_PER_HOUR: u64 = 3;
/// A site the widget was seen on is written at most this often.
const SEEN_EVERY: Duration = Duration::from_secs(60);
/// Sites remembered for the throttle before it starts over.
const SEEN_REMEMBERED: usize = 10_000;

#[derive(Debug, Clone)]
pub struct OnboardingSettings {
    /// `ECHO_SIGNUP=open`: anyone may make an account and organization.
    pub sign_up: bool,
    pub organizations_per_account: u32,
    /// The billing provider's hosted checkout; the organization's ID is
    /// appended.
    pub billing_checkout_url: Option<String>,
}

impl Default for OnboardingSettings {
    fn default() -> Self {
        Self {
            sign_up: false,
            organizations_per_account: DEFAULT_ORGANIZATIONS_PER_ACCOUNT,
            billing_checkout_url: None,
        }
    }
}

impl OnboardingSettings {
    /// The "Upgrade" link for `organization`, when checkout is configured.
    pub fn checkout_url(&self, organization: OrganizationId) -> Option<String> {
        self.billing_checkout_url
            .as_ref()
            .map(|base| format!("{base}{organization}"))
    }
}

pub struct Onboarding {
    pub settings: OnboardingSettings,
    /// The hash of the setup token, while the server has no account.
    setup: Option<SecretHash>,
    seen: Mutex<HashMap<(OrganizationId, String), Instant>>,
}

impl Onboarding {
    pub fn new(settings: OnboardingSettings, setup: Option<&SetupToken>) -> Self {
        Self {
            settings,
            setup: setup.map(SetupToken::hash),
            seen: Mutex::default(),
        }
    }

    /// Whether `token` is this server's setup token.
    pub fn is_setup_token(&self, token: &str) -> bool {
        let Some(expected) = &self.setup else {
            return false;
        };
        SetupToken::parse(token.trim()).is_some_and(|token| token.hash() == *expected)
    }

    /// Whether a page on `origin` loading the widget should be written now
    /// (the first time, or a minute after the last).
    pub fn should_record(&self, organization: OrganizationId, origin: &str) -> bool {
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= SEEN_REMEMBERED {
            seen.clear();
        }
        let key = (organization, origin.to_owned());
        match seen.get(&key) {
            Some(last) if now.duration_since(*last) < SEEN_EVERY => false,
            _ => {
                seen.insert(key, now);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_is_written_once_a_minute() {
        let onboarding = Onboarding::new(OnboardingSettings::default(), None);
        let org = OrganizationId::from_uuid(uuid::Uuid::new_v4());
        assert!(onboarding.should_record(org, "https://a.io"));
        assert!(!onboarding.should_record(org, "https://a.io"));
        assert!(onboarding.should_record(org, "https://b.io"));
        assert!(!onboarding.is_setup_token("setup_x"));
    }

    #[test]
    fn only_the_setup_token_sets_up() {
        let token = SetupToken::generate();
        let onboarding = Onboarding::new(OnboardingSettings::default(), Some(&token));
        assert!(onboarding.is_setup_token(token.expose_secret()));
        assert!(!onboarding.is_setup_token(SetupToken::generate().expose_secret()));
        assert!(!onboarding.is_setup_token(""));
    }
}
