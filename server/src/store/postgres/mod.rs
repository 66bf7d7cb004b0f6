//! The PostgreSQL backend, for production and for several replicas on one
//! database. Same rules and errors as SQLite; an answered write is committed
//! with the server's default `synchronous_commit = on`, so it is on disk.
//!
//! Live events cross replicas through PostgreSQL itself. When a transaction
//! that wrote events commits, a deferred trigger gives them the
//! organization's next positions (a lock on its event head, `event_heads`,
//! held only through the commit, so an organization's events commit in
//! position order) and sends
//! `NOTIFY echo_events '<org>:<head>:*<count>:<conversation>:<event JSON>...'`
//! (`echo_place`; `listen.rs` reads the format), which
//! PostgreSQL delivers after the commit, in commit order. Every replica (including the
//! writer's) listens and publishes the event to its in-process hub: from the
//! notification when it carries the event and follows the last one
//! published, otherwise read from the table (large events, gaps). A
//! visitor's message, the busiest write, commits without a position, so
//! an organization's messages do not reach the disk one at a time under
//! its lock: its server places the events of every organization written
//! to meanwhile in one transaction just after (`announce.rs`), and the
//! followers read them from the table. Whatever places events places
//! every committed one before them first, so a reply is never placed
//! before the message it answers. If the listening connection drops,
//! notifications may be lost, so the hub disconnects every stream and the
//! clients resume from the event log. Typing events, which are not stored,
//! travel as `NOTIFY echo_typing`, and ended credentials (whose open
//! streams close at once) as `NOTIFY echo_revoked`.
//!
//! This file holds the pool and the migrations, `listen.rs` the follower;
//! each store trait is implemented in the file named after its domain.

mod announce;
mod attachments;
mod backfill;
mod batch;
mod conversations;
mod desk;
mod effects;
mod erasure;
mod events;
mod knowledge;
mod known;
mod listen;
mod mail;
mod message_sql;
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
mod unlocked;
mod voice;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use sqlx::postgres::{PgListener, PgPoolOptions, PgRow};
use sqlx::{PgPool, Postgres, Transaction};

use super::effects::Rules;
use super::rows::{Column, Row};
use super::{Store, StoreError, StoreResult};
use crate::live::Hub;

/// How long a pooled connection may sit idle and still be used unchecked.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);

const EVENTS_CHANNEL: &str = "echo_events";
const TYPING_CHANNEL: &str = "echo_typing";
const REVOKED_CHANNEL: &str = "echo_revoked";

type Tx = Transaction<'static, Postgres>;

pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

pub struct PostgresStore {
    pool: PgPool,
    /// Where a revocation goes when its notification cannot be sent.
    hub: Arc<Hub>,
    /// What a write may do, asked inside its transaction.
    rules: Arc<dyn Rules>,
    /// Whether message writes queue mail notices (mail is configured).
    notices: std::sync::atomic::AtomicBool,
    /// How long the latest transaction waited for a connection.
    pool_wait: Arc<crate::store::pressure::WaitGauge>,
    /// Places the events committed without a position and tells every
    /// replica; sends live-only changes after them.
    announcer: announce::Announcer,
    /// What this server last saw of the conversations visitors write in.
    known: known::Known,
    /// Writes visitors' messages decided without a lock, together.
    batcher: batch::Batcher,
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if let Some(db) = error.as_database_error() {
            match db.code().as_deref() {
                Some("23503") => return StoreError::NotFound,
                Some("23505") => return StoreError::Conflict("already exists"),
                _ => {}
            }
        }
        StoreError::Other(error.into())
    }
}

impl Row for PgRow {
    fn col<T: Column>(&self, index: usize) -> StoreResult<T> {
        Ok(sqlx::Row::try_get(self, index)?)
    }
}

/// How the store's pools connect: a connection that sat idle is pinged
/// before use (PostgreSQL restarted, a proxy dropped it); one in steady
/// use is not: pinging every time was a round trip on every request, a
/// third of a visitor's message.
fn pool_options(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire(false)
        .before_acquire(|connection, meta| {
            Box::pin(async move {
                if meta.idle_for > PING_WHEN_IDLE_FOR {
                    sqlx::Connection::ping(connection).await?;
                }
                Ok(true)
            })
        })
}

impl PostgresStore {
    /// Connects, applies the migrations (an advisory lock keeps replicas
    /// that start together from racing) and starts following events.
    pub async fn connect(
        url: &str,
        max_connections: u32,
        hub: Arc<Hub>,
        rules: Arc<dyn Rules>,
    ) -> anyhow::Result<Self> {
        let pool = pool_options(max_connections)
            .connect(url)
            .await
            .context("connecting to PostgreSQL")?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .context("PostgreSQL migrations")?;
        let mut listener = PgListener::connect_with(&pool).await?;
        listener
            .listen_all([EVENTS_CHANNEL, TYPING_CHANNEL, REVOKED_CHANNEL])
            .await
            .context("LISTEN")?;
        tokio::spawn(listen::follow(pool.clone(), listener, hub.clone()));
        tokio::spawn(backfill::search_index(pool.clone()));
        let pool_wait = Arc::<crate::store::pressure::WaitGauge>::default();
        Ok(Self {
            announcer: announce::Announcer::start(pool.clone()),
            known: known::Known::default(),
            batcher: batch::Batcher::start(&pool, pool_wait.clone()),
            pool,
            hub,
            rules,
            notices: std::sync::atomic::AtomicBool::new(false),
            pool_wait,
        })
    }

    async fn begin(&self) -> StoreResult<Tx> {
        let asked = std::time::Instant::now();
        let tx = self.pool.begin().await?;
        self.pool_wait.record(asked.elapsed());
        Ok(tx)
    }

    /// A connection for statements that are each a transaction of their
    /// own; its wait is recorded as `begin`'s (the overload guard reads it).
    async fn connection(&self) -> StoreResult<sqlx::pool::PoolConnection<Postgres>> {
        let asked = std::time::Instant::now();
        let connection = self.pool.acquire().await?;
        self.pool_wait.record(asked.elapsed());
        Ok(connection)
    }
}

/// Fails with `NotFound` when a statement changed no row.
fn changed_one(result: sqlx::postgres::PgQueryResult) -> StoreResult<()> {
    match result.rows_affected() {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn pressure(&self) -> crate::store::pressure::Pressure {
        crate::store::pressure::Pressure {
            pool_size: Some(self.pool.size()),
            pool_idle: Some(self.pool.num_idle() as u32),
            pool_wait: self.pool_wait.recent(),
            message_statements: Some(self.batcher.counts().0),
            batched_messages: Some(self.batcher.counts().1),
            ..Default::default()
        }
    }

    async fn outbox_backlog(&self) -> StoreResult<(u64, Option<echo_protocol::Timestamp>)> {
        let (count, oldest): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(created_at) FROM mail_outbox
             WHERE sent_at IS NULL AND failed_at IS NULL",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((count.max(0) as u64, oldest.map(echo_protocol::Timestamp)))
    }
}
