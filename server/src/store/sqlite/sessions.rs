//! Contact sessions on SQLite, and the refresh rule applied inside writes.

use anyhow::Context;
use async_trait::async_trait;
use echo_protocol::Timestamp;
use rusqlite::{params, Connection, OptionalExtension};

use super::{query_first, SqliteStore};
use crate::secrets::SecretHash;
use crate::session::Refresh;
use crate::store::rows::{self, CONTACT_SESSION};
use crate::store::{
    ContactSession, ContactSessionStore, NewContactSession, StoreError, StoreResult,
    VisitorActivity,
};

#[async_trait]
impl ContactSessionStore for SqliteStore {
    async fn create_contact_session(&self, session: NewContactSession) -> StoreResult<()> {
        let metadata = serde_json::to_string(&session.metadata).context("encoding metadata")?;
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO contact_sessions
                 (id_hash, organization_id, name, email, metadata, created_at, expires_at, user_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                session.id_hash.as_str(),
                session.organization_id,
                session.name,
                session.email,
                metadata,
                session.created_at,
                session.expires_at,
                session.user_id
            ])?;
            Ok(())
        })
        .await
    }

    async fn contact_session(&self, id_hash: &SecretHash) -> StoreResult<Option<ContactSession>> {
        let id_hash = id_hash.clone();
        self.read(move |conn| {
            query_first(
                conn,
                &format!("SELECT {CONTACT_SESSION} FROM contact_sessions WHERE id_hash = ?1"),
                [id_hash.as_str()],
                |row| rows::contact_session(row, id_hash.clone()),
            )
        })
        .await
    }

    async fn end_contact_session(&self, id_hash: &SecretHash, now: Timestamp) -> StoreResult<()> {
        let id_hash = id_hash.clone();
        self.write(move |conn| {
            conn.prepare_cached(
                "UPDATE contact_sessions SET expires_at = ?2 WHERE id_hash = ?1 AND expires_at > ?2",
            )?
            .execute(params![id_hash.as_str(), now])?;
            Ok(())
        })
        .await
    }
}

/// Checks the session is live and applies the refresh rule; returns the
/// session's expiry after the activity.
pub(super) fn touch_session(
    conn: &Connection,
    activity: &VisitorActivity,
) -> StoreResult<Timestamp> {
    let expires_at: Option<Timestamp> = conn
        .prepare_cached("SELECT expires_at FROM contact_sessions WHERE id_hash = ?1")?
        .query_row([activity.session.as_str()], |r| r.get(0))
        .optional()?;
    let expires_at = expires_at.ok_or(StoreError::SessionExpired)?;
    match activity.policy.refresh(expires_at, activity.now) {
        Err(_) => Err(StoreError::SessionExpired),
        Ok(Refresh::Unchanged) => Ok(expires_at),
        Ok(Refresh::ExtendTo(new_expiry)) => {
            conn.prepare_cached("UPDATE contact_sessions SET expires_at = ?1 WHERE id_hash = ?2")?
                .execute(params![new_expiry, activity.session.as_str()])?;
            Ok(new_expiry)
        }
    }
}
