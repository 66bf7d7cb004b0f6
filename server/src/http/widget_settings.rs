//! `/v1/operator/widget-settings` (admins): what the widget shows (the
//! greeting, suggestions, brand, allowed sites) and its voice.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use echo_protocol::operator::WidgetSettings;
use echo_protocol::trust::AuditAction;
use echo_protocol::validate::{parse_accent_color, parse_suggestions, GreetMessage};

use super::audit::Audited;
use super::auth::Operator;
use super::error::{ApiError, ApiResult};
use super::extract::{organization_not_found, ApiJson};
use super::ApiContext;

pub fn router() -> Router<ApiContext> {
    Router::new().route(
        "/v1/operator/widget-settings",
        get(get_widget_settings).put(put_widget_settings),
    )
}

/// The greeting and suggestions the widget shows (admins).
#[utoipa::path(
    get,
    path = "/v1/operator/widget-settings",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    responses(
        (status = 200, body = WidgetSettings),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn get_widget_settings(
    State(ctx): State<ApiContext>,
    operator: Operator,
) -> ApiResult<Json<WidgetSettings>> {
    operator.require_admin()?;
    let org = ctx
        .store
        .organization(operator.organization)
        .await?
        .ok_or_else(organization_not_found)?;
    Ok(Json(WidgetSettings {
        greet_message: org.greet_message,
        suggestions: org.suggestions,
        accent_color: Some(org.accent_color),
        theme: Some(org.theme),
        allowed_origins: Some(org.allowed_origins),
        voice: super::voice::settings(&ctx, &operator).await?,
    }))
}

/// The allowed sites in normal form; 400 naming the first bad one.
fn parse_allowed_origins(raw: &[String]) -> ApiResult<Vec<String>> {
    if raw.len() > MAX_ALLOWED_ORIGINS {
        return Err(ApiError::validation(
            "allowedOrigins",
            format!("at most {MAX_ALLOWED_ORIGINS} sites"),
        ));
    }
    let mut origins = Vec::with_capacity(raw.len());
    for text in raw {
        let origin = echo_protocol::origin::parse_origin(text).map_err(|reason| {
            ApiError::validation("allowedOrigins", format!("{text:?} {reason}"))
        })?;
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    Ok(origins)
}

const MAX_ALLOWED_ORIGINS: usize = 20;

/// Changes the greeting, up to three suggestions, and (when given) the
/// accent colour and theme (admins).
#[utoipa::path(
    put,
    path = "/v1/operator/widget-settings",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    request_body = WidgetSettings,
    responses(
        (status = 200, body = WidgetSettings),
        (status = 400, description = "`VALIDATION` (a voice choice not in the Vapi account's lists names its field)", body = echo_protocol::ErrorBody),
        (status = 409, description = "A voice choice without Vapi connected (`CONFLICT`)", body = echo_protocol::ErrorBody),
        (status = 502, description = "Vapi did not answer the check of a voice choice (`UPSTREAM_UNAVAILABLE`)", body = echo_protocol::ErrorBody),
        (status = 503, description = "No secrets key opens the Vapi key (`SECRETS_UNAVAILABLE`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn put_widget_settings(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiJson(request): ApiJson<WidgetSettings>,
) -> ApiResult<Json<WidgetSettings>> {
    operator.require_admin()?;
    let greet_message = GreetMessage::parse(&request.greet_message)?.into_inner();
    let suggestions: Vec<String> = parse_suggestions(&request.suggestions)?
        .into_iter()
        .map(|s| s.into_inner())
        .collect();
    let accent = request
        .accent_color
        .as_deref()
        .map(parse_accent_color)
        .transpose()?;
    let allowed = request
        .allowed_origins
        .as_deref()
        .map(parse_allowed_origins)
        .transpose()?;
    let org = ctx
        .store
        .organization(operator.organization)
        .await?
        .ok_or_else(organization_not_found)?;
    let mut changed: Vec<String> = [
        ("greetMessage", org.greet_message != greet_message),
        ("suggestions", org.suggestions != suggestions),
        (
            "accentColor",
            accent.as_ref().is_some_and(|a| *a != org.accent_color),
        ),
        ("theme", request.theme.is_some_and(|t| t != org.theme)),
        (
            "allowedOrigins",
            allowed.as_ref().is_some_and(|o| *o != org.allowed_origins),
        ),
    ]
    .into_iter()
    .filter(|(_, changed)| *changed)
    .map(|(field, _)| field.to_owned())
    .collect();
    // Checked with Vapi before anything is saved.
    if let Some(voice) = &request.voice {
        super::voice::save(&ctx, &operator, voice).await?;
        changed.push("voice".into());
    }
    let accent_color = accent.unwrap_or(org.accent_color);
    let theme = request.theme.unwrap_or(org.theme);
    ctx.store
        .set_widget_settings(
            operator.organization,
            greet_message.clone(),
            suggestions.clone(),
        )
        .await?;
    ctx.store
        .set_brand(operator.organization, accent_color.clone(), theme)
        .await?;
    let allowed_origins = match allowed {
        Some(origins) => {
            ctx.store
                .set_allowed_origins(operator.organization, origins.clone())
                .await?;
            origins
        }
        None => org.allowed_origins,
    };
    if !changed.is_empty() {
        let audited = Audited::new(AuditAction::SettingsChanged)
            .target("widget")
            .fields(changed);
        operator.audit(&ctx, audited).await;
    }
    Ok(Json(WidgetSettings {
        greet_message,
        suggestions,
        accent_color: Some(accent_color),
        theme: Some(theme),
        allowed_origins: Some(allowed_origins),
        voice: super::voice::settings(&ctx, &operator).await?,
    }))
}
