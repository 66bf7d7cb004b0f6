//! What onboarding stores: organizations made from the console with their
//! admin (and, for sign-up, the account), the mailed email checks, and the
//! host sites the widget was seen on.

use async_trait::async_trait;
use echo_protocol::onboarding::SeenOrigin;
use echo_protocol::{OperatorId, OrganizationId, Timestamp};

use super::mail::NewMail;
use super::{Joiner, NewOrganization, StoreResult};
use crate::secrets::SecretHash;

/// A mailed link's token, stored hashed.
#[derive(Debug, Clone)]
pub struct NewVerification {
    pub token_hash: SecretHash,
    pub operator: OperatorId,
    /// The address the link went to: the check holds only while the
    /// account still has it.
    pub email: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// An organization made from the console, its admin, and the mail that
/// goes with it (sign-up's check), written together or not at all.
#[derive(Debug, Clone)]
pub struct OwnedOrganization {
    pub organization: NewOrganization,
    /// A new account (sign-up, the first admin) or a signed-in one.
    pub admin: Joiner,
    pub verification: Option<(NewVerification, NewMail)>,
    /// Only while the server has no account at all (the first admin):
    /// `Conflict` otherwise, so two tabs cannot both claim a fresh server.
    pub only_if_empty: bool,
}

/// The most host sites kept per organization (the oldest go first).
pub const MAX_SEEN_ORIGINS: i64 = 50;

#[async_trait]
pub trait OnboardingStore: Send + Sync {
    /// `Conflict` when the new account's email is taken or, with
    /// `only_if_empty`, when an account exists.
    async fn create_owned_organization(&self, new: OwnedOrganization) -> StoreResult<()>;

    /// Whether any operator account exists.
    async fn has_operators(&self) -> StoreResult<bool>;

    /// Queues an account mail, with the check its link carries, if any.
    async fn queue_account_mail(
        &self,
        verification: Option<NewVerification>,
        mail: NewMail,
    ) -> StoreResult<()>;

    /// Checks were mailed to the operator since `since` (for the resend limit).
    async fn verifications_since(&self, operator: OperatorId, since: Timestamp)
        -> StoreResult<u64>;

    /// Uses the token (once, before it expires) and marks its operator's
    /// address confirmed if it is still the one mailed; `None` otherwise.
    async fn verify_email(
        &self,
        token: &SecretHash,
        now: Timestamp,
    ) -> StoreResult<Option<OperatorId>>;

    /// Records that a page on `origin` loaded the widget.
    async fn record_widget_origin(
        &self,
        organization: OrganizationId,
        origin: String,
        now: Timestamp,
    ) -> StoreResult<()>;

    /// The host sites, latest first.
    async fn widget_origins(&self, organization: OrganizationId) -> StoreResult<Vec<SeenOrigin>>;
}
