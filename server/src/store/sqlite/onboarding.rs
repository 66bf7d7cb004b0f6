//! Organizations made from the console, email checks and the widget's
//! host sites on SQLite.

use async_trait::async_trait;
use echo_protocol::onboarding::SeenOrigin;
use echo_protocol::team::OperatorRole;
use echo_protocol::{OperatorId, OrganizationId, Timestamp};
use rusqlite::{params, Connection, OptionalExtension};

use super::{query_all, SqliteStore};
use crate::secrets::SecretHash;
use crate::store::mail::NewMail;
use crate::store::onboarding::{
    NewVerification, OnboardingStore, OwnedOrganization, MAX_SEEN_ORIGINS,
};
use crate::store::rows::Row;
use crate::store::{Joiner, StoreError, StoreResult};

fn insert_verification(conn: &Connection, check: &NewVerification) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO email_verifications (token_hash, operator_id, email, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        check.token_hash.as_str(),
        check.operator,
        check.email,
        check.created_at,
        check.expires_at
    ])?;
    Ok(())
}

#[async_trait]
impl OnboardingStore for SqliteStore {
    async fn create_owned_organization(&self, new: OwnedOrganization) -> StoreResult<()> {
        self.write(move |conn| {
            if new.only_if_empty {
                let any: bool = conn
                    .prepare_cached("SELECT EXISTS (SELECT 1 FROM operators)")?
                    .query_row([], |r| r.get(0))?;
                if any {
                    return Err(StoreError::Conflict("the server has an account already"));
                }
            }
            let now = new.organization.created_at;
            super::organizations::insert_organization(conn, &new.organization)?;
            let admin = match &new.admin {
                Joiner::Existing(id) => *id,
                Joiner::New(account) => {
                    super::team::insert_operator(conn, account, now)?;
                    account.id
                }
            };
            super::team::insert_membership(
                conn,
                new.organization.id,
                admin,
                OperatorRole::Admin,
                now,
            )?;
            if let Some((check, mail)) = &new.verification {
                insert_verification(conn, check)?;
                super::outbox::insert_mail(conn, mail)?;
            }
            Ok(())
        })
        .await
    }

    async fn has_operators(&self) -> StoreResult<bool> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM operators)")?
                .query_row([], |r| r.get(0))?)
        })
        .await
    }

    async fn queue_account_mail(
        &self,
        verification: Option<NewVerification>,
        mail: NewMail,
    ) -> StoreResult<()> {
        self.write(move |conn| {
            if let Some(check) = &verification {
                insert_verification(conn, check)?;
            }
            super::outbox::insert_mail(conn, &mail)
        })
        .await
    }

    async fn verifications_since(
        &self,
        operator: OperatorId,
        since: Timestamp,
    ) -> StoreResult<u64> {
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT count(*) FROM email_verifications
                     WHERE operator_id = ?1 AND created_at >= ?2",
                )?
                .query_row(params![operator, since], |r| r.get(0))?)
        })
        .await
    }

    async fn verify_email(
        &self,
        token: &SecretHash,
        now: Timestamp,
    ) -> StoreResult<Option<OperatorId>> {
        let token = token.clone();
        self.write(move |conn| {
            let used: Option<(OperatorId, String)> = conn
                .prepare_cached(
                    "UPDATE email_verifications SET used_at = ?2
                     WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2
                     RETURNING operator_id, email",
                )?
                .query_row(params![token.as_str(), now], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let Some((operator, email)) = used else {
                return Ok(None);
            };
            let changed = conn
                .prepare_cached(
                    "UPDATE operators SET email_verified_at = coalesce(email_verified_at, ?3)
                     WHERE id = ?1 AND email = ?2",
                )?
                .execute(params![operator, email, now])?;
            Ok((changed == 1).then_some(operator))
        })
        .await
    }

    async fn record_widget_origin(
        &self,
        organization: OrganizationId,
        origin: String,
        now: Timestamp,
    ) -> StoreResult<()> {
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO widget_origins (organization_id, origin, last_seen_at)
                 VALUES (?1, ?2, ?3)
                 ON CONFLICT (organization_id, origin) DO UPDATE SET last_seen_at = ?3",
            )?
            .execute(params![organization, origin, now])?;
            // A forged Referer can name any site: only the latest few stay.
            conn.prepare_cached(
                "DELETE FROM widget_origins WHERE organization_id = ?1 AND origin NOT IN
                 (SELECT origin FROM widget_origins WHERE organization_id = ?1
                  ORDER BY last_seen_at DESC LIMIT ?2)",
            )?
            .execute(params![organization, MAX_SEEN_ORIGINS])?;
            Ok(())
        })
        .await
    }

    async fn widget_origins(&self, organization: OrganizationId) -> StoreResult<Vec<SeenOrigin>> {
        self.read(move |conn| {
            query_all(
                conn,
                "SELECT origin, last_seen_at FROM widget_origins WHERE organization_id = ?1
                 ORDER BY last_seen_at DESC, origin LIMIT ?2",
                params![organization, MAX_SEEN_ORIGINS],
                |row| {
                    Ok(SeenOrigin {
                        origin: row.col(0)?,
                        last_seen_at: row.col(1)?,
                    })
                },
            )
        })
        .await
    }
}
