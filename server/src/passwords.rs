//! Operator passwords: Argon2id with the crate's defaults (19 MiB, two
//! passes), stored as PHC strings. Hashing runs on the blocking pool so a
//! sign-in does not stall the async workers.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use secrecy::{ExposeSecret, SecretString};

/// The PHC string of a new password.
pub async fn hash(password: &str) -> anyhow::Result<String> {
    let password = SecretString::from(password.to_owned());
    tokio::task::spawn_blocking(move || hash_now(password.expose_secret()))
        .await
        .map_err(|e| anyhow::anyhow!("hashing task failed: {e}"))?
}

fn hash_now(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// Whether `password` matches the stored PHC string. With no stored hash
/// (an unknown email) it checks against a dummy one, so both failures take
/// the same time.
pub async fn verify(password: &str, stored: Option<&str>) -> bool {
    let password = SecretString::from(password.to_owned());
    let stored = stored.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| dummy_hash().to_owned());
        let matches = PasswordHash::new(&phc).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.expose_secret().as_bytes(), &parsed)
                .is_ok()
        });
        known && matches
    })
    .await
    .unwrap_or(false)
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_now("echo-dummy-password").expect("hashing works"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let stored = hash("correct horse battery").await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", Some(&stored)).await);
        assert!(!verify("correct horse batterx", Some(&stored)).await);
        assert!(!verify("echo-dummy-password", None).await);
        assert!(!verify("anything", Some("not a phc string")).await);
    }
}
