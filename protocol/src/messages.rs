//! `/v1/conversations/{conversationId}/messages`.

use serde::{Deserialize, Serialize};

use crate::attachments::Attachment;
#[cfg(feature = "operator")]
use crate::team::MessageAuthor;
use crate::{AttachmentId, MessageId, Timestamp};

/// Who wrote a message; the widget styles each differently. A `note` is
/// the team's private note: no visitor ever sees one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum MessageRole {
    Visitor,
    Assistant,
    Operator,
    Note,
}

crate::ids::text_enum!(MessageRole {
    Visitor => "visitor",
    Assistant => "assistant",
    Operator => "operator",
    Note => "note",
});

/// `POST /v1/conversations/{conversationId}/messages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SendMessage {
    pub text: String,
    /// Chosen by the client, unique per message (1-100 characters): a retried
    /// send with the same key stores nothing new and answers the first
    /// message, so a flaky network never duplicates a message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// Files uploaded to this conversation by the sender and not sent yet
    /// (at most 5); with any, the text may be empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachment_ids: Vec<AttachmentId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: MessageId,
    pub role: MessageRole,
    pub text: String,
    pub created_at: Timestamp,
    /// Operator messages: the display name of the person who wrote it (the
    /// organization's name for an API key). All a visitor learns of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_name: Option<String>,
    /// Operator API only: who wrote an operator message or a note.
    #[cfg(feature = "operator")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<MessageAuthor>,
    /// Notes only: the operators it mentions.
    #[cfg(feature = "operator")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<crate::OperatorId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Said in a voice call (a transcript line), not typed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub voice: bool,
}

impl Message {
    /// A message without an author (visitor and assistant messages).
    pub fn new(id: MessageId, role: MessageRole, text: String, created_at: Timestamp) -> Self {
        Self {
            id,
            role,
            text,
            created_at,
            author_name: None,
            #[cfg(feature = "operator")]
            author: None,
            #[cfg(feature = "operator")]
            mentions: Vec::new(),
            attachments: Vec::new(),
            voice: false,
        }
    }

    /// The message as a visitor may see it: the author's name, never their
    /// ID. (A note is never shown to a visitor at all: see the callers.)
    #[cfg(feature = "operator")]
    pub fn for_visitor(mut self) -> Self {
        self.author = None;
        self.mentions = Vec::new();
        self
    }
}

/// One page of history, oldest first. `nextCursor`, passed back as
/// `?cursor=`, fetches the page of older messages; `null` when there is none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MessagePage {
    pub messages: Vec<Message>,
    pub next_cursor: Option<String>,
}

/// Page sizes accepted by the list calls.
pub const DEFAULT_PAGE_SIZE: u32 = 30;
pub const MAX_PAGE_SIZE: u32 = 100;
