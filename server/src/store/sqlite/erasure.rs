//! Exports, erasures and retention on SQLite: one write job each, so a
//! deletion is one transaction on the writer thread.

use anyhow::Context;
use async_trait::async_trait;
use echo_protocol::trust::{ContactErased, ExportedConversation, ExportedSession};
use echo_protocol::{OrganizationId, Timestamp};
use rusqlite::{params, Connection};

use super::{query_all, SqliteStore};
use crate::store::erasure::{
    address_mail_sql, exported_conversation, exported_conversations_sql, exported_session,
    exported_sessions_sql, ContactMatch, Deleted, ErasureStore, CONVERSATION_PARTS,
    RETENTION_BATCH,
};
use crate::store::rows::Row;
use crate::store::StoreResult;

const IN_LIST: &str = "IN (SELECT value FROM json_each(?1))";

/// Deletes the conversations (IDs) with everything of theirs, their search
/// entries included.
fn delete_conversations(conn: &Connection, ids: &[String]) -> StoreResult<Deleted> {
    let mut deleted = Deleted::default();
    if ids.is_empty() {
        return Ok(deleted);
    }
    let list = serde_json::to_string(ids).context("IDs serialize")?;
    // Rowids: messages' seqs, and minus each conversation's seq (its
    // visitor's name and email); a contentless index deletes by rowid.
    let rowids: Vec<i64> = query_all(
        conn,
        &format!(
            "SELECT seq FROM messages WHERE conversation_id {IN_LIST}
             UNION ALL SELECT -seq FROM conversations WHERE id {IN_LIST}"
        ),
        [&list],
        |row| row.col(0),
    )?;
    let mut unindex = conn.prepare_cached("DELETE FROM search_index WHERE rowid = ?1")?;
    for rowid in rowids {
        unindex.execute([rowid])?;
    }
    for (table, column) in CONVERSATION_PARTS {
        let rows = conn.execute(
            &format!("DELETE FROM {table} WHERE {column} {IN_LIST}"),
            [&list],
        )?;
        deleted.count(table, rows as u64);
    }
    deleted.conversations = conn.execute(
        &format!("DELETE FROM conversations WHERE id {IN_LIST}"),
        [&list],
    )? as u64;
    Ok(deleted)
}

#[async_trait]
impl ErasureStore for SqliteStore {
    async fn contact_records(
        &self,
        organization: OrganizationId,
        who: ContactMatch,
    ) -> StoreResult<(Vec<ExportedSession>, Vec<ExportedConversation>)> {
        self.read(move |conn| {
            let key = params![organization, who.email, who.user_id];
            let sessions = query_all(conn, &exported_sessions_sql('?'), key, |row| {
                exported_session(row)
            })?;
            let conversations = query_all(conn, &exported_conversations_sql('?'), key, |row| {
                exported_conversation(row)
            })?;
            Ok((sessions, conversations))
        })
        .await
    }

    async fn erase_contact(
        &self,
        organization: OrganizationId,
        who: ContactMatch,
    ) -> StoreResult<(ContactErased, Vec<String>)> {
        self.write(move |conn| {
            let key = params![organization, who.email, who.user_id];
            let ids: Vec<String> =
                query_all(conn, &ContactMatch::conversations_sql('?'), key, |row| {
                    row.col(0)
                })?;
            let sessions: Vec<(String, String)> = query_all(
                conn,
                &format!(
                    "SELECT id_hash, lower(email) FROM contact_sessions WHERE id_hash IN ({})",
                    ContactMatch::sessions_sql('?')
                ),
                key,
                |row| Ok((row.col(0)?, row.col(1)?)),
            )?;
            let deleted = delete_conversations(conn, &ids)?;
            let addresses = who.addresses(sessions.iter().map(|(_, e)| e.clone()));
            let mut mails = deleted.mails;
            for address in &addresses {
                for sql in address_mail_sql('?') {
                    mails += conn.execute(&sql, params![organization, address])? as u64;
                }
            }
            let mut forget =
                conn.prepare_cached("DELETE FROM contact_sessions WHERE id_hash = ?1")?;
            for (hash, _) in &sessions {
                forget.execute([hash])?;
            }
            let erased = ContactErased {
                sessions: sessions.len() as u64,
                conversations: deleted.conversations,
                messages: deleted.messages,
                attachments: deleted.attachments,
                mails,
            };
            Ok((erased, sessions.into_iter().map(|(hash, _)| hash).collect()))
        })
        .await
    }

    async fn apply_retention(&self, now: Timestamp) -> StoreResult<u64> {
        self.write(move |conn| {
            let organizations: Vec<(OrganizationId, i64)> = query_all(
                conn,
                "SELECT id, retention_days FROM organizations WHERE retention_days IS NOT NULL",
                [],
                |row| Ok((row.col(0)?, row.col(1)?)),
            )?;
            let mut due: Vec<(String, String)> = Vec::new();
            for (organization, days) in organizations {
                let room = RETENTION_BATCH as usize - due.len();
                if room == 0 {
                    break;
                }
                let before = now.millis() - days * 86_400_000;
                due.extend(query_all(
                    conn,
                    "SELECT id, contact_session_hash FROM conversations
                     WHERE organization_id = ?1 AND status = 'resolved' AND last_activity_at < ?2
                     ORDER BY last_activity_at LIMIT ?3",
                    params![organization, before, room as i64],
                    |row| Ok((row.col(0)?, row.col(1)?)),
                )?);
            }
            let ids: Vec<String> = due.iter().map(|(id, _)| id.clone()).collect();
            let deleted = delete_conversations(conn, &ids)?;
            let mut forget = conn.prepare_cached(
                "DELETE FROM contact_sessions WHERE id_hash = ?1 AND expires_at < ?2
                 AND NOT EXISTS (SELECT 1 FROM conversations WHERE contact_session_hash = ?1)",
            )?;
            for (_, session) in &due {
                forget.execute(params![session, now])?;
            }
            Ok(deleted.conversations)
        })
        .await
    }
}
