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
    pub voice: StoredVoice,
}

/// The widget's voice, as chosen (and checked with Vapi when saved).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredVoice {
    pub assistant_id: Option<String>,
    pub phone_number_id: Option<String>,
    /// The number itself, as Vapi gave it, for "Call us".
    pub phone_number: Option<String>,
}

/// The columns [`stored_plugin`] reads.
pub(crate) const PLUGIN: &str = "organization_id, service, private_key, public_key, key_hint,
     connected_at, broken_at, assistant_id, phone_number_id, phone_number";

pub(crate) fn stored_plugin(row: &impl super::rows::Row) -> StoreResult<StoredPlugin> {
    Ok(StoredPlugin {
        organization: row.col(0)?,
        service: row.col(1)?,
        private_key: row.col(2)?,
        public_key: row.col(3)?,
        key_hint: row.col(4)?,
        connected_at: row.col(5)?,
        broken_at: row.col(6)?,
        voice: StoredVoice {
            assistant_id: row.col(7)?,
            phone_number_id: row.col(8)?,
            phone_number: row.col(9)?,
        },
    })
}

#[async_trait]
pub trait PluginStore: Send + Sync {
    /// The organization's plugins.
    async fn plugins(&self, organization: OrganizationId) -> StoreResult<Vec<StoredPlugin>>;

    /// Connects (or connects again, no longer broken, its voice choices
    /// cleared: another account has other assistants and numbers).
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

    /// Sets the widget's voice; `false` if the plugin is not connected.
    async fn set_voice(
        &self,
        organization: OrganizationId,
        service: &str,
        voice: StoredVoice,
    ) -> StoreResult<bool>;

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
