//! Team accounts: operators who sign in as themselves, their memberships
//! and roles, invitations, API keys, and who a conversation is assigned to
//! (`/v1/auth/...`, `/v1/operator/team`, `/v1/operator/invitations`,
//! `/v1/operator/api-keys`).

use serde::{Deserialize, Serialize};

use crate::{ApiKeyId, InvitationId, OperatorId, OrganizationId, Timestamp};

/// What an operator may do in an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum OperatorRole {
    /// Team, API keys, widget settings, knowledge base and conversations.
    Admin,
    /// Conversations only.
    Agent,
}

crate::ids::text_enum!(OperatorRole {
    Admin => "admin",
    Agent => "agent",
});

/// `POST /v1/auth/sign-in`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SignIn {
    pub email: String,
    pub password: String,
}

/// `POST /v1/auth/invitations/accept`. `name` is used only when the
/// invitation creates the account; for an existing account `password` must
/// be that account's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AcceptInvitation {
    pub token: String,
    #[serde(default)]
    pub name: String,
    pub password: String,
}

/// `POST /v1/auth/organization`: the organization the session acts in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChooseOrganization {
    pub organization_id: OrganizationId,
}

/// `POST /v1/auth/password`: ends every session of the operator, then signs
/// this one in again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OperatorProfile {
    pub id: OperatorId,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Membership {
    pub organization_id: OrganizationId,
    pub name: String,
    pub role: OperatorRole,
}

/// The answer of sign-in, invitation acceptance, `GET /v1/auth/me` and
/// choosing an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub operator: OperatorProfile,
    pub organizations: Vec<Membership>,
    /// The organization operator calls act in; chosen at sign-in when there
    /// is exactly one membership, else by `POST /v1/auth/organization`.
    pub active_organization_id: Option<OrganizationId>,
    /// Whether new visitor messages are mailed while the console is closed.
    #[serde(default)]
    pub email_notifications: bool,
    /// Whether this operator signs in with a second factor.
    #[serde(default)]
    pub two_factor_enabled: bool,
    /// The active organization requires two-factor sign-in and this
    /// operator has not turned it on: every operator call is 403
    /// `TWO_FACTOR_REQUIRED` until they do.
    #[serde(default)]
    pub two_factor_required: bool,
    /// Whether the operator confirmed their email address (accounts made
    /// by sign-up start unconfirmed; invited ones and the first admin do not).
    #[serde(default = "confirmed")]
    pub email_verified: bool,
}

fn confirmed() -> bool {
    true
}

/// `PUT /v1/auth/notifications`: the operator's own mail setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NotificationSettings {
    pub email_notifications: bool,
}

/// `POST /v1/operator/invitations` (admins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreateInvitation {
    pub email: String,
    pub role: OperatorRole,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct InvitationCreated {
    pub invitation_id: InvitationId,
    /// The console's accept page with the single-use token in its fragment.
    pub url: String,
    pub expires_at: Timestamp,
}

/// One member of the organization's team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TeamMember {
    pub operator_id: OperatorId,
    pub name: String,
    pub email: String,
    pub role: OperatorRole,
}

/// `GET /v1/operator/team`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Team {
    pub members: Vec<TeamMember>,
}

/// `PATCH /v1/operator/team/{operatorId}` (admins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UpdateMember {
    pub role: OperatorRole,
}

/// One API key, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    pub key_id: ApiKeyId,
    pub name: String,
    pub created_at: Timestamp,
}

/// `GET /v1/operator/api-keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ApiKeys {
    pub api_keys: Vec<ApiKey>,
}

/// `POST /v1/operator/api-keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreateApiKey {
    pub name: String,
}

/// The new key: `key` is shown only in this answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyCreated {
    pub key_id: ApiKeyId,
    pub name: String,
    pub key: String,
}

/// The operator a conversation is assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Assignee {
    pub operator_id: OperatorId,
    pub name: String,
}

/// Who wrote an operator message, in the operator API: the operator, or
/// (`operatorId` null) an API key acting as the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MessageAuthor {
    pub operator_id: Option<OperatorId>,
    pub name: String,
}
