//! Events committed without a position (every message with its
//! effects: a visitor's one-statement write in `unlocked.rs`, and every
//! write through `effects::apply`, conversations opened included) are
//! placed in their organization's order after the commit, and announced to
//! every replica, this one included. Placing at the write's own commit held
//! the organization's row lock through it, so one organization's writes
//! reached the disk one at a time (and with many writers at once, their
//! foreign-key locks on that row piled into ever larger multixacts: 64
//! visitors opening conversations at once on seven replicas made 60 a
//! second); and a `NOTIFY` per write waited on a lock every notifying
//! commit in the cluster takes in turn. The announcer places the events
//! of every organization written to while its previous round was on its
//! way, in one transaction (`echo_place`, see the migrations
//! `0018_events_sequenced_after_commit.sql` and
//! `0019_placing_announces_its_events.sql`), which notifies
//! `echo_events '<org>:<head>'` with the events placed when they fit; the
//! followers publish them, or read them from the table (`listen.rs`). Other
//! writes (labels, ratings, a voice call starting or ending) keep the
//! commit-time trigger, which places what was committed before them first.

use std::collections::BTreeSet;
use std::time::Duration;

use echo_protocol::OrganizationId;
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};

use super::message_sql::GENERIC_PLANS;
use super::{PostgresStore, Tx, TYPING_CHANNEL};
use crate::store::StoreResult;

pub(super) struct Announcer {
    jobs: mpsc::UnboundedSender<Job>,
}

enum Job {
    /// Events of this organization were committed without a position; told
    /// when they are placed, if asked.
    Written(OrganizationId, Option<oneshot::Sender<()>>),
    /// A live-only change (`<org>:<conversation>:<change>` on the typing
    /// channel), sent once what this server committed before it is placed
    /// (the assistant's typing must not reach a stream before the message
    /// it answers); told when sent.
    Live(String, oneshot::Sender<()>),
}

impl Announcer {
    pub(super) fn start(pool: PgPool) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(announce(pool, queue));
        Self { jobs }
    }

    /// Events of `organization` were committed without a position.
    pub(super) fn committed(&self, organization: OrganizationId) {
        let _ = self.jobs.send(Job::Written(organization, None));
    }

    /// As [`Self::committed`], returning once they are placed (or after
    /// [`PLACED_WITHIN`], when the followers' sweep will place them).
    pub(super) async fn committed_and_placed(&self, organization: OrganizationId) {
        let (placed, done) = oneshot::channel();
        if self
            .jobs
            .send(Job::Written(organization, Some(placed)))
            .is_ok()
        {
            let _ = tokio::time::timeout(PLACED_WITHIN, done).await;
        }
    }

    /// Sends a live-only notification after the placing of what was
    /// committed before it; returns when it is sent.
    pub(super) async fn live(&self, notice: String) {
        let (sent, done) = oneshot::channel();
        if self.jobs.send(Job::Live(notice, sent)).is_ok() {
            let _ = done.await;
        }
    }
}

/// Marks the transaction's events to be placed after its commit by its
/// server's announcer, not by the commit-time trigger (which would hold
/// the organization's event head locked through the commit); the caller
/// commits with [`PostgresStore::commit_then_place`]. Set before the first
/// event is inserted: the trigger's `WHEN` reads it at the insert.
pub(super) async fn place_after_commit(tx: &mut Tx) -> StoreResult<()> {
    // The transaction's message is written by `message_sql`'s statement,
    // which needs its generic plan (`GENERIC_PLANS`): set here, in the
    // same round trip.
    let (name, value) = GENERIC_PLANS;
    sqlx::query("SELECT set_config('echo.announced_later', 'on', true), set_config($1, $2, true)")
        .bind(name)
        .bind(value)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// How long a write waits for its events to be placed before it answers.
const PLACED_WITHIN: Duration = Duration::from_secs(2);

impl PostgresStore {
    /// Commits a transaction marked by [`place_after_commit`], then has its
    /// events placed and announced before it returns, so a stream opened
    /// after the answer does not see them again (many writes' events are
    /// placed in one transaction, not each under the organization's lock
    /// through its own commit).
    pub(super) async fn commit_then_place(
        &self,
        tx: Tx,
        organization: OrganizationId,
    ) -> StoreResult<()> {
        tx.commit().await?;
        self.announcer.committed_and_placed(organization).await;
        Ok(())
    }
}

async fn announce(pool: PgPool, mut queue: mpsc::UnboundedReceiver<Job>) {
    let mut pending = BTreeSet::new();
    let mut live = Vec::new();
    let mut waiting = Vec::new();
    let mut jobs = Vec::new();
    // Everything queued while the previous round was on its way.
    while queue.recv_many(&mut jobs, usize::MAX).await > 0 {
        for job in jobs.drain(..) {
            match job {
                Job::Written(organization, placed) => {
                    pending.insert(organization.to_string());
                    waiting.extend(placed);
                }
                Job::Live(notice, sent) => live.push((notice, sent)),
            }
        }
        if !pending.is_empty() {
            match place(&pool, &pending).await {
                Ok(()) => {
                    pending.clear();
                    for placed in waiting.drain(..) {
                        let _ = placed.send(());
                    }
                }
                Err(sqlx::Error::PoolClosed) => return,
                // Kept, with those written meanwhile, for the next try; the
                // followers' sweep (`listen.rs`) places them if none succeeds.
                Err(error) => {
                    tracing::error!(%error, "placing events failed; retrying");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        if !live.is_empty() {
            let (notices, sent): (Vec<String>, Vec<_>) = live.drain(..).unzip();
            let result = sqlx::query(
                "SELECT pg_notify($1, notice) FROM UNNEST($2::text[]) WITH ORDINALITY AS n(notice, i)
                 ORDER BY i",
            )
            .bind(TYPING_CHANNEL)
            .bind(notices)
            .execute(&pool)
            .await;
            if let Err(error) = result {
                tracing::warn!(%error, "live-only notification failed");
            }
            for sent in sent {
                let _ = sent.send(());
            }
        }
    }
}

/// Places the unplaced events of `organizations` and notifies each one's
/// new head with the events placed when they fit (`echo_place`, migration
/// `0019_placing_announces_its_events.sql`), in one transaction. In one
/// order (the IDs' text, sorted), so two replicas placing the same ones
/// never wait on each other in a circle.
pub(super) async fn place(
    pool: &PgPool,
    organizations: &BTreeSet<String>,
) -> Result<(), sqlx::Error> {
    let organizations: Vec<&str> = organizations.iter().map(String::as_str).collect();
    sqlx::query("SELECT echo_place(org) FROM UNNEST($1::text[]) AS org")
        .bind(&organizations[..])
        .execute(pool)
        .await?;
    Ok(())
}
