//! Second factors, security settings and the audit log on PostgreSQL.

use async_trait::async_trait;
use echo_protocol::trust::AuditEntry;
use echo_protocol::{OperatorId, OrganizationId, Timestamp};

use super::{changed_one, PostgresStore};
use crate::secrets::SecretHash;
use crate::store::rows::Row;
use crate::store::trust::{
    audit_detail, audit_entry, NewAuditEntry, TrustStore, TwoFactor, AUDIT_ENTRY,
};
use crate::store::{StoreError, StoreResult};

#[async_trait]
impl TrustStore for PostgresStore {
    async fn two_factor(&self, operator: OperatorId) -> StoreResult<Option<TwoFactor>> {
        sqlx::query("SELECT secret, enabled_at IS NOT NULL FROM two_factor WHERE operator_id = $1")
            .bind(operator)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| {
                Ok(TwoFactor {
                    secret: row.col(0)?,
                    enabled: row.col(1)?,
                })
            })
            .transpose()
    }

    async fn begin_two_factor(
        &self,
        operator: OperatorId,
        secret: String,
        now: Timestamp,
    ) -> StoreResult<()> {
        let changed = sqlx::query(
            "INSERT INTO two_factor (operator_id, secret, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (operator_id) DO UPDATE SET secret = $2, created_at = $3
             WHERE two_factor.enabled_at IS NULL",
        )
        .bind(operator)
        .bind(secret)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::Conflict("two-factor sign-in is already on"));
        }
        Ok(())
    }

    async fn enable_two_factor(
        &self,
        operator: OperatorId,
        step: i64,
        recovery_codes: Vec<SecretHash>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let changed = sqlx::query(
            "UPDATE two_factor SET enabled_at = $2, last_step = $3
             WHERE operator_id = $1 AND enabled_at IS NULL",
        )
        .bind(operator)
        .bind(now)
        .bind(step)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::Conflict("nothing to enable"));
        }
        sqlx::query("DELETE FROM recovery_codes WHERE operator_id = $1")
            .bind(operator)
            .execute(&mut *tx)
            .await?;
        let hashes: Vec<String> = recovery_codes
            .iter()
            .map(|h| h.as_str().to_owned())
            .collect();
        sqlx::query(
            "INSERT INTO recovery_codes (operator_id, code_hash)
             SELECT $1, code FROM UNNEST($2::text[]) AS code",
        )
        .bind(operator)
        .bind(hashes)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn disable_two_factor(&self, operator: OperatorId) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        for table in ["recovery_codes", "two_factor_challenges", "two_factor"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE operator_id = $1"
            )))
            .bind(operator)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn use_two_factor_step(&self, operator: OperatorId, step: i64) -> StoreResult<bool> {
        Ok(sqlx::query(
            "UPDATE two_factor SET last_step = $2
             WHERE operator_id = $1 AND enabled_at IS NOT NULL AND last_step < $2",
        )
        .bind(operator)
        .bind(step)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    async fn use_recovery_code(
        &self,
        operator: OperatorId,
        code: &SecretHash,
        now: Timestamp,
    ) -> StoreResult<bool> {
        Ok(sqlx::query(
            "UPDATE recovery_codes SET used_at = $3
             WHERE operator_id = $1 AND code_hash = $2 AND used_at IS NULL",
        )
        .bind(operator)
        .bind(code.as_str())
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    async fn create_challenge(
        &self,
        id_hash: &SecretHash,
        operator: OperatorId,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO two_factor_challenges (id_hash, operator_id, expires_at)
             VALUES ($1, $2, $3)",
        )
        .bind(id_hash.as_str())
        .bind(operator)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn challenge(
        &self,
        id_hash: &SecretHash,
        now: Timestamp,
    ) -> StoreResult<Option<OperatorId>> {
        Ok(sqlx::query_scalar(
            "SELECT operator_id FROM two_factor_challenges
             WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash.as_str())
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn end_challenge(&self, id_hash: &SecretHash, now: Timestamp) -> StoreResult<bool> {
        sqlx::query("DELETE FROM two_factor_challenges WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(
            sqlx::query("DELETE FROM two_factor_challenges WHERE id_hash = $1")
                .bind(id_hash.as_str())
                .execute(&self.pool)
                .await?
                .rows_affected()
                == 1,
        )
    }

    async fn set_security(
        &self,
        organization: OrganizationId,
        change: echo_protocol::trust::UpdateOrganization,
    ) -> StoreResult<()> {
        let retention_days = change.retention_days;
        changed_one(
            sqlx::query(
                "UPDATE organizations SET
                     require_two_factor = COALESCE($2, require_two_factor),
                     retention_days = CASE WHEN $3 THEN $4 ELSE retention_days END,
                     ratings_enabled = COALESCE($5, ratings_enabled)
                 WHERE id = $1",
            )
            .bind(organization)
            .bind(change.require_two_factor)
            .bind(retention_days.is_some())
            .bind(retention_days.flatten().map(|d| d as i32))
            .bind(change.ratings_enabled)
            .execute(&self.pool)
            .await?,
        )
    }

    async fn append_audit(&self, entry: NewAuditEntry) -> StoreResult<()> {
        let detail = audit_detail(&entry);
        sqlx::query(
            "INSERT INTO audit_log (organization_id, at, action, actor_kind, actor_id,
                 actor_name, address, target, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(entry.organization)
        .bind(entry.at)
        .bind(entry.action)
        .bind(entry.actor.kind)
        .bind(entry.actor.id)
        .bind(entry.actor.name)
        .bind(entry.address)
        .bind(entry.target)
        .bind(detail)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn audit_log(
        &self,
        organization: OrganizationId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<(i64, AuditEntry)>> {
        let sql = format!(
            "SELECT {AUDIT_ENTRY} FROM audit_log
             WHERE organization_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(organization)
            .bind(before.unwrap_or(i64::MAX))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(audit_entry)
            .collect()
    }

    async fn prune_audit(&self, before: Timestamp) -> StoreResult<u64> {
        Ok(sqlx::query("DELETE FROM audit_log WHERE at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
