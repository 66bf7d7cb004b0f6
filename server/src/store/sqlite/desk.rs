//! The operator desk on SQLite: saved replies, labels and mentions.
//! Search and the visitor's record are in `search.rs`.

use async_trait::async_trait;
use echo_protocol::desk::{CannedReply, Label, LabelId, Mentions};
use echo_protocol::events::Change;
use echo_protocol::{CannedReplyId, ConversationId, OperatorId, OrganizationId, Timestamp};
use rusqlite::{params, Connection};

use super::effects::state_in;
use super::events::record_event;
use super::{change_one, query_all, query_first, Published, SqliteStore};
use crate::store::desk::DeskStore;
use crate::store::desk::{Search, SearchRow, StoredCannedReply, VisitorRecord};
use crate::store::desk_rows::{self, CANNED_REPLY, LABEL, MENTION};
use crate::store::effects::LabelChange;
use crate::store::rows::Row;
use crate::store::{StoreError, StoreResult};

/// A conversation's labels, by name.
fn labels_on(conn: &Connection, conversation: ConversationId) -> StoreResult<Vec<Label>> {
    query_all(
        conn,
        &format!(
            "SELECT {LABEL} FROM conversation_labels cl JOIN labels l ON l.id = cl.label_id
             WHERE cl.conversation_id = ?1 ORDER BY l.name_key"
        ),
        [conversation],
        |row| desk_rows::label(row, 0),
    )
}

/// The `labels` event of a conversation whose labels changed.
fn labels_event(
    conn: &Connection,
    organization: OrganizationId,
    conversation: ConversationId,
    now: Timestamp,
) -> StoreResult<(Vec<Label>, Published)> {
    let labels = labels_on(conn, conversation)?;
    let change = Change::Labels {
        labels: labels.clone(),
    };
    let event = record_event(conn, organization, conversation, change, now)?;
    Ok((labels, event))
}

#[async_trait]
impl DeskStore for SqliteStore {
    async fn canned_replies(
        &self,
        organization: OrganizationId,
        owner: Option<OperatorId>,
    ) -> StoreResult<Vec<CannedReply>> {
        self.read(move |conn| {
            query_all(
                conn,
                &format!(
                    "SELECT {CANNED_REPLY} FROM canned_replies
                     WHERE organization_id = ?1 AND (owner_id IS NULL OR owner_id = ?2)
                     ORDER BY shortcut, owner_id IS NOT NULL"
                ),
                params![organization, owner],
                |row| Ok(desk_rows::canned_reply(row)?.reply),
            )
        })
        .await
    }

    async fn canned_reply(
        &self,
        organization: OrganizationId,
        id: CannedReplyId,
    ) -> StoreResult<Option<StoredCannedReply>> {
        self.read(move |conn| {
            query_first(
                conn,
                &format!(
                    "SELECT {CANNED_REPLY} FROM canned_replies
                     WHERE id = ?1 AND organization_id = ?2"
                ),
                params![id, organization],
                |row| desk_rows::canned_reply(row),
            )
        })
        .await
    }

    async fn save_canned_reply(
        &self,
        organization: OrganizationId,
        reply: &StoredCannedReply,
        create: bool,
        now: Timestamp,
    ) -> StoreResult<()> {
        let StoredCannedReply { reply, owner } = reply.clone();
        self.write(move |conn| {
            if create {
                conn.prepare_cached(
                    "INSERT INTO canned_replies
                     (id, organization_id, owner_id, shortcut, title, text, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                )?
                .execute(params![
                    reply.id,
                    organization,
                    owner,
                    reply.shortcut,
                    reply.title,
                    reply.text,
                    now
                ])?;
                return Ok(());
            }
            change_one(
                conn,
                "UPDATE canned_replies SET shortcut = ?3, title = ?4, text = ?5, updated_at = ?6
                 WHERE id = ?1 AND organization_id = ?2",
                params![
                    reply.id,
                    organization,
                    reply.shortcut,
                    reply.title,
                    reply.text,
                    now
                ],
            )
        })
        .await
    }

    async fn delete_canned_reply(
        &self,
        organization: OrganizationId,
        id: CannedReplyId,
    ) -> StoreResult<()> {
        self.write(move |conn| {
            change_one(
                conn,
                "DELETE FROM canned_replies WHERE id = ?1 AND organization_id = ?2",
                params![id, organization],
            )
        })
        .await
    }

    async fn labels(&self, organization: OrganizationId) -> StoreResult<Vec<Label>> {
        self.read(move |conn| {
            query_all(
                conn,
                &format!(
                    "SELECT {LABEL} FROM labels l WHERE l.organization_id = ?1 ORDER BY l.name_key"
                ),
                [organization],
                |row| desk_rows::label(row, 0),
            )
        })
        .await
    }

    async fn save_label(
        &self,
        organization: OrganizationId,
        label: &Label,
        create: bool,
        now: Timestamp,
    ) -> StoreResult<()> {
        let label = label.clone();
        self.write(move |conn| {
            let key = label.name.to_lowercase();
            if create {
                conn.prepare_cached(
                    "INSERT INTO labels (id, organization_id, name, name_key, color, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    label.id,
                    organization,
                    label.name,
                    key,
                    label.color,
                    now
                ])?;
                return Ok(());
            }
            change_one(
                conn,
                "UPDATE labels SET name = ?3, name_key = ?4, color = ?5
                 WHERE id = ?1 AND organization_id = ?2",
                params![label.id, organization, label.name, key, label.color],
            )
        })
        .await
    }

    async fn delete_label(
        &self,
        organization: OrganizationId,
        id: LabelId,
        now: Timestamp,
    ) -> StoreResult<()> {
        self.write_publishing(move |conn| {
            let carrying: Vec<ConversationId> = query_all(
                conn,
                "SELECT conversation_id FROM conversation_labels WHERE label_id = ?1",
                [id],
                |row| row.col(0),
            )?;
            change_one(
                conn,
                "DELETE FROM labels WHERE id = ?1 AND organization_id = ?2",
                params![id, organization],
            )?;
            conn.prepare_cached("DELETE FROM conversation_labels WHERE label_id = ?1")?
                .execute([id])?;
            let mut events = Vec::with_capacity(carrying.len());
            for conversation in carrying {
                events.push(labels_event(conn, organization, conversation, now)?.1);
            }
            Ok(((), events))
        })
        .await
    }

    async fn change_labels(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        change: &LabelChange,
        now: Timestamp,
    ) -> StoreResult<Vec<Label>> {
        let change = change.clone();
        let rules = self.rules.clone();
        self.write_publishing(move |conn| {
            state_in(conn, organization, conversation)?;
            let named = match &change {
                LabelChange::Set(ids) => ids.clone(),
                LabelChange::Edit { add, remove } => add.iter().chain(remove).copied().collect(),
            };
            for id in &named {
                let known: Option<i64> = query_first(
                    conn,
                    "SELECT 1 FROM labels WHERE id = ?1 AND organization_id = ?2",
                    params![id, organization],
                    |row| row.col(0),
                )?;
                if known.is_none() {
                    return Err(StoreError::NotFound);
                }
            }
            let current: Vec<LabelId> = labels_on(conn, conversation)?
                .into_iter()
                .map(|l| l.id)
                .collect();
            let next = rules.labels(&current, &change)?;
            let unchanged =
                next.len() == current.len() && next.iter().all(|id| current.contains(id));
            if unchanged {
                return Ok((labels_on(conn, conversation)?, Vec::new()));
            }
            conn.prepare_cached("DELETE FROM conversation_labels WHERE conversation_id = ?1")?
                .execute([conversation])?;
            for id in &next {
                conn.prepare_cached(
                    "INSERT INTO conversation_labels (conversation_id, label_id) VALUES (?1, ?2)",
                )?
                .execute(params![conversation, id])?;
            }
            let (labels, event) = labels_event(conn, organization, conversation, now)?;
            Ok((labels, vec![event]))
        })
        .await
    }

    async fn labels_of(
        &self,
        organization: OrganizationId,
        conversations: &[ConversationId],
    ) -> StoreResult<Vec<(ConversationId, Label)>> {
        let ids = serde_json::to_string(conversations).map_err(anyhow::Error::from)?;
        self.read(move |conn| {
            query_all(
                conn,
                &format!(
                    "SELECT cl.conversation_id, {LABEL} FROM conversation_labels cl
                     JOIN labels l ON l.id = cl.label_id
                     WHERE l.organization_id = ?1
                       AND cl.conversation_id IN (SELECT value FROM json_each(?2))
                     ORDER BY l.name_key"
                ),
                params![organization, ids],
                |row| Ok((row.col(0)?, desk_rows::label(row, 1)?)),
            )
        })
        .await
    }

    async fn mentions(
        &self,
        organization: OrganizationId,
        operator: OperatorId,
        limit: u32,
    ) -> StoreResult<Mentions> {
        self.read(move |conn| {
            let mentions = query_all(
                conn,
                &format!(
                    "SELECT {MENTION} FROM mentions n JOIN messages m ON m.id = n.message_id
                     WHERE n.organization_id = ?1 AND n.operator_id = ?2
                     ORDER BY n.created_at DESC, m.seq DESC LIMIT ?3"
                ),
                params![organization, operator, limit],
                |row| desk_rows::mention(row),
            )?;
            let unread: i64 = conn
                .prepare_cached(
                    "SELECT COUNT(*) FROM mentions
                     WHERE organization_id = ?1 AND operator_id = ?2 AND read_at IS NULL",
                )?
                .query_row(params![organization, operator], |row| row.get(0))?;
            Ok(Mentions {
                mentions,
                unread: unread.clamp(0, u32::MAX as i64) as u32,
            })
        })
        .await
    }

    async fn read_mentions(
        &self,
        organization: OrganizationId,
        operator: OperatorId,
        conversation: Option<ConversationId>,
        now: Timestamp,
    ) -> StoreResult<()> {
        self.write(move |conn| {
            conn.prepare_cached(
                "UPDATE mentions SET read_at = ?4
                 WHERE organization_id = ?1 AND operator_id = ?2 AND read_at IS NULL
                   AND (?3 IS NULL OR conversation_id = ?3)",
            )?
            .execute(params![organization, operator, conversation, now])?;
            Ok(())
        })
        .await
    }

    async fn search(
        &self,
        organization: OrganizationId,
        search: &Search,
    ) -> StoreResult<Vec<SearchRow>> {
        let search = search.clone();
        self.read(move |conn| super::search::search(conn, organization, &search))
            .await
    }

    async fn visitor_record(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
    ) -> StoreResult<Option<VisitorRecord>> {
        self.read(move |conn| super::search::visitor_record(conn, organization, conversation))
            .await
    }
}
