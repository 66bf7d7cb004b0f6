//! An organization's security settings (`PATCH /v1/operator/organization`:
//! required two-factor sign-in, retention) and its audit log
//! (`GET /v1/operator/audit-log`). Admins only.

use axum::extract::State;
use axum::routing::{get, patch};
use axum::{Json, Router};
use echo_protocol::operator::OrganizationInfo;
use echo_protocol::trust::{AuditAction, AuditPage, UpdateOrganization, RETENTION_DAYS};
use serde::Deserialize;
use utoipa::IntoParams;

use super::audit::Audited;
use super::auth::Operator;
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiQuery};
use super::ApiContext;
use crate::store::page::Cursor;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/v1/operator/organization", patch(update_organization))
        .route("/v1/operator/audit-log", get(audit_log))
}

/// Changes the organization's security settings; only the fields given.
#[utoipa::path(
    patch,
    path = "/v1/operator/organization",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    request_body = UpdateOrganization,
    responses(
        (status = 200, body = OrganizationInfo),
        (status = 400, description = "`retentionDays` outside 30 to 3,650 (`VALIDATION`)", body = echo_protocol::ErrorBody),
        (status = 403, description = "Not an admin (`FORBIDDEN`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn update_organization(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiJson(request): ApiJson<UpdateOrganization>,
) -> ApiResult<Json<OrganizationInfo>> {
    operator.require_admin()?;
    if let Some(Some(days)) = request.retention_days {
        if !RETENTION_DAYS.contains(&days) {
            return Err(ApiError::validation(
                "retentionDays",
                "must be null (keep forever) or 30 to 3650 days",
            ));
        }
    }
    let before = ctx
        .store
        .organization(operator.organization)
        .await?
        .ok_or_else(super::extract::organization_not_found)?;
    ctx.store
        .set_security(operator.organization, request.clone())
        .await?;
    if request
        .require_two_factor
        .is_some_and(|on| on != before.require_two_factor)
    {
        let audited =
            Audited::new(AuditAction::SettingsChanged).fields(vec!["requireTwoFactor".into()]);
        operator.audit(&ctx, audited).await;
    }
    if request
        .ratings_enabled
        .is_some_and(|on| on != before.ratings_enabled)
    {
        let audited =
            Audited::new(AuditAction::SettingsChanged).fields(vec!["ratingsEnabled".into()]);
        operator.audit(&ctx, audited).await;
    }
    if let Some(days) = request
        .retention_days
        .filter(|d| *d != before.retention_days)
    {
        let target = days.map_or_else(|| "forever".to_owned(), |d| format!("{d} days"));
        let audited = Audited::new(AuditAction::RetentionChanged)
            .target(target)
            .fields(vec!["retentionDays".into()]);
        operator.audit(&ctx, audited).await;
    }
    super::pro::organization(State(ctx), operator).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// `nextCursor` of the previous page.
    #[param(pattern = r"^([1-9][0-9]{0,17})?$")]
    pub cursor: Option<String>,
    /// Entries per page, 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// Security-relevant actions in the organization, newest first: sign-ins
/// and failed sign-ins of members, two-factor changes, the team, API keys,
/// the identity secret, settings, exports and erasures. Append-only; kept
/// 400 days.
#[utoipa::path(
    get,
    path = "/v1/operator/audit-log",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    params(AuditQuery),
    responses(
        (status = 200, body = AuditPage),
        (status = 400, description = "`VALIDATION`", body = echo_protocol::ErrorBody),
        (status = 403, description = "Not an admin (`FORBIDDEN`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn audit_log(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    operator.require_admin()?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::validation("limit", "must be 1 to 100"));
    }
    let before = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(text) => Some(
            Cursor::parse(text)
                .ok_or_else(|| ApiError::validation("cursor", "is not a valid cursor"))?
                .0,
        ),
    };
    let mut rows = ctx
        .store
        .audit_log(operator.organization, before, limit + 1)
        .await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = more
        .then(|| rows.last().map(|(seq, _)| Cursor(*seq).encode()))
        .flatten();
    Ok(Json(AuditPage {
        entries: rows.into_iter().map(|(_, entry)| entry).collect(),
        next_cursor,
    }))
}
