//! Labels: the organization's (admins manage them) and a conversation's
//! (any member sets them). Each change to a conversation's labels is an
//! operator-stream `labels` event.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use echo_protocol::desk::parse_label_color;
use echo_protocol::desk::{CreateLabel, Label, LabelId, Labels, SetLabels, UpdateLabel};
use echo_protocol::validate::LabelName;
use echo_protocol::{ConversationId, ErrorCode};

use crate::http::auth::Operator;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{label_not_found, ApiJson, ApiPath};
use crate::http::ApiContext;
use crate::rules::desk::MAX_LABELS;
use crate::store::effects::LabelChange;
use crate::store::StoreError;

fn save_error(error: StoreError) -> ApiError {
    match error {
        StoreError::Conflict(_) => {
            ApiError::new(ErrorCode::Conflict, "A label with this name exists")
        }
        StoreError::NotFound => label_not_found(),
        other => other.into(),
    }
}

/// A conversation or a label it names that is not the organization's is a
/// 404 (which one is not told apart); too many labels is a 409.
pub fn change_error(error: StoreError) -> ApiError {
    match error {
        StoreError::NotFound => ApiError::not_found("Conversation or label"),
        other => other.into(),
    }
}

/// The organization's labels, by name.
#[utoipa::path(
    get,
    operation_id = "list_labels",
    path = "/v1/operator/labels",
    tag = "desk",
    security(("session" = []), ("operatorKey" = [])),
    responses((status = 200, body = Labels))
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn list(State(ctx): State<ApiContext>, operator: Operator) -> ApiResult<Json<Labels>> {
    let labels = ctx.store.labels(operator.organization).await?;
    Ok(Json(Labels { labels }))
}

/// Creates a label (admins). Names are unique whatever their case.
#[utoipa::path(
    post,
    operation_id = "create_label",
    path = "/v1/operator/labels",
    tag = "desk",
    security(("session" = []), ("operatorKey" = [])),
    request_body = CreateLabel,
    responses(
        (status = 201, body = Label),
        (status = 400, description = "`VALIDATION`", body = echo_protocol::ErrorBody),
        (status = 409, description = "The name is taken (`CONFLICT`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn create(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiJson(request): ApiJson<CreateLabel>,
) -> ApiResult<(StatusCode, Json<Label>)> {
    let label = Label {
        id: LabelId::from_uuid(uuid::Uuid::new_v4()),
        name: LabelName::parse(&request.name)?.into_inner(),
        color: parse_label_color(&request.color)?,
    };
    operator.require_admin()?;
    ctx.store
        .save_label(operator.organization, &label, true, ctx.clock.now())
        .await
        .map_err(save_error)?;
    Ok((StatusCode::CREATED, Json(label)))
}

/// Renames or recolours a label (admins).
#[utoipa::path(
    patch,
    operation_id = "update_label",
    path = "/v1/operator/labels/{labelId}",
    tag = "desk",
    security(("session" = []), ("operatorKey" = [])),
    params(("labelId" = String, Path)),
    request_body = UpdateLabel,
    responses(
        (status = 200, body = Label),
        (status = 400, description = "`VALIDATION`", body = echo_protocol::ErrorBody),
        (status = 404, description = "`NOT_FOUND`", body = echo_protocol::ErrorBody),
        (status = 409, description = "The name is taken (`CONFLICT`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization, label_id = %id))]
pub async fn update(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiPath(id): ApiPath<LabelId>,
    ApiJson(request): ApiJson<UpdateLabel>,
) -> ApiResult<Json<Label>> {
    let name = request.name.as_deref().map(LabelName::parse).transpose()?;
    let color = request
        .color
        .as_deref()
        .map(parse_label_color)
        .transpose()?;
    operator.require_admin()?;
    let mut label = ctx
        .store
        .labels(operator.organization)
        .await?
        .into_iter()
        .find(|l| l.id == id)
        .ok_or_else(label_not_found)?;
    if let Some(name) = name {
        label.name = name.into_inner();
    }
    if let Some(color) = color {
        label.color = color;
    }
    ctx.store
        .save_label(operator.organization, &label, false, ctx.clock.now())
        .await
        .map_err(save_error)?;
    Ok(Json(label))
}

/// Deletes a label (admins): it comes off every conversation.
#[utoipa::path(
    delete,
    operation_id = "delete_label",
    path = "/v1/operator/labels/{labelId}",
    tag = "desk",
    security(("session" = []), ("operatorKey" = [])),
    params(("labelId" = String, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "`NOT_FOUND`", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization, label_id = %id))]
pub async fn delete(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiPath(id): ApiPath<LabelId>,
) -> ApiResult<StatusCode> {
    operator.require_admin()?;
    ctx.store
        .delete_label(operator.organization, id, ctx.clock.now())
        .await
        .map_err(save_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The conversation's labels become exactly these.
#[utoipa::path(
    put,
    path = "/v1/operator/conversations/{conversationId}/labels",
    tag = "desk",
    security(("session" = []), ("operatorKey" = [])),
    params(("conversationId" = String, Path)),
    request_body = SetLabels,
    responses(
        (status = 200, body = Labels),
        (status = 400, description = "More than 20 (`VALIDATION`)", body = echo_protocol::ErrorBody),
        (status = 404, description = "No such conversation or label (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization, conversation_id = %id))]
pub async fn set_conversation_labels(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiPath(id): ApiPath<ConversationId>,
    ApiJson(request): ApiJson<SetLabels>,
) -> ApiResult<Json<Labels>> {
    if request.label_ids.len() > MAX_LABELS {
        return Err(ApiError::validation(
            "labelIds",
            format!("at most {MAX_LABELS} labels"),
        ));
    }
    let labels = ctx
        .store
        .change_labels(
            operator.organization,
            id,
            &LabelChange::Set(request.label_ids),
            ctx.clock.now(),
        )
        .await
        .map_err(change_error)?;
    Ok(Json(Labels { labels }))
}
