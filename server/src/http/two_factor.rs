//! `/v1/auth/two-factor...`: TOTP second factor. Setting up stores a
//! pending secret; the first code from the app turns it on and answers ten
//! recovery codes, shown once. A sign-in of such an account answers a
//! challenge instead of a session; the challenge and a code (each time
//! step accepted once) or an unused recovery code complete it. Wrong codes
//! count toward the sign-in lockout; every failure reads the same.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use echo_protocol::trust::{
    AuditAction, CompleteTwoFactor, DisableTwoFactor, RecoveryCodes, TwoFactorChallenge,
    TwoFactorCode, TwoFactorSetup,
};
use echo_protocol::{ErrorCode, Timestamp};

use super::audit;
use super::auth::SignedIn;
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ClientAddress};
use super::session_start::{private, profile, refuse_foreign_origin, start_session, too_many};
use super::ApiContext;
use crate::passwords;
use crate::secrets::{ChallengeToken, SecretHash};
use crate::store::{OperatorAccount, StoreError};
use crate::two_factor;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/v1/auth/two-factor", post(complete))
        .route("/v1/auth/two-factor/setup", post(setup))
        .route("/v1/auth/two-factor/enable", post(enable))
        .route("/v1/auth/two-factor/disable", post(disable))
}

/// Every wrong, reused or expired code or challenge: one answer.
fn wrong_code() -> ApiError {
    ApiError::new(
        ErrorCode::Unauthorized,
        "That code is not valid; check the app's current code, or sign in again",
    )
}

fn now_secs(now: Timestamp) -> u64 {
    (now.millis().max(0) / 1000) as u64
}

/// Accepts a current code once: its time step must be newer than the last
/// one accepted for this operator.
async fn accept_code(ctx: &ApiContext, account: &OperatorAccount, code: &str) -> ApiResult<bool> {
    let Some(second) = ctx.store.two_factor(account.id).await? else {
        return Ok(false);
    };
    if !second.enabled {
        return Ok(false);
    }
    let Some(step) = two_factor::matching_step(&second.secret, code, now_secs(ctx.clock.now()))
    else {
        return Ok(false);
    };
    Ok(ctx
        .store
        .use_two_factor_step(account.id, step as i64)
        .await?)
}

async fn accept_recovery_code(
    ctx: &ApiContext,
    account: &OperatorAccount,
    typed: &str,
) -> ApiResult<bool> {
    let Some(code) = two_factor::normalize_recovery_code(typed) else {
        return Ok(false);
    };
    Ok(ctx
        .store
        .use_recovery_code(account.id, &SecretHash::of(&code), ctx.clock.now())
        .await?)
}

/// The challenge a right password gets for an account with two-factor
/// sign-in on.
pub async fn challenge(ctx: &ApiContext, account: &OperatorAccount) -> ApiResult<Response> {
    let token = ChallengeToken::generate();
    let expires_at = Timestamp(ctx.clock.now().millis() + two_factor::CHALLENGE_MILLIS);
    ctx.store
        .create_challenge(&token.hash(), account.id, expires_at)
        .await?;
    Ok(private(
        Json(TwoFactorChallenge {
            two_factor_required: true,
            challenge: token.expose_secret().to_owned(),
        })
        .into_response(),
    ))
}

/// Completes a sign-in with a code or a recovery code.
#[utoipa::path(
    post,
    path = "/v1/auth/two-factor",
    tag = "auth",
    request_body = CompleteTwoFactor,
    responses(
        (status = 200, body = echo_protocol::team::Account, description = "Signed in; sets the `echo_session` cookie"),
        (status = 401, description = "Wrong, reused or expired code or challenge, or neither or both of `code` and `recoveryCode` (`UNAUTHORIZED`)", body = echo_protocol::ErrorBody),
        (status = 403, description = "Another origin (`FORBIDDEN`)", body = echo_protocol::ErrorBody),
        (status = 429, description = "Too many failures (`RATE_LIMITED`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn complete(
    State(ctx): State<ApiContext>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    ApiJson(request): ApiJson<CompleteTwoFactor>,
) -> ApiResult<Response> {
    refuse_foreign_origin(&ctx, &headers)?;
    // Neither or both is no code: the same 401 as a wrong one (not counted
    // toward the lockout: nothing was tried).
    let recovery = match (&request.code, &request.recovery_code) {
        (Some(_), None) => false,
        (None, Some(_)) => true,
        _ => return Err(wrong_code()),
    };
    let token = ChallengeToken::parse(request.challenge.trim()).ok_or_else(wrong_code)?;
    let now = ctx.clock.now();
    let operator = ctx
        .store
        .challenge(&token.hash(), now)
        .await?
        .ok_or_else(wrong_code)?;
    let account = ctx
        .store
        .operator_account(operator)
        .await?
        .ok_or_else(wrong_code)?;
    ctx.lockout
        .check(&account.email, address, now)
        .map_err(too_many)?;
    let accepted = match (&request.code, &request.recovery_code) {
        (Some(code), _) => accept_code(&ctx, &account, code).await?,
        (_, Some(code)) => accept_recovery_code(&ctx, &account, code).await?,
        _ => false,
    };
    if !accepted || !ctx.store.end_challenge(&token.hash(), now).await? {
        ctx.lockout.failed(&account.email, address, now);
        audit::account_event(&ctx, &account, address, AuditAction::SignInFailed).await;
        return Err(wrong_code());
    }
    ctx.lockout.succeeded(&account.email);
    if recovery {
        audit::account_event(&ctx, &account, address, AuditAction::RecoveryCodeUsed).await;
    }
    audit::account_event(&ctx, &account, address, AuditAction::SignIn).await;
    tracing::info!(operator_id = %account.id, "operator signed in with a second factor");
    start_session(&ctx, profile(&account), None).await
}

/// Starts setting up: a new secret, its `otpauth://` URI and QR code. Not
/// in force until a code confirms it; setting up again replaces it.
#[utoipa::path(
    post,
    path = "/v1/auth/two-factor/setup",
    tag = "auth",
    security(("session" = [])),
    responses(
        (status = 200, body = TwoFactorSetup),
        (status = 409, description = "Already on (`CONFLICT`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn setup(State(ctx): State<ApiContext>, signed_in: SignedIn) -> ApiResult<Response> {
    let operator = &signed_in.session.operator;
    let secret = two_factor::new_secret();
    let uri = two_factor::otpauth_uri(&secret, &operator.email)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a generated secret was refused")))?;
    let qr_svg = two_factor::qr_svg(&uri)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("the URI does not fit a QR code")))?;
    ctx.store
        .begin_two_factor(operator.id, secret.clone(), ctx.clock.now())
        .await
        .map_err(already_on)?;
    Ok(private(
        Json(TwoFactorSetup {
            secret,
            otpauth_uri: uri,
            qr_svg,
        })
        .into_response(),
    ))
}

fn already_on(error: StoreError) -> ApiError {
    match error {
        StoreError::Conflict(_) => ApiError::new(
            ErrorCode::Conflict,
            "Two-factor sign-in is already on; turn it off first",
        ),
        other => other.into(),
    }
}

async fn signed_in_account(ctx: &ApiContext, signed_in: &SignedIn) -> ApiResult<OperatorAccount> {
    ctx.store
        .operator_account(signed_in.session.operator.id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "Sign in first"))
}

/// Turns two-factor sign-in on with a first code from the app, and answers
/// the recovery codes (shown once; stored hashed).
#[utoipa::path(
    post,
    path = "/v1/auth/two-factor/enable",
    tag = "auth",
    security(("session" = [])),
    request_body = TwoFactorCode,
    responses(
        (status = 200, body = RecoveryCodes),
        (status = 401, description = "Wrong or reused code (`UNAUTHORIZED`)", body = echo_protocol::ErrorBody),
        (status = 409, description = "Already on, or not set up (`CONFLICT`)", body = echo_protocol::ErrorBody),
        (status = 429, description = "`RATE_LIMITED`", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn enable(
    State(ctx): State<ApiContext>,
    ClientAddress(address): ClientAddress,
    signed_in: SignedIn,
    ApiJson(request): ApiJson<TwoFactorCode>,
) -> ApiResult<Json<RecoveryCodes>> {
    let account = signed_in_account(&ctx, &signed_in).await?;
    let now = ctx.clock.now();
    ctx.lockout
        .check(&account.email, address, now)
        .map_err(too_many)?;
    let pending = ctx
        .store
        .two_factor(account.id)
        .await?
        .filter(|second| !second.enabled)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::Conflict,
                "Nothing to turn on: set up first, or it is on already",
            )
        })?;
    let Some(step) = two_factor::matching_step(&pending.secret, &request.code, now_secs(now))
    else {
        ctx.lockout.failed(&account.email, address, now);
        return Err(wrong_code());
    };
    let codes = two_factor::new_recovery_codes();
    let hashes = codes.iter().map(|code| SecretHash::of(code)).collect();
    ctx.store
        .enable_two_factor(account.id, step as i64, hashes, now)
        .await
        .map_err(already_on)?;
    ctx.lockout.succeeded(&account.email);
    audit::account_event(&ctx, &account, address, AuditAction::TwoFactorEnabled).await;
    tracing::info!(operator_id = %account.id, "two-factor sign-in turned on");
    Ok(Json(RecoveryCodes {
        recovery_codes: codes,
    }))
}

/// Turns two-factor sign-in off: needs the password and a current code (or
/// a recovery code).
#[utoipa::path(
    post,
    path = "/v1/auth/two-factor/disable",
    tag = "auth",
    security(("session" = [])),
    request_body = DisableTwoFactor,
    responses(
        (status = 204, description = "Off; the secret and recovery codes are forgotten"),
        (status = 401, description = "Wrong password or code (`UNAUTHORIZED`)", body = echo_protocol::ErrorBody),
        (status = 409, description = "Not on (`CONFLICT`)", body = echo_protocol::ErrorBody),
        (status = 429, description = "`RATE_LIMITED`", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn disable(
    State(ctx): State<ApiContext>,
    ClientAddress(address): ClientAddress,
    signed_in: SignedIn,
    ApiJson(request): ApiJson<DisableTwoFactor>,
) -> ApiResult<axum::http::StatusCode> {
    let account = signed_in_account(&ctx, &signed_in).await?;
    let now = ctx.clock.now();
    ctx.lockout
        .check(&account.email, address, now)
        .map_err(too_many)?;
    if !ctx
        .store
        .two_factor(account.id)
        .await?
        .is_some_and(|second| second.enabled)
    {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "Two-factor sign-in is not on",
        ));
    }
    let password_ok = passwords::verify(&request.password, Some(&account.password_hash)).await;
    let code_ok = password_ok
        && (accept_code(&ctx, &account, &request.code).await?
            || accept_recovery_code(&ctx, &account, &request.code).await?);
    if !code_ok {
        ctx.lockout.failed(&account.email, address, now);
        return Err(ApiError::new(
            ErrorCode::Unauthorized,
            "Wrong password or code",
        ));
    }
    ctx.store.disable_two_factor(account.id).await?;
    audit::account_event(&ctx, &account, address, AuditAction::TwoFactorDisabled).await;
    tracing::info!(operator_id = %account.id, "two-factor sign-in turned off");
    Ok(axum::http::StatusCode::NO_CONTENT)
}
