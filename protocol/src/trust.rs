//! Trust: two-factor sign-in (`/v1/auth/two-factor...`), an
//! organization's security settings (`PATCH /v1/operator/organization`) and
//! its audit log (`GET /v1/operator/audit-log`).

use serde::{Deserialize, Deserializer, Serialize};

use crate::team::Account;
use crate::Timestamp;

/// `POST /v1/auth/two-factor/setup`: a new secret, not yet in force. The
/// authenticator app reads the QR code (or the secret typed in); the
/// first code it shows turns two-factor sign-in on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TwoFactorSetup {
    /// Base32, as authenticator apps take it typed in.
    pub secret: String,
    /// `otpauth://totp/...`: what the QR code holds.
    pub otpauth_uri: String,
    /// The QR code of `otpauthUri` as an SVG document.
    pub qr_svg: String,
}

/// `POST /v1/auth/two-factor/enable`: a code from the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TwoFactorCode {
    pub code: String,
}

/// The answer of enabling: ten single-use codes for when the phone is
/// lost, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

/// The answer of a right password for an account with two-factor sign-in:
/// no session yet; `POST /v1/auth/two-factor` with the challenge and a
/// code completes it within five minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TwoFactorChallenge {
    /// Always `true`: tells this answer from an [`Account`].
    pub two_factor_required: bool,
    pub challenge: String,
}

/// What `POST /v1/auth/sign-in` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum SignInAnswer {
    /// Signed in: the account, with the session cookie set.
    Account(Account),
    /// The password was right; a second factor is needed.
    TwoFactor(TwoFactorChallenge),
}

/// `POST /v1/auth/two-factor`: the challenge and either a code from the
/// app or an unused recovery code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CompleteTwoFactor {
    pub challenge: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
}

/// `POST /v1/auth/two-factor/disable`: the password and a current code
/// (or a recovery code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DisableTwoFactor {
    pub password: String,
    pub code: String,
}

/// `PATCH /v1/operator/organization` (admins): only the fields present
/// change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UpdateOrganization {
    /// Members must use two-factor sign-in to act in the organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_two_factor: Option<bool>,
    /// Days after their last activity that resolved conversations are
    /// deleted (30 to 3,650); `null` keeps them forever.
    #[serde(
        default,
        deserialize_with = "present_whole",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u32>, nullable))]
    pub retention_days: Option<Option<u32>>,
    /// Visitors are asked to rate resolved conversations (default on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratings_enabled: Option<bool>,
}

/// A field that is present (even as `null`) is `Some`; a number is read as
/// JSON Schema reads integers (`90.0` is 90).
fn present_whole<'de, D>(deserializer: D) -> Result<Option<Option<u32>>, D::Error>
where
    D: Deserializer<'de>,
{
    crate::validate::whole::number(deserializer).map(Some)
}

/// The shortest and longest retention an organization may set, in days.
pub const RETENTION_DAYS: std::ops::RangeInclusive<u32> = 30..=3650;

/// Who did an audited action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum AuditActorKind {
    /// A signed-in member (or someone signing in as them).
    Operator,
    /// One of the organization's API keys.
    ApiKey,
    /// The server itself (a background job).
    Server,
}

crate::ids::text_enum!(AuditActorKind {
    Operator => "operator",
    ApiKey => "apiKey",
    Server => "server",
});

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum AuditAction {
    SignIn,
    SignInFailed,
    TwoFactorEnabled,
    TwoFactorDisabled,
    RecoveryCodeUsed,
    InvitationCreated,
    InvitationAccepted,
    RoleChanged,
    MemberRemoved,
    ApiKeyCreated,
    ApiKeyDeleted,
    IdentitySecretRotated,
    PluginConnected,
    PluginDisconnected,
    SettingsChanged,
    ContactExported,
    ContactErased,
    RetentionChanged,
}

crate::ids::text_enum!(AuditAction {
    SignIn => "signIn",
    SignInFailed => "signInFailed",
    TwoFactorEnabled => "twoFactorEnabled",
    TwoFactorDisabled => "twoFactorDisabled",
    RecoveryCodeUsed => "recoveryCodeUsed",
    InvitationCreated => "invitationCreated",
    InvitationAccepted => "invitationAccepted",
    RoleChanged => "roleChanged",
    MemberRemoved => "memberRemoved",
    ApiKeyCreated => "apiKeyCreated",
    ApiKeyDeleted => "apiKeyDeleted",
    IdentitySecretRotated => "identitySecretRotated",
    PluginConnected => "pluginConnected",
    PluginDisconnected => "pluginDisconnected",
    SettingsChanged => "settingsChanged",
    ContactExported => "contactExported",
    ContactErased => "contactErased",
    RetentionChanged => "retentionChanged",
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditActor {
    pub kind: AuditActorKind,
    /// The operator's or API key's ID.
    pub id: Option<String>,
    /// Their name (or email) when it happened.
    pub name: Option<String>,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub at: Timestamp,
    pub action: AuditAction,
    pub actor: AuditActor,
    /// The client's address, when the action came over HTTP.
    pub address: Option<String>,
    /// What it was done to: an operator's or key's ID, an email.
    pub target: Option<String>,
    /// For a settings change: which fields changed.
    #[serde(default)]
    pub fields: Vec<String>,
}

/// `GET /v1/operator/audit-log`, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}

/// `GET /v1/operator/contacts/export` and `POST /v1/operator/contacts/erase`:
/// the visitor, by the email they gave or the verified user ID the host
/// signed. Exactly one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ContactKey {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// One contact session of the visitor, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ExportedSession {
    pub name: String,
    pub email: String,
    pub user_id: Option<String>,
    /// What the widget recorded about the visit (page, browser, language).
    pub metadata: crate::validate::BrowserMetadata,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// One conversation of the visitor with its messages, oldest first (the
/// team's private notes are not the visitor's data and are left out;
/// attachments come as signed links).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ExportedConversation {
    pub conversation_id: crate::ConversationId,
    pub status: crate::conversations::ConversationStatus,
    pub created_at: Timestamp,
    pub last_activity_at: Timestamp,
    pub messages: Vec<crate::messages::Message>,
}

/// Everything stored about a visitor in one organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ContactExport {
    pub organization_id: crate::OrganizationId,
    pub exported_at: Timestamp,
    pub email: Option<String>,
    pub user_id: Option<String>,
    pub sessions: Vec<ExportedSession>,
    pub conversations: Vec<ExportedConversation>,
}

/// What an erasure deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ContactErased {
    pub sessions: u64,
    pub conversations: u64,
    pub messages: u64,
    pub attachments: u64,
    /// Mail queued or sent to them, and their mail confirmations.
    pub mails: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_null_is_present_and_absent_is_not() {
        let set: UpdateOrganization = serde_json::from_str(r#"{"retentionDays":null}"#).unwrap();
        assert_eq!(set.retention_days, Some(None));
        let absent: UpdateOrganization = serde_json::from_str("{}").unwrap();
        assert_eq!(absent.retention_days, None);
        let days: UpdateOrganization = serde_json::from_str(r#"{"retentionDays":90}"#).unwrap();
        assert_eq!(days.retention_days, Some(Some(90)));
        let whole: UpdateOrganization = serde_json::from_str(r#"{"retentionDays":90.0}"#).unwrap();
        assert_eq!(whole.retention_days, Some(Some(90)));
        assert!(serde_json::from_str::<UpdateOrganization>(r#"{"retentionDays":90.5}"#).is_err());
    }

    #[test]
    fn a_challenge_is_not_read_as_an_account() {
        let answer: SignInAnswer =
            serde_json::from_str(r#"{"twoFactorRequired":true,"challenge":"c"}"#).unwrap();
        assert!(matches!(answer, SignInAnswer::TwoFactor(_)));
    }
}
