//! Overload without collapse: the bounds past which the SQLite writer's
//! queue or the PostgreSQL pool's wait count as overloaded. New writes are
//! then refused at once with 503 `OVERLOADED` and `Retry-After` (by
//! `http::operations`), instead of queueing without bound; reads and open
//! streams go on. A write already accepted finishes, and what was answered
//! 201 is committed.

use std::time::Duration;

use crate::store::pressure::Pressure;

/// Writes queued for SQLite's writer past which new ones are refused.
pub const DEFAULT_WRITE_QUEUE: u64 = 512;
/// How long a PostgreSQL transaction may have waited for a connection
/// before new writes are refused.
pub const DEFAULT_POOL_WAIT: Duration = Duration::from_millis(1000);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverloadBounds {
    pub write_queue: u64,
    pub pool_wait: Duration,
}

impl Default for OverloadBounds {
    fn default() -> Self {
        Self {
            write_queue: DEFAULT_WRITE_QUEUE,
            pool_wait: DEFAULT_POOL_WAIT,
        }
    }
}

impl OverloadBounds {
    /// Whether the store is past a bound.
    pub fn passed(&self, pressure: &Pressure) -> bool {
        pressure.queued_writes.is_some_and(|q| q > self.write_queue)
            || pressure.pool_wait.is_some_and(|w| w > self.pool_wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bound_is_passed_only_above_it() {
        let bounds = OverloadBounds {
            write_queue: 2,
            pool_wait: Duration::from_millis(100),
        };
        let queued = |q| Pressure {
            queued_writes: Some(q),
            ..Default::default()
        };
        assert!(!bounds.passed(&queued(2)));
        assert!(bounds.passed(&queued(3)));
        let waited = |ms| Pressure {
            pool_wait: Some(Duration::from_millis(ms)),
            ..Default::default()
        };
        assert!(!bounds.passed(&waited(100)));
        assert!(bounds.passed(&waited(101)));
        assert!(!bounds.passed(&Pressure::default()));
    }
}
