//! Plugins as stored: the sealed keys (the store never sees them open).

use async_trait::async_trait;
use echo_protocol::{OrganizationId, Timestamp};

use super::StoreResult;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPlugin {
    pub organization: OrganizationId,
    /// `vapi`.
    pub service: String,
    /// Sealed (`crate::vault`).
    pub private_key: String,
    pub public_key: String,
    pub key_hint: String,
    pub connected_at: Timestamp,
    pub broken_at: Option<Timestamp>,
}

/// The columns [`stored_plugin`] reads.
pub(crate) const PLUGIN: &str =
    "organization_id, service, private_key, public_key, key_hint, connected_at, broken_at";

pub(crate) fn stored_plugin(row: &impl super::rows::Row) -> StoreResult<StoredPlugin> {
    Ok(StoredPlugin {
        organization: row.col(0)?,
        service: row.col(1)?,
        private_key: row.col(2)?,
        public_key: row.col(3)?,
        key_hint: row.col(4)?,
        connected_at: row.col(5)?,
        broken_at: row.col(6)?,
    })
}

#[async_trait]
pub trait PluginStore: Send + Sync {
    /// The organization's plugins.
    async fn plugins(&self, organization: OrganizationId) -> StoreResult<Vec<StoredPlugin>>;

    /// Connects (or connects again, no longer broken).
    async fn connect_plugin(&self, plugin: StoredPlugin) -> StoreResult<()>;

    /// Forgets the plugin; `false` if it was not connected.
    async fn disconnect_plugin(
        &self,
        organization: OrganizationId,
        service: &str,
    ) -> StoreResult<bool>;

    /// The service refused the key at `at` (`None`: it takes it again).
    async fn set_plugin_broken(
        &self,
        organization: OrganizationId,
        service: &str,
        at: Option<Timestamp>,
    ) -> StoreResult<()>;

    /// Every organization's plugins (for re-encrypting).
    async fn all_plugins(&self) -> StoreResult<Vec<StoredPlugin>>;

    /// Replaces the sealed keys of `plugin` with `private_key` and
    /// `public_key` if they are still `plugin`'s (`false`: changed since).
    async fn reseal_plugin(
        &self,
        plugin: &StoredPlugin,
        private_key: String,
        public_key: String,
    ) -> StoreResult<bool>;
}
