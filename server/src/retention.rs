//! Retention: organizations that set `retentionDays` have their resolved
//! conversations deleted, with everything of theirs, once their last
//! activity is older. A background job works through them in small
//! batches (each one short transaction, so the writer and row locks are
//! never held for long), now and every [`EVERY`]; on PostgreSQL replicas
//! split the work (each batch skips rows another replica holds).

use std::time::Duration;

use crate::clock::Clock;
use crate::store::erasure::RETENTION_BATCH;
use crate::store::{Store, StoreResult};

pub const EVERY: Duration = Duration::from_secs(600);

/// Deletes every conversation due now, batch by batch, yielding between
/// batches; how many.
pub async fn run_once(store: &dyn Store, clock: &Clock) -> StoreResult<u64> {
    let mut total = 0;
    loop {
        let deleted = store.apply_retention(clock.now()).await?;
        total += deleted;
        if deleted < u64::from(RETENTION_BATCH) {
            return Ok(total);
        }
        tokio::task::yield_now().await;
    }
}
