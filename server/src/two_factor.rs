//! Two-factor sign-in's pure parts: TOTP codes (RFC 6238: SHA-1, six
//! digits, 30-second steps, as every authenticator app reads them, by the
//! `totp-rs` crate), the `otpauth://` URI and its QR code (SVG, by the
//! `qrcode` crate), and recovery codes. What is stored and when a code
//! counts (once, per step) is the handlers' and the store's.

use qrcode::render::svg;
use qrcode::QrCode;
use totp_rs::{Algorithm, Secret, TOTP};

/// Seconds per code.
pub const STEP_SECS: u64 = 30;
/// Codes one step either side of now are accepted (clock drift, typing).
const SKEW: u64 = 1;
/// How long a sign-in waits for its code.
pub const CHALLENGE_MILLIS: i64 = 5 * 60 * 1000;
pub const RECOVERY_CODES: usize = 10;
const ISSUER: &str = "Echo";

/// A new secret: 160 random bits (RFC 4226's recommended length), base32.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).expect("the OS random source is unavailable");
    Secret::Raw(bytes.to_vec()).to_encoded().to_string()
}

fn totp(secret: &str, account: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().ok()?;
    // The label's ':' separates issuer and account: keep it out of emails.
    let account = account.replace(':', "");
    TOTP::new(
        Algorithm::SHA1,
        6,
        SKEW as u8,
        STEP_SECS,
        bytes,
        Some(ISSUER.into()),
        account,
    )
    .ok()
}

/// `otpauth://totp/Echo:<account>?secret=...&issuer=Echo`.
pub fn otpauth_uri(secret: &str, account: &str) -> Option<String> {
    Some(totp(secret, account)?.get_url())
}

/// The QR code of `text` as an SVG document.
pub fn qr_svg(text: &str) -> Option<String> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<svg::Color>()
            .min_dimensions(200, 200)
            .dark_color(svg::Color("#000"))
            .light_color(svg::Color("#fff"))
            .build(),
    )
}

/// The time step `code` is right for at `now_secs`, if any: the store
/// accepts each step once.
pub fn matching_step(secret: &str, code: &str, now_secs: u64) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret, "")?;
    let now = now_secs / STEP_SECS;
    (now.saturating_sub(SKEW)..=now + SKEW)
        .find(|step| constant_eq(totp.generate(step * STEP_SECS).as_bytes(), code.as_bytes()))
}

/// The code for a time (tests, and the console test's stand-in app).
pub fn code_at(secret: &str, now_secs: u64) -> Option<String> {
    Some(totp(secret, "")?.generate(now_secs))
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Ten codes of the form `xxxxx-xxxxx` (lowercase base32: 50 random bits
/// each), to type when the phone is lost.
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 10];
            getrandom::fill(&mut bytes).expect("the OS random source is unavailable");
            let text: String = bytes
                .iter()
                .map(|b| b"abcdefghijklmnopqrstuvwxyz234567"[(b & 31) as usize] as char)
                .collect();
            format!("{}-{}", &text[..5], &text[5..])
        })
        .collect()
}

/// A recovery code as typed (any case, spaces, with or without its dash)
/// in the form it was hashed in.
pub fn normalize_recovery_code(typed: &str) -> Option<String> {
    let text: String = typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (text.len() == 10).then(|| format!("{}-{}", &text[..5], &text[5..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// RFC 6238's SHA-1 test key, base32, and its published 8-digit values
    /// reduced to six digits.
    const RFC_KEY: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn codes_match_rfc_6238() {
        assert_eq!(code_at(RFC_KEY, 59).unwrap(), "287082");
        assert_eq!(code_at(RFC_KEY, 1_111_111_109).unwrap(), "081804");
        assert_eq!(code_at(RFC_KEY, 2_000_000_000).unwrap(), "279037");
    }

    #[test]
    fn a_code_matches_its_step_and_its_neighbours_only() {
        let secret = new_secret();
        let now = 1_800_000_000;
        let code = code_at(&secret, now).unwrap();
        assert_eq!(matching_step(&secret, &code, now), Some(now / STEP_SECS));
        assert!(matching_step(&secret, &code, now + STEP_SECS).is_some());
        assert_eq!(matching_step(&secret, &code, now + 3 * STEP_SECS), None);
        assert_eq!(matching_step(&secret, "12345", now), None);
        assert_eq!(matching_step(&secret, "abcdef", now), None);
    }

    #[test]
    fn the_uri_and_qr_code_name_the_account() {
        let secret = new_secret();
        let uri = otpauth_uri(&secret, "ana@example.com").unwrap();
        assert!(uri.starts_with("otpauth://totp/Echo:ana%40example.com?secret="));
        assert!(uri.contains(&secret));
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
    }

    #[test]
    fn recovery_codes_are_distinct_and_read_back_as_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), RECOVERY_CODES);
        for code in &codes {
            let typed = code.to_uppercase().replace('-', " ");
            assert_eq!(
                normalize_recovery_code(&typed).as_deref(),
                Some(code.as_str())
            );
        }
    }

    proptest! {
        #[test]
        fn no_input_panics(code in ".{0,40}", secret in ".{0,40}", now in any::<u64>()) {
            let _ = matching_step(&secret, &code, now);
            let _ = normalize_recovery_code(&code);
            let _ = otpauth_uri(&secret, &code);
        }
    }
}
