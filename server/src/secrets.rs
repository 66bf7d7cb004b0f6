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
token!(
    /// The one-click unsubscribe link of a notification mail.
    UnsubscribeToken,
    "un_"
);
token!(
    /// A resolution mail's rating links (single use, 30 days).
    RatingToken,
    "rt_"
);
token!(
    /// The link that confirms an address wants an organization's mail.
    ConfirmationToken,
    "mc_"
);
token!(
    /// A sign-in waiting for its second factor (five minutes).
    ChallengeToken,
    "tfc_"
);
token!(
    /// The mailed link that confirms an operator's address (24 hours).
    VerificationToken,
    "ev_"
);
token!(
    /// Lets the first account be made on an empty server; `serve` logs it.
    SetupToken,
    "setup_"
);

/// A new identity-verification key for an organization: 256 random bits as
/// 64 hex characters. The host's server signs its users' IDs with this text
/// (as the HMAC key's bytes); the server keeps it as is, since it must
/// compute with it.
pub fn new_identity_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is unavailable");
    hex::encode(bytes)
}

/// Whether `user_hash` (hex) is HMAC-SHA256 of `user_id` under `secret`,
/// compared in constant time.
pub fn verify_user_hash(secret: &str, user_id: &str, user_hash: &str) -> bool {
    use hmac::{Hmac, Mac};
    let Ok(expected) = hex::decode(user_hash) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(user_id.as_bytes());
    mac.verify_slice(&expected).is_ok()
}

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
    fn a_user_hash_verifies_only_its_user_under_its_secret() {
        use hmac::{Hmac, Mac};
        let secret = new_identity_secret();
        assert_eq!(secret.len(), 64);
        let sign = |key: &str, id: &str| {
            let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
            mac.update(id.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        };
        let hash = sign(&secret, "user-42");
        assert!(verify_user_hash(&secret, "user-42", &hash));
        assert!(!verify_user_hash(&secret, "user-43", &hash));
        assert!(!verify_user_hash(&new_identity_secret(), "user-42", &hash));
        assert!(!verify_user_hash(&secret, "user-42", "zz"));
        assert!(!verify_user_hash(&secret, "user-42", &hash[..62]));
    }

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            SecretHash::of("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

/// The URL with any password replaced by `***`.
pub fn redacted_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod redaction_tests {
    use super::redacted_url as redacted;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redacted("postgres://echo:s3cret@db:5432/echo"),
            "postgres://echo:***@db:5432/echo"
        );
        assert_eq!(
            redacted("postgres://echo@db/echo"),
            "postgres://echo@db/echo"
        );
        assert_eq!(redacted("sqlite://echo.db"), "sqlite://echo.db");
    }
}
