//! Knowledge-base files on PostgreSQL.

use async_trait::async_trait;
use echo_protocol::knowledge::KnowledgeFile;
use echo_protocol::{FileId, OrganizationId};

use super::{changed_one, PostgresStore, Tx};
use crate::store::rows::{self, KNOWLEDGE_TEXT};
use crate::store::{KnowledgeStore, KnowledgeText, NewKnowledgeFile, StoreError, StoreResult};

async fn bump_knowledge_version(tx: &mut Tx, organization: OrganizationId) -> StoreResult<i64> {
    sqlx::query_scalar(
        "UPDATE organizations SET knowledge_version = knowledge_version + 1
         WHERE id = $1 RETURNING knowledge_version",
    )
    .bind(organization)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)
}

const VERSION: &str = "SELECT knowledge_version FROM organizations WHERE id = $1";

#[async_trait]
impl KnowledgeStore for PostgresStore {
    async fn add_knowledge_file(&self, file: NewKnowledgeFile) -> StoreResult<i64> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO knowledge_files
             (id, organization_id, name, content_type, size_bytes, text, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(file.id)
        .bind(file.organization_id)
        .bind(file.name)
        .bind(file.content_type)
        .bind(file.size_bytes as i64)
        .bind(file.text)
        .bind(file.created_at)
        .execute(&mut *tx)
        .await?;
        let version = bump_knowledge_version(&mut tx, file.organization_id).await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn knowledge_files(
        &self,
        organization: OrganizationId,
    ) -> StoreResult<Vec<KnowledgeFile>> {
        sqlx::query(
            "SELECT id, name, content_type, size_bytes, char_length(text)::BIGINT, created_at
             FROM knowledge_files WHERE organization_id = $1
             ORDER BY created_at DESC, seq DESC",
        )
        .bind(organization)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(rows::knowledge_file)
        .collect()
    }

    async fn delete_knowledge_file(
        &self,
        organization: OrganizationId,
        id: FileId,
    ) -> StoreResult<i64> {
        let mut tx = self.begin().await?;
        changed_one(
            sqlx::query("DELETE FROM knowledge_files WHERE id = $1 AND organization_id = $2")
                .bind(id)
                .bind(organization)
                .execute(&mut *tx)
                .await?,
        )?;
        let version = bump_knowledge_version(&mut tx, organization).await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn knowledge_version(&self, organization: OrganizationId) -> StoreResult<i64> {
        sqlx::query_scalar(VERSION)
            .bind(organization)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn knowledge_texts(
        &self,
        organization: OrganizationId,
    ) -> StoreResult<(i64, Vec<KnowledgeText>)> {
        // One snapshot: the texts are exactly those of the version.
        let mut tx = self.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *tx)
            .await?;
        let version: i64 = sqlx::query_scalar(VERSION)
            .bind(organization)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let sql =
            format!("SELECT {KNOWLEDGE_TEXT} FROM knowledge_files WHERE organization_id = $1");
        let texts = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(organization)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(rows::knowledge_text)
            .collect::<StoreResult<Vec<_>>>()?;
        tx.commit().await?;
        Ok((version, texts))
    }
}
