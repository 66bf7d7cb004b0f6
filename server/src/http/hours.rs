//! `/v1/operator/business-hours` (admins): when the desk is open, the
//! reply time the widget states, and the away message.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use echo_protocol::hours::BusinessHours;

use super::auth::Operator;
use super::error::ApiResult;
use super::extract::{organization_not_found, ApiJson};
use super::ApiContext;
use crate::hours::Schedule;

pub fn router() -> Router<ApiContext> {
    Router::new().route(
        "/v1/operator/business-hours",
        get(get_business_hours).put(put_business_hours),
    )
}

/// The hours as saved (never set: off, UTC, no openings).
#[utoipa::path(
    get,
    path = "/v1/operator/business-hours",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    responses(
        (status = 200, body = BusinessHours),
        (status = 403, description = "Not an admin (`FORBIDDEN`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn get_business_hours(
    State(ctx): State<ApiContext>,
    operator: Operator,
) -> ApiResult<Json<BusinessHours>> {
    operator.require_admin()?;
    let org = ctx
        .store
        .organization(operator.organization)
        .await?
        .ok_or_else(organization_not_found)?;
    Ok(Json(org.business_hours.unwrap_or_default()))
}

/// Replaces the hours. The widget's settings follow within a minute (the
/// time a browser may keep them).
#[utoipa::path(
    put,
    path = "/v1/operator/business-hours",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    request_body = BusinessHours,
    responses(
        (status = 200, body = BusinessHours),
        (status = 400, description = "An unknown time zone, a time that is not HH:MM, overlapping openings, a holiday that is not a date, an empty or long away message (`VALIDATION`, with `field`)", body = echo_protocol::ErrorBody),
        (status = 403, description = "Not an admin (`FORBIDDEN`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn put_business_hours(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiJson(hours): ApiJson<BusinessHours>,
) -> ApiResult<Json<BusinessHours>> {
    operator.require_admin()?;
    Schedule::parse(&hours)?;
    let hours = BusinessHours {
        time_zone: hours.time_zone.trim().to_owned(),
        away_message: hours.away_message.trim().to_owned(),
        ..hours
    };
    ctx.store
        .set_business_hours(operator.organization, hours.clone())
        .await?;
    Ok(Json(hours))
}
