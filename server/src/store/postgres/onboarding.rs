//! Organizations made from the console, email checks and the widget's
//! host sites on PostgreSQL.

use async_trait::async_trait;
use echo_protocol::onboarding::SeenOrigin;
use echo_protocol::team::OperatorRole;
use echo_protocol::{OperatorId, OrganizationId, Timestamp};

use super::{PostgresStore, Tx};
use crate::secrets::SecretHash;
use crate::store::mail::NewMail;
use crate::store::onboarding::{
    NewVerification, OnboardingStore, OwnedOrganization, MAX_SEEN_ORIGINS,
};
use crate::store::rows::Row;
use crate::store::{Joiner, StoreError, StoreResult};

async fn insert_verification(tx: &mut Tx, check: &NewVerification) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO email_verifications (token_hash, operator_id, email, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(check.token_hash.as_str())
    .bind(check.operator)
    .bind(&check.email)
    .bind(check.created_at)
    .bind(check.expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait]
impl OnboardingStore for PostgresStore {
    async fn create_owned_organization(&self, new: OwnedOrganization) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        if new.only_if_empty {
            // Two first admins at once: the second waits here, then sees
            // the first's account.
            sqlx::query("LOCK TABLE operators IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await?;
            let any: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM operators)")
                .fetch_one(&mut *tx)
                .await?;
            if any {
                return Err(StoreError::Conflict("the server has an account already"));
            }
        }
        let now = new.organization.created_at;
        super::organizations::insert_organization(&mut tx, &new.organization).await?;
        let admin = match &new.admin {
            Joiner::Existing(id) => *id,
            Joiner::New(account) => {
                super::team::insert_operator(&mut tx, account, now).await?;
                account.id
            }
        };
        super::team::insert_membership(
            &mut tx,
            new.organization.id,
            admin,
            OperatorRole::Admin,
            now,
        )
        .await?;
        if let Some((check, mail)) = &new.verification {
            insert_verification(&mut tx, check).await?;
            super::outbox::insert_mail(&mut tx, mail).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn has_operators(&self) -> StoreResult<bool> {
        Ok(
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM operators)")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn queue_account_mail(
        &self,
        verification: Option<NewVerification>,
        mail: NewMail,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        if let Some(check) = &verification {
            insert_verification(&mut tx, check).await?;
        }
        super::outbox::insert_mail(&mut tx, &mail).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn verifications_since(
        &self,
        operator: OperatorId,
        since: Timestamp,
    ) -> StoreResult<u64> {
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM email_verifications WHERE operator_id = $1 AND created_at >= $2",
        )
        .bind(operator)
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok(count as u64)
    }

    async fn verify_email(
        &self,
        token: &SecretHash,
        now: Timestamp,
    ) -> StoreResult<Option<OperatorId>> {
        let mut tx = self.begin().await?;
        let used: Option<(OperatorId, String)> = sqlx::query_as(
            "UPDATE email_verifications SET used_at = $2
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
             RETURNING operator_id, email",
        )
        .bind(token.as_str())
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((operator, email)) = used else {
            return Ok(None);
        };
        let changed = sqlx::query(
            "UPDATE operators SET email_verified_at = coalesce(email_verified_at, $3)
             WHERE id = $1 AND email = $2",
        )
        .bind(operator)
        .bind(&email)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok((changed == 1).then_some(operator))
    }

    async fn record_widget_origin(
        &self,
        organization: OrganizationId,
        origin: String,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO widget_origins (organization_id, origin, last_seen_at) VALUES ($1, $2, $3)
             ON CONFLICT (organization_id, origin) DO UPDATE SET last_seen_at = $3",
        )
        .bind(organization)
        .bind(&origin)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // A forged Referer can name any site: only the latest few stay.
        sqlx::query(
            "DELETE FROM widget_origins WHERE organization_id = $1 AND origin NOT IN
             (SELECT origin FROM widget_origins WHERE organization_id = $1
              ORDER BY last_seen_at DESC LIMIT $2)",
        )
        .bind(organization)
        .bind(MAX_SEEN_ORIGINS)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn widget_origins(&self, organization: OrganizationId) -> StoreResult<Vec<SeenOrigin>> {
        let rows = sqlx::query(
            "SELECT origin, last_seen_at FROM widget_origins WHERE organization_id = $1
             ORDER BY last_seen_at DESC, origin LIMIT $2",
        )
        .bind(organization)
        .bind(MAX_SEEN_ORIGINS)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SeenOrigin {
                    origin: row.col(0)?,
                    last_seen_at: row.col(1)?,
                })
            })
            .collect()
    }
}
