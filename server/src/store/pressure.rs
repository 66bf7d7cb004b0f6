//! How loaded a store is, read without a query: the SQLite writer's queue
//! and its group-commit counters, the PostgreSQL pool and how long a
//! transaction recently waited for a connection. The metrics endpoint
//! shows it; the overload guard refuses new writes when it passes a bound.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A snapshot; a field a backend does not have is `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pressure {
    /// SQLite: writes queued for the writer thread or in its current batch.
    pub queued_writes: Option<u64>,
    /// SQLite: commits and the writes they carried, since the start.
    pub commits: Option<u64>,
    pub writes: Option<u64>,
    /// PostgreSQL: connections open and idle.
    pub pool_size: Option<u32>,
    pub pool_idle: Option<u32>,
    /// PostgreSQL: how long the latest transaction waited for a connection,
    /// if it began within [`RECENT`].
    pub pool_wait: Option<Duration>,
    /// PostgreSQL: statements that wrote visitors' messages together
    /// (`postgres/batch.rs`) and the messages they carried, since the start.
    pub message_statements: Option<u64>,
    pub batched_messages: Option<u64>,
}

/// A wait older than this says nothing about now.
pub const RECENT: Duration = Duration::from_secs(1);

fn epoch() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// The latest wait for a connection and when it ended.
#[derive(Debug, Default)]
pub struct WaitGauge {
    nanos: AtomicU64,
    at_micros: AtomicU64,
}

impl WaitGauge {
    pub fn record(&self, waited: Duration) {
        self.nanos.store(
            waited.as_nanos().min(u64::MAX as u128) as u64,
            Ordering::Relaxed,
        );
        let now = epoch().elapsed().as_micros() as u64;
        self.at_micros.store(now.max(1), Ordering::Relaxed);
    }

    /// The latest wait, if it ended within [`RECENT`].
    pub fn recent(&self) -> Option<Duration> {
        let at = self.at_micros.load(Ordering::Relaxed);
        let now = epoch().elapsed().as_micros() as u64;
        (at > 0 && now.saturating_sub(at) <= RECENT.as_micros() as u64)
            .then(|| Duration::from_nanos(self.nanos.load(Ordering::Relaxed)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_counts_while_it_is_recent() {
        let gauge = WaitGauge::default();
        assert_eq!(gauge.recent(), None);
        gauge.record(Duration::from_millis(30));
        assert_eq!(gauge.recent(), Some(Duration::from_millis(30)));
    }
}
