//! Onboarding over HTTP: sign-up and its email check
//! (`/v1/auth/sign-up`, `/v1/auth/verify-email[/resend]`), the first admin
//! of an empty server (`/v1/auth/setup`), more organizations
//! (`/v1/auth/organizations`) and the install page's facts
//! (`/v1/operator/installation`).

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use echo_protocol::onboarding::{
    CreateOrganization, Installation, Setup, SetupStatus, SignUp, SignUpAnswer, VerifyEmail,
};
use echo_protocol::team::Account;
use echo_protocol::validate::{Email, Password, VisitorName};
use echo_protocol::{ErrorCode, OperatorId, OrganizationId, Timestamp};

use super::auth::{Operator, SignedIn};
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ClientAddress};
use super::session_start::{open_session, private, refuse_foreign_origin, start_session};
use super::ApiContext;
use crate::accounts;
use crate::admin;
use crate::mail::account::{sign_up_attempt_mail, verification_mail};
use crate::onboarding::{VERIFICATIONS_PER_HOUR, VERIFICATION_TTL_SECS};
use crate::passwords;
use crate::secrets::VerificationToken;
use crate::store::onboarding::{NewVerification, OwnedOrganization};
use crate::store::{Joiner, OperatorAccount, StoreError};

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/v1/auth/sign-up", post(sign_up))
        .route("/v1/auth/verify-email", post(verify_email))
        .route("/v1/auth/verify-email/resend", post(resend_verification))
        .route("/v1/auth/setup", get(setup_status).post(setup_server))
        .route("/v1/auth/organizations", post(create_organization))
        .route("/v1/operator/installation", get(installation))
}

const INVALID_LINK: &str = "This link is not valid: it was used already or has expired";

/// A new account's fields, checked and the password hashed.
async fn new_account(
    name: &str,
    email: &str,
    password: &str,
    email_verified: bool,
) -> ApiResult<OperatorAccount> {
    let name = VisitorName::parse(name)?.into_inner();
    let email = Email::parse(email)?.into_inner().to_lowercase();
    let password = Password::parse("password", password)?;
    Ok(OperatorAccount {
        id: OperatorId::from_uuid(uuid::Uuid::new_v4()),
        email,
        name,
        password_hash: passwords::hash(password.expose())
            .await
            .map_err(ApiError::internal)?,
        email_verified,
    })
}

/// A check for `account`'s address and the mail that carries its link.
fn verification(
    ctx: &ApiContext,
    organization: OrganizationId,
    account: &OperatorAccount,
) -> (NewVerification, crate::store::mail::NewMail) {
    let token = VerificationToken::generate();
    let now = ctx.clock.now();
    let check = NewVerification {
        token_hash: token.hash(),
        operator: account.id,
        email: account.email.clone(),
        created_at: now,
        expires_at: Timestamp(now.millis() + VERIFICATION_TTL_SECS * 1000),
    };
    let link = ctx.public.verification_link(&token);
    let mail = verification_mail(organization, &account.name, &account.email, &link, now);
    (check, mail)
}

fn mail_needed() -> ApiError {
    ApiError::new(
        ErrorCode::MailUnavailable,
        "Mail is not configured on this server",
    )
}

/// Makes an account and its organization and signs in; the address is
/// then checked by a mailed link. An address that has an account gets the
/// same answer, and a mail saying someone tried, instead.
#[utoipa::path(
    post,
    path = "/v1/auth/sign-up",
    tag = "auth",
    request_body = SignUp,
    responses(
        (status = 201, body = SignUpAnswer, description = "A link went to the address; a new account is signed in (sets the `echo_session` cookie)"),
        (status = 400, description = "`VALIDATION`", body = echo_protocol::ErrorBody),
        (status = 403, description = "Sign-up is closed on this server, or another origin (`FORBIDDEN`)", body = echo_protocol::ErrorBody),
        (status = 429, description = "`RATE_LIMITED`", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn sign_up(
    State(ctx): State<ApiContext>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    ApiJson(request): ApiJson<SignUp>,
) -> ApiResult<Response> {
    if !ctx.onboarding.settings.sign_up {
        return Err(ApiError::forbidden(
            "Sign-up is closed on this server: ask an admin for an invitation",
        ));
    }
    refuse_foreign_origin(&ctx, &headers)?;
    let organization = admin::organization_name("organizationName", &request.organization_name)?;
    // Hashing the password for an existing address too keeps both answers
    // equally slow.
    let account = new_account(&request.name, &request.email, &request.password, false).await?;
    ctx.limits.sign_up(address, &account.email)?;
    let mailer = ctx.mailer.as_ref().ok_or_else(mail_needed)?;
    let answer = SignUpAnswer {
        email: account.email.clone(),
        verification_sent: true,
    };
    let existing = ctx.store.operator_by_email(&account.email).await?;
    let mut response = (StatusCode::CREATED, Json(answer)).into_response();
    if let Some(owner) = existing {
        tell_owner(&ctx, mailer, owner).await?;
        return Ok(private(response));
    }
    let org = admin::new_organization(&ctx.clock, organization);
    let org_id = org.id;
    let owned = OwnedOrganization {
        verification: Some(verification(&ctx, org_id, &account)),
        organization: org,
        admin: Joiner::New(account.clone()),
        only_if_empty: false,
    };
    match ctx.store.create_owned_organization(owned).await {
        Ok(()) => {
            mailer.queued();
            tracing::info!(operator_id = %account.id, organization_id = %org_id, "signed up");
            let cookie = open_session(&ctx, account.id, Some(org_id)).await?;
            response.headers_mut().insert(SET_COOKIE, cookie);
        }
        // Signed up a moment ago by someone else: as an existing one.
        Err(StoreError::Conflict(_)) => {
            if let Some(owner) = ctx.store.operator_by_email(&account.email).await? {
                tell_owner(&ctx, mailer, owner).await?;
            }
        }
        Err(other) => return Err(other.into()),
    }
    Ok(private(response))
}

/// Mails the owner of an address someone tried to sign up with (from
/// their first organization; an account in none gets no mail).
async fn tell_owner(
    ctx: &ApiContext,
    mailer: &crate::mail::Mailer,
    owner: OperatorAccount,
) -> ApiResult<()> {
    let Some(first) = ctx.store.memberships(owner.id).await?.into_iter().next() else {
        return Ok(());
    };
    let sign_in = format!("{}/console/", ctx.public.base());
    let mail = sign_up_attempt_mail(
        first.organization_id,
        &owner.email,
        &sign_in,
        ctx.clock.now(),
    );
    ctx.store.queue_account_mail(None, mail).await?;
    mailer.queued();
    Ok(())
}

/// Confirms an address with the token of the mailed link (single use,
/// 24 hours). No session is needed: the link may be opened anywhere.
#[utoipa::path(
    post,
    path = "/v1/auth/verify-email",
    tag = "auth",
    request_body = VerifyEmail,
    responses(
        (status = 204, description = "The address is confirmed"),
        (status = 401, description = "Wrong, used or expired token (`UNAUTHORIZED`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn verify_email(
    State(ctx): State<ApiContext>,
    ApiJson(request): ApiJson<VerifyEmail>,
) -> ApiResult<StatusCode> {
    let invalid = || ApiError::new(ErrorCode::Unauthorized, INVALID_LINK);
    let token = VerificationToken::parse(request.token.trim()).ok_or_else(invalid)?;
    let operator = ctx
        .store
        .verify_email(&token.hash(), ctx.clock.now())
        .await?
        .ok_or_else(invalid)?;
    tracing::info!(operator_id = %operator, "email address confirmed");
    Ok(StatusCode::NO_CONTENT)
}

/// Mails the signed-in operator a new link (at most three an hour).
#[utoipa::path(
    post,
    path = "/v1/auth/verify-email/resend",
    tag = "auth",
    security(("session" = [])),
    responses(
        (status = 202, description = "A new link is on its way"),
        (status = 409, description = "Already confirmed, or in no organization (`CONFLICT`)", body = echo_protocol::ErrorBody),
        (status = 429, description = "`RATE_LIMITED`", body = echo_protocol::ErrorBody),
        (status = 503, description = "`MAIL_UNAVAILABLE`", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn resend_verification(
    State(ctx): State<ApiContext>,
    signed_in: SignedIn,
) -> ApiResult<StatusCode> {
    let mailer = ctx.mailer.clone().ok_or_else(mail_needed)?;
    let id = signed_in.session.operator.id;
    let account = ctx
        .store
        .operator_account(id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "Sign in first"))?;
    if account.email_verified {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "Your address is confirmed already",
        ));
    }
    let now = ctx.clock.now();
    let hour_ago = Timestamp(now.millis() - 3600 * 1000);
    if ctx.store.verifications_since(id, hour_ago).await? >= VERIFICATIONS_PER_HOUR {
        return Err(ApiError::rate_limited(
            "Too many links mailed; try again later",
            600,
        ));
    }
    let organization = match signed_in.session.active {
        Some((org, _)) => org,
        None => ctx
            .store
            .memberships(id)
            .await?
            .first()
            .map(|m| m.organization_id)
            .ok_or_else(|| ApiError::new(ErrorCode::Conflict, "Create an organization first"))?,
    };
    let (check, mail) = verification(&ctx, organization, &account);
    ctx.store.queue_account_mail(Some(check), mail).await?;
    mailer.queued();
    Ok(StatusCode::ACCEPTED)
}

/// Whether this server has no account yet (the console then offers the
/// first admin's screen), and whether sign-up is open.
#[utoipa::path(
    get,
    path = "/v1/auth/setup",
    tag = "auth",
    responses((status = 200, body = SetupStatus))
)]
pub async fn setup_status(State(ctx): State<ApiContext>) -> ApiResult<Json<SetupStatus>> {
    Ok(Json(SetupStatus {
        needed: !ctx.store.has_operators().await?,
        sign_up: ctx.onboarding.settings.sign_up,
    }))
}

/// Makes the first account (an admin, address taken as confirmed) and its
/// organization on an empty server, with the token `serve` logged, and
/// signs in.
#[utoipa::path(
    post,
    path = "/v1/auth/setup",
    tag = "auth",
    request_body = Setup,
    responses(
        (status = 200, body = Account, description = "Created and signed in; sets the `echo_session` cookie"),
        (status = 400, description = "`VALIDATION`", body = echo_protocol::ErrorBody),
        (status = 401, description = "Wrong token, or the server has an account already (`UNAUTHORIZED`)", body = echo_protocol::ErrorBody),
        (status = 403, description = "Another origin (`FORBIDDEN`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn setup_server(
    State(ctx): State<ApiContext>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<Setup>,
) -> ApiResult<Response> {
    refuse_foreign_origin(&ctx, &headers)?;
    let refused = || {
        ApiError::new(
            ErrorCode::Unauthorized,
            "This setup token is not valid: it is wrong, or the server is set up already",
        )
    };
    if !ctx.onboarding.is_setup_token(&request.token) {
        return Err(refused());
    }
    let organization = admin::organization_name("organizationName", &request.organization_name)?;
    let account = new_account(&request.name, &request.email, &request.password, true).await?;
    let org = admin::new_organization(&ctx.clock, organization);
    let org_id = org.id;
    let profile = super::session_start::profile(&account);
    let owned = OwnedOrganization {
        organization: org,
        admin: Joiner::New(account),
        verification: None,
        only_if_empty: true,
    };
    ctx.store
        .create_owned_organization(owned)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => refused(),
            other => other.into(),
        })?;
    tracing::info!(operator_id = %profile.id, organization_id = %org_id, "first admin created");
    start_session(&ctx, profile, Some(org_id)).await
}

/// A new organization; the signed-in operator becomes its admin and the
/// session acts in it.
#[utoipa::path(
    post,
    path = "/v1/auth/organizations",
    tag = "auth",
    security(("session" = [])),
    request_body = CreateOrganization,
    responses(
        (status = 201, body = Account),
        (status = 400, description = "`VALIDATION`", body = echo_protocol::ErrorBody),
        (status = 409, description = "The account is in as many organizations as it may be (`CONFLICT`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn create_organization(
    State(ctx): State<ApiContext>,
    signed_in: SignedIn,
    ApiJson(request): ApiJson<CreateOrganization>,
) -> ApiResult<Response> {
    let name = admin::organization_name("name", &request.name)?;
    let operator = signed_in.session.operator;
    let limit = ctx.onboarding.settings.organizations_per_account;
    if ctx.store.memberships(operator.id).await?.len() >= limit as usize {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("An account can be in at most {limit} organizations"),
        ));
    }
    let org = admin::new_organization(&ctx.clock, name);
    let org_id = org.id;
    ctx.store
        .create_owned_organization(OwnedOrganization {
            organization: org,
            admin: Joiner::Existing(operator.id),
            verification: None,
            only_if_empty: false,
        })
        .await?;
    ctx.store
        .set_active_organization(&signed_in.session_hash, org_id)
        .await?;
    tracing::info!(operator_id = %operator.id, organization_id = %org_id, "organization created");
    let account = accounts::account(ctx.store.as_ref(), operator, Some(org_id)).await?;
    Ok(private(
        (StatusCode::CREATED, Json(account)).into_response(),
    ))
}

/// What the install page shows: the snippet's facts and the sites whose
/// pages loaded the widget.
#[utoipa::path(
    get,
    path = "/v1/operator/installation",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    responses((status = 200, body = Installation))
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn installation(
    State(ctx): State<ApiContext>,
    operator: Operator,
) -> ApiResult<Json<Installation>> {
    Ok(Json(Installation {
        organization_id: operator.organization,
        script_url: format!("{}/embed.js", ctx.public.base()),
        seen_on: ctx.store.widget_origins(operator.organization).await?,
    }))
}
