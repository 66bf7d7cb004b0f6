//! The event log on PostgreSQL: appended inside writes (positions assigned
//! at commit, or just after it for a visitor's message: `announce.rs`),
//! read by push streams; typing by `NOTIFY`.

use anyhow::Context;
use async_trait::async_trait;
use echo_protocol::events::{Change, LiveEvent};
use echo_protocol::{ConversationId, OrganizationId, Timestamp};

use super::{PostgresStore, Tx, REVOKED_CHANNEL};
use crate::store::rows;
use crate::store::{EventScope, EventStore, StoreResult};

/// Appends to the event log: the event waits in `events_pending` until its
/// position (and the notification to every replica) is assigned at commit
/// by the `events_sequence` trigger (see the migrations 0001, 0018, 0025
/// and 0026), which moves it to `events` and keeps the organization's
/// event head locked only for the commit itself.
pub(super) async fn record_event(
    tx: &mut Tx,
    organization: OrganizationId,
    conversation: ConversationId,
    change: &Change,
    now: Timestamp,
) -> StoreResult<()> {
    let payload = serde_json::to_string(change).context("encoding an event")?;
    sqlx::query(
        "INSERT INTO events_pending (organization_id, conversation_id, payload, created_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(organization)
    .bind(conversation)
    .bind(payload)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait]
impl EventStore for PostgresStore {
    async fn ephemeral(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        change: Change,
    ) {
        let Ok(json) = serde_json::to_string(&change) else {
            return;
        };
        self.announcer
            .live(format!("{organization}:{conversation}:{json}"))
            .await;
    }

    async fn revoke(&self, revoked: crate::revocations::Revoked) {
        let result = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(REVOKED_CHANNEL)
            .bind(revoked.encode())
            .execute(&self.pool)
            .await;
        if let Err(error) = result {
            // This replica at least; the others' streams fail their next check.
            tracing::warn!(error = %error, "revocation notification failed");
            self.hub.revocations.revoke(&revoked);
        }
    }

    async fn prune_events(&self, before: Timestamp) -> StoreResult<u64> {
        let deleted: i64 = sqlx::query_scalar(
            "WITH gone AS (
                 DELETE FROM events WHERE created_at < $1
                 RETURNING organization_id, position
             ), through AS (
                 SELECT organization_id, MAX(position) AS position FROM gone GROUP BY organization_id
             ), marked AS (
                 UPDATE organizations o SET events_pruned_through = t.position
                 FROM through t
                 WHERE o.id = t.organization_id AND t.position > o.events_pruned_through
             )
             SELECT COUNT(*) FROM gone",
        )
        .bind(before)
        .fetch_one(&self.pool)
        .await?;
        Ok(deleted as u64)
    }

    async fn pruned_through(&self, scope: EventScope) -> StoreResult<i64> {
        let (_, key, pruned) = scope.sql();
        let through: Option<i64> = sqlx::query_scalar(pruned)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(through.unwrap_or(0))
    }

    async fn head_position(&self, scope: EventScope) -> StoreResult<i64> {
        let (column, key, pruned) = scope.sql();
        let sql = format!(
            "SELECT GREATEST((SELECT MAX(position) FROM events WHERE {column} = $1),
                             ({pruned}), 0)"
        );
        Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(key)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn events_after(
        &self,
        scope: EventScope,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<LiveEvent>> {
        let (column, key, _) = scope.sql();
        let sql = format!(
            "SELECT position, conversation_id, payload FROM events
             WHERE {column} = $1 AND position > $2 ORDER BY position LIMIT $3"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(key)
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(rows::event)
            .collect()
    }
}
