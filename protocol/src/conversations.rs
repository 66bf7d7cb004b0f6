//! `/v1/conversations`: a visitor's conversations with the organization.

use serde::{Deserialize, Serialize};

use crate::messages::MessageRole;
use crate::{ConversationId, OrganizationId, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ConversationStatus {
    Unresolved,
    Escalated,
    Resolved,
}

impl std::str::FromStr for ConversationStatus {
    type Err = crate::ids::InvalidValue;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text).ok_or(crate::ids::InvalidValue)
    }
}

impl ConversationStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            ConversationStatus::Unresolved => "unresolved",
            ConversationStatus::Escalated => "escalated",
            ConversationStatus::Resolved => "resolved",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "unresolved" => Some(ConversationStatus::Unresolved),
            "escalated" => Some(ConversationStatus::Escalated),
            "resolved" => Some(ConversationStatus::Resolved),
            _ => None,
        }
    }
}

/// `POST /v1/conversations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreateConversation {
    pub organization_id: OrganizationId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConversationCreated {
    pub conversation_id: ConversationId,
    pub status: ConversationStatus,
}

/// `GET /v1/conversations/{conversationId}`: deliberately minimal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConversationView {
    pub conversation_id: ConversationId,
    pub status: ConversationStatus,
    pub created_at: Timestamp,
}

/// The last message of a conversation, for an inbox row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MessagePreview {
    pub role: MessageRole,
    pub text: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConversationListItem {
    pub conversation_id: ConversationId,
    pub status: ConversationStatus,
    pub created_at: Timestamp,
    pub last_message: Option<MessagePreview>,
}

/// `GET /v1/conversations`: newest first; pass `nextCursor` back as
/// `?cursor=` for the following page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConversationPage {
    pub conversations: Vec<ConversationListItem>,
    pub next_cursor: Option<String>,
}
