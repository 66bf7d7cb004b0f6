//! Visitors' messages decided on an unlocked read (`unlocked.rs`) are
//! written together: the messages that arrive while the previous
//! statements are on their way go in the next one, one per conversation
//! (`message_sql::write_messages`), each still guarded by the state it was
//! decided on and committed before its answer. One statement and one commit
//! for many messages: on PostgreSQL a message's own statement spent about
//! as much on starting the statement (planning checks, executor start-up,
//! locking some thirty relations and indexes), committing it and reading
//! it from the socket as on writing its rows. A message alone goes at once,
//! as before.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot, Semaphore};

use super::message_sql::{write_messages, Entry, GENERIC_PLANS};
use super::pool_options;
use crate::store::effects::State;
use crate::store::pressure::WaitGauge;
use crate::store::{StoreError, StoreResult};

/// Statements on their way at once: one gathers while another is written.
/// More made smaller batches, which cost the database more per message (3,
/// 4 and 8 were each slower in echo-bench: README, the PostgreSQL levers);
/// with 1, a statement that waits (a locked conversation) holds back every
/// message behind it.
const IN_FLIGHT: usize = 2;
/// Messages in one statement at most.
const MOST: usize = 128;

pub(super) struct Batcher {
    jobs: mpsc::UnboundedSender<Job>,
    counts: Arc<Counts>,
}

/// Statements written and the messages they carried (the metrics').
#[derive(Default)]
struct Counts {
    statements: AtomicU64,
    messages: AtomicU64,
}

struct Job {
    entry: Entry,
    done: oneshot::Sender<StoreResult<Option<State>>>,
}

impl Batcher {
    /// Starts the writer, with connections of its own (as many as its
    /// statements in flight) that always use the statement's generic plan
    /// ([`GENERIC_PLANS`]).
    pub(super) fn start(store_pool: &PgPool, pool_wait: Arc<WaitGauge>) -> Self {
        let (name, value) = GENERIC_PLANS;
        let options = (*store_pool.connect_options())
            .clone()
            .options([(name, value)]);
        let pool = pool_options(IN_FLIGHT as u32).connect_lazy_with(options);
        let (jobs, queue) = mpsc::unbounded_channel();
        let counts = Arc::new(Counts::default());
        let writer = Writer {
            pool,
            pool_wait,
            counts: counts.clone(),
        };
        tokio::spawn(gather(writer, queue));
        Self { jobs, counts }
    }

    /// Statements written and the messages they carried, since the start.
    pub(super) fn counts(&self) -> (u64, u64) {
        (
            self.counts.statements.load(Ordering::Relaxed),
            self.counts.messages.load(Ordering::Relaxed),
        )
    }

    /// Writes a guarded message with others: the conversation's state after
    /// it, or `None` when it stored nothing (the idempotency key was used,
    /// or the guard failed).
    pub(super) async fn write(&self, entry: Entry) -> StoreResult<Option<State>> {
        let (done, answer) = oneshot::channel();
        self.jobs
            .send(Job { entry, done })
            .map_err(|_| StoreError::Other(anyhow::anyhow!("the message writer has stopped")))?;
        answer
            .await
            .map_err(|_| StoreError::Other(anyhow::anyhow!("the message writer has stopped")))?
    }
}

/// What a batch is written with.
#[derive(Clone)]
struct Writer {
    pool: PgPool,
    pool_wait: Arc<WaitGauge>,
    counts: Arc<Counts>,
}

async fn gather(writer: Writer, mut queue: mpsc::UnboundedReceiver<Job>) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut pending: Vec<Job> = Vec::new();
    loop {
        if pending.is_empty() {
            match queue.recv().await {
                Some(job) => pending.push(job),
                None => return,
            }
        }
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        // Everything that arrived while waiting for a slot.
        while let Ok(job) = queue.try_recv() {
            pending.push(job);
        }
        let batch = take_batch(&mut pending);
        let writer = writer.clone();
        tokio::spawn(async move {
            writer.write_batch(batch).await;
            drop(slot);
        });
    }
}

/// The first messages waiting that can share a statement: one per
/// conversation (a second one was decided on the state before the first),
/// notices of one kind; the rest wait, in their order.
fn take_batch(pending: &mut Vec<Job>) -> Vec<Job> {
    let mut conversations = HashSet::new();
    let mut notice = None;
    let mut batch = Vec::new();
    let mut rest = Vec::new();
    for job in pending.drain(..) {
        let kind = job.entry.notice_kind();
        let fits = batch.len() < MOST
            && !conversations.contains(job.entry.conversation())
            && (kind.is_none() || notice.is_none() || kind == notice);
        if fits {
            conversations.insert(job.entry.conversation().to_owned());
            notice = notice.or(kind);
            batch.push(job);
        } else {
            rest.push(job);
        }
    }
    *pending = rest;
    batch
}

impl Writer {
    async fn write_batch(&self, batch: Vec<Job>) {
        let (entries, done): (Vec<Entry>, Vec<_>) =
            batch.into_iter().map(|job| (job.entry, job.done)).unzip();
        match self.write(&entries).await {
            Ok(mut stored) => {
                for (entry, done) in entries.iter().zip(done) {
                    let state = stored
                        .iter()
                        .position(|(id, _)| *id == entry.id())
                        .map(|at| stored.swap_remove(at).1);
                    let _ = done.send(Ok(state));
                }
            }
            // One message's failure (or a deadlock with another writer) is
            // not the others': each is tried again alone.
            Err(_) if entries.len() > 1 => {
                for (entry, done) in entries.into_iter().zip(done) {
                    let result = self.write(std::slice::from_ref(&entry)).await;
                    let _ =
                        done.send(result.map(|mut stored| stored.pop().map(|(_, state)| state)));
                }
            }
            Err(error) => {
                if let Some(done) = done.into_iter().next() {
                    let _ = done.send(Err(error));
                }
            }
        }
    }

    async fn write(&self, entries: &[Entry]) -> StoreResult<Vec<(String, State)>> {
        let asked = std::time::Instant::now();
        let mut connection = self.pool.acquire().await?;
        self.pool_wait.record(asked.elapsed());
        let stored = write_messages(&mut *connection, entries).await?;
        self.counts.statements.fetch_add(1, Ordering::Relaxed);
        self.counts
            .messages
            .fetch_add(entries.len() as u64, Ordering::Relaxed);
        Ok(stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jobs(of: &[(&str, Option<bool>)]) -> Vec<Job> {
        of.iter()
            .map(|&(conversation, notice)| Job {
                entry: Entry::for_test(conversation, notice),
                done: oneshot::channel().0,
            })
            .collect()
    }

    fn conversations(jobs: &[Job]) -> Vec<&str> {
        jobs.iter().map(|job| job.entry.conversation()).collect()
    }

    #[test]
    fn a_batch_holds_one_message_per_conversation_and_the_rest_wait_in_order() {
        let mut pending = jobs(&[
            ("a", None),
            ("b", None),
            ("a", None),
            ("c", None),
            ("b", None),
        ]);
        let batch = take_batch(&mut pending);
        assert_eq!(conversations(&batch), ["a", "b", "c"]);
        assert_eq!(conversations(&pending), ["a", "b"]);
        let batch = take_batch(&mut pending);
        assert_eq!(conversations(&batch), ["a", "b"]);
        assert!(pending.is_empty());
    }

    #[test]
    fn a_batch_holds_notices_of_one_kind() {
        let mut pending = jobs(&[
            ("a", None),
            ("b", Some(false)),
            ("c", Some(true)),
            ("d", None),
            ("e", Some(false)),
        ]);
        let batch = take_batch(&mut pending);
        assert_eq!(conversations(&batch), ["a", "b", "d", "e"]);
        assert_eq!(conversations(&pending), ["c"]);
    }

    #[test]
    fn a_batch_is_bounded() {
        let names: Vec<String> = (0..MOST + 2).map(|i| i.to_string()).collect();
        let of: Vec<(&str, Option<bool>)> = names.iter().map(|n| (n.as_str(), None)).collect();
        let mut pending = jobs(&of);
        assert_eq!(take_batch(&mut pending).len(), MOST);
        assert_eq!(
            conversations(&pending),
            [names[MOST].as_str(), names[MOST + 1].as_str()]
        );
    }
}
