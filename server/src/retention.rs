//! Retention: organizations that set `retentionDays` have their resolved
//! conversations deleted, with everything of theirs, once their last
//! activity is older. A background job works through them in small
//! batches (each one short transaction), now and every [`EVERY`]; on
//! PostgreSQL replicas split the work (each batch skips rows another
//! replica holds).
//!
//! The job is paced: after a batch that took `t` it rests `REST * t`, so
//! it takes at most a tenth of the writer's (or the pool's) time and the
//! visitors' messages do not slow while a large backlog is deleted
//! (`echo-bench --bin retention` measures both).

use std::time::{Duration, Instant};

use crate::clock::Clock;
use crate::store::erasure::RETENTION_BATCH;
use crate::store::{Store, StoreResult};

pub const EVERY: Duration = Duration::from_secs(600);
/// Rest after a batch, as a multiple of the time it took.
const REST: u32 = 9;
/// The least rest between two batches.
const MIN_REST: Duration = Duration::from_millis(5);

/// Deletes every conversation due now, batch by batch; how many.
pub async fn run_once(store: &dyn Store, clock: &Clock) -> StoreResult<u64> {
    let mut total = 0;
    loop {
        let started = Instant::now();
        let deleted = store.apply_retention(clock.now()).await?;
        total += deleted;
        if deleted < u64::from(RETENTION_BATCH) {
            return Ok(total);
        }
        tokio::time::sleep((started.elapsed() * REST).max(MIN_REST)).await;
    }
}
