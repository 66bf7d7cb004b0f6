//! Attachments on SQLite: the files as BLOBs, claimed by messages inside
//! the writer's transaction.

use async_trait::async_trait;
use echo_protocol::messages::Message;
use echo_protocol::{AttachmentId, ConversationId, MessageId, Timestamp};
use rusqlite::{params, Connection};

use super::{query_all, query_first, SqliteStore};
use crate::store::attachments::{self, AttachmentStore, NewAttachment, StoredFile, ATTACHMENT};
use crate::store::{StoreError, StoreResult};

/// Claims the attachments the message names (their IDs only) for it and
/// fills in what they are: each must be this conversation's, uploaded by
/// `uploader`, and not sent yet, or the whole write is `NotFound`.
pub(super) fn claim_attachments(
    conn: &Connection,
    conversation: ConversationId,
    uploader: &str,
    message: &mut Message,
) -> StoreResult<()> {
    for attachment in &mut message.attachments {
        let claimed = query_first(
            conn,
            &format!(
                "UPDATE attachments SET message_id = ?1
                 WHERE id = ?2 AND conversation_id = ?3 AND uploader = ?4 AND message_id IS NULL
                 RETURNING {ATTACHMENT}"
            ),
            params![message.id, attachment.attachment_id, conversation, uploader],
            |row| attachments::attachment(row, 0),
        )?;
        *attachment = claimed.ok_or(StoreError::NotFound)?;
    }
    Ok(())
}

/// Fills the attachments of messages read from the conversation.
pub(super) fn fill_attachments(
    conn: &Connection,
    conversation: ConversationId,
    messages: &mut [Message],
) -> StoreResult<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let sent = query_all(
        conn,
        &format!(
            "SELECT message_id, {ATTACHMENT} FROM attachments
             WHERE conversation_id = ?1 AND message_id IS NOT NULL ORDER BY created_at, id"
        ),
        [conversation],
        |row| {
            Ok((
                row.get::<_, MessageId>(0)?,
                attachments::attachment(row, 1)?,
            ))
        },
    )?;
    for (message_id, attachment) in sent {
        if let Some(message) = messages.iter_mut().find(|m| m.id == message_id) {
            message.attachments.push(attachment);
        }
    }
    Ok(())
}

#[async_trait]
impl AttachmentStore for SqliteStore {
    async fn add_attachment(&self, a: NewAttachment, unsent_cap: u64) -> StoreResult<()> {
        self.write(move |conn| {
            let unsent: i64 = conn
                .prepare_cached(
                    "SELECT COALESCE(SUM(size), 0) FROM attachments
                     WHERE organization_id = ?1 AND message_id IS NULL",
                )?
                .query_row([a.organization], |row| row.get(0))?;
            if unsent.max(0) as u64 + a.data.len() as u64 > unsent_cap {
                return Err(StoreError::QuotaExceeded);
            }
            let (preview_type, preview) =
                a.preview.map_or((None, None), |(t, p)| (Some(t), Some(p)));
            // The file goes in through incremental BLOB I/O: bound as a
            // parameter, SQLite would first take a copy of it all.
            conn.prepare_cached(
                "INSERT INTO attachments (id, organization_id, conversation_id, uploader, name,
                     content_type, size, data, preview_type, preview, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, zeroblob(?7), ?8, ?9, ?10)",
            )?
            .execute(params![
                a.id,
                a.organization,
                a.conversation,
                a.uploader,
                a.name,
                a.content_type,
                a.data.len() as i64,
                preview_type,
                preview,
                a.created_at
            ])?;
            let row = conn.last_insert_rowid();
            let mut blob = conn.blob_open(rusqlite::MAIN_DB, "attachments", "data", row, false)?;
            for (i, piece) in a.data.chunks(256 * 1024).enumerate() {
                blob.write_at(piece, i * 256 * 1024)?;
            }
            Ok(())
        })
        .await
    }

    async fn attachment_file(
        &self,
        id: AttachmentId,
        preview: bool,
    ) -> StoreResult<Option<StoredFile>> {
        self.read(move |conn| {
            let sql = if preview {
                "SELECT name, preview_type, preview FROM attachments
                 WHERE id = ?1 AND message_id IS NOT NULL AND preview IS NOT NULL"
            } else {
                "SELECT name, content_type, data FROM attachments
                 WHERE id = ?1 AND message_id IS NOT NULL"
            };
            query_first(conn, sql, [id], |row| {
                Ok(StoredFile {
                    name: row.get(0)?,
                    content_type: row.get(1)?,
                    data: row.get(2)?,
                })
            })
        })
        .await
    }

    async fn sweep_attachments(&self, before: Timestamp) -> StoreResult<u64> {
        self.write(move |conn| {
            Ok(conn
                .prepare_cached(
                    "DELETE FROM attachments WHERE message_id IS NULL AND created_at < ?1",
                )?
                .execute([before])? as u64)
        })
        .await
    }

    async fn server_key(&self, name: &str, candidate: String) -> StoreResult<String> {
        let name = name.to_owned();
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO server_keys (name, value) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            )?
            .execute(params![name, candidate])?;
            Ok(conn
                .prepare_cached("SELECT value FROM server_keys WHERE name = ?1")?
                .query_row([&name], |r| r.get(0))?)
        })
        .await
    }
}
