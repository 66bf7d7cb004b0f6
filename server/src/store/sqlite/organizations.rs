//! Organizations and billing on SQLite.

use anyhow::Context;
use async_trait::async_trait;
use echo_protocol::{OrganizationId, Timestamp};
use rusqlite::params;

use super::{change_one, query_first, SqliteStore};
use crate::store::rows::{self, Row, ORGANIZATION};
use crate::store::{
    NewOrganization, Organization, OrganizationStore, StoreResult, SubscriptionStatus,
};

/// An organization and, when it has one, its first API key.
pub(super) fn insert_organization(
    conn: &rusqlite::Connection,
    org: &NewOrganization,
) -> StoreResult<()> {
    // operator_key_hash is a legacy column (see migration 0006), still
    // unique: an organization without a first key gets a value no key hashes to.
    let legacy_key = match &org.first_key {
        Some(key) => key.key_hash.as_str().to_owned(),
        None => format!("none:{}", org.id),
    };
    conn.execute(
        "INSERT INTO organizations
         (id, name, operator_key_hash, greet_message, created_at, identity_secret)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            org.id,
            org.name,
            legacy_key,
            org.greet_message,
            org.created_at,
            org.identity_secret
        ],
    )?;
    match &org.first_key {
        Some(key) => super::team::insert_api_key(conn, key),
        None => Ok(()),
    }
}

#[async_trait]
impl OrganizationStore for SqliteStore {
    async fn create_organization(&self, org: NewOrganization) -> StoreResult<()> {
        self.write(move |conn| insert_organization(conn, &org))
            .await
    }

    async fn organization(&self, id: OrganizationId) -> StoreResult<Option<Organization>> {
        self.read(move |conn| {
            query_first(
                conn,
                &format!("SELECT {ORGANIZATION} FROM organizations WHERE id = ?1"),
                [id],
                |row| rows::organization(row),
            )
        })
        .await
    }

    async fn set_subscription(
        &self,
        id: OrganizationId,
        status: SubscriptionStatus,
    ) -> StoreResult<()> {
        self.write(move |conn| {
            change_one(
                conn,
                "UPDATE organizations SET subscription_status = ?1 WHERE id = ?2",
                params![status.as_str(), id],
            )
        })
        .await
    }

    async fn set_widget_settings(
        &self,
        id: OrganizationId,
        greet_message: String,
        suggestions: Vec<String>,
    ) -> StoreResult<()> {
        let suggestions = serde_json::to_string(&suggestions).context("encoding suggestions")?;
        self.write(move |conn| {
            change_one(
                conn,
                "UPDATE organizations SET greet_message = ?1, suggestions = ?2 WHERE id = ?3",
                params![greet_message, suggestions, id],
            )
        })
        .await
    }

    async fn set_brand(
        &self,
        id: OrganizationId,
        accent_color: String,
        theme: echo_protocol::widget::WidgetTheme,
    ) -> StoreResult<()> {
        self.write(move |conn| {
            change_one(
                conn,
                "UPDATE organizations SET accent_color = ?2, theme = ?3 WHERE id = ?1",
                params![id, accent_color, theme],
            )
        })
        .await
    }

    async fn set_business_hours(
        &self,
        id: OrganizationId,
        hours: echo_protocol::hours::BusinessHours,
    ) -> StoreResult<()> {
        let hours = serde_json::to_string(&hours).context("encoding business hours")?;
        self.write(move |conn| {
            change_one(
                conn,
                "UPDATE organizations SET business_hours = ?2 WHERE id = ?1",
                params![id, hours],
            )
        })
        .await
    }

    async fn set_allowed_origins(
        &self,
        id: OrganizationId,
        origins: Vec<String>,
    ) -> StoreResult<()> {
        let origins = serde_json::to_string(&origins).map_err(anyhow::Error::from)?;
        self.write(move |conn| {
            change_one(
                conn,
                "UPDATE organizations SET allowed_origins = ?2 WHERE id = ?1",
                params![id, origins],
            )
        })
        .await
    }

    async fn identity_secret(&self, id: OrganizationId) -> StoreResult<Option<String>> {
        let secret: Option<Option<String>> = self
            .read(move |conn| {
                query_first(
                    conn,
                    "SELECT identity_secret FROM organizations WHERE id = ?1",
                    [id],
                    |row| row.col(0),
                )
            })
            .await?;
        Ok(secret.flatten())
    }

    async fn set_identity_secret(&self, id: OrganizationId, secret: String) -> StoreResult<()> {
        self.write(move |conn| {
            change_one(
                conn,
                "UPDATE organizations SET identity_secret = ?2 WHERE id = ?1",
                params![id, secret],
            )
        })
        .await
    }

    async fn apply_billing_event(
        &self,
        event_id: String,
        organization: OrganizationId,
        status: SubscriptionStatus,
        now: Timestamp,
    ) -> StoreResult<bool> {
        self.write(move |conn| {
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO billing_events (id, organization_id, status, received_at)
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (id) DO NOTHING",
                )?
                .execute(params![event_id, organization, status.as_str(), now])?;
            if inserted == 0 {
                return Ok(false);
            }
            change_one(
                conn,
                "UPDATE organizations SET subscription_status = ?1 WHERE id = ?2",
                params![status.as_str(), organization],
            )
            .map(|()| true)
        })
        .await
    }
}
