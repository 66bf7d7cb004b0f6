//! Saved ("canned") replies: the team's, which admins manage, and each
//! operator's own, which only they see. The console fills their
//! `{{variables}}` when one is inserted (`echo_protocol::desk::fill_variables`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use echo_protocol::desk::parse_shortcut;
use echo_protocol::desk::{
    CannedReplies, CannedReply, CannedScope, CreateCannedReply, UpdateCannedReply,
};
use echo_protocol::validate::{CannedTitle, MessageText};
use echo_protocol::{CannedReplyId, ErrorCode};

use crate::http::auth::Operator;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{canned_reply_not_found, ApiJson, ApiPath};
use crate::http::ApiContext;
use crate::store::desk::StoredCannedReply;
use crate::store::StoreError;

/// A taken shortcut is a 409; anything else as usual.
fn save_error(error: StoreError) -> ApiError {
    match error {
        StoreError::Conflict(_) => ApiError::new(
            ErrorCode::Conflict,
            "A saved reply with this shortcut exists in this scope",
        ),
        StoreError::NotFound => canned_reply_not_found(),
        other => other.into(),
    }
}

/// The reply if the caller may change it: a team reply is an admin's to
/// change (403 for an agent); a personal one only its owner's (anyone
/// else's is a 404, as if it did not exist).
async fn editable(
    ctx: &ApiContext,
    operator: &Operator,
    id: CannedReplyId,
) -> ApiResult<StoredCannedReply> {
    let stored = ctx
        .store
        .canned_reply(operator.organization, id)
        .await?
        .ok_or_else(canned_reply_not_found)?;
    match stored.owner {
        None => operator.require_admin()?,
        Some(owner) if Some(owner) != operator.operator_id() => {
            return Err(canned_reply_not_found())
        }
        Some(_) => {}
    }
    Ok(stored)
}

/// The team's saved replies and the caller's own, by shortcut.
#[utoipa::path(
    get,
    operation_id = "list_canned_replies",
    path = "/v1/operator/canned-replies",
    tag = "desk",
    security(("session" = []), ("operatorKey" = [])),
    responses((status = 200, body = CannedReplies))
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn list(
    State(ctx): State<ApiContext>,
    operator: Operator,
) -> ApiResult<Json<CannedReplies>> {
    let canned_replies = ctx
        .store
        .canned_replies(operator.organization, operator.operator_id())
        .await?;
    Ok(Json(CannedReplies { canned_replies }))
}

/// Saves a reply for the team (admins) or for the caller alone.
#[utoipa::path(
    post,
    operation_id = "create_canned_reply",
    path = "/v1/operator/canned-replies",
    tag = "desk",
    security(("session" = []), ("operatorKey" = [])),
    request_body = CreateCannedReply,
    responses(
        (status = 201, body = CannedReply),
        (status = 400, description = "`VALIDATION`", body = echo_protocol::ErrorBody),
        (status = 409, description = "The shortcut is taken in this scope (`CONFLICT`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn create(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiJson(request): ApiJson<CreateCannedReply>,
) -> ApiResult<(StatusCode, Json<CannedReply>)> {
    let reply = CannedReply {
        id: CannedReplyId::from_uuid(uuid::Uuid::new_v4()),
        shortcut: parse_shortcut(&request.shortcut)?,
        title: CannedTitle::parse(&request.title)?.into_inner(),
        text: MessageText::parse(&request.text)?.into_inner(),
        scope: request.scope,
    };
    let owner = match request.scope {
        CannedScope::Team => {
            operator.require_admin()?;
            None
        }
        CannedScope::Personal => Some(operator.operator_id().ok_or_else(|| {
            ApiError::forbidden("An API key has no personal replies: use scope team")
        })?),
    };
    let stored = StoredCannedReply { reply, owner };
    ctx.store
        .save_canned_reply(operator.organization, &stored, true, ctx.clock.now())
        .await
        .map_err(save_error)?;
    Ok((StatusCode::CREATED, Json(stored.reply)))
}

/// Changes a reply's shortcut, title or text (what is given).
#[utoipa::path(
    patch,
    operation_id = "update_canned_reply",
    path = "/v1/operator/canned-replies/{replyId}",
    tag = "desk",
    security(("session" = []), ("operatorKey" = [])),
    params(("replyId" = String, Path)),
    request_body = UpdateCannedReply,
    responses(
        (status = 200, body = CannedReply),
        (status = 400, description = "`VALIDATION`", body = echo_protocol::ErrorBody),
        (status = 404, description = "Missing, or another operator's (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
        (status = 409, description = "The shortcut is taken in this scope (`CONFLICT`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization, reply_id = %id))]
pub async fn update(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiPath(id): ApiPath<CannedReplyId>,
    ApiJson(request): ApiJson<UpdateCannedReply>,
) -> ApiResult<Json<CannedReply>> {
    let shortcut = request
        .shortcut
        .as_deref()
        .map(parse_shortcut)
        .transpose()?;
    let title = request
        .title
        .as_deref()
        .map(CannedTitle::parse)
        .transpose()?;
    let text = request
        .text
        .as_deref()
        .map(MessageText::parse)
        .transpose()?;
    let mut stored = editable(&ctx, &operator, id).await?;
    if let Some(shortcut) = shortcut {
        stored.reply.shortcut = shortcut;
    }
    if let Some(title) = title {
        stored.reply.title = title.into_inner();
    }
    if let Some(text) = text {
        stored.reply.text = text.into_inner();
    }
    ctx.store
        .save_canned_reply(operator.organization, &stored, false, ctx.clock.now())
        .await
        .map_err(save_error)?;
    Ok(Json(stored.reply))
}

/// Deletes a reply.
#[utoipa::path(
    delete,
    operation_id = "delete_canned_reply",
    path = "/v1/operator/canned-replies/{replyId}",
    tag = "desk",
    security(("session" = []), ("operatorKey" = [])),
    params(("replyId" = String, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "Missing, or another operator's (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization, reply_id = %id))]
pub async fn delete(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiPath(id): ApiPath<CannedReplyId>,
) -> ApiResult<StatusCode> {
    editable(&ctx, &operator, id).await?;
    ctx.store
        .delete_canned_reply(operator.organization, id)
        .await
        .map_err(save_error)?;
    Ok(StatusCode::NO_CONTENT)
}
