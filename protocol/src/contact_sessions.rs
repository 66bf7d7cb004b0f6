//! `/v1/contact-sessions`: a visitor identifies themselves and receives the
//! bearer secret for every later call.

use serde::{Deserialize, Serialize};

use crate::validate::BrowserMetadata;
use crate::{ContactSessionId, OrganizationId, Timestamp};

/// `POST /v1/contact-sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreateContactSession {
    pub organization_id: OrganizationId,
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub metadata: BrowserMetadata,
    /// A visitor signed in on the host site: the host's ID for them, 1-255
    /// characters. Needs `userHash`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Lowercase hex HMAC-SHA256 of `userId` under the organization's
    /// identity secret, computed by the host's server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_hash: Option<String>,
}

/// The answer to `POST /v1/contact-sessions`: the only response that ever
/// carries a contact session ID, and only the caller's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ContactSessionCreated {
    pub contact_session_id: ContactSessionId,
    pub expires_at: Timestamp,
}

/// `GET /v1/contact-sessions/current`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CurrentContactSession {
    pub organization_id: OrganizationId,
    pub name: String,
    pub email: String,
    pub expires_at: Timestamp,
}
