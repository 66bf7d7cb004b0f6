//! Plugins: an organization's own accounts at third-party services. Their
//! keys are sealed at rest (`crate::vault`); the services are reached at a
//! base URL that is a setting. Vapi, for voice ([`vapi`]).

pub mod vapi;

use crate::vault::Vault;

/// What plugins need from the server's settings.
#[derive(Debug, Clone)]
pub struct PluginSettings {
    /// Without it no plugin can be connected (`SECRETS_UNAVAILABLE`).
    pub vault: Option<Vault>,
    pub vapi_base_url: String,
    pub voice: VoiceCallSettings,
}

impl Default for PluginSettings {
    fn default() -> Self {
        Self {
            vault: None,
            vapi_base_url: vapi::DEFAULT_BASE_URL.to_owned(),
            voice: VoiceCallSettings::default(),
        }
    }
}

/// What voice calls are held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoiceCallSettings {
    /// Live calls per organization (`ECHO_VOICE_MAX_CALLS`).
    pub max_calls: u32,
    /// After this our server ends a call (`ECHO_VOICE_MAX_MINUTES`).
    pub max_duration: std::time::Duration,
    /// Calls one contact session may start in an hour.
    pub per_session_hour: u32,
}

/// Live calls per organization unless set otherwise.
pub const DEFAULT_MAX_CALLS: u32 = 10;
/// Minutes a call may last unless set otherwise.
pub const DEFAULT_MAX_MINUTES: u64 = 15;

impl Default for VoiceCallSettings {
    fn default() -> Self {
        Self {
            max_calls: DEFAULT_MAX_CALLS,
            max_duration: std::time::Duration::from_secs(DEFAULT_MAX_MINUTES * 60),
            per_session_hour: 5,
        }
    }
}

/// The purposes a Vapi plugin's sealed values are bound to (as
/// [`purposes`] names them).
pub const VAPI_PRIVATE: &str = "vapi.private";
pub const VAPI_PUBLIC: &str = "vapi.public";

/// The purpose each sealed column of a plugin is bound to.
fn purposes(service: &str) -> (String, String) {
    (format!("{service}.private"), format!("{service}.public"))
}

/// Seals every plugin's keys under the vault's current key: `(moved,
/// already current)`. A value no key opens is an error naming its
/// organization (nothing is changed for it).
pub async fn re_encrypt(
    store: &dyn crate::store::Store,
    vault: &Vault,
) -> anyhow::Result<(u64, u64)> {
    use secrecy::ExposeSecret;
    let (mut moved, mut current) = (0, 0);
    let mut unopened = Vec::new();
    for plugin in store.all_plugins().await? {
        if vault.is_current(&plugin.private_key) && vault.is_current(&plugin.public_key) {
            current += 1;
            continue;
        }
        let (private, public) = purposes(&plugin.service);
        let org = plugin.organization;
        let opened = vault
            .open(org, &private, &plugin.private_key)
            .zip(vault.open(org, &public, &plugin.public_key));
        let Some((private_key, public_key)) = opened else {
            unopened.push(format!("{org} ({})", plugin.service));
            continue;
        };
        let private_key = vault.seal(org, &private, private_key.expose_secret());
        let public_key = vault.seal(org, &public, public_key.expose_secret());
        if store
            .reseal_plugin(&plugin, private_key, public_key)
            .await?
        {
            moved += 1;
        }
    }
    anyhow::ensure!(
        unopened.is_empty(),
        "no secrets key opens the keys of: {} ({moved} others re-encrypted)",
        unopened.join(", ")
    );
    Ok((moved, current))
}
