//! Second factors, security settings and the audit log on SQLite.

use async_trait::async_trait;
use echo_protocol::trust::AuditEntry;
use echo_protocol::{OperatorId, OrganizationId, Timestamp};
use rusqlite::{params, OptionalExtension};

use super::{change_one, query_all, query_first, SqliteStore};
use crate::secrets::SecretHash;
use crate::store::rows::Row;
use crate::store::trust::{
    audit_detail, audit_entry, NewAuditEntry, TrustStore, TwoFactor, AUDIT_ENTRY,
};
use crate::store::{StoreError, StoreResult};

#[async_trait]
impl TrustStore for SqliteStore {
    async fn two_factor(&self, operator: OperatorId) -> StoreResult<Option<TwoFactor>> {
        self.read(move |conn| {
            query_first(
                conn,
                "SELECT secret, enabled_at IS NOT NULL FROM two_factor WHERE operator_id = ?1",
                [operator],
                |row| {
                    Ok(TwoFactor {
                        secret: row.col(0)?,
                        enabled: row.col(1)?,
                    })
                },
            )
        })
        .await
    }

    async fn begin_two_factor(
        &self,
        operator: OperatorId,
        secret: String,
        now: Timestamp,
    ) -> StoreResult<()> {
        self.write(move |conn| {
            let changed = conn
                .prepare_cached(
                    "INSERT INTO two_factor (operator_id, secret, created_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (operator_id) DO UPDATE SET secret = ?2, created_at = ?3
                     WHERE two_factor.enabled_at IS NULL",
                )?
                .execute(params![operator, secret, now])?;
            if changed == 0 {
                return Err(StoreError::Conflict("two-factor sign-in is already on"));
            }
            Ok(())
        })
        .await
    }

    async fn enable_two_factor(
        &self,
        operator: OperatorId,
        step: i64,
        recovery_codes: Vec<SecretHash>,
        now: Timestamp,
    ) -> StoreResult<()> {
        self.write(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE two_factor SET enabled_at = ?2, last_step = ?3
                     WHERE operator_id = ?1 AND enabled_at IS NULL",
                )?
                .execute(params![operator, now, step])?;
            if changed == 0 {
                return Err(StoreError::Conflict("nothing to enable"));
            }
            conn.prepare_cached("DELETE FROM recovery_codes WHERE operator_id = ?1")?
                .execute([operator])?;
            let mut insert = conn.prepare_cached(
                "INSERT INTO recovery_codes (operator_id, code_hash) VALUES (?1, ?2)",
            )?;
            for code in &recovery_codes {
                insert.execute(params![operator, code.as_str()])?;
            }
            Ok(())
        })
        .await
    }

    async fn disable_two_factor(&self, operator: OperatorId) -> StoreResult<()> {
        self.write(move |conn| {
            conn.prepare_cached("DELETE FROM recovery_codes WHERE operator_id = ?1")?
                .execute([operator])?;
            conn.prepare_cached("DELETE FROM two_factor_challenges WHERE operator_id = ?1")?
                .execute([operator])?;
            conn.prepare_cached("DELETE FROM two_factor WHERE operator_id = ?1")?
                .execute([operator])?;
            Ok(())
        })
        .await
    }

    async fn use_two_factor_step(&self, operator: OperatorId, step: i64) -> StoreResult<bool> {
        self.write(move |conn| {
            Ok(conn
                .prepare_cached(
                    "UPDATE two_factor SET last_step = ?2
                     WHERE operator_id = ?1 AND enabled_at IS NOT NULL AND last_step < ?2",
                )?
                .execute(params![operator, step])?
                == 1)
        })
        .await
    }

    async fn use_recovery_code(
        &self,
        operator: OperatorId,
        code: &SecretHash,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let code = code.clone();
        self.write(move |conn| {
            Ok(conn
                .prepare_cached(
                    "UPDATE recovery_codes SET used_at = ?3
                     WHERE operator_id = ?1 AND code_hash = ?2 AND used_at IS NULL",
                )?
                .execute(params![operator, code.as_str(), now])?
                == 1)
        })
        .await
    }

    async fn create_challenge(
        &self,
        id_hash: &SecretHash,
        operator: OperatorId,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        let id_hash = id_hash.clone();
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO two_factor_challenges (id_hash, operator_id, expires_at)
                 VALUES (?1, ?2, ?3)",
            )?
            .execute(params![id_hash.as_str(), operator, expires_at])?;
            Ok(())
        })
        .await
    }

    async fn challenge(
        &self,
        id_hash: &SecretHash,
        now: Timestamp,
    ) -> StoreResult<Option<OperatorId>> {
        let id_hash = id_hash.clone();
        self.read(move |conn| {
            query_first(
                conn,
                "SELECT operator_id FROM two_factor_challenges
                 WHERE id_hash = ?1 AND expires_at > ?2",
                params![id_hash.as_str(), now],
                |row| row.col(0),
            )
        })
        .await
    }

    async fn end_challenge(&self, id_hash: &SecretHash, now: Timestamp) -> StoreResult<bool> {
        let id_hash = id_hash.clone();
        self.write(move |conn| {
            conn.prepare_cached("DELETE FROM two_factor_challenges WHERE expires_at <= ?1")?
                .execute([now])?;
            Ok(conn
                .prepare_cached("DELETE FROM two_factor_challenges WHERE id_hash = ?1")?
                .execute([id_hash.as_str()])?
                == 1)
        })
        .await
    }

    async fn set_security(
        &self,
        organization: OrganizationId,
        change: echo_protocol::trust::UpdateOrganization,
    ) -> StoreResult<()> {
        self.write(move |conn| {
            let echo_protocol::trust::UpdateOrganization {
                require_two_factor,
                retention_days,
                ratings_enabled,
            } = change;
            let exists: Option<i64> = conn
                .prepare_cached("SELECT 1 FROM organizations WHERE id = ?1")?
                .query_row([organization], |row| row.get(0))
                .optional()?;
            exists.ok_or(StoreError::NotFound)?;
            if let Some(require) = require_two_factor {
                change_one(
                    conn,
                    "UPDATE organizations SET require_two_factor = ?2 WHERE id = ?1",
                    params![organization, require],
                )?;
            }
            if let Some(days) = retention_days {
                change_one(
                    conn,
                    "UPDATE organizations SET retention_days = ?2 WHERE id = ?1",
                    params![organization, days],
                )?;
            }
            if let Some(on) = ratings_enabled {
                change_one(
                    conn,
                    "UPDATE organizations SET ratings_enabled = ?2 WHERE id = ?1",
                    params![organization, on],
                )?;
            }
            Ok(())
        })
        .await
    }

    async fn append_audit(&self, entry: NewAuditEntry) -> StoreResult<()> {
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO audit_log (organization_id, at, action, actor_kind, actor_id,
                     actor_name, address, target, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                entry.organization,
                entry.at,
                entry.action,
                entry.actor.kind,
                entry.actor.id,
                entry.actor.name,
                entry.address,
                entry.target,
                audit_detail(&entry)
            ])?;
            Ok(())
        })
        .await
    }

    async fn audit_log(
        &self,
        organization: OrganizationId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<(i64, AuditEntry)>> {
        self.read(move |conn| {
            query_all(
                conn,
                &format!(
                    "SELECT {AUDIT_ENTRY} FROM audit_log
                     WHERE organization_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3"
                ),
                params![organization, before.unwrap_or(i64::MAX), limit],
                |row| audit_entry(row),
            )
        })
        .await
    }

    async fn prune_audit(&self, before: Timestamp) -> StoreResult<u64> {
        self.write(move |conn| {
            Ok(conn
                .prepare_cached("DELETE FROM audit_log WHERE at < ?1")?
                .execute([before])? as u64)
        })
        .await
    }
}
