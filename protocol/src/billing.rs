//! `POST /v1/webhooks/billing`: the billing provider tells Echo that an
//! organization's subscription changed.
//!
//! The request carries `Echo-Signature: t=<unix seconds>,v1=<hex>` where
//! `v1` is HMAC-SHA256, keyed with the shared webhook secret, of
//! `"<t>.<raw body>"`. Events older (or newer) than five minutes are refused;
//! an event whose `id` was already applied changes nothing.

use serde::{Deserialize, Serialize};

use crate::OrganizationId;

/// The subscription states a billing event can set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum BillingStatus {
    Active,
    Inactive,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BillingEvent {
    /// Unique per event; redeliveries reuse it.
    pub id: String,
    pub organization_id: OrganizationId,
    pub status: BillingStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BillingEventReceived {
    /// `false` when this event ID had already been applied.
    pub applied: bool,
}
