//! The event log on SQLite: appended inside writes, read by push streams.

use anyhow::Context;
use async_trait::async_trait;
use echo_protocol::events::{Change, LiveEvent};
use echo_protocol::{ConversationId, OrganizationId, Timestamp};
use rusqlite::{params, Connection, OptionalExtension};

use super::{query_all, Published, SqliteStore};
use crate::store::rows;
use crate::store::{EventScope, EventStore, StoreResult};

/// Appends to the event log; the event's position is its row's sequence.
pub(super) fn record_event(
    conn: &Connection,
    organization: OrganizationId,
    conversation: ConversationId,
    change: Change,
    now: Timestamp,
) -> StoreResult<Published> {
    let payload = serde_json::to_string(&change).context("encoding an event")?;
    conn.prepare_cached(
        "INSERT INTO events (organization_id, conversation_id, payload, created_at)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![organization, conversation, payload, now])?;
    let event = LiveEvent {
        position: conn.last_insert_rowid(),
        conversation_id: conversation,
        change,
    };
    Ok((organization, event))
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn ephemeral(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        change: Change,
    ) {
        self.hub.ephemeral(organization, conversation, change);
    }

    async fn revoke(&self, revoked: crate::revocations::Revoked) {
        self.hub.revocations.revoke(&revoked);
    }

    async fn prune_events(&self, before: Timestamp) -> StoreResult<u64> {
        self.write(move |conn| {
            conn.execute(
                "UPDATE organizations SET events_pruned_through = pruned.through
                 FROM (SELECT organization_id, MAX(seq) AS through FROM events
                       WHERE created_at < ?1 GROUP BY organization_id) AS pruned
                 WHERE organizations.id = pruned.organization_id
                   AND pruned.through > organizations.events_pruned_through",
                [before],
            )?;
            let deleted = conn.execute("DELETE FROM events WHERE created_at < ?1", [before])?;
            Ok(deleted as u64)
        })
        .await
    }

    async fn pruned_through(&self, scope: EventScope) -> StoreResult<i64> {
        self.read(move |conn| {
            let (_, key, pruned) = scope.sql();
            Ok(conn
                .prepare_cached(pruned)?
                .query_row([key], |row| row.get(0))
                .optional()?
                .unwrap_or(0))
        })
        .await
    }

    async fn head_position(&self, scope: EventScope) -> StoreResult<i64> {
        self.read(move |conn| {
            let (column, key, pruned) = scope.sql();
            let sql = format!(
                "SELECT MAX(COALESCE((SELECT MAX(seq) FROM events WHERE {column} = $1), 0),
                            COALESCE(({pruned}), 0))"
            );
            Ok(conn
                .prepare_cached(&sql)?
                .query_row([key], |row| row.get(0))?)
        })
        .await
    }

    async fn events_after(
        &self,
        scope: EventScope,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<LiveEvent>> {
        self.read(move |conn| {
            let (column, key, _) = scope.sql();
            query_all(
                conn,
                &format!(
                    "SELECT seq, conversation_id, payload FROM events
                     WHERE {column} = $1 AND seq > $2 ORDER BY seq LIMIT $3"
                ),
                params![key, after, i64::from(limit)],
                |row| rows::event(row),
            )
        })
        .await
    }
}
