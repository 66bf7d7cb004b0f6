//! `/v1/contact-sessions`: a visitor identifies themselves.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use echo_protocol::contact_sessions::{
    ContactSessionCreated, CreateContactSession, CurrentContactSession,
};
use echo_protocol::validate::{Email, UserId, VisitorName};
use echo_protocol::ErrorCode;

use super::auth::Visitor;
use super::error::{ApiError, ApiResult};
use super::extract::{organization_not_found, ApiJson, ClientAddress};
use super::{sites, ApiContext};
use crate::revocations::Revoked;
use crate::secrets::{new_contact_session_id, SecretHash};
use crate::store::{NewContactSession, StoreError};

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/v1/contact-sessions", post(create_contact_session))
        .route(
            "/v1/contact-sessions/current",
            get(current_contact_session).delete(end_contact_session),
        )
}

/// With allowed sites set, a session is refused for a widget on another
/// site, as far as the server can tell: the request's `Origin` (a page
/// calling the API itself) and the host page the widget reports (its
/// `currentUrl`, the frame's referrer). This server's own origin (the
/// widget's page itself) is always allowed; a request that tells neither
/// (a script with no browser) cannot be told apart and passes.
fn refuse_other_sites(
    ctx: &ApiContext,
    allowed: &[String],
    headers: &HeaderMap,
    request: &CreateContactSession,
) -> ApiResult<()> {
    sites::refuse_origin(ctx, allowed, headers)?;
    let host_page = request
        .metadata
        .current_url
        .as_deref()
        .map(|url| echo_protocol::origin::origin_of(url).unwrap_or_default());
    match host_page {
        Some(site) if !sites::allows(ctx, allowed, &site) => Err(sites::not_allowed()),
        _ => Ok(()),
    }
}

/// Creates a contact session; its ID is the visitor's bearer credential.
#[utoipa::path(
    post,
    path = "/v1/contact-sessions",
    tag = "contact sessions",
    request_body = CreateContactSession,
    responses(
        (status = 201, body = ContactSessionCreated),
        (status = 400, description = "Invalid name, email or metadata (`VALIDATION`, with `field`)", body = echo_protocol::ErrorBody),
        (status = 403, description = "`userId` without a `userHash` that verifies: missing, malformed or wrong (`IDENTITY_VERIFICATION_FAILED`); or a widget on a site the organization does not allow (`ORIGIN_NOT_ALLOWED`)", body = echo_protocol::ErrorBody),
        (status = 404, description = "Unknown organization (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
        (status = 429, description = "Too many new sessions from this address (`RATE_LIMITED`, `Retry-After`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %request.organization_id))]
pub async fn create_contact_session(
    State(ctx): State<ApiContext>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    ApiJson(request): ApiJson<CreateContactSession>,
) -> ApiResult<(StatusCode, Json<ContactSessionCreated>)> {
    let name = VisitorName::parse(&request.name)?;
    let email = Email::parse(&request.email)?;
    request.metadata.validate()?;
    let org = ctx
        .store
        .organization(request.organization_id)
        .await?
        .ok_or_else(organization_not_found)?;
    refuse_other_sites(&ctx, &org.allowed_origins, &headers, &request)?;
    let user_id = verified_user(&ctx, &request).await?;
    ctx.limits.new_contact_session(address)?;

    let id = new_contact_session_id();
    let now = ctx.clock.now();
    let expires_at = ctx.policy.expiry_for_new_session(now);
    ctx.store
        .create_contact_session(NewContactSession {
            id_hash: SecretHash::of(id.expose_secret()),
            organization_id: request.organization_id,
            user_id,
            name: name.into_inner(),
            email: email.into_inner(),
            metadata: request.metadata,
            created_at: now,
            expires_at,
        })
        .await
        .map_err(|e| match e {
            StoreError::NotFound => organization_not_found(),
            other => other.into(),
        })?;
    Ok((
        StatusCode::CREATED,
        Json(ContactSessionCreated {
            contact_session_id: id,
            expires_at,
        }),
    ))
}

/// The visitor's verified user ID, when the host passed one: its hash must
/// be the HMAC of the ID under the organization's identity secret. A hash
/// that is missing or malformed is answered as a wrong one (403
/// `IDENTITY_VERIFICATION_FAILED`), so a host page that names its user
/// before it has set up verification gets an unverified visitor, not a
/// form that cannot be sent.
async fn verified_user(
    ctx: &ApiContext,
    request: &CreateContactSession,
) -> ApiResult<Option<String>> {
    let Some(raw) = &request.user_id else {
        if request.user_hash.is_some() {
            return Err(ApiError::validation("userHash", "needs a userId"));
        }
        return Ok(None);
    };
    let user_id = UserId::parse(raw)?.into_inner();
    let secret = ctx
        .store
        .identity_secret(request.organization_id)
        .await?
        .ok_or_else(organization_not_found)?;
    let hash = request.user_hash.as_deref().unwrap_or_default();
    if !crate::secrets::verify_user_hash(&secret, &user_id, hash) {
        return Err(ApiError::new(
            ErrorCode::IdentityVerificationFailed,
            "The signed-in user could not be verified: userHash is missing or is not the HMAC of userId",
        ));
    }
    Ok(Some(user_id))
}

/// Validates the bearer session and returns who it belongs to.
#[utoipa::path(
    get,
    path = "/v1/contact-sessions/current",
    tag = "contact sessions",
    security(("contactSession" = [])),
    responses(
        (status = 200, body = CurrentContactSession),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn current_contact_session(Visitor(session): Visitor) -> Json<CurrentContactSession> {
    Json(CurrentContactSession {
        organization_id: session.organization_id,
        name: session.name,
        email: session.email,
        expires_at: session.expires_at,
    })
}

/// Ends the bearer session (the host page signed its user out, through
/// `EchoWidget.reset()`): every later use of it is `UNAUTHORIZED`.
#[utoipa::path(
    delete,
    path = "/v1/contact-sessions/current",
    tag = "contact sessions",
    security(("contactSession" = [])),
    responses(
        (status = 204, description = "Ended"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn end_contact_session(
    State(ctx): State<ApiContext>,
    Visitor(session): Visitor,
) -> ApiResult<StatusCode> {
    ctx.store
        .end_contact_session(&session.id_hash, ctx.clock.now())
        .await?;
    ctx.store
        .revoke(Revoked::ContactSession(session.id_hash.as_str().to_owned()))
        .await;
    Ok(StatusCode::NO_CONTENT)
}
