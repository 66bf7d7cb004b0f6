//! Plugins on SQLite.

use async_trait::async_trait;
use echo_protocol::{OrganizationId, Timestamp};
use rusqlite::params;

use super::{query_all, SqliteStore};
use crate::store::plugins::{stored_plugin, PluginStore, StoredPlugin, StoredVoice, PLUGIN};
use crate::store::StoreResult;

#[async_trait]
impl PluginStore for SqliteStore {
    async fn plugins(&self, organization: OrganizationId) -> StoreResult<Vec<StoredPlugin>> {
        self.read(move |conn| {
            query_all(
                conn,
                &format!(
                    "SELECT {PLUGIN} FROM plugins WHERE organization_id = ?1 ORDER BY service"
                ),
                [organization],
                |row| stored_plugin(row),
            )
        })
        .await
    }

    async fn connect_plugin(&self, plugin: StoredPlugin) -> StoreResult<()> {
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO plugins
                 (organization_id, service, private_key, public_key, key_hint, connected_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (organization_id, service) DO UPDATE SET
                     private_key = excluded.private_key, public_key = excluded.public_key,
                     key_hint = excluded.key_hint, connected_at = excluded.connected_at,
                     broken_at = NULL, assistant_id = NULL, phone_number_id = NULL,
                     phone_number = NULL",
            )?
            .execute(params![
                plugin.organization,
                plugin.service,
                plugin.private_key,
                plugin.public_key,
                plugin.key_hint,
                plugin.connected_at
            ])?;
            Ok(())
        })
        .await
    }

    async fn disconnect_plugin(
        &self,
        organization: OrganizationId,
        service: &str,
    ) -> StoreResult<bool> {
        let service = service.to_owned();
        self.write(move |conn| {
            let gone = conn
                .prepare_cached("DELETE FROM plugins WHERE organization_id = ?1 AND service = ?2")?
                .execute(params![organization, service])?;
            Ok(gone > 0)
        })
        .await
    }

    async fn set_plugin_broken(
        &self,
        organization: OrganizationId,
        service: &str,
        at: Option<Timestamp>,
    ) -> StoreResult<()> {
        let service = service.to_owned();
        self.write(move |conn| {
            conn.prepare_cached(
                "UPDATE plugins SET broken_at = ?3 WHERE organization_id = ?1 AND service = ?2",
            )?
            .execute(params![organization, service, at])?;
            Ok(())
        })
        .await
    }

    async fn set_voice(
        &self,
        organization: OrganizationId,
        service: &str,
        voice: StoredVoice,
    ) -> StoreResult<bool> {
        let service = service.to_owned();
        self.write(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE plugins SET assistant_id = ?3, phone_number_id = ?4, phone_number = ?5
                     WHERE organization_id = ?1 AND service = ?2",
                )?
                .execute(params![
                    organization,
                    service,
                    voice.assistant_id,
                    voice.phone_number_id,
                    voice.phone_number
                ])?;
            Ok(changed == 1)
        })
        .await
    }

    async fn all_plugins(&self) -> StoreResult<Vec<StoredPlugin>> {
        self.read(move |conn| {
            query_all(
                conn,
                &format!("SELECT {PLUGIN} FROM plugins ORDER BY organization_id, service"),
                [],
                |row| stored_plugin(row),
            )
        })
        .await
    }

    async fn reseal_plugin(
        &self,
        plugin: &StoredPlugin,
        private_key: String,
        public_key: String,
    ) -> StoreResult<bool> {
        let plugin = plugin.clone();
        self.write(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE plugins SET private_key = ?4, public_key = ?5
                     WHERE organization_id = ?1 AND service = ?2 AND private_key = ?3",
                )?
                .execute(params![
                    plugin.organization,
                    plugin.service,
                    plugin.private_key,
                    private_key,
                    public_key
                ])?;
            Ok(changed == 1)
        })
        .await
    }
}
