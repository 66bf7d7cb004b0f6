//! Following committed events on every replica: `LISTEN echo_events`,
//! `echo_typing` and `echo_revoked`, published to this process's hub
//! (events in position order).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use echo_protocol::events::LiveEvent;
use echo_protocol::{ConversationId, OrganizationId};
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::Mutex;

use super::{REVOKED_CHANNEL, TYPING_CHANNEL};
use crate::live::Hub;
use crate::store::rows;

/// How often the follower looks for committed events it was not told of:
/// events left unplaced by their server (killed between a commit and the
/// placing, see `announce.rs`) and notifications it missed are published
/// one to two sweeps later.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Publishes every committed event to the hub, in position order per
/// organization.
pub(super) async fn follow(pool: PgPool, mut listener: PgListener, hub: Arc<Hub>) {
    let follower = Arc::new(Mutex::new(Follower {
        pool: pool.clone(),
        hub: hub.clone(),
        published: HashMap::new(),
        start: None,
        swept: (0, 0),
        due: Vec::new(),
    }));
    tokio::spawn(sweep(Arc::downgrade(&follower), pool));
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => {
                let payload = notification.payload();
                let result = if notification.channel() == TYPING_CHANNEL {
                    follower.lock().await.live_only(payload).await
                } else if notification.channel() == REVOKED_CHANNEL {
                    crate::revocations::Revoked::decode(payload)
                        .map(|revoked| hub.revocations.revoke(&revoked))
                        .ok_or_else(|| anyhow!("malformed revocation {payload:?}"))
                } else {
                    follower.lock().await.notice(payload).await
                };
                if let Err(error) = result {
                    tracing::error!(error = %error, "following events failed; streams resume from the log");
                    follower.lock().await.reset();
                }
            }
            Ok(None) => {
                tracing::warn!("the LISTEN connection dropped; streams resume from the log");
                follower.lock().await.reset();
            }
            Err(sqlx::Error::PoolClosed) => return,
            Err(error) => {
                tracing::error!(error = %error, "LISTEN failed; retrying");
                follower.lock().await.reset();
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Every `SWEEP_EVERY`: places the events their servers left unplaced,
/// then catches up the organizations whose events the follower was not
/// told of; ends with the follower.
///
/// Only what was already there at the sweep before counts. Under load
/// there are always events committed a moment ago and not yet placed, or
/// placed and not yet heard of: placing them here waited on the
/// organization's event head behind every replica's placing, and reading
/// them back held up this replica's notifications meanwhile (with seven
/// replicas, one of them stalled every 0.3 s).
async fn sweep(follower: std::sync::Weak<Mutex<Follower>>, pool: PgPool) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The newest event at the sweep before: an event no newer still
    // unplaced was left by its server.
    let mut newest = i64::MAX;
    loop {
        every.tick().await;
        let Some(follower) = follower.upgrade() else {
            return;
        };
        // Placed without holding the follower: the placing's notification
        // is followed as any other.
        let placed = place_left(&pool, newest).await;
        let mut follower = follower.lock().await;
        let result = match placed {
            Ok(now) => {
                newest = now;
                follower.sweep().await
            }
            Err(error) => Err(error),
        };
        if let Err(error) = result {
            tracing::error!(error = %error, "the event sweep failed; streams resume from the log");
            follower.reset();
        }
    }
}

/// Places the events no newer than `newest` still unplaced (their server
/// was killed between its commit and its placing, see `announce.rs`);
/// returns the newest event ID handed out now (committed or not: one
/// committed later is placed by the sweep after it, if its server has not).
/// The organizations with waiting events are found by skipping through the
/// queue's index, one descent each: a scan of the queue would read every
/// row deleted since its last vacuum (a minute of events at a busy time).
async fn place_left(pool: &PgPool, newest: i64) -> anyhow::Result<i64> {
    let (now, left): (i64, Vec<String>) = sqlx::query_as(
        "WITH RECURSIVE waiting AS (
             (SELECT organization_id FROM events_pending ORDER BY organization_id LIMIT 1)
             UNION ALL
             SELECT (SELECT p.organization_id FROM events_pending p
                     WHERE p.organization_id > w.organization_id
                     ORDER BY p.organization_id LIMIT 1)
             FROM waiting w WHERE w.organization_id IS NOT NULL
         )
         SELECT (SELECT last_value FROM events_id_seq),
                ARRAY(SELECT organization_id FROM waiting w
                      WHERE EXISTS (SELECT 1 FROM events_pending p
                                    WHERE p.organization_id = w.organization_id
                                      AND p.id <= $1))",
    )
    .bind(newest)
    .fetch_one(pool)
    .await?;
    if !left.is_empty() {
        super::announce::place(pool, &left.into_iter().collect()).await?;
    }
    Ok(now)
}

/// What this replica published of each organization's events.
struct Follower {
    pool: PgPool,
    hub: Arc<Hub>,
    published: HashMap<OrganizationId, i64>,
    /// The last event inserted when following (re)started: no stream
    /// wants an earlier one live (they started from the log after it).
    start: Option<i64>,
    /// The sweep's last two highs (event IDs): it reads from the older,
    /// so an event inserted before one sweep and committed after it is
    /// seen by the next.
    swept: (i64, i64),
    /// The heads the last sweep read: published by the next one, or caught
    /// up.
    due: Vec<(OrganizationId, i64)>,
}

impl Follower {
    /// Nothing is known to be published: every stream resumes from the log.
    fn reset(&mut self) {
        self.published.clear();
        self.start = None;
        self.due.clear();
        self.hub.disconnect_all();
    }

    /// `start`, read when following (re)starts.
    async fn start(&mut self) -> anyhow::Result<i64> {
        if let Some(start) = self.start {
            return Ok(start);
        }
        let start: i64 = sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM events")
            .fetch_one(&self.pool)
            .await?;
        self.start = Some(start);
        self.swept = (start, start);
        Ok(start)
    }

    /// A notification on the events channel, `<org>:<head>`, with the
    /// events when they fit: the placing's `:*<count>:...` (see
    /// [`Self::batch`]; the commit-time trigger places the same way since
    /// migration 0025); `:<conversation>:<event>` (one event) and `<org>`
    /// alone from older servers.
    async fn notice(&mut self, payload: &str) -> anyhow::Result<()> {
        let mut parts = payload.splitn(3, ':');
        let org = parts
            .next()
            .unwrap_or_default()
            .parse::<OrganizationId>()
            .context("event organization")?;
        let Some(position) = parts.next() else {
            return self.catch_up(org, None).await;
        };
        let position: i64 = position.parse().context("event position")?;
        let inline = parts.next();
        let after = self.published_of(org, Some(position)).await?;
        if position <= after {
            return Ok(());
        }
        if let Some(batch) = inline.and_then(|inline| inline.strip_prefix('*')) {
            return self.batch(org, position, after, batch).await;
        }
        if let (true, Some(inline)) = (position == after + 1, inline) {
            let (conversation, change) = inline
                .split_once(':')
                .ok_or_else(|| anyhow!("malformed inline event"))?;
            let event = LiveEvent {
                position,
                conversation_id: conversation.parse().context("event conversation")?,
                change: serde_json::from_str(change).context("inline event is not JSON")?,
            };
            self.hub.publish(org, event);
            self.published.insert(org, position);
            return Ok(());
        }
        self.catch_up(org, Some(position)).await
    }

    /// A placing's events, `<count>:<conversation>:<event>` and one more
    /// `\n<conversation>:<event>` each, ending at `head`: published without
    /// reading them back when they follow what was published (`after`),
    /// else caught up from the log.
    async fn batch(
        &mut self,
        org: OrganizationId,
        head: i64,
        after: i64,
        batch: &str,
    ) -> anyhow::Result<()> {
        let (first, lines) = batch_start(head, batch)?;
        if first > after + 1 {
            return self.catch_up(org, Some(head)).await;
        }
        let events = batch_events(first, head, lines)?;
        for event in events.into_iter().filter(|e| e.position > after) {
            self.hub.publish(org, event);
        }
        self.published.insert(org, head);
        Ok(())
    }

    /// The last position published of `org`; when it is first heard of,
    /// its last event from before `start` (and `through`): announcements
    /// and notifications from several servers may come in any order.
    async fn published_of(
        &mut self,
        org: OrganizationId,
        through: Option<i64>,
    ) -> anyhow::Result<i64> {
        if let Some(after) = self.published.get(&org) {
            return Ok(*after);
        }
        let start = self.start().await?;
        let after: i64 = sqlx::query_scalar(
            "SELECT coalesce(max(position), 0) FROM events
             WHERE organization_id = $1 AND position <= coalesce($2, position) AND id <= $3",
        )
        .bind(org)
        .bind(through)
        .bind(start)
        .fetch_one(&self.pool)
        .await?;
        Ok(after)
    }

    /// Publishes `org`'s events after the last published, through
    /// `through` or all that are committed.
    async fn catch_up(&mut self, org: OrganizationId, through: Option<i64>) -> anyhow::Result<()> {
        let after = self.published_of(org, through).await?;
        let rows = sqlx::query(
            "SELECT position, conversation_id, payload FROM events
             WHERE organization_id = $1 AND position > $2
               AND position <= coalesce($3, position)
             ORDER BY position",
        )
        .bind(org)
        .bind(after)
        .bind(through)
        .fetch_all(&self.pool)
        .await?;
        let mut last = after;
        for row in &rows {
            let event = rows::event(row)?;
            last = event.position;
            self.hub.publish(org, event);
        }
        self.published
            .insert(org, last.max(through.unwrap_or(last)));
        Ok(())
    }

    /// A live-only change (typing, a partial transcript). Its server sent
    /// it after placing what it had committed before (`announce.rs`), and
    /// notifications arrive in commit order: the events it follows are
    /// published first.
    async fn live_only(&mut self, payload: &str) -> anyhow::Result<()> {
        let mut parts = payload.splitn(3, ':');
        let (Some(org), Some(conversation), Some(change)) =
            (parts.next(), parts.next(), parts.next())
        else {
            anyhow::bail!("malformed live-only notification {payload:?}");
        };
        let org = org
            .parse::<OrganizationId>()
            .context("live-only organization")?;
        let conversation = conversation
            .parse::<ConversationId>()
            .context("live-only conversation")?;
        let change = serde_json::from_str(change).context("live-only payload")?;
        self.hub.ephemeral(org, conversation, change);
        Ok(())
    }

    /// Catches up the organizations whose events were placed by the
    /// sweep before and are still not published: their notification was
    /// missed (heads newer than that are most likely still on their way).
    async fn sweep(&mut self) -> anyhow::Result<()> {
        self.start().await?;
        let from = self.swept.0;
        let heads: Vec<(OrganizationId, i64, i64)> = sqlx::query_as(
            "SELECT organization_id, max(position), max(id) FROM events
             WHERE id > $1 GROUP BY organization_id",
        )
        .bind(from)
        .fetch_all(&self.pool)
        .await?;
        let high = heads.iter().map(|h| h.2).max().unwrap_or(self.swept.1);
        self.swept = (self.swept.1, high);
        let due = std::mem::replace(
            &mut self.due,
            heads
                .into_iter()
                .map(|(org, head, _)| (org, head))
                .collect(),
        );
        for (org, head) in due {
            if self.published.get(&org).is_none_or(|after| *after < head) {
                self.catch_up(org, Some(head)).await?;
            }
        }
        Ok(())
    }
}

/// A placing's first position and its event lines, from
/// `<count>:<lines>` ending at `head`.
fn batch_start(head: i64, batch: &str) -> anyhow::Result<(i64, &str)> {
    let (count, lines) = batch
        .split_once(':')
        .ok_or_else(|| anyhow!("malformed inline events"))?;
    let count: i64 = count.parse().context("inline event count")?;
    let first = head
        .checked_sub(count)
        .and_then(|p| p.checked_add(1))
        .filter(|_| count > 0)
        .ok_or_else(|| anyhow!("inline event count out of range"))?;
    Ok((first, lines))
}

/// The events of a placing's lines, `<conversation>:<event>` each, at
/// `first` through `head`.
fn batch_events(first: i64, head: i64, lines: &str) -> anyhow::Result<Vec<LiveEvent>> {
    let mut events = Vec::new();
    for (line, position) in lines.split('\n').zip(first..) {
        let (conversation, change) = line
            .split_once(':')
            .ok_or_else(|| anyhow!("malformed inline event"))?;
        events.push(LiveEvent {
            position,
            conversation_id: conversation.parse().context("event conversation")?,
            change: serde_json::from_str(change).context("inline event is not JSON")?,
        });
    }
    anyhow::ensure!(
        events.len() as i64 == head - first + 1,
        "inline events do not end at their head"
    );
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use echo_protocol::events::Change;

    fn line(conversation: &ConversationId, change: &Change) -> String {
        format!("{conversation}:{}", serde_json::to_string(change).unwrap())
    }

    #[test]
    fn a_placings_events_are_read_in_position_order_or_refused() {
        let a = ConversationId::parse("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap();
        let b = ConversationId::parse("0f5e7a3c-1b2d-4e6f-8a9b-0c1d2e3f4a5b").unwrap();
        let status = Change::Status {
            status: echo_protocol::conversations::ConversationStatus::Resolved,
        };
        let lines = [line(&a, &status), line(&b, &status)].join("\n");
        let batch = format!("2:{lines}");
        let (first, rest) = batch_start(8, &batch).unwrap();
        assert_eq!(first, 7);
        let events = batch_events(first, 8, rest).unwrap();
        assert_eq!(
            events.iter().map(|e| e.position).collect::<Vec<_>>(),
            [7, 8]
        );
        assert_eq!(events[1].conversation_id, b);
        // A count that does not match the lines, or is out of range.
        assert!(batch_events(6, 8, rest).is_err());
        for bad in ["0:x", "-1:x", "x:y", "nothing", "-9223372036854775808:x"] {
            assert!(batch_start(8, bad).is_err(), "{bad}");
        }
        assert!(batch_start(i64::MIN, "9223372036854775807:x").is_err());
        assert!(batch_events(8, 8, "not a conversation:{}").is_err());
        assert!(batch_events(8, 8, &format!("{a}:not json")).is_err());
    }
}
