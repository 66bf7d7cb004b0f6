//! Who is calling: the visitor behind a contact-session bearer, or the
//! organization behind an operator key. Handlers take these extractors and
//! never read the `Authorization` header themselves.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use echo_protocol::operator::OperatorConversation;
use echo_protocol::{ContactSessionId, ConversationId, ErrorCode, OrganizationId};

use super::extract::{conversation_not_found, organization_not_found};
use super::ApiContext;
use crate::error::{ApiError, ApiResult};
use crate::secrets::{OperatorKey, SecretHash};
use crate::store::{ContactSession, Conversation, SubscriptionStatus};

/// The hash of the bearer contact-session ID, unchecked against the store:
/// for writes whose transaction verifies the session itself (saving a read
/// on the hottest path). A malformed header is still 401 here.
pub struct VisitorCredential(pub SecretHash);

impl<S: Send + Sync> FromRequestParts<S> for VisitorCredential {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        bearer(parts)
            .and_then(ContactSessionId::parse)
            .map(|id| Self(SecretHash::of(id.expose_secret())))
            .ok_or_else(ApiError::unauthorized)
    }
}

/// The calling visitor: a live contact session from
/// `Authorization: Bearer <contactSessionId>`. Anything else is 401.
pub struct Visitor(pub ContactSession);

impl<S> FromRequestParts<S> for Visitor
where
    ApiContext: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = ApiContext::from_ref(state);
        let id = bearer(parts)
            .and_then(ContactSessionId::parse)
            .ok_or_else(ApiError::unauthorized)?;
        let session = ctx
            .store
            .contact_session(&SecretHash::of(id.expose_secret()))
            .await?
            .filter(|s| ctx.policy.is_live(s.expires_at, ctx.clock.now()))
            .ok_or_else(ApiError::unauthorized)?;
        Ok(Self(session))
    }
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

impl Visitor {
    /// The conversation if it belongs to this visitor's session. A missing
    /// one and another session's give the same 404.
    pub async fn conversation(
        &self,
        ctx: &ApiContext,
        id: ConversationId,
    ) -> ApiResult<Conversation> {
        ctx.store
            .conversation_of_session(id, &self.0.id_hash)
            .await?
            .ok_or_else(conversation_not_found)
    }
}

/// The organization whose operator key the request carries.
pub struct Operator(pub OrganizationId);

impl<S> FromRequestParts<S> for Operator
where
    ApiContext: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = ApiContext::from_ref(state);
        let unauthorized =
            || ApiError::new(ErrorCode::Unauthorized, "A valid operator key is required");
        let key = bearer(parts)
            .and_then(OperatorKey::parse)
            .ok_or_else(unauthorized)?;
        let organization = ctx
            .store
            .operator_organization(&key.hash())
            .await?
            .ok_or_else(unauthorized)?;
        Ok(Self(organization))
    }
}

impl Operator {
    /// The conversation, with its visitor, if it is this organization's;
    /// another organization's is a 404 like a missing one.
    pub async fn conversation(
        &self,
        ctx: &ApiContext,
        id: ConversationId,
    ) -> ApiResult<OperatorConversation> {
        ctx.store
            .operator_conversation(self.0, id)
            .await?
            .ok_or_else(conversation_not_found)
    }

    /// 402 unless the organization's subscription is active: the gate of
    /// every pro feature, on the server.
    pub async fn require_subscription(&self, ctx: &ApiContext) -> ApiResult<()> {
        let org = ctx
            .store
            .organization(self.0)
            .await?
            .ok_or_else(organization_not_found)?;
        if org.subscription != SubscriptionStatus::Active {
            return Err(ApiError::new(
                ErrorCode::SubscriptionRequired,
                "This feature needs an active subscription",
            ));
        }
        Ok(())
    }
}
