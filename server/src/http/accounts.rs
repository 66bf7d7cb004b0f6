//! `/v1/auth/...`: operators sign in as themselves. A session is a random
//! token in an `HttpOnly` cookie, stored as a hash, ended by sign-out, by a
//! password change (every session of the operator) or after 14 idle days.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use echo_protocol::team::{AcceptInvitation, Account, ChangePassword, ChooseOrganization, SignIn};
use echo_protocol::trust::{AuditAction, SignInAnswer};
use echo_protocol::validate::{Password, VisitorName};
use echo_protocol::{ErrorCode, OperatorId};

use super::audit;
use super::auth::SignedIn;
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ClientAddress};
use super::session_start::{private, profile, refuse_foreign_origin, start_session, too_many};
use super::ApiContext;
use crate::accounts::{self, SESSION_COOKIE};
use crate::passwords;
use crate::revocations::Revoked;
use crate::secrets::InvitationToken;
use crate::store::{Joiner, OperatorAccount, StoreError};

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/v1/auth/sign-in", post(sign_in))
        .route("/v1/auth/sign-out", post(sign_out))
        .route("/v1/auth/me", get(me))
        .route("/v1/auth/organization", post(choose_organization))
        .route("/v1/auth/password", post(change_password))
        .route("/v1/auth/invitations/accept", post(accept_invitation))
}

const WRONG_CREDENTIALS: &str = "Wrong email or password";

fn invalid_invitation() -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        "This invitation link is not valid: it was used already or has expired",
    )
}

fn cleared_cookie(ctx: &ApiContext) -> HeaderValue {
    let secure = if ctx.public.is_https() {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
    ))
    .expect("a valid header value")
}

/// Signs in with email and password. A wrong password and an unknown email
/// get the same answer after the same work (a dummy hash is checked).
#[utoipa::path(
    post,
    path = "/v1/auth/sign-in",
    tag = "auth",
    request_body = SignIn,
    responses(
        (status = 200, body = SignInAnswer, description = "Signed in (the account; sets the `echo_session` cookie), or, with two-factor sign-in on, a challenge for `POST /v1/auth/two-factor` and no session"),
        (status = 400, description = "`VALIDATION`", body = echo_protocol::ErrorBody),
        (status = 401, description = "Wrong email or password (`UNAUTHORIZED`)", body = echo_protocol::ErrorBody),
        (status = 429, description = "Too many failures (`RATE_LIMITED`, `Retry-After`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn sign_in(
    State(ctx): State<ApiContext>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    ApiJson(request): ApiJson<SignIn>,
) -> ApiResult<Response> {
    refuse_foreign_origin(&ctx, &headers)?;
    let email = request.email.trim().to_lowercase();
    let now = ctx.clock.now();
    ctx.lockout.check(&email, address, now).map_err(too_many)?;
    let account = ctx.store.operator_by_email(&email).await?;
    let stored = account.as_ref().map(|a| a.password_hash.as_str());
    if !passwords::verify(&request.password, stored).await {
        ctx.lockout.failed(&email, address, now);
        if let Some(account) = &account {
            audit::account_event(&ctx, account, address, AuditAction::SignInFailed).await;
        }
        return Err(ApiError::new(ErrorCode::Unauthorized, WRONG_CREDENTIALS));
    }
    let account = account.expect("a password verified against an account");
    // The lockout is cleared only once the second factor is right too, so
    // the password cannot reset the count of wrong codes.
    if ctx
        .store
        .two_factor(account.id)
        .await?
        .is_some_and(|second| second.enabled)
    {
        return super::two_factor::challenge(&ctx, &account).await;
    }
    ctx.lockout.succeeded(&email);
    audit::account_event(&ctx, &account, address, AuditAction::SignIn).await;
    tracing::info!(operator_id = %account.id, "operator signed in");
    start_session(&ctx, profile(&account), None).await
}

/// Ends this session on the server and clears the cookie.
#[utoipa::path(
    post,
    path = "/v1/auth/sign-out",
    tag = "auth",
    security(("session" = [])),
    responses(
        (status = 204, description = "Signed out"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn sign_out(State(ctx): State<ApiContext>, signed_in: SignedIn) -> ApiResult<Response> {
    ctx.store
        .delete_operator_session(&signed_in.session_hash)
        .await?;
    ctx.store
        .revoke(Revoked::OperatorSession(
            signed_in.session_hash.as_str().to_owned(),
        ))
        .await;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(SET_COOKIE, cleared_cookie(&ctx));
    Ok(response)
}

/// The signed-in operator, their organizations and the active one.
#[utoipa::path(
    get,
    path = "/v1/auth/me",
    tag = "auth",
    security(("session" = [])),
    responses(
        (status = 200, body = Account),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn me(State(ctx): State<ApiContext>, signed_in: SignedIn) -> ApiResult<Response> {
    let session = signed_in.session;
    let active = session.active.map(|(id, _)| id);
    let account = accounts::account(ctx.store.as_ref(), session.operator, active).await?;
    Ok(private(Json(account).into_response()))
}

/// Chooses the organization this session acts in.
#[utoipa::path(
    post,
    path = "/v1/auth/organization",
    tag = "auth",
    security(("session" = [])),
    request_body = ChooseOrganization,
    responses(
        (status = 200, body = Account),
        (status = 400, description = "`VALIDATION`", body = echo_protocol::ErrorBody),
        (status = 403, description = "Not a member, or another origin (`FORBIDDEN`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn choose_organization(
    State(ctx): State<ApiContext>,
    signed_in: SignedIn,
    ApiJson(request): ApiJson<ChooseOrganization>,
) -> ApiResult<Response> {
    let operator = signed_in.session.operator;
    let organization = request.organization_id;
    if ctx
        .store
        .role_of(organization, operator.id)
        .await?
        .is_none()
    {
        return Err(ApiError::forbidden(
            "You are not a member of that organization",
        ));
    }
    ctx.store
        .set_active_organization(&signed_in.session_hash, organization)
        .await?;
    let account = accounts::account(ctx.store.as_ref(), operator, Some(organization)).await?;
    Ok(private(Json(account).into_response()))
}

/// Changes the password: every session of the operator ends, and this one
/// continues under a new cookie.
#[utoipa::path(
    post,
    path = "/v1/auth/password",
    tag = "auth",
    security(("session" = [])),
    request_body = ChangePassword,
    responses(
        (status = 200, body = Account, description = "Changed; sets a new `echo_session` cookie"),
        (status = 400, description = "Too short, or the current password is wrong (`VALIDATION`)", body = echo_protocol::ErrorBody),
        (status = 429, description = "`RATE_LIMITED`", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn change_password(
    State(ctx): State<ApiContext>,
    ClientAddress(address): ClientAddress,
    signed_in: SignedIn,
    ApiJson(request): ApiJson<ChangePassword>,
) -> ApiResult<Response> {
    let session = signed_in.session;
    let email = session.operator.email.clone();
    let now = ctx.clock.now();
    ctx.lockout.check(&email, address, now).map_err(too_many)?;
    let account = ctx
        .store
        .operator_account(session.operator.id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "Sign in first"))?;
    if !passwords::verify(&request.current_password, Some(&account.password_hash)).await {
        ctx.lockout.failed(&email, address, now);
        return Err(ApiError::validation(
            "currentPassword",
            "is not your current password",
        ));
    }
    let new_password = Password::parse("newPassword", &request.new_password)?;
    let hash = passwords::hash(new_password.expose())
        .await
        .map_err(ApiError::internal)?;
    ctx.store.set_password(account.id, hash).await?;
    ctx.store.revoke(Revoked::Operator(account.id)).await;
    tracing::info!(operator_id = %account.id, "password changed; sessions ended");
    start_session(&ctx, session.operator, session.active.map(|(id, _)| id)).await
}

/// Accepts an invitation: creates the account (or, when the invited email
/// has one, checks its password and adds the membership) and signs in,
/// acting in the organization just joined.
#[utoipa::path(
    post,
    path = "/v1/auth/invitations/accept",
    tag = "auth",
    request_body = AcceptInvitation,
    responses(
        (status = 200, body = Account, description = "Joined and signed in; sets the `echo_session` cookie"),
        (status = 400, description = "Name or password invalid (`VALIDATION`)", body = echo_protocol::ErrorBody),
        (status = 401, description = "Wrong password for the existing account (`UNAUTHORIZED`)", body = echo_protocol::ErrorBody),
        (status = 404, description = "Unknown, used or expired token (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
        (status = 409, description = "`CONFLICT`", body = echo_protocol::ErrorBody),
        (status = 429, description = "`RATE_LIMITED`", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn accept_invitation(
    State(ctx): State<ApiContext>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    ApiJson(request): ApiJson<AcceptInvitation>,
) -> ApiResult<Response> {
    refuse_foreign_origin(&ctx, &headers)?;
    let token = InvitationToken::parse(request.token.trim()).ok_or_else(invalid_invitation)?;
    let now = ctx.clock.now();
    let invitation = ctx
        .store
        .invitation(&token.hash(), now)
        .await?
        .ok_or_else(invalid_invitation)?;
    let existing = ctx.store.operator_by_email(&invitation.email).await?;
    let (joiner, profile) = match existing {
        Some(account) => {
            ctx.lockout
                .check(&account.email, address, now)
                .map_err(too_many)?;
            if !passwords::verify(&request.password, Some(&account.password_hash)).await {
                ctx.lockout.failed(&account.email, address, now);
                return Err(ApiError::new(
                    ErrorCode::Unauthorized,
                    "This email already has an account: enter its password",
                ));
            }
            (Joiner::Existing(account.id), profile(&account))
        }
        None => {
            let name = VisitorName::parse(&request.name)?.into_inner();
            let password = Password::parse("password", &request.password)?;
            let account = OperatorAccount {
                id: OperatorId::from_uuid(uuid::Uuid::new_v4()),
                email: invitation.email.clone(),
                name,
                password_hash: passwords::hash(password.expose())
                    .await
                    .map_err(ApiError::internal)?,
                // The invitation reached this address.
                email_verified: true,
            };
            let profile = profile(&account);
            (Joiner::New(account), profile)
        }
    };
    ctx.store
        .accept_invitation(&token.hash(), now, joiner)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => invalid_invitation(),
            StoreError::Conflict(_) => ApiError::new(
                ErrorCode::Conflict,
                "An account with this email was just created; accept again with its password",
            ),
            other => other.into(),
        })?;
    tracing::info!(operator_id = %profile.id, invitation_id = %invitation.id, "invitation accepted");
    audit::invitation_accepted(&ctx, invitation.organization_id, &profile, address).await;
    start_session(&ctx, profile, Some(invitation.organization_id)).await
}
