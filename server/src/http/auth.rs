//! Who is calling: the visitor behind a contact-session bearer, an
//! operator signed in with the session cookie, or an organization's API key. Handlers take these extractors and
//! never read the `Authorization` header themselves.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::{AUTHORIZATION, COOKIE, ORIGIN};
use axum::http::request::Parts;
use axum::http::Method;
use echo_protocol::operator::OperatorConversation;
use echo_protocol::team::{MessageAuthor, OperatorProfile, OperatorRole};
use echo_protocol::{
    ApiKeyId, ContactSessionId, ConversationId, ErrorCode, OperatorId, OrganizationId, Timestamp,
};

use super::error::{ApiError, ApiResult};
use super::extract::{conversation_not_found, organization_not_found, ClientAddress};
use super::ApiContext;
use crate::accounts::{SESSION_COOKIE, SESSION_IDLE_SECS, SESSION_TOUCH_SECS};
use crate::revocations::Revoked;
use crate::secrets::{OperatorKey, SecretHash, SessionToken};
use crate::store::{ContactSession, Conversation, OperatorSession, SubscriptionStatus};

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

/// Who acts on an operator call.
#[derive(Debug, Clone)]
pub enum Actor {
    /// An API key: the organization itself, no person.
    ApiKey {
        key_hash: SecretHash,
        key_id: ApiKeyId,
    },
    /// A signed-in operator with their role in the organization.
    Member {
        operator: OperatorProfile,
        role: OperatorRole,
        session_hash: SecretHash,
    },
}

/// How often an open operator stream checks that its credential still
/// holds, besides being told at once when it ends
/// ([`crate::revocations`]): the fallback for a change made elsewhere, such
/// as an administration command on another process of a SQLite server.
pub const RECHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// An operator call's organization and actor: from an API key bearer, or
/// from the session cookie (acting in the session's active organization).
#[derive(Debug, Clone)]
pub struct Operator {
    pub organization: OrganizationId,
    pub actor: Actor,
    /// The client's address, for the audit log.
    pub address: std::net::IpAddr,
}

impl<S> FromRequestParts<S> for Operator
where
    ApiContext: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = ApiContext::from_ref(state);
        let ClientAddress(address) = ClientAddress::from_request_parts(parts, state).await?;
        if parts.headers.contains_key(AUTHORIZATION) {
            let unauthorized =
                || ApiError::new(ErrorCode::Unauthorized, "A valid API key is required");
            let key = bearer(parts)
                .and_then(OperatorKey::parse)
                .ok_or_else(unauthorized)?;
            let key_hash = key.hash();
            let (organization, key_id) = ctx
                .store
                .api_key_organization(&key_hash)
                .await?
                .ok_or_else(unauthorized)?;
            tracing::debug!(%key_id, "API key call");
            return Ok(Self {
                organization,
                actor: Actor::ApiKey { key_hash, key_id },
                address,
            });
        }
        let signed_in = SignedIn::from_request_parts(parts, state)
            .await
            .map_err(|e| {
                if e.code() == ErrorCode::Unauthorized {
                    ApiError::new(
                        ErrorCode::Unauthorized,
                        "Sign in, or send an API key as a bearer token",
                    )
                } else {
                    e
                }
            })?;
        let (organization, role) = signed_in.session.active.ok_or_else(|| {
            ApiError::forbidden("Choose an organization first (POST /v1/auth/organization)")
        })?;
        if signed_in.session.two_factor_missing {
            return Err(ApiError::new(
                ErrorCode::TwoFactorRequired,
                "This organization requires two-factor sign-in: set it up first",
            ));
        }
        Ok(Self {
            organization,
            actor: Actor::Member {
                operator: signed_in.session.operator,
                role,
                session_hash: signed_in.session_hash,
            },
            address,
        })
    }
}

impl Operator {
    /// 403 unless the caller administers the organization (an API key does).
    pub fn require_admin(&self) -> ApiResult<()> {
        match &self.actor {
            Actor::Member {
                role: OperatorRole::Agent,
                ..
            } => Err(ApiError::forbidden(
                "Only an admin of the organization can do this",
            )),
            _ => Ok(()),
        }
    }

    /// Whether the credential still acts in the organization. A database
    /// failure counts as yes: a blip must not drop every open stream.
    pub async fn still_authorized(&self, ctx: &ApiContext) -> bool {
        let current = match &self.actor {
            Actor::ApiKey { key_hash, .. } => ctx
                .store
                .api_key_organization(key_hash)
                .await
                .map(|found| found.map(|(org, _)| org)),
            Actor::Member { session_hash, .. } => {
                let idle_since = Timestamp(ctx.clock.now().millis() - SESSION_IDLE_SECS * 1000);
                ctx.store
                    .operator_session(session_hash, idle_since)
                    .await
                    .map(|found| found.and_then(|s| s.active).map(|(org, _)| org))
            }
        };
        current.map_or(true, |org| org == Some(self.organization))
    }

    /// The credentials this call depends on: ending any of them ends its
    /// open streams.
    fn revocation_keys(&self) -> Vec<Revoked> {
        match &self.actor {
            Actor::ApiKey { key_id, .. } => vec![Revoked::ApiKey(*key_id)],
            Actor::Member {
                operator,
                session_hash,
                ..
            } => vec![
                Revoked::OperatorSession(session_hash.as_str().to_owned()),
                Revoked::Operator(operator.id),
                Revoked::Member(self.organization, operator.id),
            ],
        }
    }

    /// Resolves once the credential no longer holds: at once when it is
    /// revoked (registered before this returns, so nothing is missed),
    /// else at the next check ([`RECHECK_EVERY`]). The end of an
    /// operator's push stream.
    pub fn revoked(self, ctx: ApiContext) -> impl std::future::Future<Output = ()> + Send {
        let watch = ctx.hub.revocations.watch(self.revocation_keys());
        async move {
            loop {
                tokio::select! {
                    () = watch.revoked() => return,
                    () = tokio::time::sleep(RECHECK_EVERY) => {
                        if !self.still_authorized(&ctx).await {
                            return;
                        }
                    }
                }
            }
        }
    }

    /// The signed-in operator, if a person is acting.
    pub fn operator_id(&self) -> Option<OperatorId> {
        match &self.actor {
            Actor::Member { operator, .. } => Some(operator.id),
            Actor::ApiKey { .. } => None,
        }
    }

    /// Who an operator message is from: the operator, or the organization
    /// (by name) for an API key.
    pub async fn author(&self, ctx: &ApiContext) -> ApiResult<MessageAuthor> {
        Ok(match &self.actor {
            Actor::Member { operator, .. } => MessageAuthor {
                operator_id: Some(operator.id),
                name: operator.name.clone(),
            },
            Actor::ApiKey { .. } => MessageAuthor {
                operator_id: None,
                name: ctx
                    .store
                    .organization(self.organization)
                    .await?
                    .ok_or_else(organization_not_found)?
                    .name,
            },
        })
    }

    /// The conversation, with its visitor, if it is this organization's;
    /// another organization's is a 404 like a missing one.
    pub async fn conversation(
        &self,
        ctx: &ApiContext,
        id: ConversationId,
    ) -> ApiResult<OperatorConversation> {
        ctx.store
            .operator_conversation(self.organization, id)
            .await?
            .ok_or_else(conversation_not_found)
    }

    /// 402 unless the organization's subscription is active: the gate of
    /// every pro feature, on the server.
    /// 403 `EMAIL_NOT_VERIFIED` for a member who has not confirmed their
    /// address yet (sign-up's accounts): what reaches other people or
    /// outside systems waits for it. API keys are the organization's.
    pub async fn require_verified_email(&self, ctx: &ApiContext) -> ApiResult<()> {
        let Actor::Member { operator, .. } = &self.actor else {
            return Ok(());
        };
        let verified = ctx
            .store
            .operator_account(operator.id)
            .await?
            .is_some_and(|account| account.email_verified);
        if verified {
            return Ok(());
        }
        Err(ApiError::new(
            ErrorCode::EmailNotVerified,
            "Confirm your email address first: open the link we mailed you",
        ))
    }

    pub async fn require_subscription(&self, ctx: &ApiContext) -> ApiResult<()> {
        let org = ctx
            .store
            .organization(self.organization)
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

/// A signed-in operator: a live session from the `echo_session` cookie,
/// whatever its active organization. A request that changes state must
/// come from the public URL's origin, or the cookie is refused with 403
/// (a cross-site form or script cannot act with it).
pub struct SignedIn {
    pub session_hash: SecretHash,
    pub session: OperatorSession,
}

impl<S> FromRequestParts<S> for SignedIn
where
    ApiContext: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = ApiContext::from_ref(state);
        let unauthorized = || ApiError::new(ErrorCode::Unauthorized, "Sign in first");
        let token = session_cookie(parts)
            .and_then(SessionToken::parse)
            .ok_or_else(unauthorized)?;
        require_same_origin(parts, &ctx)?;
        let session_hash = token.hash();
        let now = ctx.clock.now();
        let idle_since = Timestamp(now.millis() - SESSION_IDLE_SECS * 1000);
        let session = ctx
            .store
            .operator_session(&session_hash, idle_since)
            .await?
            .ok_or_else(unauthorized)?;
        if now.millis() - session.last_seen_at.millis() > SESSION_TOUCH_SECS * 1000 {
            ctx.store.touch_operator_session(&session_hash, now).await?;
        }
        Ok(Self {
            session_hash,
            session,
        })
    }
}

/// The `echo_session` cookie's value.
pub fn session_cookie(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == SESSION_COOKIE).then_some(value)
        })
}

/// 403 for a state-changing request whose `Origin` is not the public
/// URL's (or is missing). Reads pass: they change nothing, and CORS keeps
/// their answers from other origins' scripts.
pub fn require_same_origin(parts: &Parts, ctx: &ApiContext) -> ApiResult<()> {
    if matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let origin = parts.headers.get(ORIGIN).and_then(|v| v.to_str().ok());
    if origin == Some(ctx.public.origin()) {
        return Ok(());
    }
    Err(ApiError::forbidden(
        "Cross-origin request refused: a signed-in change must come from the console",
    ))
}
