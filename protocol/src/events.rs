//! Live updates, pushed as Server-Sent Events over a streamed `fetch`
//! (`GET /v1/conversations/{id}/events` for a visitor, `GET
//! /v1/operator/events` for an operator). Each event has a `position` that
//! only grows; a client that reconnects sends the last one it saw as
//! `Last-Event-ID` and receives exactly what it missed, in order.

use serde::{Deserialize, Serialize};

use crate::conversations::ConversationStatus;
use crate::messages::Message;
#[cfg(feature = "operator")]
use crate::team::Assignee;
use crate::ConversationId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LiveEvent {
    /// Increasing across the whole server; the SSE `id:` carries it too.
    pub position: i64,
    pub conversation_id: ConversationId,
    #[serde(flatten)]
    pub change: Change,
}

/// The data of the stream's `ready` frame (where the stream starts) and of
/// a `reset` frame (where a client that must reload continues from).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StreamPosition {
    pub position: i64,
}

/// Who is typing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Typist {
    /// The AI assistant, writing its reply.
    #[default]
    Assistant,
    /// A person of the team (named by `name`).
    Operator,
    /// The visitor (operator streams only; never what they type).
    Visitor,
}

/// What happened; `type` is `message`, `status`, `assignment`, `labels`,
/// `rating`, `typing`, `voiceCall` or `voiceTranscript`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Change {
    /// A message was added to the conversation.
    Message { message: Message },
    /// The conversation's status changed.
    Status { status: ConversationStatus },
    /// The conversation was assigned (or, `null`, unassigned). Operator
    /// streams only.
    #[cfg(feature = "operator")]
    Assignment { assignee: Option<Assignee> },
    /// The conversation's labels, all of them, after a change. Operator
    /// streams only.
    #[cfg(feature = "operator")]
    Labels { labels: Vec<crate::desk::Label> },
    /// The visitor rated the resolved conversation. Operator streams only.
    #[cfg(feature = "operator")]
    Rating {
        rating: crate::ratings::ConversationRating,
    },
    /// Someone started (`true`) or stopped (`false`) writing: the assistant,
    /// an operator (`name`), or, on operator streams, the visitor. Not
    /// stored: its `position` is 0, it has no SSE `id`, and a client that
    /// reconnects does not get it again.
    Typing {
        active: bool,
        #[serde(default)]
        by: Typist,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// A voice call started or ended (with its duration).
    VoiceCall { call: crate::voice::VoiceCall },
    /// What is being said in a voice call, before it is final (the final
    /// line arrives as a `message` marked `voice`). Not stored, as `typing`.
    VoiceTranscript {
        call_id: String,
        role: crate::messages::MessageRole,
        transcript: String,
    },
}

impl Change {
    /// The SSE `event:` name.
    pub fn kind(&self) -> &'static str {
        match self {
            Change::Message { .. } => "message",
            Change::Status { .. } => "status",
            #[cfg(feature = "operator")]
            Change::Assignment { .. } => "assignment",
            #[cfg(feature = "operator")]
            Change::Labels { .. } => "labels",
            #[cfg(feature = "operator")]
            Change::Rating { .. } => "rating",
            Change::Typing { .. } => "typing",
            Change::VoiceCall { .. } => "voiceCall",
            Change::VoiceTranscript { .. } => "voiceTranscript",
        }
    }

    /// The event as a visitor's stream carries it (`None`: not at all):
    /// authors by name only; no notes, assignments, labels, or the
    /// visitor's own typing.
    #[cfg(feature = "operator")]
    pub fn for_visitor(self) -> Option<Self> {
        match self {
            Change::Message { message } if message.role == crate::messages::MessageRole::Note => {
                None
            }
            Change::Message { message } => Some(Change::Message {
                message: message.for_visitor(),
            }),
            Change::Assignment { .. } | Change::Labels { .. } | Change::Rating { .. } => None,
            Change::Typing {
                by: Typist::Visitor,
                ..
            } => None,
            other => Some(other),
        }
    }

    /// Whether the event is live-only (not in the event log, no position).
    pub fn is_ephemeral(&self) -> bool {
        matches!(self, Change::Typing { .. } | Change::VoiceTranscript { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::MessageRole;
    use crate::{MessageId, Timestamp};

    #[test]
    fn wire_format_is_pinned() {
        let id = ConversationId::parse("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap();
        let status = LiveEvent {
            position: 7,
            conversation_id: id,
            change: Change::Status {
                status: ConversationStatus::Escalated,
            },
        };
        assert_eq!(
            serde_json::to_string(&status).unwrap(),
            r#"{"position":7,"conversationId":"67e55044-10b1-426f-9247-bb680e5fe0c8","type":"status","status":"escalated"}"#
        );
        let message = LiveEvent {
            position: 8,
            conversation_id: id,
            change: Change::Message {
                message: Message::new(
                    MessageId::parse("67e55044-10b1-426f-9247-bb680e5fe0c9").unwrap(),
                    MessageRole::Operator,
                    "hi".into(),
                    Timestamp(1),
                ),
            },
        };
        let json = serde_json::to_string(&message).unwrap();
        assert!(json.contains(r#""type":"message","message":{"#), "{json}");
        assert_eq!(serde_json::from_str::<LiveEvent>(&json).unwrap(), message);
    }
}
