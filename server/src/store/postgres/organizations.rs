//! Organizations and billing on PostgreSQL.

use anyhow::Context;
use async_trait::async_trait;
use echo_protocol::{OrganizationId, Timestamp};

use super::{changed_one, PostgresStore};
use crate::store::rows::{self, ORGANIZATION};
use crate::store::{
    NewOrganization, Organization, OrganizationStore, StoreResult, SubscriptionStatus,
};

/// An organization and, when it has one, its first API key.
pub(super) async fn insert_organization(
    tx: &mut super::Tx,
    org: &NewOrganization,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO organizations (id, name, greet_message, created_at, identity_secret)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(org.id)
    .bind(&org.name)
    .bind(&org.greet_message)
    .bind(org.created_at)
    .bind(&org.identity_secret)
    .execute(&mut **tx)
    .await?;
    if let Some(key) = &org.first_key {
        super::team::insert_api_key(tx, key).await?;
    }
    Ok(())
}

#[async_trait]
impl OrganizationStore for PostgresStore {
    async fn create_organization(&self, org: NewOrganization) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        insert_organization(&mut tx, &org).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn organization(&self, id: OrganizationId) -> StoreResult<Option<Organization>> {
        let sql = format!("SELECT {ORGANIZATION} FROM organizations WHERE id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| rows::organization(&row))
            .transpose()
    }

    async fn set_subscription(
        &self,
        id: OrganizationId,
        status: SubscriptionStatus,
    ) -> StoreResult<()> {
        changed_one(
            sqlx::query("UPDATE organizations SET subscription_status = $1 WHERE id = $2")
                .bind(status.as_str())
                .bind(id)
                .execute(&self.pool)
                .await?,
        )
    }

    async fn set_widget_settings(
        &self,
        id: OrganizationId,
        greet_message: String,
        suggestions: Vec<String>,
    ) -> StoreResult<()> {
        let suggestions = serde_json::to_string(&suggestions).context("encoding suggestions")?;
        changed_one(
            sqlx::query(
                "UPDATE organizations SET greet_message = $1, suggestions = $2 WHERE id = $3",
            )
            .bind(greet_message)
            .bind(suggestions)
            .bind(id)
            .execute(&self.pool)
            .await?,
        )
    }

    async fn set_brand(
        &self,
        id: OrganizationId,
        accent_color: String,
        theme: echo_protocol::widget::WidgetTheme,
    ) -> StoreResult<()> {
        changed_one(
            sqlx::query("UPDATE organizations SET accent_color = $2, theme = $3 WHERE id = $1")
                .bind(id)
                .bind(accent_color)
                .bind(theme)
                .execute(&self.pool)
                .await?,
        )
    }

    async fn set_business_hours(
        &self,
        id: OrganizationId,
        hours: echo_protocol::hours::BusinessHours,
    ) -> StoreResult<()> {
        let hours = serde_json::to_string(&hours).context("encoding business hours")?;
        changed_one(
            sqlx::query("UPDATE organizations SET business_hours = $2 WHERE id = $1")
                .bind(id)
                .bind(hours)
                .execute(&self.pool)
                .await?,
        )
    }

    async fn set_allowed_origins(
        &self,
        id: OrganizationId,
        origins: Vec<String>,
    ) -> StoreResult<()> {
        let origins = serde_json::to_string(&origins).map_err(anyhow::Error::from)?;
        changed_one(
            sqlx::query("UPDATE organizations SET allowed_origins = $2 WHERE id = $1")
                .bind(id)
                .bind(origins)
                .execute(&self.pool)
                .await?,
        )
    }

    async fn identity_secret(&self, id: OrganizationId) -> StoreResult<Option<String>> {
        let secret: Option<Option<String>> =
            sqlx::query_scalar("SELECT identity_secret FROM organizations WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(secret.flatten())
    }

    async fn set_identity_secret(&self, id: OrganizationId, secret: String) -> StoreResult<()> {
        changed_one(
            sqlx::query("UPDATE organizations SET identity_secret = $2 WHERE id = $1")
                .bind(id)
                .bind(secret)
                .execute(&self.pool)
                .await?,
        )
    }

    async fn apply_billing_event(
        &self,
        event_id: String,
        organization: OrganizationId,
        status: SubscriptionStatus,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        // An unknown organization fails this insert's foreign key: NotFound.
        let inserted = sqlx::query(
            "INSERT INTO billing_events (id, organization_id, status, received_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
        )
        .bind(event_id)
        .bind(organization)
        .bind(status.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(false);
        }
        sqlx::query("UPDATE organizations SET subscription_status = $1 WHERE id = $2")
            .bind(status.as_str())
            .bind(organization)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}
