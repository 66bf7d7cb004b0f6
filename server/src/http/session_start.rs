//! Starting an operator's session, for every way in (password, second
//! factor, invitation): the cookie, the account answer (never cached), the
//! sign-in forms' origin check and the lockout's answer.

use axum::http::header::{CACHE_CONTROL, ORIGIN, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use echo_protocol::team::OperatorProfile;
use echo_protocol::{OperatorId, OrganizationId};

use super::error::{ApiError, ApiResult};
use super::ApiContext;
use crate::accounts::{self, SESSION_COOKIE, SESSION_IDLE_SECS};
use crate::secrets::SessionToken;
use crate::store::{NewOperatorSession, OperatorAccount};

/// A sign-in form posted from another site is refused (login CSRF); a
/// client that sends no `Origin` (a script, a test) is not a browser form.
pub(super) fn refuse_foreign_origin(ctx: &ApiContext, headers: &HeaderMap) -> ApiResult<()> {
    match headers.get(ORIGIN).map(|v| v.to_str().unwrap_or("")) {
        Some(origin) if origin != ctx.public.origin() => Err(ApiError::forbidden(
            "Cross-origin request refused: sign in from the console",
        )),
        _ => Ok(()),
    }
}

fn session_cookie(ctx: &ApiContext, token: &SessionToken) -> HeaderValue {
    let secure = if ctx.public.is_https() {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={SESSION_IDLE_SECS}{secure}",
        token.expose_secret()
    );
    HeaderValue::from_str(&cookie).expect("a token is a valid header value")
}

/// An account answer, never cached.
pub(super) fn private(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Starts a session acting in `active` (or in the only organization, when
/// there is exactly one) and answers with the account and the cookie.
pub(super) async fn start_session(
    ctx: &ApiContext,
    operator: OperatorProfile,
    active: Option<OrganizationId>,
) -> ApiResult<Response> {
    let memberships = ctx.store.memberships(operator.id).await?;
    let active = active.or(match memberships.as_slice() {
        [only] => Some(only.organization_id),
        _ => None,
    });
    let account = accounts::account(ctx.store.as_ref(), operator, active).await?;
    let cookie = open_session(ctx, account.operator.id, account.active_organization_id).await?;
    let mut response = Json(account).into_response();
    response.headers_mut().insert(SET_COOKIE, cookie);
    Ok(private(response))
}

/// A new session for `operator` acting in `active`: its cookie.
pub(super) async fn open_session(
    ctx: &ApiContext,
    operator: OperatorId,
    active: Option<OrganizationId>,
) -> ApiResult<HeaderValue> {
    let token = SessionToken::generate();
    ctx.store
        .create_operator_session(NewOperatorSession {
            id_hash: token.hash(),
            operator_id: operator,
            active_organization_id: active,
            now: ctx.clock.now(),
        })
        .await?;
    Ok(session_cookie(ctx, &token))
}

pub(super) fn profile(account: &OperatorAccount) -> OperatorProfile {
    OperatorProfile {
        id: account.id,
        name: account.name.clone(),
        email: account.email.clone(),
    }
}

pub(super) fn too_many(secs: u64) -> ApiError {
    ApiError::rate_limited("Too many failed sign-ins; try again in a few minutes", secs)
}
