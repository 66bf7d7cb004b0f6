//! Contact sessions on PostgreSQL, and the refresh rule applied inside
//! writes.

use anyhow::Context;
use async_trait::async_trait;
use echo_protocol::Timestamp;

use super::{PostgresStore, Tx};
use crate::secrets::SecretHash;
use crate::session::Refresh;
use crate::store::rows::{self, CONTACT_SESSION};
use crate::store::{
    ContactSession, ContactSessionStore, NewContactSession, StoreError, StoreResult,
    VisitorActivity,
};

#[async_trait]
impl ContactSessionStore for PostgresStore {
    async fn create_contact_session(&self, session: NewContactSession) -> StoreResult<()> {
        let metadata = serde_json::to_string(&session.metadata).context("encoding metadata")?;
        sqlx::query(
            "INSERT INTO contact_sessions
             (id_hash, organization_id, name, email, metadata, created_at, expires_at, user_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(session.id_hash.as_str())
        .bind(session.organization_id)
        .bind(session.name)
        .bind(session.email)
        .bind(metadata)
        .bind(session.created_at)
        .bind(session.expires_at)
        .bind(session.user_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn contact_session(&self, id_hash: &SecretHash) -> StoreResult<Option<ContactSession>> {
        let sql = format!("SELECT {CONTACT_SESSION} FROM contact_sessions WHERE id_hash = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id_hash.as_str())
            .fetch_optional(&self.pool)
            .await?
            .map(|row| rows::contact_session(&row, id_hash.clone()))
            .transpose()
    }

    async fn end_contact_session(&self, id_hash: &SecretHash, now: Timestamp) -> StoreResult<()> {
        sqlx::query(
            "UPDATE contact_sessions SET expires_at = $2 WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash.as_str())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// Checks the session is live and applies the refresh rule; returns the
/// session's expiry after the activity.
pub(super) async fn touch_session(
    tx: &mut Tx,
    activity: &VisitorActivity,
) -> StoreResult<Timestamp> {
    let expires_at: Option<Timestamp> =
        sqlx::query_scalar("SELECT expires_at FROM contact_sessions WHERE id_hash = $1 FOR UPDATE")
            .bind(activity.session.as_str())
            .fetch_optional(&mut **tx)
            .await?;
    refresh_session(tx, activity, expires_at.ok_or(StoreError::SessionExpired)?).await
}

/// Applies the refresh rule to a session (locked by the caller) whose expiry
/// is `expires_at`; returns the expiry after the activity.
pub(super) async fn refresh_session(
    tx: &mut Tx,
    activity: &VisitorActivity,
    expires_at: Timestamp,
) -> StoreResult<Timestamp> {
    match activity.policy.refresh(expires_at, activity.now) {
        Err(_) => Err(StoreError::SessionExpired),
        Ok(Refresh::Unchanged) => Ok(expires_at),
        Ok(Refresh::ExtendTo(new_expiry)) => {
            sqlx::query("UPDATE contact_sessions SET expires_at = $1 WHERE id_hash = $2")
                .bind(new_expiry)
                .bind(activity.session.as_str())
                .execute(&mut **tx)
                .await?;
            Ok(new_expiry)
        }
    }
}
