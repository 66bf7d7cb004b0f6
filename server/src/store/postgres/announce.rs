//! Events committed without a `NOTIFY` of their own (a visitor's message,
//! written in one statement: `unlocked.rs`) are announced to every replica
//! here, this one included. `NOTIFY` takes a lock that each notifying
//! commit in the cluster waits on in turn, and one per message capped the
//! cluster's message rate; the announcer names the organizations written
//! to while its previous notification was on its way, all in one
//! transaction (`NOTIFY echo_events '<org>'`), and the followers read
//! their new events from the table (`listen.rs`).

use std::collections::HashSet;
use std::time::Duration;

use echo_protocol::OrganizationId;
use sqlx::PgPool;
use tokio::sync::mpsc;

use super::EVENTS_CHANNEL;

pub(super) struct Announcer {
    written: mpsc::UnboundedSender<OrganizationId>,
}

impl Announcer {
    pub(super) fn start(pool: PgPool) -> Self {
        let (written, organizations) = mpsc::unbounded_channel();
        tokio::spawn(announce(pool, organizations));
        Self { written }
    }

    /// Events of `organization` were committed without a notification.
    pub(super) fn committed(&self, organization: OrganizationId) {
        let _ = self.written.send(organization);
    }
}

async fn announce(pool: PgPool, mut written: mpsc::UnboundedReceiver<OrganizationId>) {
    let mut pending: HashSet<OrganizationId> = HashSet::new();
    while let Some(organization) = written.recv().await {
        pending.insert(organization);
        while let Ok(organization) = written.try_recv() {
            pending.insert(organization);
        }
        let notices: Vec<String> = pending.iter().map(|org| org.to_string()).collect();
        let sent = sqlx::query("SELECT pg_notify($1, notice) FROM UNNEST($2::text[]) AS notice")
            .bind(EVENTS_CHANNEL)
            .bind(notices)
            .execute(&pool)
            .await;
        match sent {
            Ok(_) => pending.clear(),
            Err(sqlx::Error::PoolClosed) => return,
            // Kept, with those written meanwhile, for the next try; the
            // followers' sweep (`listen.rs`) finds them if none succeeds.
            Err(error) => {
                tracing::error!(%error, "announcing events failed; retrying");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}
