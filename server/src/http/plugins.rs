//! Plugins (admins): connecting an organization's Vapi account with its
//! keys, which are checked with Vapi, sealed at rest and never shown again
//! (`crate::vault`); listing the account's phone numbers and assistants.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use echo_protocol::plugins::{
    parse_key, ConnectVapi, PluginInfo, PluginList, VapiAssistants, VapiPhoneNumbers,
};
use echo_protocol::trust::AuditAction;
use echo_protocol::ErrorCode;
use secrecy::{ExposeSecret, SecretString};

use super::audit::Audited;
use super::auth::Operator;
use super::error::{ApiError, ApiResult};
use super::extract::ApiJson;
use super::ApiContext;
use crate::plugins::vapi::VapiError;
use crate::plugins::{VAPI_PRIVATE, VAPI_PUBLIC};
use crate::store::plugins::StoredPlugin;
use crate::vault::Vault;

pub(super) const VAPI: &str = "vapi";

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/v1/operator/plugins", get(list_plugins))
        .route(
            "/v1/operator/plugins/vapi",
            put(connect_vapi).delete(disconnect_vapi),
        )
        .route(
            "/v1/operator/plugins/vapi/phone-numbers",
            get(vapi_phone_numbers),
        )
        .route("/v1/operator/plugins/vapi/assistants", get(vapi_assistants))
}

fn info(plugin: &StoredPlugin) -> PluginInfo {
    PluginInfo {
        service: plugin.service.clone(),
        connected_at: plugin.connected_at,
        key_hint: plugin.key_hint.clone(),
        broken: plugin.broken_at.is_some(),
    }
}

fn vault(ctx: &ApiContext) -> ApiResult<&Vault> {
    ctx.vault.as_ref().ok_or_else(|| {
        ApiError::new(
            ErrorCode::SecretsUnavailable,
            "This server has no secrets key (ECHO_SECRETS_KEY), so it cannot keep a plugin's keys",
        )
    })
}

fn upstream(error: &VapiError) -> ApiError {
    let message = match error {
        VapiError::Rejected => {
            "Vapi refused the organization's key: connect the plugin again".to_owned()
        }
        VapiError::Unavailable(why) => format!("Vapi is not available: {why}"),
    };
    ApiError::new(ErrorCode::UpstreamUnavailable, message)
}

/// The organization's connected plugins, each with the last four
/// characters of its key; never a key.
#[utoipa::path(
    get,
    path = "/v1/operator/plugins",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    responses(
        (status = 200, body = PluginList),
        (status = 403, description = "Not an admin (`FORBIDDEN`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn list_plugins(
    State(ctx): State<ApiContext>,
    operator: Operator,
) -> ApiResult<Json<PluginList>> {
    operator.require_admin()?;
    let plugins = ctx.store.plugins(operator.organization).await?;
    Ok(Json(PluginList {
        plugins: plugins.iter().map(info).collect(),
    }))
}

/// Connects the organization's Vapi account: the private key is checked
/// with Vapi, then both keys are sealed (AES-256-GCM, bound to the
/// organization and the key's purpose) and kept. Connecting again
/// replaces them. Needs an active subscription.
#[utoipa::path(
    put,
    path = "/v1/operator/plugins/vapi",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    request_body = ConnectVapi,
    responses(
        (status = 200, body = PluginInfo),
        (status = 400, description = "A malformed key, or one Vapi refuses, named (`VALIDATION`)", body = echo_protocol::ErrorBody),
        (status = 402, description = "No active subscription (`SUBSCRIPTION_REQUIRED`)", body = echo_protocol::ErrorBody),
        (status = 403, description = "Not an admin, or the admin's address is not confirmed (`FORBIDDEN`, `EMAIL_NOT_VERIFIED`)", body = echo_protocol::ErrorBody),
        (status = 502, description = "Vapi did not answer in 5 seconds, or failed (`UPSTREAM_UNAVAILABLE`)", body = echo_protocol::ErrorBody),
        (status = 503, description = "The server has no secrets key (`SECRETS_UNAVAILABLE`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn connect_vapi(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiJson(request): ApiJson<ConnectVapi>,
) -> ApiResult<Json<PluginInfo>> {
    operator.require_admin()?;
    operator.require_verified_email(&ctx).await?;
    let private_key = parse_key("privateApiKey", &request.private_api_key)?;
    let public_key = parse_key("publicApiKey", &request.public_api_key)?;
    operator.require_subscription(&ctx).await?;
    let vault = vault(&ctx)?;
    let secret = SecretString::from(private_key);
    match ctx.vapi.check(&secret).await {
        Ok(()) => {}
        Err(VapiError::Rejected) => {
            return Err(ApiError::validation(
                "privateApiKey",
                "Vapi does not accept this key",
            ))
        }
        Err(error) => return Err(upstream(&error)),
    }
    let organization = operator.organization;
    let plain = secret.expose_secret();
    let hint: String = plain
        .chars()
        .skip(plain.chars().count().saturating_sub(4))
        .collect();
    let plugin = StoredPlugin {
        organization,
        service: VAPI.into(),
        private_key: vault.seal(organization, VAPI_PRIVATE, plain),
        public_key: vault.seal(organization, VAPI_PUBLIC, &public_key),
        key_hint: hint,
        connected_at: ctx.clock.now(),
        broken_at: None,
        voice: Default::default(),
    };
    ctx.store.connect_plugin(plugin.clone()).await?;
    let audited = Audited::new(AuditAction::SettingsChanged)
        .target("Vapi".to_owned())
        .fields(vec!["plugins.vapi".into()]);
    operator.audit(&ctx, audited).await;
    Ok(Json(info(&plugin)))
}

/// Forgets the organization's Vapi keys.
#[utoipa::path(
    delete,
    path = "/v1/operator/plugins/vapi",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    responses(
        (status = 204, description = "Forgotten"),
        (status = 403, description = "Not an admin (`FORBIDDEN`)", body = echo_protocol::ErrorBody),
        (status = 404, description = "Vapi is not connected (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn disconnect_vapi(
    State(ctx): State<ApiContext>,
    operator: Operator,
) -> ApiResult<StatusCode> {
    operator.require_admin()?;
    if !ctx
        .store
        .disconnect_plugin(operator.organization, VAPI)
        .await?
    {
        return Err(not_connected());
    }
    let audited = Audited::new(AuditAction::SettingsChanged)
        .target("Vapi".to_owned())
        .fields(vec!["plugins.vapi".into()]);
    operator.audit(&ctx, audited).await;
    Ok(StatusCode::NO_CONTENT)
}

fn not_connected() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "Vapi is not connected")
}

/// The organization's Vapi plugin, if connected.
pub(super) async fn vapi_plugin(
    ctx: &ApiContext,
    organization: echo_protocol::OrganizationId,
) -> ApiResult<Option<StoredPlugin>> {
    let plugins = ctx.store.plugins(organization).await?;
    Ok(plugins.into_iter().find(|p| p.service == VAPI))
}

/// `plugin`'s private key, opened.
pub(super) fn private_key(ctx: &ApiContext, plugin: &StoredPlugin) -> ApiResult<SecretString> {
    vault(ctx)?
        .open(plugin.organization, VAPI_PRIVATE, &plugin.private_key)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::SecretsUnavailable,
                "The key Vapi's keys were sealed with is not among this server's secrets keys",
            )
        })
}

/// The organization's Vapi private key, opened (admins).
async fn vapi_key(ctx: &ApiContext, operator: &Operator) -> ApiResult<SecretString> {
    operator.require_admin()?;
    let plugin = vapi_plugin(ctx, operator.organization)
        .await?
        .ok_or_else(not_connected)?;
    private_key(ctx, &plugin)
}

/// A Vapi call's outcome: a refused key marks the plugin broken (and a
/// working one mends it).
pub(super) async fn noted<T>(
    ctx: &ApiContext,
    organization: echo_protocol::OrganizationId,
    outcome: Result<T, VapiError>,
) -> ApiResult<T> {
    match outcome {
        Ok(value) => {
            ctx.store
                .set_plugin_broken(organization, VAPI, None)
                .await?;
            Ok(value)
        }
        Err(error) => {
            if error == VapiError::Rejected {
                let now = Some(ctx.clock.now());
                ctx.store.set_plugin_broken(organization, VAPI, now).await?;
            }
            Err(upstream(&error))
        }
    }
}

/// Every phone number of the organization's Vapi account (all pages).
#[utoipa::path(
    get,
    path = "/v1/operator/plugins/vapi/phone-numbers",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    responses(
        (status = 200, body = VapiPhoneNumbers),
        (status = 403, description = "Not an admin (`FORBIDDEN`)", body = echo_protocol::ErrorBody),
        (status = 404, description = "Vapi is not connected (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
        (status = 502, description = "Vapi refused the key (the plugin is marked broken), did not answer in 5 seconds, or failed (`UPSTREAM_UNAVAILABLE`)", body = echo_protocol::ErrorBody),
        (status = 503, description = "No secrets key opens the stored keys (`SECRETS_UNAVAILABLE`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn vapi_phone_numbers(
    State(ctx): State<ApiContext>,
    operator: Operator,
) -> ApiResult<Json<VapiPhoneNumbers>> {
    let key = vapi_key(&ctx, &operator).await?;
    let listed = ctx.vapi.phone_numbers(&key).await;
    let phone_numbers = noted(&ctx, operator.organization, listed).await?;
    Ok(Json(VapiPhoneNumbers { phone_numbers }))
}

/// Every assistant of the organization's Vapi account (all pages).
#[utoipa::path(
    get,
    path = "/v1/operator/plugins/vapi/assistants",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    responses(
        (status = 200, body = VapiAssistants),
        (status = 403, description = "Not an admin (`FORBIDDEN`)", body = echo_protocol::ErrorBody),
        (status = 404, description = "Vapi is not connected (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
        (status = 502, description = "Vapi refused the key (the plugin is marked broken), did not answer in 5 seconds, or failed (`UPSTREAM_UNAVAILABLE`)", body = echo_protocol::ErrorBody),
        (status = 503, description = "No secrets key opens the stored keys (`SECRETS_UNAVAILABLE`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn vapi_assistants(
    State(ctx): State<ApiContext>,
    operator: Operator,
) -> ApiResult<Json<VapiAssistants>> {
    let key = vapi_key(&ctx, &operator).await?;
    let listed = ctx.vapi.assistants(&key).await;
    let assistants = noted(&ctx, operator.organization, listed).await?;
    Ok(Json(VapiAssistants { assistants }))
}
