//! The time source. Production reads the system clock; tests use a manual
//! clock they can move forward, so expiry is tested without waiting.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use echo_protocol::Timestamp;

#[derive(Debug, Clone, Default)]
pub struct Clock {
    manual: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn system() -> Self {
        Self { manual: None }
    }

    /// A clock that stands still at `start` until advanced.
    pub fn manual(start: Timestamp) -> Self {
        Self {
            manual: Some(Arc::new(AtomicI64::new(start.millis()))),
        }
    }

    pub fn now(&self) -> Timestamp {
        match &self.manual {
            Some(millis) => Timestamp(millis.load(Ordering::SeqCst)),
            None => Timestamp(
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or(0),
            ),
        }
    }

    /// Moves a manual clock forward; a system clock ignores it.
    pub fn advance_secs(&self, secs: i64) {
        if let Some(millis) = &self.manual {
            millis.fetch_add(secs * 1000, Ordering::SeqCst);
        }
    }
}
