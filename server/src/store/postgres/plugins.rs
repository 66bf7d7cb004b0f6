//! Plugins on PostgreSQL.

use async_trait::async_trait;
use echo_protocol::{OrganizationId, Timestamp};
use sqlx::AssertSqlSafe;

use super::PostgresStore;
use crate::store::plugins::{stored_plugin, PluginStore, StoredPlugin, StoredVoice, PLUGIN};
use crate::store::StoreResult;

#[async_trait]
impl PluginStore for PostgresStore {
    async fn plugins(&self, organization: OrganizationId) -> StoreResult<Vec<StoredPlugin>> {
        let sql =
            format!("SELECT {PLUGIN} FROM plugins WHERE organization_id = $1 ORDER BY service");
        sqlx::query(AssertSqlSafe(sql))
            .bind(organization)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(stored_plugin)
            .collect()
    }

    async fn connect_plugin(&self, plugin: StoredPlugin) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO plugins
             (organization_id, service, private_key, public_key, key_hint, connected_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (organization_id, service) DO UPDATE SET
                 private_key = excluded.private_key, public_key = excluded.public_key,
                 key_hint = excluded.key_hint, connected_at = excluded.connected_at,
                 broken_at = NULL, assistant_id = NULL, phone_number_id = NULL,
                 phone_number = NULL",
        )
        .bind(plugin.organization)
        .bind(&plugin.service)
        .bind(&plugin.private_key)
        .bind(&plugin.public_key)
        .bind(&plugin.key_hint)
        .bind(plugin.connected_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn disconnect_plugin(
        &self,
        organization: OrganizationId,
        service: &str,
    ) -> StoreResult<bool> {
        let gone = sqlx::query("DELETE FROM plugins WHERE organization_id = $1 AND service = $2")
            .bind(organization)
            .bind(service)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(gone > 0)
    }

    async fn set_plugin_broken(
        &self,
        organization: OrganizationId,
        service: &str,
        at: Option<Timestamp>,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE plugins SET broken_at = $3 WHERE organization_id = $1 AND service = $2",
        )
        .bind(organization)
        .bind(service)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn set_voice(
        &self,
        organization: OrganizationId,
        service: &str,
        voice: StoredVoice,
    ) -> StoreResult<bool> {
        let changed = sqlx::query(
            "UPDATE plugins SET assistant_id = $3, phone_number_id = $4, phone_number = $5
             WHERE organization_id = $1 AND service = $2",
        )
        .bind(organization)
        .bind(service)
        .bind(voice.assistant_id)
        .bind(voice.phone_number_id)
        .bind(voice.phone_number)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(changed == 1)
    }

    async fn all_plugins(&self) -> StoreResult<Vec<StoredPlugin>> {
        let sql = format!("SELECT {PLUGIN} FROM plugins ORDER BY organization_id, service");
        sqlx::query(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(stored_plugin)
            .collect()
    }

    async fn reseal_plugin(
        &self,
        plugin: &StoredPlugin,
        private_key: String,
        public_key: String,
    ) -> StoreResult<bool> {
        let changed = sqlx::query(
            "UPDATE plugins SET private_key = $4, public_key = $5
             WHERE organization_id = $1 AND service = $2 AND private_key = $3",
        )
        .bind(plugin.organization)
        .bind(&plugin.service)
        .bind(&plugin.private_key)
        .bind(private_key)
        .bind(public_key)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(changed == 1)
    }
}
