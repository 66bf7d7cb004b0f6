//! One change to many conversations. The named assignee and labels are
//! checked once, for the whole request (404 if any is unknown); then each
//! conversation changes on its own, through the same rules as one at a
//! time, and reports how it went.

use axum::extract::State;
use axum::Json;
use echo_protocol::desk::{BulkChange, BulkResult, BulkResults};
use echo_protocol::ConversationId;

use crate::http::auth::Operator;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{label_not_found, ApiJson};
use crate::http::ApiContext;
use crate::rules::desk::MAX_LABELS;
use crate::store::effects::LabelChange;
use crate::store::StoreError;

/// The most conversations one bulk change names.
const MAX_CONVERSATIONS: usize = 100;

/// Changes the status, assignee and labels of up to 100 conversations;
/// one result per conversation (another organization's is `NOT_FOUND`).
#[utoipa::path(
    post,
    path = "/v1/operator/conversations/bulk",
    tag = "desk",
    security(("session" = []), ("operatorKey" = [])),
    request_body = BulkChange,
    responses(
        (status = 200, body = BulkResults),
        (status = 400, description = "No conversation, or more than 100 (`VALIDATION`)", body = echo_protocol::ErrorBody),
        (status = 404, description = "The assignee or a label is not the organization's (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn bulk_change(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiJson(request): ApiJson<BulkChange>,
) -> ApiResult<Json<BulkResults>> {
    if request.conversation_ids.is_empty() || request.conversation_ids.len() > MAX_CONVERSATIONS {
        return Err(ApiError::validation(
            "conversationIds",
            format!("must name 1 to {MAX_CONVERSATIONS} conversations"),
        ));
    }
    if request.add_label_ids.len() > MAX_LABELS || request.remove_label_ids.len() > MAX_LABELS {
        return Err(ApiError::validation(
            "addLabelIds",
            format!("at most {MAX_LABELS} labels each way"),
        ));
    }
    // Naming nothing to change is allowed: each conversation is then only
    // looked up (and reported found or not).
    let labels_change = !request.add_label_ids.is_empty() || !request.remove_label_ids.is_empty();
    if let Some(Some(assignee)) = request.assignee_id {
        if ctx
            .store
            .role_of(operator.organization, assignee)
            .await?
            .is_none()
        {
            return Err(ApiError::not_found("Member (assigneeId)"));
        }
    }
    if labels_change {
        let known = ctx.store.labels(operator.organization).await?;
        let named = request
            .add_label_ids
            .iter()
            .chain(&request.remove_label_ids);
        for id in named {
            if !known.iter().any(|l| l.id == *id) {
                return Err(label_not_found());
            }
        }
    }
    let mut ids: Vec<ConversationId> = Vec::with_capacity(request.conversation_ids.len());
    for id in &request.conversation_ids {
        if !ids.contains(id) {
            ids.push(*id);
        }
    }
    let labels = LabelChange::Edit {
        add: request.add_label_ids.clone(),
        remove: request.remove_label_ids.clone(),
    };
    let mut results = Vec::with_capacity(ids.len());
    for id in ids {
        // Each failure coded as the single call would answer it (an
        // internal one is logged on the way).
        let error = change_one(&ctx, &operator, &request, labels_change, &labels, id)
            .await
            .err()
            .map(|e| ApiError::from(e).code());
        results.push(BulkResult {
            conversation_id: id,
            ok: error.is_none(),
            error,
        });
    }
    Ok(Json(BulkResults { results }))
}

/// One conversation's share of the change: assignee, then status, then
/// labels (as the single calls would do them).
async fn change_one(
    ctx: &ApiContext,
    operator: &Operator,
    request: &BulkChange,
    labels_change: bool,
    labels: &LabelChange,
    id: ConversationId,
) -> Result<(), StoreError> {
    let now = ctx.clock.now();
    let org = operator.organization;
    if let Some(assignee) = request.assignee_id {
        ctx.store.assign(org, id, assignee, now).await?;
    }
    if let Some(status) = request.status {
        ctx.store.set_status(org, id, status, now).await?;
    }
    if labels_change {
        ctx.store.change_labels(org, id, labels, now).await?;
    }
    if request.assignee_id.is_none() && request.status.is_none() && !labels_change {
        ctx.store
            .operator_conversation(org, id)
            .await?
            .ok_or(StoreError::NotFound)?;
    }
    Ok(())
}
