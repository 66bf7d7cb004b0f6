//! Credentials: contact-session secrets, API keys, operator session
//! cookies and invitation tokens. Each is 256 bits
//! from the OS random source; the database stores only their SHA-256, so a
//! copy of the database does not let anyone act as a visitor or operator.
//!
//! Every secret the server holds is a `secrecy::SecretString`, whose `Debug`
//! prints `[REDACTED]`, so no log line or error can show one.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use echo_protocol::ContactSessionId;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is unavailable");
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The hash under which a secret is stored and looked up. Not itself a
/// credential, but kept out of logs all the same.
#[derive(Clone, Debug)]
pub struct SecretHash(SecretString);

impl SecretHash {
    pub fn of(secret: &str) -> Self {
        Self(hex::encode(Sha256::digest(secret.as_bytes())).into())
    }

    pub fn as_str(&self) -> &str {
        self.0.expose_secret()
    }
}

impl PartialEq for SecretHash {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for SecretHash {}

pub fn new_contact_session_id() -> ContactSessionId {
    ContactSessionId::parse(&random_token(ContactSessionId::PREFIX))
        .expect("generated IDs match their own format")
}

/// A bearer secret of the form `<prefix><43 base64url characters>`.
macro_rules! token {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        /// `Debug` hides it.
        #[derive(Clone, Debug)]
        pub struct $name(SecretString);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            pub fn generate() -> Self {
                Self(random_token(Self::PREFIX).into())
            }

            pub fn parse(text: &str) -> Option<Self> {
                let body = text.strip_prefix(Self::PREFIX)?;
                let ok = body.len() == 43
                    && body
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                ok.then(|| Self(text.into()))
            }

            pub fn expose_secret(&self) -> &str {
                self.0.expose_secret()
            }

            pub fn hash(&self) -> SecretHash {
                SecretHash::of(self.expose_secret())
            }
        }
    };
}

token!(
    /// An organization's API key (`Authorization: Bearer ok_...`).
    OperatorKey,
    "ok_"
);
token!(
    /// An operator's signed-in session, carried by the `echo_session` cookie.
    SessionToken,
    "os_"
);
token!(
    /// The single-use token of an invitation link.
    InvitationToken,
    "inv_"
);

/// The shared secret that signs billing webhooks. `Debug` hides it.
#[derive(Clone, Debug)]
pub struct WebhookSecret(SecretString);

impl WebhookSecret {
    pub fn new(secret: String) -> Option<Self> {
        // Short secrets are guessable; a provider's are 32+ characters.
        (secret.len() >= 16).then(|| Self(secret.into()))
    }

    pub fn expose_secret(&self) -> &[u8] {
        self.0.expose_secret().as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_distinct_and_well_formed() {
        let a = new_contact_session_id();
        let b = new_contact_session_id();
        assert_ne!(a, b);
        assert_eq!(a.expose_secret().len(), 46);
        let key = OperatorKey::generate();
        assert!(OperatorKey::parse(key.expose_secret()).is_some());
        assert!(!format!("{key:?}").contains(&key.expose_secret()[3..]));
        let hash = key.hash();
        assert!(!format!("{hash:?}").contains(hash.as_str()));
    }

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            SecretHash::of("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
