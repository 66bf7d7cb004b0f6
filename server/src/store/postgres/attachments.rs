//! Attachments on PostgreSQL: the files as `bytea`, claimed by messages in
//! their transaction.

use async_trait::async_trait;
use echo_protocol::messages::Message;
use echo_protocol::{AttachmentId, ConversationId, MessageId, Timestamp};
use sqlx::{AssertSqlSafe, PgExecutor};

use super::{PostgresStore, Tx};
use crate::store::attachments::{self, AttachmentStore, NewAttachment, StoredFile, ATTACHMENT};
use crate::store::rows::Row;
use crate::store::{StoreError, StoreResult};

/// As the SQLite `claim_attachments`, in the message's transaction.
pub(super) async fn claim_attachments(
    tx: &mut Tx,
    conversation: ConversationId,
    uploader: &str,
    message: &mut Message,
) -> StoreResult<()> {
    let sql = format!(
        "UPDATE attachments SET message_id = $1
         WHERE id = $2 AND conversation_id = $3 AND uploader = $4 AND message_id IS NULL
         RETURNING {ATTACHMENT}"
    );
    for attachment in &mut message.attachments {
        let row = sqlx::query(AssertSqlSafe(sql.clone()))
            .bind(message.id)
            .bind(attachment.attachment_id)
            .bind(conversation)
            .bind(uploader)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        *attachment = attachments::attachment(&row, 0)?;
    }
    Ok(())
}

/// Fills the attachments of messages read from the conversation.
pub(super) async fn fill_attachments(
    executor: impl PgExecutor<'_>,
    conversation: ConversationId,
    messages: &mut [Message],
) -> StoreResult<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "SELECT message_id, {ATTACHMENT} FROM attachments
         WHERE conversation_id = $1 AND message_id IS NOT NULL ORDER BY created_at, id"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(conversation)
        .fetch_all(executor)
        .await?;
    for row in rows {
        let message_id: MessageId = row.col(0)?;
        if let Some(message) = messages.iter_mut().find(|m| m.id == message_id) {
            message.attachments.push(attachments::attachment(&row, 1)?);
        }
    }
    Ok(())
}

#[async_trait]
impl AttachmentStore for PostgresStore {
    async fn add_attachment(&self, a: NewAttachment, unsent_cap: u64) -> StoreResult<()> {
        let (preview_type, preview) = a.preview.map_or((None, None), |(t, p)| (Some(t), Some(p)));
        // One statement: the sum and the insert see the same snapshot, so
        // uploads racing each other can pass the cap by at most one file
        // each.
        let inserted = sqlx::query(
            "INSERT INTO attachments (id, organization_id, conversation_id, uploader, name,
                 content_type, size, data, preview_type, preview, created_at)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11
             WHERE (SELECT COALESCE(SUM(size), 0) FROM attachments
                    WHERE organization_id = $2 AND message_id IS NULL) + $7 <= $12",
        )
        .bind(a.id)
        .bind(a.organization)
        .bind(a.conversation)
        .bind(&a.uploader)
        .bind(&a.name)
        .bind(&a.content_type)
        .bind(a.data.len() as i64)
        .bind(a.data)
        .bind(preview_type)
        .bind(preview)
        .bind(a.created_at)
        .bind(i64::try_from(unsent_cap).unwrap_or(i64::MAX))
        .execute(&self.pool)
        .await?;
        match inserted.rows_affected() {
            0 => Err(StoreError::QuotaExceeded),
            _ => Ok(()),
        }
    }

    async fn attachment_file(
        &self,
        id: AttachmentId,
        preview: bool,
    ) -> StoreResult<Option<StoredFile>> {
        let sql = if preview {
            "SELECT name, preview_type, preview FROM attachments
             WHERE id = $1 AND message_id IS NOT NULL AND preview IS NOT NULL"
        } else {
            "SELECT name, content_type, data FROM attachments
             WHERE id = $1 AND message_id IS NOT NULL"
        };
        let row: Option<(String, String, Vec<u8>)> = sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(name, content_type, data)| StoredFile {
            name,
            content_type,
            data,
        }))
    }

    async fn sweep_attachments(&self, before: Timestamp) -> StoreResult<u64> {
        Ok(
            sqlx::query("DELETE FROM attachments WHERE message_id IS NULL AND created_at < $1")
                .bind(before)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    async fn server_key(&self, name: &str, candidate: String) -> StoreResult<String> {
        sqlx::query("INSERT INTO server_keys (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(name)
            .bind(candidate)
            .execute(&self.pool)
            .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM server_keys WHERE name = $1")
                .bind(name)
                .fetch_one(&self.pool)
                .await?,
        )
    }
}
