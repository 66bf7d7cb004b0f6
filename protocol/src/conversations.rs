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

crate::ids::text_enum!(ConversationStatus {
    Unresolved => "unresolved",
    Escalated => "escalated",
    Resolved => "resolved",
});

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

/// `POST /v1/conversations/{conversationId}/transcript`: where it goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TranscriptQueued {
    pub email: String,
    /// The address has to confirm it wants mail from the organization
    /// first (a link was mailed to it, at most once a day); the transcript
    /// follows the confirmation.
    #[serde(default)]
    pub awaiting_confirmation: bool,
}

/// `GET /v1/conversations/{conversationId}`: deliberately minimal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConversationView {
    pub conversation_id: ConversationId,
    pub status: ConversationStatus,
    pub created_at: Timestamp,
    /// The visitor may rate it now (resolved, answered, not rated since it
    /// was resolved, and the organization asks for ratings).
    #[serde(default)]
    pub can_rate: bool,
    /// The visitor's last rating of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<crate::ratings::ConversationRating>,
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
