//! Onboarding: self-service sign-up (`/v1/auth/sign-up`), the email
//! check, the first admin of an empty server (`/v1/auth/setup`), more
//! organizations (`/v1/auth/organizations`) and the install page
//! (`/v1/operator/installation`).

use serde::{Deserialize, Serialize};

use crate::{OrganizationId, Timestamp};

/// `POST /v1/auth/sign-up` (when the server allows sign-up).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SignUp {
    pub name: String,
    pub email: String,
    pub password: String,
    pub organization_name: String,
}

/// What sign-up answers, the same for a new address and one that already
/// has an account (which is mailed instead): the address the check went
/// to. A new account is also signed in (the session cookie).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SignUpAnswer {
    /// Lowercased.
    pub email: String,
    /// Always `true`: a mail with a link went (or will go) to `email`.
    pub verification_sent: bool,
}

/// `POST /v1/auth/verify-email`: the token from the mailed link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VerifyEmail {
    pub token: String,
}

/// `GET /v1/auth/setup`: whether this server has no account yet, so the
/// console offers to create the first one (with the token `serve` logged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SetupStatus {
    pub needed: bool,
    /// Whether `POST /v1/auth/sign-up` is open on this server.
    pub sign_up: bool,
}

/// `POST /v1/auth/setup`: the first account and organization of an empty
/// server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Setup {
    /// The one-time setup token `echo-server serve` printed in its log.
    pub token: String,
    pub name: String,
    pub email: String,
    pub password: String,
    pub organization_name: String,
}

/// `POST /v1/auth/organizations`: a new organization, its creator its admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreateOrganization {
    pub name: String,
}

/// A host page's site that loaded the widget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SeenOrigin {
    pub origin: String,
    pub last_seen_at: Timestamp,
}

/// `GET /v1/operator/installation`: what the install page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Installation {
    pub organization_id: OrganizationId,
    /// The loader's URL on this server (`.../embed.js`).
    pub script_url: String,
    /// The sites whose pages loaded the widget, latest first (at most 50).
    pub seen_on: Vec<SeenOrigin>,
}
