//! The SQLite backend: one file, WAL mode, `synchronous=FULL` (an answered
//! write survives power loss).
//!
//! All writes go through one writer thread that takes every job waiting in
//! its queue and runs them in a single transaction, each inside its own
//! savepoint (so one failing job does not undo its neighbours), then commits
//! once and answers all of them. Concurrent writers therefore share one fsync
//! instead of paying one each: group commit. Reads run on a small pool of
//! read-only connections, which WAL lets proceed alongside the writer.
//!
//! This file holds the writer, the readers and the migrations; each store
//! trait is implemented in the file named after its domain.

mod attachments;
mod backfill;
mod conversations;
mod desk;
mod effects;
mod erasure;
mod events;
mod index_queue;
mod knowledge;
mod mail;
mod messages;
mod onboarding;
mod organizations;
mod outbox;
mod plugins;
mod ratings;
mod reports;
mod search;
mod sessions;
mod team;
mod trust;
mod voice;

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, Context};
use async_trait::async_trait;
use echo_protocol::events::LiveEvent;
use echo_protocol::{OrganizationId, Timestamp};
use rusqlite::{Connection, ErrorCode, Params};
use tokio::sync::{mpsc, oneshot};

use super::effects::Rules;
use super::rows::{Column, Row};
use super::{Store, StoreError, StoreResult};
use crate::live::Hub;

const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/sqlite/0001_init.sql"),
    include_str!("../../../migrations/sqlite/0002_events_operator.sql"),
    include_str!("../../../migrations/sqlite/0003_billing.sql"),
    include_str!("../../../migrations/sqlite/0004_knowledge.sql"),
    include_str!("../../../migrations/sqlite/0005_event_retention.sql"),
    include_str!("../../../migrations/sqlite/0006_team.sql"),
    include_str!("../../../migrations/sqlite/0007_identity.sql"),
    include_str!("../../../migrations/sqlite/0008_brand.sql"),
    include_str!("../../../migrations/sqlite/0009_mail.sql"),
    include_str!("../../../migrations/sqlite/0010_attachments.sql"),
    include_str!("../../../migrations/sqlite/0011_unsent_quota.sql"),
    include_str!("../../../migrations/sqlite/0012_mail_confirmations.sql"),
    include_str!("../../../migrations/sqlite/0013_desk.sql"),
    include_str!("../../../migrations/sqlite/0014_trust.sql"),
    include_str!("../../../migrations/sqlite/0015_onboarding.sql"),
    include_str!("../../../migrations/sqlite/0016_service_levels.sql"),
    include_str!("../../../migrations/sqlite/0017_ratings_reports.sql"),
    include_str!("../../../migrations/sqlite/0018_plugins.sql"),
    include_str!("../../../migrations/sqlite/0019_voice_calls.sql"),
];

/// An event written by a job, published to the hub once its commit succeeds.
type Published = (OrganizationId, LiveEvent);

/// Default upper bound on jobs per commit, so one commit's latency stays bounded.
pub const DEFAULT_MAX_BATCH: usize = 512;
const WRITE_QUEUE: usize = 4096;
/// Reads at once, each on its own connection kept for the next. A burst of
/// requests waits for one rather than opening a connection each (hundreds,
/// each parsing the schema and growing its own page cache on its own
/// blocking thread, then closed: 10,000 widgets connecting 256 at a time
/// left the server 4 KiB a stream larger for it).
const READERS: usize = 8;

type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;
/// A write: runs against the writer's connection inside a savepoint and
/// returns whether it succeeded plus what to do once the commit is known.
type Job = Box<dyn FnOnce(&Connection) -> (bool, Completion) + Send>;

/// `sqlite://echo.db`, `sqlite:///abs/echo.db` or `sqlite:echo.db` -> path.
pub fn path_from_url(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty()).then(|| PathBuf::from(path))
}

pub struct SqliteStore {
    writer: mpsc::Sender<Job>,
    readers: Arc<ReaderPool>,
    stats: Arc<WriteStats>,
    hub: Arc<Hub>,
    /// What a write may do, asked inside its transaction.
    rules: Arc<dyn Rules>,
    /// Whether message writes queue mail notices (mail is configured).
    notices: AtomicBool,
}

/// Counters of the writer thread: how well group commit is working.
#[derive(Debug, Default)]
pub struct WriteStats {
    commits: AtomicU64,
    jobs: AtomicU64,
    /// Writes sent to the writer and not yet answered.
    in_flight: AtomicU64,
}

/// Counts a write as in flight until it is answered (or abandoned).
struct InFlight<'a>(&'a AtomicU64);

impl<'a> InFlight<'a> {
    fn new(counter: &'a AtomicU64) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        Self(counter)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl WriteStats {
    /// (commits, jobs) since the store was opened.
    pub fn snapshot(&self) -> (u64, u64) {
        (
            self.commits.load(Ordering::Relaxed),
            self.jobs.load(Ordering::Relaxed),
        )
    }
}

struct ReaderPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<tokio::sync::Semaphore>,
}

impl ReaderPool {
    fn get(&self) -> rusqlite::Result<Connection> {
        if let Some(conn) = self.idle.lock().expect("reader pool poisoned").pop() {
            return Ok(conn);
        }
        let conn = Connection::open(&self.path)?;
        conn.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA query_only = ON;")?;
        Ok(conn)
    }

    fn put(&self, conn: Connection) {
        let mut idle = self.idle.lock().expect("reader pool poisoned");
        if idle.len() < READERS {
            idle.push(conn);
        }
    }
}

impl SqliteStore {
    pub fn open(path: &Path, hub: Arc<Hub>, rules: Arc<dyn Rules>) -> anyhow::Result<Self> {
        Self::open_with_max_batch(path, hub, rules, DEFAULT_MAX_BATCH)
    }

    /// `max_batch = 1` turns group commit off (one commit per write), which
    /// the benchmark uses as its baseline.
    pub fn open_with_max_batch(
        path: &Path,
        hub: Arc<Hub>,
        rules: Arc<dyn Rules>,
        max_batch: usize,
    ) -> anyhow::Result<Self> {
        let max_batch = max_batch.max(1);
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        let mut conn =
            Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        anyhow::ensure!(
            mode.eq_ignore_ascii_case("wal"),
            "WAL mode unavailable: {mode}"
        );
        conn.execute_batch(
            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
        )?;
        migrate(&mut conn)?;

        let (writer, queue) = mpsc::channel(WRITE_QUEUE);
        let stats = Arc::new(WriteStats::default());
        let writer_stats = stats.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(conn, queue, max_batch, &writer_stats))?;
        backfill::spawn(writer.clone());
        Ok(Self {
            writer,
            stats,
            hub,
            rules,
            notices: AtomicBool::new(false),
            readers: Arc::new(ReaderPool {
                path: path.to_owned(),
                idle: Mutex::new(Vec::new()),
                permits: Arc::new(tokio::sync::Semaphore::new(READERS)),
            }),
        })
    }

    pub fn write_stats(&self) -> &WriteStats {
        &self.stats
    }

    async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.write_publishing(move |conn| work(conn).map(|value| (value, Vec::new())))
            .await
    }

    /// A write whose events go to the hub after its commit succeeds. The
    /// writer thread runs completions in commit order, so subscribers see
    /// events in position order.
    async fn write_publishing<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<(T, Vec<Published>)> + Send + 'static,
    {
        let _in_flight = InFlight::new(&self.stats.in_flight);
        let (reply, answer) = oneshot::channel::<StoreResult<T>>();
        let hub = self.hub.clone();
        let job: Job = Box::new(move |conn| {
            let result = work(conn);
            let ok = result.is_ok();
            let completion: Completion = Box::new(move |commit| {
                let outcome = match (result, commit) {
                    (Ok((value, events)), Ok(())) => {
                        for (organization, event) in events {
                            hub.publish(organization, event);
                        }
                        Ok(value)
                    }
                    (Ok(_), Err(e)) => Err(StoreError::Other(anyhow!("commit failed: {e}"))),
                    (Err(e), _) => Err(e),
                };
                let _ = reply.send(outcome);
            });
            (ok, completion)
        });
        self.writer
            .send(job)
            .await
            .map_err(|_| anyhow!("the SQLite writer has stopped"))?;
        answer
            .await
            .map_err(|_| anyhow!("the SQLite writer dropped a write"))?
    }

    async fn read<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let pool = self.readers.clone();
        // Held by the read itself: a caller that stops waiting does not
        // free the connection its read still uses.
        let permit = pool
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| anyhow!("the reader pool is closed: {e}"))?;
        tokio::task::spawn_blocking(move || {
            let conn = pool.get()?;
            let result = work(&conn);
            pool.put(conn);
            drop(permit);
            result
        })
        .await
        .map_err(|e| anyhow!("read task failed: {e}"))?
    }
}

fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    let applied: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)
            .with_context(|| format!("SQLite migration {}", index + 1))?;
        tx.pragma_update(None, "user_version", index + 1)?;
        tx.commit()?;
    }
    Ok(())
}

fn writer_loop(
    conn: Connection,
    mut queue: mpsc::Receiver<Job>,
    max_batch: usize,
    stats: &WriteStats,
) {
    while let Some(first) = queue.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            // Dropping the jobs drops their reply channels: each caller sees
            // the write fail rather than waiting forever.
            tracing::error!(error = %e, "SQLite BEGIN failed");
            continue;
        }
        let mut completions = Vec::with_capacity(batch.len());
        for job in batch {
            if conn.execute_batch("SAVEPOINT job").is_err() {
                continue;
            }
            let queued = index_queue::mark();
            match std::panic::catch_unwind(AssertUnwindSafe(|| job(&conn))) {
                Ok((true, completion)) => {
                    let _ = conn.execute_batch("RELEASE job");
                    completions.push(completion);
                }
                Ok((false, completion)) => {
                    index_queue::discard_after(queued);
                    let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
                    completions.push(completion);
                }
                Err(_) => {
                    tracing::error!("a SQLite write job panicked; its changes were rolled back");
                    index_queue::discard_after(queued);
                    let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
                }
            }
        }
        stats.commits.fetch_add(1, Ordering::Relaxed);
        stats
            .jobs
            .fetch_add(completions.len() as u64, Ordering::Relaxed);
        // The batch's search entries, in its own transaction (see
        // `index_queue`).
        let commit = index_queue::flush(&conn)
            .and_then(|()| conn.execute_batch("COMMIT"))
            .map_err(|e| {
                tracing::error!(error = %e, "SQLite COMMIT failed");
                let _ = conn.execute_batch("ROLLBACK");
                e.to_string()
            });
        for completion in completions {
            completion(commit.clone());
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(failure, _) = &error {
            if failure.code == ErrorCode::ConstraintViolation {
                match failure.extended_code {
                    rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => return StoreError::NotFound,
                    rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                        return StoreError::Conflict("already exists")
                    }
                    _ => {}
                }
            }
        }
        StoreError::Other(error.into())
    }
}

impl Row for rusqlite::Row<'_> {
    fn col<T: Column>(&self, index: usize) -> StoreResult<T> {
        Ok(self.get(index)?)
    }
}

/// Every row of a query, each read by `map`.
fn query_all<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    map: impl Fn(&rusqlite::Row<'_>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut statement = conn.prepare_cached(sql)?;
    let mut rows = statement.query(params)?;
    let mut items = Vec::new();
    while let Some(row) = rows.next()? {
        items.push(map(row)?);
    }
    Ok(items)
}

/// The first row of a query, if any, read by `map`.
fn query_first<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    map: impl FnOnce(&rusqlite::Row<'_>) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    let mut statement = conn.prepare_cached(sql)?;
    let mut rows = statement.query(params)?;
    rows.next()?.map(map).transpose()
}

/// Runs an UPDATE or DELETE and fails with `NotFound` when it changed no row.
fn change_one(conn: &Connection, sql: &str, params: impl Params) -> StoreResult<()> {
    match conn.prepare_cached(sql)?.execute(params)? {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        self.read(|conn| {
            conn.query_row("SELECT 1", [], |_| Ok(()))?;
            Ok(())
        })
        .await
    }

    fn pressure(&self) -> crate::store::pressure::Pressure {
        let (commits, writes) = self.stats.snapshot();
        crate::store::pressure::Pressure {
            queued_writes: Some(self.stats.in_flight.load(Ordering::Relaxed)),
            commits: Some(commits),
            writes: Some(writes),
            ..Default::default()
        }
    }

    async fn outbox_backlog(&self) -> StoreResult<(u64, Option<Timestamp>)> {
        self.read(|conn| {
            let (count, oldest): (i64, Option<i64>) = conn.query_row(
                "SELECT COUNT(*), MIN(created_at) FROM mail_outbox
                 WHERE sent_at IS NULL AND failed_at IS NULL",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            Ok((count.max(0) as u64, oldest.map(Timestamp)))
        })
        .await
    }
}
