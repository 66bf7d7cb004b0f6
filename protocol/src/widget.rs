//! `GET /v1/organizations/{organizationId}/widget`: what the widget may know
//! about an organization before a visitor identifies themselves.

use serde::{Deserialize, Serialize};

use crate::OrganizationId;

/// The default greeting for an organization that has not set one.
pub const DEFAULT_GREET_MESSAGE: &str = "Hi! How can I help you today?";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WidgetConfig {
    pub organization_id: OrganizationId,
    /// The organization's display name, shown in the widget header.
    pub name: String,
    pub greet_message: String,
    /// Up to three suggestion chips shown under the greeting.
    pub suggestions: Vec<String>,
}
