//! The operator desk on PostgreSQL: saved replies, labels and mentions.
//! Search and the visitor's record are in `search.rs`.

use async_trait::async_trait;
use echo_protocol::desk::{CannedReply, Label, LabelId, Mentions};
use echo_protocol::events::Change;
use echo_protocol::{CannedReplyId, ConversationId, OperatorId, OrganizationId, Timestamp};
use sqlx::AssertSqlSafe;

use super::effects::state_in;
use super::events::record_event;
use super::{changed_one, PostgresStore, Tx};
use crate::store::desk::{DeskStore, Search, SearchRow, StoredCannedReply, VisitorRecord};
use crate::store::desk_rows::{self, CANNED_REPLY, LABEL, MENTION};
use crate::store::effects::LabelChange;
use crate::store::rows::Row;
use crate::store::{StoreError, StoreResult};

/// A conversation's labels, by name.
async fn labels_on(tx: &mut Tx, conversation: ConversationId) -> StoreResult<Vec<Label>> {
    let sql = format!(
        "SELECT {LABEL} FROM conversation_labels cl JOIN labels l ON l.id = cl.label_id
         WHERE cl.conversation_id = $1 ORDER BY l.name_key"
    );
    sqlx::query(AssertSqlSafe(sql))
        .bind(conversation)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|row| desk_rows::label(row, 0))
        .collect()
}

/// Records the `labels` event of a conversation whose labels changed.
async fn labels_event(
    tx: &mut Tx,
    organization: OrganizationId,
    conversation: ConversationId,
    now: Timestamp,
) -> StoreResult<Vec<Label>> {
    let labels = labels_on(tx, conversation).await?;
    let change = Change::Labels {
        labels: labels.clone(),
    };
    record_event(tx, organization, conversation, &change, now).await?;
    Ok(labels)
}

#[async_trait]
impl DeskStore for PostgresStore {
    async fn canned_replies(
        &self,
        organization: OrganizationId,
        owner: Option<OperatorId>,
    ) -> StoreResult<Vec<CannedReply>> {
        let sql = format!(
            "SELECT {CANNED_REPLY} FROM canned_replies
             WHERE organization_id = $1 AND (owner_id IS NULL OR owner_id = $2)
             ORDER BY shortcut, owner_id IS NOT NULL"
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(organization)
            .bind(owner)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| Ok(desk_rows::canned_reply(row)?.reply))
            .collect()
    }

    async fn canned_reply(
        &self,
        organization: OrganizationId,
        id: CannedReplyId,
    ) -> StoreResult<Option<StoredCannedReply>> {
        let sql = format!(
            "SELECT {CANNED_REPLY} FROM canned_replies WHERE id = $1 AND organization_id = $2"
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .bind(organization)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| desk_rows::canned_reply(&row))
            .transpose()
    }

    async fn save_canned_reply(
        &self,
        organization: OrganizationId,
        reply: &StoredCannedReply,
        create: bool,
        now: Timestamp,
    ) -> StoreResult<()> {
        let StoredCannedReply { reply, owner } = reply;
        if create {
            sqlx::query(
                "INSERT INTO canned_replies
                 (id, organization_id, owner_id, shortcut, title, text, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
            )
            .bind(reply.id)
            .bind(organization)
            .bind(owner)
            .bind(&reply.shortcut)
            .bind(&reply.title)
            .bind(&reply.text)
            .bind(now)
            .execute(&self.pool)
            .await?;
            return Ok(());
        }
        changed_one(
            sqlx::query(
                "UPDATE canned_replies SET shortcut = $3, title = $4, text = $5, updated_at = $6
                 WHERE id = $1 AND organization_id = $2",
            )
            .bind(reply.id)
            .bind(organization)
            .bind(&reply.shortcut)
            .bind(&reply.title)
            .bind(&reply.text)
            .bind(now)
            .execute(&self.pool)
            .await?,
        )
    }

    async fn delete_canned_reply(
        &self,
        organization: OrganizationId,
        id: CannedReplyId,
    ) -> StoreResult<()> {
        changed_one(
            sqlx::query("DELETE FROM canned_replies WHERE id = $1 AND organization_id = $2")
                .bind(id)
                .bind(organization)
                .execute(&self.pool)
                .await?,
        )
    }

    async fn labels(&self, organization: OrganizationId) -> StoreResult<Vec<Label>> {
        let sql = format!(
            "SELECT {LABEL} FROM labels l WHERE l.organization_id = $1 ORDER BY l.name_key"
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(organization)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| desk_rows::label(row, 0))
            .collect()
    }

    async fn save_label(
        &self,
        organization: OrganizationId,
        label: &Label,
        create: bool,
        now: Timestamp,
    ) -> StoreResult<()> {
        let key = label.name.to_lowercase();
        if create {
            sqlx::query(
                "INSERT INTO labels (id, organization_id, name, name_key, color, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(label.id)
            .bind(organization)
            .bind(&label.name)
            .bind(key)
            .bind(&label.color)
            .bind(now)
            .execute(&self.pool)
            .await?;
            return Ok(());
        }
        changed_one(
            sqlx::query(
                "UPDATE labels SET name = $3, name_key = $4, color = $5
                 WHERE id = $1 AND organization_id = $2",
            )
            .bind(label.id)
            .bind(organization)
            .bind(&label.name)
            .bind(key)
            .bind(&label.color)
            .execute(&self.pool)
            .await?,
        )
    }

    async fn delete_label(
        &self,
        organization: OrganizationId,
        id: LabelId,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let carrying: Vec<ConversationId> = sqlx::query_scalar(
            "SELECT conversation_id FROM conversation_labels WHERE label_id = $1
             ORDER BY conversation_id",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM conversation_labels WHERE label_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        changed_one(
            sqlx::query("DELETE FROM labels WHERE id = $1 AND organization_id = $2")
                .bind(id)
                .bind(organization)
                .execute(&mut *tx)
                .await?,
        )?;
        for conversation in carrying {
            labels_event(&mut tx, organization, conversation, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn change_labels(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        change: &LabelChange,
        now: Timestamp,
    ) -> StoreResult<Vec<Label>> {
        let mut tx = self.begin().await?;
        state_in(&mut tx, organization, conversation).await?;
        let named: Vec<String> = match change {
            LabelChange::Set(ids) => ids.iter().map(ToString::to_string).collect(),
            LabelChange::Edit { add, remove } => {
                add.iter().chain(remove).map(ToString::to_string).collect()
            }
        };
        let known: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM labels WHERE organization_id = $1 AND id = ANY($2::text[])",
        )
        .bind(organization)
        .bind(&named)
        .fetch_one(&mut *tx)
        .await?;
        let mut distinct = named.clone();
        distinct.sort();
        distinct.dedup();
        if known != distinct.len() as i64 {
            return Err(StoreError::NotFound);
        }
        let current: Vec<LabelId> = labels_on(&mut tx, conversation)
            .await?
            .into_iter()
            .map(|l| l.id)
            .collect();
        let next = self.rules.labels(&current, change)?;
        if next.len() == current.len() && next.iter().all(|id| current.contains(id)) {
            return labels_on(&mut tx, conversation).await;
        }
        sqlx::query("DELETE FROM conversation_labels WHERE conversation_id = $1")
            .bind(conversation)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO conversation_labels (conversation_id, label_id)
             SELECT $1, l FROM UNNEST($2::text[]) AS l",
        )
        .bind(conversation)
        .bind(next.iter().map(ToString::to_string).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        let labels = labels_event(&mut tx, organization, conversation, now).await?;
        tx.commit().await?;
        Ok(labels)
    }

    async fn labels_of(
        &self,
        organization: OrganizationId,
        conversations: &[ConversationId],
    ) -> StoreResult<Vec<(ConversationId, Label)>> {
        let sql = format!(
            "SELECT cl.conversation_id, {LABEL} FROM conversation_labels cl
             JOIN labels l ON l.id = cl.label_id
             WHERE l.organization_id = $1 AND cl.conversation_id = ANY($2::text[])
             ORDER BY l.name_key"
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(organization)
            .bind(
                conversations
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>(),
            )
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| Ok((row.col(0)?, desk_rows::label(row, 1)?)))
            .collect()
    }

    async fn mentions(
        &self,
        organization: OrganizationId,
        operator: OperatorId,
        limit: u32,
    ) -> StoreResult<Mentions> {
        let sql = format!(
            "SELECT {MENTION} FROM mentions n JOIN messages m ON m.id = n.message_id
             WHERE n.organization_id = $1 AND n.operator_id = $2
             ORDER BY n.created_at DESC, m.seq DESC LIMIT $3"
        );
        let mentions = sqlx::query(AssertSqlSafe(sql))
            .bind(organization)
            .bind(operator)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(desk_rows::mention)
            .collect::<StoreResult<Vec<_>>>()?;
        let unread: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM mentions
             WHERE organization_id = $1 AND operator_id = $2 AND read_at IS NULL",
        )
        .bind(organization)
        .bind(operator)
        .fetch_one(&self.pool)
        .await?;
        Ok(Mentions {
            mentions,
            unread: unread.clamp(0, u32::MAX as i64) as u32,
        })
    }

    async fn read_mentions(
        &self,
        organization: OrganizationId,
        operator: OperatorId,
        conversation: Option<ConversationId>,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE mentions SET read_at = $4
             WHERE organization_id = $1 AND operator_id = $2 AND read_at IS NULL
               AND ($3::text IS NULL OR conversation_id = $3)",
        )
        .bind(organization)
        .bind(operator)
        .bind(conversation)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn search(
        &self,
        organization: OrganizationId,
        search: &Search,
    ) -> StoreResult<Vec<SearchRow>> {
        super::search::search(&self.pool, organization, search).await
    }

    async fn visitor_record(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
    ) -> StoreResult<Option<VisitorRecord>> {
        super::search::visitor_record(&self.pool, organization, conversation).await
    }
}
