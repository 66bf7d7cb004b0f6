//! Secrets at rest: a plugin's API keys sealed with AES-256-GCM under the
//! server's key (`ECHO_SECRETS_KEY`, 32 bytes as base64), bound to their
//! organization and plugin (the associated data), so a ciphertext copied to
//! another organization or plugin does not open. Each sealed value names
//! its key (the first 8 hex digits of the key's SHA-256), so keys can be
//! rotated: the old ones (`ECHO_SECRETS_OLD_KEYS`) still open what they
//! sealed, and `echo-server secrets re-encrypt` seals everything again
//! under the current one.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use echo_protocol::OrganizationId;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// One key: its cipher and its name in sealed values.
#[derive(Clone)]
struct Key {
    id: String,
    cipher: Aes256Gcm,
    /// The key for [`Vault::derive`]: a hash of the key, so what is
    /// derived never touches the cipher's key itself.
    derive: [u8; 32],
}

impl Key {
    fn parse(text: &str) -> anyhow::Result<Self> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| anyhow::anyhow!("a secrets key must be base64"))?;
        anyhow::ensure!(
            bytes.len() == 32,
            "a secrets key must be 32 bytes (base64 of 32 random bytes), not {}",
            bytes.len()
        );
        let id = hex::encode(&Sha256::digest(&bytes)[..4]);
        let cipher = Aes256Gcm::new_from_slice(&bytes)
            .map_err(|_| anyhow::anyhow!("a secrets key must be 32 bytes"))?;
        let derive = Sha256::new()
            .chain_update(b"echo derived secrets")
            .chain_update(&bytes)
            .finalize()
            .into();
        Ok(Self { id, cipher, derive })
    }
}

/// The server's secrets keys: the current one seals, any of them opens.
#[derive(Clone)]
pub struct Vault {
    current: Key,
    old: Vec<Key>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Vault(key {})", self.current.id)
    }
}

/// What a sealed value is bound to.
fn context(organization: OrganizationId, purpose: &str) -> String {
    format!("echo:{organization}:{purpose}")
}

impl Vault {
    /// `current` and the comma-separated `old` keys, each base64 of 32 bytes.
    pub fn new(current: &SecretString, old: Option<&SecretString>) -> anyhow::Result<Self> {
        let current = Key::parse(current.expose_secret())?;
        let old = old
            .map(|o| o.expose_secret().to_owned())
            .unwrap_or_default()
            .split(',')
            .filter(|k| !k.trim().is_empty())
            .map(Key::parse)
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self { current, old })
    }

    /// Secrets derived for the organization and purpose (HMAC-SHA256, hex),
    /// the current key's first: what a third party is given to send back
    /// (Vapi's webhook secret). Stored nowhere, so nothing to seal; the old
    /// keys' still verify what was handed out before a rotation.
    pub fn derive(&self, organization: OrganizationId, purpose: &str) -> Vec<String> {
        use hmac::{Hmac, Mac};
        std::iter::once(&self.current)
            .chain(&self.old)
            .map(|key| {
                let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key.derive)
                    .expect("HMAC takes any key length");
                mac.update(context(organization, purpose).as_bytes());
                hex::encode(mac.finalize().into_bytes())
            })
            .collect()
    }

    /// A new random key, as `ECHO_SECRETS_KEY` takes it.
    pub fn generate_key() -> String {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the OS random source is unavailable");
        STANDARD.encode(bytes)
    }

    /// `plain` sealed for `organization`'s `purpose` (e.g. `vapi.private`):
    /// `v1.<key id>.<base64 of nonce and ciphertext>`.
    pub fn seal(&self, organization: OrganizationId, purpose: &str, plain: &str) -> String {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).expect("the OS random source is unavailable");
        let aad = context(organization, purpose);
        let sealed = self
            .current
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .expect("AES-GCM encrypts any length a request carries");
        let mut body = nonce.to_vec();
        body.extend(sealed);
        format!("v1.{}.{}", self.current.id, STANDARD.encode(body))
    }

    /// What `sealed` holds, if one of the keys sealed it for exactly this
    /// organization and purpose.
    pub fn open(
        &self,
        organization: OrganizationId,
        purpose: &str,
        sealed: &str,
    ) -> Option<SecretString> {
        let mut parts = sealed.splitn(3, '.');
        let (Some("v1"), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return None;
        };
        let key = std::iter::once(&self.current)
            .chain(&self.old)
            .find(|k| k.id == id)?;
        let body = STANDARD.decode(body).ok()?;
        if body.len() < 12 {
            return None;
        }
        let (nonce, ciphertext) = body.split_at(12);
        let aad = context(organization, purpose);
        let plain = key
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .ok()?;
        String::from_utf8(plain).ok().map(SecretString::from)
    }

    /// Whether `sealed` was sealed under the current key.
    pub fn is_current(&self, sealed: &str) -> bool {
        sealed.split('.').nth(1) == Some(self.current.id.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(n: u128) -> OrganizationId {
        OrganizationId::from_uuid(uuid::Uuid::from_u128(n))
    }

    fn vault(current: &str, old: &[&str]) -> Vault {
        let old = old.join(",");
        Vault::new(&current.to_owned().into(), Some(&old.into())).unwrap()
    }

    #[test]
    fn derived_secrets_are_per_organization_and_survive_a_rotation() {
        let (old, new) = (Vault::generate_key(), Vault::generate_key());
        let before = vault(&old, &[]);
        let secret = before.derive(org(1), "vapi.webhook").remove(0);
        assert_eq!(secret.len(), 64);
        assert_eq!(before.derive(org(1), "vapi.webhook")[0], secret, "stable");
        assert_ne!(before.derive(org(2), "vapi.webhook")[0], secret);
        assert_ne!(before.derive(org(1), "other")[0], secret);
        let rotated = vault(&new, &[&old]);
        let after = rotated.derive(org(1), "vapi.webhook");
        assert_ne!(after[0], secret, "the new key derives anew");
        assert!(after.contains(&secret), "the old key's still verifies");
        assert!(!vault(&new, &[])
            .derive(org(1), "vapi.webhook")
            .contains(&secret));
    }

    #[test]
    fn a_sealed_value_opens_only_for_its_organization_and_purpose() {
        let key = Vault::generate_key();
        let v = vault(&key, &[]);
        let sealed = v.seal(org(1), "vapi.private", "sk-live-123");
        assert!(!sealed.contains("sk-live"));
        let open = |o, p| v.open(o, p, &sealed).map(|s| s.expose_secret().to_owned());
        assert_eq!(open(org(1), "vapi.private").as_deref(), Some("sk-live-123"));
        assert_eq!(open(org(2), "vapi.private"), None, "another organization");
        assert_eq!(open(org(1), "vapi.public"), None, "another purpose");
        let other = vault(&Vault::generate_key(), &[]);
        assert!(
            other.open(org(1), "vapi.private", &sealed).is_none(),
            "another key"
        );
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(v.open(org(1), "vapi.private", &tampered).is_none());
    }

    #[test]
    fn rotated_keys_still_open_what_they_sealed() {
        let (old_key, new_key) = (Vault::generate_key(), Vault::generate_key());
        let sealed = vault(&old_key, &[]).seal(org(1), "p", "secret");
        let rotated = vault(&new_key, &[&old_key]);
        assert!(!rotated.is_current(&sealed));
        let plain = rotated.open(org(1), "p", &sealed).unwrap();
        let again = rotated.seal(org(1), "p", plain.expose_secret());
        assert!(rotated.is_current(&again));
        assert!(vault(&new_key, &[]).open(org(1), "p", &sealed).is_none());
    }

    #[test]
    fn bad_keys_are_refused_with_a_reason() {
        assert!(Vault::new(&"short".to_owned().into(), None).is_err());
        let sixteen = STANDARD.encode([0u8; 16]);
        let error = Vault::new(&sixteen.into(), None).unwrap_err().to_string();
        assert!(error.contains("32 bytes"), "{error}");
    }
}
