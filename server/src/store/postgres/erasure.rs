//! Exports, erasures and retention on PostgreSQL: each deletion is one
//! transaction; retention takes its batch with `FOR UPDATE SKIP LOCKED`,
//! so replicas running it at once delete different conversations.

use async_trait::async_trait;
use echo_protocol::trust::{ContactErased, ExportedConversation, ExportedSession};
use echo_protocol::{OrganizationId, Timestamp};

use super::{PostgresStore, Tx};
use crate::store::erasure::{
    address_mail_sql, exported_conversation, exported_conversations_sql, exported_session,
    exported_sessions_sql, ContactMatch, Deleted, ErasureStore, CONVERSATION_PARTS,
    RETENTION_BATCH,
};
use crate::store::StoreResult;

/// Deletes the conversations (IDs) with everything of theirs (their search
/// vectors are columns of the deleted rows).
async fn delete_conversations(tx: &mut Tx, ids: &[String]) -> StoreResult<Deleted> {
    let mut deleted = Deleted::default();
    if ids.is_empty() {
        return Ok(deleted);
    }
    // Events still waiting for their position go first: a placing that
    // holds one moves it to `events` when it commits, and the deletion
    // from `events` below then starts after that and takes it too (a
    // placing skips the ones locked here). Found through the queue's index
    // by each conversation's organization: a scan of the queue would read
    // every row deleted since its last vacuum, for each retention batch.
    sqlx::query(
        "DELETE FROM events_pending p USING conversations c
         WHERE c.id = ANY($1) AND p.organization_id = c.organization_id
           AND p.conversation_id = c.id",
    )
    .bind(ids)
    .execute(&mut **tx)
    .await?;
    for (table, column) in CONVERSATION_PARTS {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE {column} = ANY($1)"
        )))
        .bind(ids)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        deleted.count(table, rows);
    }
    deleted.conversations = sqlx::query("DELETE FROM conversations WHERE id = ANY($1)")
        .bind(ids)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    Ok(deleted)
}

#[async_trait]
impl ErasureStore for PostgresStore {
    async fn contact_records(
        &self,
        organization: OrganizationId,
        who: ContactMatch,
    ) -> StoreResult<(Vec<ExportedSession>, Vec<ExportedConversation>)> {
        let sessions = sqlx::query(sqlx::AssertSqlSafe(exported_sessions_sql('$')))
            .bind(organization)
            .bind(&who.email)
            .bind(&who.user_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(exported_session)
            .collect::<StoreResult<Vec<_>>>()?;
        let conversations = sqlx::query(sqlx::AssertSqlSafe(exported_conversations_sql('$')))
            .bind(organization)
            .bind(&who.email)
            .bind(&who.user_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(exported_conversation)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((sessions, conversations))
    }

    async fn erase_contact(
        &self,
        organization: OrganizationId,
        who: ContactMatch,
    ) -> StoreResult<(ContactErased, Vec<String>)> {
        let mut tx = self.begin().await?;
        let ids: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "{} FOR UPDATE",
            ContactMatch::conversations_sql('$')
        )))
        .bind(organization)
        .bind(&who.email)
        .bind(&who.user_id)
        .fetch_all(&mut *tx)
        .await?;
        let sessions: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT id_hash, lower(email) FROM contact_sessions WHERE id_hash IN ({})",
            ContactMatch::sessions_sql('$')
        )))
        .bind(organization)
        .bind(&who.email)
        .bind(&who.user_id)
        .fetch_all(&mut *tx)
        .await?;
        let deleted = delete_conversations(&mut tx, &ids).await?;
        let addresses = who.addresses(sessions.iter().map(|(_, e)| e.clone()));
        let mut mails = deleted.mails;
        for address in &addresses {
            for sql in address_mail_sql('$') {
                mails += sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(organization)
                    .bind(address)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
        }
        let hashes: Vec<String> = sessions.into_iter().map(|(hash, _)| hash).collect();
        sqlx::query("DELETE FROM contact_sessions WHERE id_hash = ANY($1)")
            .bind(&hashes)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let erased = ContactErased {
            sessions: hashes.len() as u64,
            conversations: deleted.conversations,
            messages: deleted.messages,
            attachments: deleted.attachments,
            mails,
        };
        Ok((erased, hashes))
    }

    async fn apply_retention(&self, now: Timestamp) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let due: Vec<(String, String)> = sqlx::query_as(
            "SELECT c.id, c.contact_session_hash FROM conversations c
             JOIN organizations o ON o.id = c.organization_id
             WHERE o.retention_days IS NOT NULL AND c.status = 'resolved'
               AND c.last_activity_at < $1 - o.retention_days::bigint * 86400000
             LIMIT $2 FOR UPDATE OF c SKIP LOCKED",
        )
        .bind(now)
        .bind(i64::from(RETENTION_BATCH))
        .fetch_all(&mut *tx)
        .await?;
        let ids: Vec<String> = due.iter().map(|(id, _)| id.clone()).collect();
        let sessions: Vec<String> = due.into_iter().map(|(_, session)| session).collect();
        // Two batches (two replicas) can hold one session's conversations
        // between them: each would see the other's still there and keep the
        // session. Its row locked first, the second batch waits for the
        // first to commit and then sees what is left.
        sqlx::query(
            "SELECT 1 FROM contact_sessions WHERE id_hash = ANY($1) ORDER BY id_hash FOR UPDATE",
        )
        .bind(&sessions)
        .execute(&mut *tx)
        .await?;
        let deleted = delete_conversations(&mut tx, &ids).await?;
        sqlx::query(
            "DELETE FROM contact_sessions s WHERE s.id_hash = ANY($1) AND s.expires_at < $2
             AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.contact_session_hash = s.id_hash)",
        )
        .bind(&sessions)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(deleted.conversations)
    }
}
