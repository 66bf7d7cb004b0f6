//! Pro features, gated on the server: they need the organization's
//! subscription to be active (402 `SUBSCRIPTION_REQUIRED` otherwise), and a
//! configured language model (503 `AI_UNAVAILABLE` otherwise).

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use echo_protocol::operator::{Enhance, OrganizationInfo};
use echo_protocol::validate::MessageText;
use echo_protocol::ErrorCode;

use super::auth::Operator;
use super::error::{ApiError, ApiResult};
use super::extract::{organization_not_found, ApiJson};
use super::ApiContext;
use crate::llm::{Llm, Turn};
use crate::store::SubscriptionStatus;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/v1/operator/enhance", post(enhance))
        .route("/v1/operator/organization", get(organization))
}

/// The operator's organization and which pro features it can use, so the
/// console can show locked features with the reason.
#[utoipa::path(
    get,
    path = "/v1/operator/organization",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    responses(
        (status = 200, body = OrganizationInfo),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn organization(
    State(ctx): State<ApiContext>,
    operator: Operator,
) -> ApiResult<Json<OrganizationInfo>> {
    let org = ctx
        .store
        .organization(operator.organization)
        .await?
        .ok_or_else(organization_not_found)?;
    Ok(Json(OrganizationInfo {
        organization_id: org.id,
        name: org.name,
        subscription_active: org.subscription == SubscriptionStatus::Active,
        ai_available: ctx.llm.is_some(),
        ai_limit_reached: ctx.limits.ai_limit_reached(org.id, ctx.clock.now()),
        require_two_factor: org.require_two_factor,
        retention_days: org.retention_days,
        ratings_enabled: org.ratings_enabled,
        subscription_status: org.subscription.as_str().to_owned(),
        checkout_url: ctx.onboarding.settings.checkout_url(org.id),
    }))
}

const ENHANCE_PROMPT: &str = "You improve draft replies written by customer-support agents. \
Rewrite the draft so it is clear, friendly and professional, keeps exactly the same meaning \
and facts, and is in the same language as the draft. Do not add promises, links or details \
that are not in the draft. Answer with the rewritten reply only.";

fn model(ctx: &ApiContext) -> ApiResult<&Llm> {
    ctx.llm.as_deref().ok_or_else(|| {
        ApiError::new(
            ErrorCode::AiUnavailable,
            "No language model is configured on this server",
        )
    })
}

/// Rewrites an operator's draft reply: clearer and polite, same meaning.
#[utoipa::path(
    post,
    path = "/v1/operator/enhance",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    request_body = Enhance,
    responses(
        (status = 200, body = Enhance),
        (status = 400, description = "`VALIDATION`", body = echo_protocol::ErrorBody),
        (status = 402, description = "No active subscription (`SUBSCRIPTION_REQUIRED`)", body = echo_protocol::ErrorBody),
        (status = 503, description = "No model configured, or it failed (`AI_UNAVAILABLE`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn enhance(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiJson(request): ApiJson<Enhance>,
) -> ApiResult<Json<Enhance>> {
    let draft = MessageText::parse(&request.text)?;
    operator.require_subscription(&ctx).await?;
    let llm = model(&ctx)?;
    let text = llm
        .complete(vec![
            Turn::System(ENHANCE_PROMPT.into()),
            Turn::User(draft.into_inner()),
        ])
        .await
        .map_err(|_| {
            ApiError::new(
                ErrorCode::AiUnavailable,
                "The language model did not answer; try again in a moment",
            )
        })?;
    Ok(Json(Enhance {
        text: text.trim().to_owned(),
    }))
}
