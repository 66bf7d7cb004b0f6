//! [`FromJs`] for the protocol's answers the widget reads, field by field
//! with the names and defaults of their serde form (the server's own
//! answers are the test: every browser test goes through these).

use echo_protocol::attachments::Attachment;
use echo_protocol::contact_sessions::{ContactSessionCreated, CurrentContactSession};
use echo_protocol::conversations::{
    ConversationCreated, ConversationListItem, ConversationPage, ConversationStatus,
    ConversationView, MessagePreview, TranscriptQueued,
};
use echo_protocol::hours::{Availability, ReplyTime};
use echo_protocol::messages::{Message, MessagePage, MessageRole};
use echo_protocol::widget::{WidgetConfig, WidgetTheme, DEFAULT_ACCENT_COLOR};
use echo_protocol::{
    AttachmentId, ContactSessionId, ConversationId, MessageId, OrganizationId, Timestamp,
};
use wasm_bindgen::JsValue;

use crate::js::{field, integer, list, optional, string, FromJs};

/// Types written as their text form, decoded with their own `parse`.
macro_rules! from_text {
    ($($t:ty),*) => {$(
        impl FromJs for $t {
            fn from_js(value: &JsValue) -> Option<Self> {
                <$t>::parse(&value.as_string()?)
            }
        }
    )*};
}

from_text!(
    MessageId,
    ConversationId,
    AttachmentId,
    OrganizationId,
    ContactSessionId,
    MessageRole,
    ConversationStatus,
    WidgetTheme
);

impl FromJs for Timestamp {
    fn from_js(value: &JsValue) -> Option<Self> {
        let millis = value.as_f64()?;
        (millis.fract() == 0.0).then_some(Timestamp(millis as i64))
    }
}

impl FromJs for Availability {
    fn from_js(v: &JsValue) -> Option<Self> {
        Some(Availability {
            open: field(v, "open").as_bool().unwrap_or(true),
            reply_time: match string(v, "replyTime").as_deref() {
                Some("hours") => ReplyTime::Hours,
                Some("day") => ReplyTime::Day,
                _ => ReplyTime::Minutes,
            },
            next_open_at: optional(v, "nextOpenAt")?,
            away_message: string(v, "awayMessage"),
        })
    }
}

/// A required field.
fn get<T: FromJs>(value: &JsValue, key: &str) -> Option<T> {
    T::from_js(&field(value, key))
}

impl FromJs for Attachment {
    fn from_js(v: &JsValue) -> Option<Self> {
        Some(Attachment {
            attachment_id: get(v, "attachmentId")?,
            name: string(v, "name")?,
            content_type: string(v, "contentType")?,
            size: u64::try_from(integer(v, "size")?).ok()?,
            url: string(v, "url").unwrap_or_default(),
            preview_url: optional(v, "previewUrl")?,
        })
    }
}

impl FromJs for Message {
    fn from_js(v: &JsValue) -> Option<Self> {
        let mut message = Message::new(
            get(v, "id")?,
            get(v, "role")?,
            string(v, "text")?,
            get(v, "createdAt")?,
        );
        message.author_name = optional(v, "authorName")?;
        message.attachments = list(v, "attachments")?;
        message.voice = field(v, "voice").is_truthy();
        Some(message)
    }
}

impl FromJs for MessagePage {
    fn from_js(v: &JsValue) -> Option<Self> {
        Some(MessagePage {
            messages: list(v, "messages")?,
            next_cursor: optional(v, "nextCursor")?,
        })
    }
}

impl FromJs for MessagePreview {
    fn from_js(v: &JsValue) -> Option<Self> {
        Some(MessagePreview {
            role: get(v, "role")?,
            text: string(v, "text")?,
            created_at: get(v, "createdAt")?,
        })
    }
}

impl FromJs for ConversationListItem {
    fn from_js(v: &JsValue) -> Option<Self> {
        Some(ConversationListItem {
            conversation_id: get(v, "conversationId")?,
            status: get(v, "status")?,
            created_at: get(v, "createdAt")?,
            last_message: optional(v, "lastMessage")?,
        })
    }
}

impl FromJs for ConversationPage {
    fn from_js(v: &JsValue) -> Option<Self> {
        Some(ConversationPage {
            conversations: list(v, "conversations")?,
            next_cursor: optional(v, "nextCursor")?,
        })
    }
}

impl FromJs for ConversationView {
    fn from_js(v: &JsValue) -> Option<Self> {
        Some(ConversationView {
            conversation_id: get(v, "conversationId")?,
            status: get(v, "status")?,
            created_at: get(v, "createdAt")?,
            can_rate: field(v, "canRate").is_truthy(),
            // The widget shows no earlier rating: not decoded.
            rating: None,
        })
    }
}

impl FromJs for ConversationCreated {
    fn from_js(v: &JsValue) -> Option<Self> {
        Some(ConversationCreated {
            conversation_id: get(v, "conversationId")?,
            status: get(v, "status")?,
        })
    }
}

impl FromJs for TranscriptQueued {
    fn from_js(v: &JsValue) -> Option<Self> {
        Some(TranscriptQueued {
            email: string(v, "email")?,
            awaiting_confirmation: field(v, "awaitingConfirmation").is_truthy(),
        })
    }
}

impl FromJs for ContactSessionCreated {
    fn from_js(v: &JsValue) -> Option<Self> {
        Some(ContactSessionCreated {
            contact_session_id: get(v, "contactSessionId")?,
            expires_at: get(v, "expiresAt")?,
        })
    }
}

impl FromJs for CurrentContactSession {
    fn from_js(v: &JsValue) -> Option<Self> {
        Some(CurrentContactSession {
            organization_id: get(v, "organizationId")?,
            name: string(v, "name")?,
            email: string(v, "email")?,
            expires_at: get(v, "expiresAt")?,
        })
    }
}

impl FromJs for echo_protocol::widget::VoiceConfig {
    fn from_js(v: &JsValue) -> Option<Self> {
        Some(Self {
            call: field(v, "call").is_truthy(),
            phone_number: string(v, "phoneNumber"),
        })
    }
}

impl FromJs for WidgetConfig {
    fn from_js(v: &JsValue) -> Option<Self> {
        Some(WidgetConfig {
            organization_id: get(v, "organizationId")?,
            name: string(v, "name")?,
            greet_message: string(v, "greetMessage")?,
            suggestions: list(v, "suggestions")?,
            accent_color: string(v, "accentColor").unwrap_or_else(|| DEFAULT_ACCENT_COLOR.into()),
            accent_text_color: string(v, "accentTextColor").unwrap_or_else(|| "#ffffff".into()),
            theme: optional(v, "theme")?.unwrap_or_default(),
            transcripts: field(v, "transcripts").as_bool().unwrap_or(false),
            availability: optional(v, "availability")?.unwrap_or_default(),
            // The server's and the loader's, not the widget's (absent
            // from its wasm build).
            #[cfg(not(target_arch = "wasm32"))]
            allowed_origins: Vec::new(),
            #[cfg(not(target_arch = "wasm32"))]
            launcher: Vec::new(),
            voice: optional(v, "voice")?,
        })
    }
}
