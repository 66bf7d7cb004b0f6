//! `GET /v1/organizations/{organizationId}/widget`.

use axum::extract::State;
use axum::http::header::CACHE_CONTROL;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use echo_protocol::widget::WidgetConfig;
use echo_protocol::OrganizationId;

use super::error::ApiResult;
use super::extract::{organization_not_found, ApiPath};
use super::ApiContext;

pub fn router() -> Router<ApiContext> {
    Router::new().route(
        "/v1/organizations/{organization_id}/widget",
        get(widget_config),
    )
}

/// Verifies the organization and returns its public widget settings.
#[utoipa::path(
    get,
    path = "/v1/organizations/{organizationId}/widget",
    tag = "widget",
    params(("organizationId" = String, Path, description = "The organization's ID")),
    responses(
        (status = 200, body = WidgetConfig),
        (status = 404, description = "Unknown organization (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip(ctx))]
pub async fn widget_config(
    State(ctx): State<ApiContext>,
    ApiPath(id): ApiPath<OrganizationId>,
) -> ApiResult<Response> {
    let config = public_config(&ctx, id)
        .await?
        .ok_or_else(organization_not_found)?;
    // The loader asks on every page of the host's site (the launcher's
    // colour): a browser may reuse the answer for a minute, so a change of
    // brand shows within one.
    Ok(([(CACHE_CONTROL, "public, max-age=60")], Json(config)).into_response())
}

/// The organization's public widget settings (`None`: no such organization),
/// answered by the call above and embedded in the widget's page.
pub async fn public_config(
    ctx: &ApiContext,
    id: OrganizationId,
) -> ApiResult<Option<WidgetConfig>> {
    let Some(org) = ctx.store.organization(id).await? else {
        return Ok(None);
    };
    let voice = super::voice::public(ctx, &org).await?;
    Ok(Some(WidgetConfig {
        voice,
        organization_id: org.id,
        name: org.name,
        greet_message: org.greet_message,
        suggestions: org.suggestions,
        accent_text_color: echo_protocol::widget::text_on(&org.accent_color).into(),
        accent_color: org.accent_color,
        theme: org.theme,
        transcripts: ctx.mailer.is_some(),
        availability: crate::hours::availability(org.business_hours.as_ref(), ctx.clock.now()),
        allowed_origins: org.allowed_origins,
    }))
}
