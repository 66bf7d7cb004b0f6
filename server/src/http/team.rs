//! `/v1/operator/team`, `/v1/operator/invitations`, `/v1/operator/api-keys`:
//! an organization's admins manage who works in it and the keys scripts
//! use. Agents get 403 on every call here.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use echo_protocol::operator::IdentitySecret;
use echo_protocol::team::{
    ApiKeyCreated, ApiKeys, CreateApiKey, CreateInvitation, InvitationCreated, Team, TeamMember,
    UpdateMember,
};
use echo_protocol::trust::AuditAction;
use echo_protocol::validate::{Email, KeyName};
use echo_protocol::{ApiKeyId, ErrorCode, OperatorId};

use super::audit::Audited;
use super::auth::Operator;
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiPath};
use super::ApiContext;
use crate::accounts;
use crate::revocations::Revoked;
use crate::secrets::OperatorKey;
use crate::store::{NewApiKey, StoreError};

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/v1/operator/team", get(list_team))
        .route(
            "/v1/operator/team/{operator_id}",
            patch(update_member).delete(remove_member),
        )
        .route("/v1/operator/invitations", post(create_invitation))
        .route(
            "/v1/operator/api-keys",
            get(list_api_keys).post(create_api_key),
        )
        .route("/v1/operator/api-keys/{key_id}", delete(delete_api_key))
        .route(
            "/v1/operator/identity-secret",
            get(get_identity_secret).post(rotate_identity_secret),
        )
}

fn member_error(error: StoreError) -> ApiError {
    match error {
        StoreError::NotFound => ApiError::not_found("Member"),
        StoreError::Conflict(reason) => ApiError::new(ErrorCode::Conflict, reason),
        other => other.into(),
    }
}

/// The organization's members and their roles.
#[utoipa::path(
    get,
    path = "/v1/operator/team",
    tag = "team",
    security(("session" = []), ("operatorKey" = [])),
    responses(
        (status = 200, body = Team),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn list_team(State(ctx): State<ApiContext>, operator: Operator) -> ApiResult<Json<Team>> {
    operator.require_admin()?;
    let members = ctx.store.team(operator.organization).await?;
    Ok(Json(Team { members }))
}

/// Changes a member's role; the last admin cannot be demoted (409).
#[utoipa::path(
    patch,
    path = "/v1/operator/team/{operatorId}",
    tag = "team",
    security(("session" = []), ("operatorKey" = [])),
    params(("operatorId" = String, Path)),
    request_body = UpdateMember,
    responses(
        (status = 200, body = TeamMember),
        (status = 400, description = "`VALIDATION`", body = echo_protocol::ErrorBody),
        (status = 404, description = "Not a member (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
        (status = 409, description = "The last admin (`CONFLICT`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization, member = %id))]
pub async fn update_member(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiPath(id): ApiPath<OperatorId>,
    ApiJson(request): ApiJson<UpdateMember>,
) -> ApiResult<Json<TeamMember>> {
    operator.require_admin()?;
    ctx.store
        .set_role(operator.organization, id, request.role)
        .await
        .map_err(member_error)?;
    let member = ctx
        .store
        .team(operator.organization)
        .await?
        .into_iter()
        .find(|m| m.operator_id == id)
        .ok_or_else(|| ApiError::not_found("Member"))?;
    let audited = Audited::new(AuditAction::RoleChanged)
        .target(id)
        .fields(vec![format!("role:{}", request.role.as_str())]);
    operator.audit(&ctx, audited).await;
    Ok(Json(member))
}

/// Removes a member (their conversations become unassigned); the last
/// admin cannot be removed (409).
#[utoipa::path(
    delete,
    path = "/v1/operator/team/{operatorId}",
    tag = "team",
    security(("session" = []), ("operatorKey" = [])),
    params(("operatorId" = String, Path)),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "Not a member (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
        (status = 409, description = "The last admin (`CONFLICT`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization, member = %id))]
pub async fn remove_member(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiPath(id): ApiPath<OperatorId>,
) -> ApiResult<StatusCode> {
    operator.require_admin()?;
    ctx.store
        .remove_member(operator.organization, id, ctx.clock.now())
        .await
        .map_err(member_error)?;
    ctx.store
        .revoke(Revoked::Member(operator.organization, id))
        .await;
    let audited = Audited::new(AuditAction::MemberRemoved).target(id);
    operator.audit(&ctx, audited).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Invites someone by email; the answer's `url` is the single-use link
/// (valid 72 hours) to give them.
#[utoipa::path(
    post,
    path = "/v1/operator/invitations",
    tag = "team",
    security(("session" = []), ("operatorKey" = [])),
    request_body = CreateInvitation,
    responses(
        (status = 201, body = InvitationCreated),
        (status = 400, description = "`VALIDATION`", body = echo_protocol::ErrorBody),
        (status = 403, description = "Not an admin (`FORBIDDEN`), or the address is not confirmed yet (`EMAIL_NOT_VERIFIED`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn create_invitation(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiJson(request): ApiJson<CreateInvitation>,
) -> ApiResult<(StatusCode, Json<InvitationCreated>)> {
    operator.require_admin()?;
    let email = Email::parse(&request.email)?;
    operator.require_verified_email(&ctx).await?;
    let invited = email.as_ref().to_lowercase();
    let created = accounts::invite(
        ctx.store.as_ref(),
        &ctx.clock,
        &ctx.public,
        operator.organization,
        email,
        request.role,
    )
    .await?;
    tracing::info!(invitation_id = %created.invitation_id, "invitation created");
    let audited = Audited::new(AuditAction::InvitationCreated)
        .target(&invited)
        .fields(vec![format!("role:{}", request.role.as_str())]);
    operator.audit(&ctx, audited).await;
    Ok((StatusCode::CREATED, Json(created)))
}

/// The organization's API keys (names only; secrets are never shown again).
#[utoipa::path(
    get,
    path = "/v1/operator/api-keys",
    tag = "team",
    security(("session" = []), ("operatorKey" = [])),
    responses(
        (status = 200, body = ApiKeys),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn list_api_keys(
    State(ctx): State<ApiContext>,
    operator: Operator,
) -> ApiResult<Json<ApiKeys>> {
    operator.require_admin()?;
    let api_keys = ctx.store.api_keys(operator.organization).await?;
    Ok(Json(ApiKeys { api_keys }))
}

/// A new named key; its secret is in this answer only.
#[utoipa::path(
    post,
    path = "/v1/operator/api-keys",
    tag = "team",
    security(("session" = []), ("operatorKey" = [])),
    request_body = CreateApiKey,
    responses(
        (status = 201, body = ApiKeyCreated),
        (status = 400, description = "`VALIDATION`", body = echo_protocol::ErrorBody),
        (status = 403, description = "Not an admin (`FORBIDDEN`), or the address is not confirmed yet (`EMAIL_NOT_VERIFIED`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn create_api_key(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiJson(request): ApiJson<CreateApiKey>,
) -> ApiResult<(StatusCode, Json<ApiKeyCreated>)> {
    operator.require_admin()?;
    let name = KeyName::parse(&request.name)?.into_inner();
    operator.require_verified_email(&ctx).await?;
    let key = OperatorKey::generate();
    let id = ApiKeyId::from_uuid(uuid::Uuid::new_v4());
    ctx.store
        .create_api_key(NewApiKey {
            id,
            organization_id: operator.organization,
            name: name.clone(),
            key_hash: key.hash(),
            created_at: ctx.clock.now(),
        })
        .await?;
    tracing::info!(key_id = %id, "API key created");
    let audited = Audited::new(AuditAction::ApiKeyCreated).target(id);
    operator.audit(&ctx, audited).await;
    Ok((
        StatusCode::CREATED,
        Json(ApiKeyCreated {
            key_id: id,
            name,
            key: key.expose_secret().to_owned(),
        }),
    ))
}

/// Deletes a key; it stops working at once.
#[utoipa::path(
    delete,
    path = "/v1/operator/api-keys/{keyId}",
    tag = "team",
    security(("session" = []), ("operatorKey" = [])),
    params(("keyId" = String, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "Not this organization's key (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization, key_id = %id))]
pub async fn delete_api_key(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiPath(id): ApiPath<ApiKeyId>,
) -> ApiResult<StatusCode> {
    operator.require_admin()?;
    ctx.store
        .delete_api_key(operator.organization, id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("API key"),
            other => other.into(),
        })?;
    ctx.store.revoke(Revoked::ApiKey(id)).await;
    let audited = Audited::new(AuditAction::ApiKeyDeleted).target(id);
    operator.audit(&ctx, audited).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The identity-verification key (see the README's "Signed-in visitors").
#[utoipa::path(
    get,
    path = "/v1/operator/identity-secret",
    tag = "team",
    security(("session" = []), ("operatorKey" = [])),
    responses(
        (status = 200, body = IdentitySecret),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn get_identity_secret(
    State(ctx): State<ApiContext>,
    operator: Operator,
) -> ApiResult<Json<IdentitySecret>> {
    identity_secret(&ctx, &operator, false).await
}

/// Replaces the identity-verification key: hashes made with the old one
/// stop verifying at once.
#[utoipa::path(
    post,
    path = "/v1/operator/identity-secret",
    tag = "team",
    security(("session" = []), ("operatorKey" = [])),
    responses(
        (status = 200, body = IdentitySecret),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn rotate_identity_secret(
    State(ctx): State<ApiContext>,
    operator: Operator,
) -> ApiResult<Json<IdentitySecret>> {
    let rotated = identity_secret(&ctx, &operator, true).await?;
    tracing::info!("identity secret rotated");
    operator
        .audit(&ctx, Audited::new(AuditAction::IdentitySecretRotated))
        .await;
    Ok(rotated)
}

/// The admin-only read (or rotation, then read) both calls share.
async fn identity_secret(
    ctx: &ApiContext,
    operator: &Operator,
    rotate: bool,
) -> ApiResult<Json<IdentitySecret>> {
    operator.require_admin()?;
    let secret = crate::admin::identity_secret(ctx.store.as_ref(), operator.organization, rotate)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(IdentitySecret {
        identity_secret: secret,
    }))
}
