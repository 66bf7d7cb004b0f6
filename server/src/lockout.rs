//! Sign-in lockout: five failed sign-ins for one email, or twenty from one
//! client address, within 15 minutes lock further attempts for 15 minutes.
//! Kept in memory, per replica (a restart forgets it), on the server's
//! clock so tests can move time.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;

use echo_protocol::Timestamp;

pub const WINDOW_MILLIS: i64 = 15 * 60 * 1000;
pub const PER_EMAIL: usize = 5;
pub const PER_ADDRESS: usize = 20;
/// Entries are swept when a map grows past this, so a flood of distinct
/// emails cannot grow memory without bound.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Default)]
struct Entry {
    failures: VecDeque<i64>,
    locked_until: i64,
}

struct Counter<K> {
    limit: usize,
    entries: Mutex<HashMap<K, Entry>>,
}

impl<K: Eq + Hash + Clone> Counter<K> {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Milliseconds until `key` may try again, if it is locked.
    fn locked_for(&self, key: &K, now: i64) -> Option<i64> {
        let entries = self.entries.lock().expect("lockout poisoned");
        let until = entries.get(key)?.locked_until;
        (until > now).then(|| until - now)
    }

    fn fail(&self, key: &K, now: i64) {
        let mut entries = self.entries.lock().expect("lockout poisoned");
        if entries.len() > SWEEP_ABOVE {
            entries.retain(|_, e| {
                e.locked_until > now || e.failures.back().is_some_and(|t| now - t < WINDOW_MILLIS)
            });
        }
        let entry = entries.entry(key.clone()).or_default();
        while entry
            .failures
            .front()
            .is_some_and(|t| now - t >= WINDOW_MILLIS)
        {
            entry.failures.pop_front();
        }
        entry.failures.push_back(now);
        if entry.failures.len() >= self.limit {
            entry.failures.clear();
            entry.locked_until = now + WINDOW_MILLIS;
        }
    }

    fn clear(&self, key: &K) {
        self.entries.lock().expect("lockout poisoned").remove(key);
    }
}

pub struct SignInLockout {
    emails: Counter<String>,
    addresses: Counter<IpAddr>,
}

impl Default for SignInLockout {
    fn default() -> Self {
        Self {
            emails: Counter::new(PER_EMAIL),
            addresses: Counter::new(PER_ADDRESS),
        }
    }
}

impl SignInLockout {
    /// `Err(seconds)` while the email or the address is locked.
    pub fn check(&self, email: &str, address: IpAddr, now: Timestamp) -> Result<(), u64> {
        let now = now.millis();
        let wait = [
            self.emails.locked_for(&email.to_owned(), now),
            self.addresses.locked_for(&address, now),
        ]
        .into_iter()
        .flatten()
        .max();
        match wait {
            Some(millis) => Err((millis as u64).div_ceil(1000)),
            None => Ok(()),
        }
    }

    pub fn failed(&self, email: &str, address: IpAddr, now: Timestamp) {
        self.emails.fail(&email.to_owned(), now.millis());
        self.addresses.fail(&address, now.millis());
    }

    /// A successful sign-in forgets the email's failures (not the address's).
    pub fn succeeded(&self, email: &str) {
        self.emails.clear(&email.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn the_fifth_failure_locks_the_email_for_fifteen_minutes() {
        let lockout = SignInLockout::default();
        let t = |s: i64| Timestamp(1_000_000 + s * 1000);
        for i in 0..4 {
            lockout.failed("a@x.io", HOME, t(i));
            assert!(lockout.check("a@x.io", HOME, t(i)).is_ok());
        }
        lockout.failed("a@x.io", HOME, t(4));
        assert_eq!(lockout.check("a@x.io", HOME, t(4)), Err(900));
        assert!(lockout.check("b@x.io", HOME, t(4)).is_ok());
        assert!(lockout.check("a@x.io", HOME, t(4 + 900)).is_ok());
    }

    #[test]
    fn failures_older_than_the_window_do_not_count() {
        let lockout = SignInLockout::default();
        for i in 0..4 {
            lockout.failed("a@x.io", HOME, Timestamp(i * 1000));
        }
        lockout.failed("a@x.io", HOME, Timestamp(WINDOW_MILLIS + 10_000));
        assert!(lockout
            .check("a@x.io", HOME, Timestamp(WINDOW_MILLIS + 10_000))
            .is_ok());
    }

    #[test]
    fn twenty_failures_from_one_address_lock_it_for_every_email() {
        let lockout = SignInLockout::default();
        for i in 0..20 {
            lockout.failed(&format!("u{i}@x.io"), HOME, Timestamp(i));
        }
        assert!(lockout.check("new@x.io", HOME, Timestamp(20)).is_err());
    }
}
