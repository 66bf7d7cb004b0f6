//! Knowledge-base files on SQLite.

use async_trait::async_trait;
use echo_protocol::knowledge::KnowledgeFile;
use echo_protocol::{FileId, OrganizationId};
use rusqlite::{params, Connection, OptionalExtension};

use super::{change_one, query_all, SqliteStore};
use crate::store::rows::{self, KNOWLEDGE_TEXT};
use crate::store::{KnowledgeStore, KnowledgeText, NewKnowledgeFile, StoreError, StoreResult};

fn knowledge_version(conn: &Connection, organization: OrganizationId) -> StoreResult<i64> {
    conn.prepare_cached("SELECT knowledge_version FROM organizations WHERE id = ?1")?
        .query_row([organization], |row| row.get(0))
        .optional()?
        .ok_or(StoreError::NotFound)
}

fn bump_knowledge_version(conn: &Connection, organization: OrganizationId) -> StoreResult<i64> {
    conn.prepare_cached(
        "UPDATE organizations SET knowledge_version = knowledge_version + 1
         WHERE id = ?1 RETURNING knowledge_version",
    )?
    .query_row([organization], |row| row.get(0))
    .optional()?
    .ok_or(StoreError::NotFound)
}

#[async_trait]
impl KnowledgeStore for SqliteStore {
    async fn add_knowledge_file(&self, file: NewKnowledgeFile) -> StoreResult<i64> {
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO knowledge_files
                 (id, organization_id, name, content_type, size_bytes, text, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                file.id,
                file.organization_id,
                file.name,
                file.content_type,
                file.size_bytes as i64,
                file.text,
                file.created_at
            ])?;
            bump_knowledge_version(conn, file.organization_id)
        })
        .await
    }

    async fn knowledge_files(
        &self,
        organization: OrganizationId,
    ) -> StoreResult<Vec<KnowledgeFile>> {
        self.read(move |conn| {
            query_all(
                conn,
                "SELECT id, name, content_type, size_bytes, length(text), created_at
                 FROM knowledge_files WHERE organization_id = ?1
                 ORDER BY created_at DESC, rowid DESC",
                [organization],
                |row| rows::knowledge_file(row),
            )
        })
        .await
    }

    async fn delete_knowledge_file(
        &self,
        organization: OrganizationId,
        id: FileId,
    ) -> StoreResult<i64> {
        self.write(move |conn| {
            change_one(
                conn,
                "DELETE FROM knowledge_files WHERE id = ?1 AND organization_id = ?2",
                params![id, organization],
            )?;
            bump_knowledge_version(conn, organization)
        })
        .await
    }

    async fn knowledge_version(&self, organization: OrganizationId) -> StoreResult<i64> {
        self.read(move |conn| knowledge_version(conn, organization))
            .await
    }

    async fn knowledge_texts(
        &self,
        organization: OrganizationId,
    ) -> StoreResult<(i64, Vec<KnowledgeText>)> {
        self.read(move |conn| {
            // One read transaction: the texts are exactly those of the version.
            conn.execute_batch("BEGIN")?;
            let result = knowledge_version(conn, organization).and_then(|version| {
                let texts = query_all(
                    conn,
                    &format!(
                        "SELECT {KNOWLEDGE_TEXT} FROM knowledge_files WHERE organization_id = ?1"
                    ),
                    [organization],
                    |row| rows::knowledge_text(row),
                )?;
                Ok((version, texts))
            });
            conn.execute_batch("COMMIT")?;
            result
        })
        .await
    }
}
