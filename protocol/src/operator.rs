//! `/v1/operator/...`: the organization's support staff, authenticated by
//! an operator's session cookie (acting in its active organization) or one
//! of the organization's API keys (`Authorization: Bearer <key>`).

use serde::{Deserialize, Serialize};

use crate::conversations::{ConversationStatus, MessagePreview};
use crate::team::Assignee;
use crate::validate::BrowserMetadata;
use crate::{ConversationId, OperatorId, Timestamp};

/// One row of the operator's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OperatorConversationItem {
    pub conversation_id: ConversationId,
    pub status: ConversationStatus,
    pub created_at: Timestamp,
    pub last_activity_at: Timestamp,
    pub visitor_name: String,
    pub last_message: Option<MessagePreview>,
    pub assignee: Option<Assignee>,
    /// Its labels, by name.
    #[serde(default)]
    pub labels: Vec<crate::desk::Label>,
    /// The visitor's last rating (the one that counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<crate::ratings::ConversationRating>,
}

/// `GET /v1/operator/conversations`: newest activity first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OperatorConversationPage {
    pub conversations: Vec<OperatorConversationItem>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VisitorDetails {
    pub name: String,
    pub email: String,
    pub metadata: BrowserMetadata,
}

/// `GET /v1/operator/conversations/{conversationId}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OperatorConversation {
    pub conversation_id: ConversationId,
    pub status: ConversationStatus,
    pub created_at: Timestamp,
    pub last_activity_at: Timestamp,
    pub visitor: VisitorDetails,
    pub assignee: Option<Assignee>,
    /// When the visitor was last sent a mail with the team's replies.
    #[serde(default)]
    pub visitor_mailed_at: Option<Timestamp>,
    /// Its labels, by name.
    #[serde(default)]
    pub labels: Vec<crate::desk::Label>,
    /// The visitor's last rating (the one that counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<crate::ratings::ConversationRating>,
}

/// `PATCH /v1/operator/conversations/{conversationId}`: the status, the
/// assignee, or both. `assigneeId: null` unassigns; leaving it out keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UpdateConversation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ConversationStatus>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, nullable))]
    pub assignee_id: Option<Option<OperatorId>>,
}

/// A field that is present (even as `null`) is `Some`.
pub(crate) fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// `GET /v1/operator/organization`: what the console needs to show which
/// features the plan includes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrganizationInfo {
    pub organization_id: crate::OrganizationId,
    pub name: String,
    /// Pro features (AI replies, enhance, knowledge-base uploads) need this.
    pub subscription_active: bool,
    /// Whether the server has a language model configured.
    pub ai_available: bool,
    /// The assistant used up today's replies on this server: new
    /// conversations wait for a person until tomorrow (UTC).
    #[serde(default)]
    pub ai_limit_reached: bool,
    /// Members must use two-factor sign-in to act here.
    #[serde(default)]
    pub require_two_factor: bool,
    /// Resolved conversations idle this many days are deleted; `null`:
    /// kept forever.
    #[serde(default)]
    pub retention_days: Option<u32>,
    /// Visitors are asked to rate resolved conversations.
    #[serde(default)]
    pub ratings_enabled: bool,
    /// `active` or `inactive`: changed only by the signed billing webhook.
    #[serde(default)]
    pub subscription_status: String,
    /// The billing provider's hosted checkout for this organization, when
    /// the server has one configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout_url: Option<String>,
}

/// `POST /v1/operator/enhance`: a draft reply in, a clearer one out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Enhance {
    pub text: String,
}

/// `GET` / `PUT /v1/operator/widget-settings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WidgetSettings {
    pub greet_message: String,
    pub suggestions: Vec<String>,
    /// `#rrggbb`; left out of a `PUT`, it stays as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accent_color: Option<String>,
    /// Left out of a `PUT`, it stays as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<crate::widget::WidgetTheme>,
    /// The sites allowed to embed the widget, as origins
    /// (`https://shop.example.com`, at most 20); empty: any site. Mails
    /// link only to pages on them. Left out of a `PUT`, they stay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_origins: Option<Vec<String>>,
    /// Voice (needs the Vapi plugin): the assistant and the number, each
    /// one of the account's. Left out of a `PUT`, it stays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<crate::plugins::VoiceSettings>,
}

/// `GET` / `POST /v1/operator/identity-secret` (admins): the key the host's
/// server signs its users' IDs with; `POST` replaces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IdentitySecret {
    pub identity_secret: String,
}
