//! The chat controller's small types: the push event as the widget reads
//! it, a message queued while offline, and idempotency keys.

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::messages::Message;
use echo_web::js::{field, integer, optional};
use echo_web::PushEvent;

/// A fresh idempotency key for a message (not a secret, just unique).
pub(super) fn new_key() -> String {
    let random = || (js_sys::Math::random() * 4_294_967_296.0) as u32;
    format!(
        "{:x}-{:08x}{:08x}{:08x}",
        js_sys::Date::now() as u64,
        random(),
        random(),
        random()
    )
}

/// A push event as the widget reads it: one field per kind of change
/// (`message`, `status`, or `active` and `name` for typing), the rest of
/// `echo_protocol::events::LiveEvent` ignored. A plain struct decodes with
/// far less code than the protocol's flattened, tagged enum.
pub(super) struct Push {
    position: i64,
    pub message: Option<Message>,
    pub status: Option<ConversationStatus>,
    pub active: Option<bool>,
    /// Who is typing, for an operator (the assistant has no name).
    pub name: Option<String>,
    /// A voice call's line being said (`voiceTranscript`).
    pub transcript: Option<String>,
}

impl PushEvent for Push {
    fn decode(data: &str) -> Option<Self> {
        let v = js_sys::JSON::parse(data).ok()?;
        Some(Push {
            position: integer(&v, "position").unwrap_or(0),
            message: optional(&v, "message")?,
            status: optional(&v, "status")?,
            active: field(&v, "active").as_bool(),
            name: field(&v, "name").as_string(),
            transcript: field(&v, "transcript").as_string(),
        })
    }

    fn resume_position(&self) -> Option<i64> {
        // Live-only events (typing) carry position 0.
        (self.position > 0).then_some(self.position)
    }
}

/// A message written while the stream was down, sent when it is back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    pub key: String,
    pub text: String,
}
