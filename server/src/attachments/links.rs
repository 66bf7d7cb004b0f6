//! Signed links to attachments: `GET /v1/attachments/{id}` (or
//! `.../preview`) `?expires=<ms>&signature=<hex>`, an HMAC-SHA256 of the
//! ID, the variant and the expiry under a key every replica reads from the
//! database. A link works without the session (in an `<img src>` or a
//! download), for 15 minutes, and only as signed.

use std::time::Duration;

use echo_protocol::messages::Message;
use echo_protocol::{AttachmentId, Timestamp};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::accounts::PublicUrl;

pub const LINK_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// The file itself or its preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    File,
    Preview,
}

impl Variant {
    fn as_str(self) -> &'static str {
        match self {
            Variant::File => "file",
            Variant::Preview => "preview",
        }
    }
}

pub struct Links {
    key: SecretString,
    public: PublicUrl,
}

impl Links {
    pub fn new(key: String, public: PublicUrl) -> Self {
        Self {
            key: key.into(),
            public,
        }
    }

    fn mac(&self, id: AttachmentId, variant: Variant, expires: i64) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.expose_secret().as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(format!("{id}:{}:{expires}", variant.as_str()).as_bytes());
        mac
    }

    pub fn link(&self, id: AttachmentId, variant: Variant, now: Timestamp) -> String {
        let expires = now.millis() + LINK_LIFETIME.as_millis() as i64;
        let signature = hex::encode(self.mac(id, variant, expires).finalize().into_bytes());
        let path = match variant {
            Variant::File => format!("/v1/attachments/{id}"),
            Variant::Preview => format!("/v1/attachments/{id}/preview"),
        };
        format!(
            "{}{path}?expires={expires}&signature={signature}",
            self.public.base()
        )
    }

    /// Whether the link's signature holds and it has not expired.
    pub fn verify(
        &self,
        id: AttachmentId,
        variant: Variant,
        expires: i64,
        signature: &str,
        now: Timestamp,
    ) -> bool {
        let Ok(signature) = hex::decode(signature) else {
            return false;
        };
        now.millis() <= expires
            && self
                .mac(id, variant, expires)
                .verify_slice(&signature)
                .is_ok()
    }

    /// Fills the message's attachment links (stored without them).
    pub fn sign(&self, message: &mut Message, now: Timestamp) {
        for attachment in &mut message.attachments {
            attachment.url = self.link(attachment.attachment_id, Variant::File, now);
            if attachment.preview_url.is_some() {
                attachment.preview_url =
                    Some(self.link(attachment.attachment_id, Variant::Preview, now));
            }
        }
    }

    pub fn sign_all(&self, messages: &mut [Message], now: Timestamp) {
        for message in messages {
            self.sign(message, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> Links {
        Links::new(
            "k".repeat(64),
            PublicUrl::parse("https://chat.example").unwrap(),
        )
    }

    fn parts(url: &str) -> (i64, String) {
        let query = url.split_once('?').unwrap().1;
        let mut expires = 0;
        let mut signature = String::new();
        for pair in query.split('&') {
            match pair.split_once('=').unwrap() {
                ("expires", v) => expires = v.parse().unwrap(),
                ("signature", v) => signature = v.to_owned(),
                _ => {}
            }
        }
        (expires, signature)
    }

    #[test]
    fn links_expire_and_cannot_be_altered() {
        let links = links();
        let id = AttachmentId::from_uuid(uuid::Uuid::new_v4());
        let other = AttachmentId::from_uuid(uuid::Uuid::new_v4());
        let url = links.link(id, Variant::File, Timestamp(1_000));
        assert!(url.starts_with(&format!("https://chat.example/v1/attachments/{id}?")));
        let (expires, signature) = parts(&url);
        assert!(links.verify(id, Variant::File, expires, &signature, Timestamp(1_000)));
        assert!(!links.verify(
            id,
            Variant::File,
            expires,
            &signature,
            Timestamp(expires + 1)
        ));
        assert!(!links.verify(
            id,
            Variant::File,
            expires + 60_000,
            &signature,
            Timestamp(1_000)
        ));
        assert!(!links.verify(other, Variant::File, expires, &signature, Timestamp(1_000)));
        assert!(!links.verify(id, Variant::Preview, expires, &signature, Timestamp(1_000)));
        assert!(!links.verify(id, Variant::File, expires, "zz", Timestamp(1_000)));
    }
}
