//! `/v1/operator/...`: the operator API. Every call is authenticated by an
//! operator's session (acting in its active organization) or an API key,
//! and sees only that organization; another organization's conversation is
//! a 404, as for visitors.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use echo_protocol::conversations::ConversationStatus;
use echo_protocol::desk::{Label, LabelId};
use echo_protocol::messages::{Message, MessagePage, SendMessage};
use echo_protocol::operator::{
    OperatorConversation, OperatorConversationItem, OperatorConversationPage, UpdateConversation,
};
use echo_protocol::validate::IdempotencyKey;
use echo_protocol::{ConversationId, OperatorId};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Operator;
use super::error::{ApiError, ApiResult};
use super::extract::{conversation_write_error, ApiJson, ApiPath, ApiQuery, PageQuery};
use super::ApiContext;
use crate::store::{authored_message, ActivityCursor, AssigneeFilter, Cursor, InboxFilter, Reader};

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/v1/operator/conversations", get(list_conversations))
        .route(
            "/v1/operator/conversations/{conversation_id}",
            get(get_conversation).patch(update_conversation),
        )
        .route(
            "/v1/operator/conversations/{conversation_id}/messages",
            get(list_messages).post(reply),
        )
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// `unresolved`, `escalated` or `resolved`; absent for all.
    #[param(pattern = r"^(unresolved|escalated|resolved|all)?$")]
    pub status: Option<String>,
    /// `me` (the signed-in operator; nothing for an API key), `none`, or an
    /// operator ID; absent for all.
    #[param(
        pattern = r"^(me|none|all|([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32}|\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}|urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}))?$"
    )]
    pub assignee: Option<String>,
    /// Only conversations carrying this label (its ID).
    #[param(
        pattern = r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32}|\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}|urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$"
    )]
    pub label: Option<String>,
    /// `nextCursor` of the previous page.
    #[param(pattern = r"^(-?[0-9]{1,17}_[1-9][0-9]{0,17})?$")]
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 30).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

impl InboxQuery {
    /// The filter the query names (`me` is the caller).
    pub fn filter(&self, operator: &Operator) -> ApiResult<InboxFilter> {
        let status = match self.status.as_deref() {
            None | Some("") | Some("all") => None,
            Some(text) => Some(ConversationStatus::parse(text).ok_or_else(|| {
                ApiError::validation("status", "must be unresolved, escalated, resolved or all")
            })?),
        };
        let assignee = match self.assignee.as_deref() {
            None | Some("") | Some("all") => AssigneeFilter::Any,
            Some("none") => AssigneeFilter::Unassigned,
            // An API key is nobody: no conversation is assigned to it.
            Some("me") => match operator.operator_id() {
                Some(me) => AssigneeFilter::Operator(me),
                None => AssigneeFilter::Nobody,
            },
            Some(text) => AssigneeFilter::Operator(OperatorId::parse(text).ok_or_else(|| {
                ApiError::validation("assignee", "must be me, none, all or an operator ID")
            })?),
        };
        let label = match self.label.as_deref().filter(|l| !l.is_empty()) {
            None => None,
            Some(text) => Some(
                LabelId::parse(text)
                    .ok_or_else(|| ApiError::validation("label", "is not a label ID"))?,
            ),
        };
        Ok(InboxFilter {
            status,
            assignee,
            label,
        })
    }
}

/// Each conversation's labels, by ID (an empty list for none).
pub async fn labels_by_conversation(
    ctx: &ApiContext,
    operator: &Operator,
    ids: &[ConversationId],
) -> ApiResult<HashMap<ConversationId, Vec<Label>>> {
    let mut labels: HashMap<ConversationId, Vec<Label>> = HashMap::new();
    if ids.is_empty() {
        return Ok(labels);
    }
    for (id, label) in ctx.store.labels_of(operator.organization, ids).await? {
        labels.entry(id).or_default().push(label);
    }
    Ok(labels)
}

/// The conversation as the operator API shows it, labels and all.
async fn shown(
    ctx: &ApiContext,
    operator: &Operator,
    id: ConversationId,
) -> ApiResult<OperatorConversation> {
    let mut conversation = operator.conversation(ctx, id).await?;
    conversation.labels = labels_by_conversation(ctx, operator, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    Ok(conversation)
}

/// The organization's conversations, newest activity first, each with the
/// visitor's name and the last message.
#[utoipa::path(
    get,
    operation_id = "operator_list_conversations",
    path = "/v1/operator/conversations",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    params(InboxQuery),
    responses(
        (status = 200, body = OperatorConversationPage),
        (status = 400, description = "`VALIDATION`", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn list_conversations(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiQuery(query): ApiQuery<InboxQuery>,
) -> ApiResult<Json<OperatorConversationPage>> {
    let filter = query.filter(&operator)?;
    let cursor = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(text) => Some(
            ActivityCursor::parse(text)
                .ok_or_else(|| ApiError::validation("cursor", "is not a valid cursor"))?,
        ),
    };
    let (_, limit) = PageQuery {
        cursor: None,
        limit: query.limit,
    }
    .parse()?;
    let page = ctx
        .store
        .operator_conversations(operator.organization, filter, cursor, limit)
        .await?;
    let ids: Vec<ConversationId> = page.items.iter().map(|s| s.conversation.id).collect();
    let mut labels = labels_by_conversation(&ctx, &operator, &ids).await?;
    let mut ratings: std::collections::HashMap<_, _> = ctx
        .store
        .ratings_of(operator.organization, &ids)
        .await?
        .into_iter()
        .collect();
    Ok(Json(OperatorConversationPage {
        conversations: page
            .items
            .into_iter()
            .map(|s| OperatorConversationItem {
                labels: labels.remove(&s.conversation.id).unwrap_or_default(),
                conversation_id: s.conversation.id,
                status: s.conversation.status,
                created_at: s.conversation.created_at,
                last_activity_at: s.last_activity_at,
                visitor_name: s.visitor_name,
                last_message: s.last_message,
                assignee: s.assignee,
                rating: ratings.remove(&s.conversation.id),
            })
            .collect(),
        next_cursor: page.next_cursor.map(ActivityCursor::encode),
    }))
}

/// The conversation with its visitor's name, email and browser metadata.
#[utoipa::path(
    get,
    operation_id = "operator_get_conversation",
    path = "/v1/operator/conversations/{conversationId}",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    params(("conversationId" = String, Path)),
    responses(
        (status = 200, body = OperatorConversation),
        (status = 404, description = "Missing or another organization's (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization, conversation_id = %id))]
pub async fn get_conversation(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiPath(id): ApiPath<ConversationId>,
) -> ApiResult<Json<OperatorConversation>> {
    Ok(Json(shown(&ctx, &operator, id).await?))
}

/// Sets the conversation's status (resolve, escalate, reopen), its
/// assignee (a member of the organization, or `null`), or both.
#[utoipa::path(
    patch,
    path = "/v1/operator/conversations/{conversationId}",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    params(("conversationId" = String, Path)),
    request_body = UpdateConversation,
    responses(
        (status = 200, body = OperatorConversation),
        (status = 400, description = "`VALIDATION`", body = echo_protocol::ErrorBody),
        (status = 404, description = "No such conversation, or the assignee is not a member (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization, conversation_id = %id))]
pub async fn update_conversation(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiPath(id): ApiPath<ConversationId>,
    ApiJson(request): ApiJson<UpdateConversation>,
) -> ApiResult<Json<OperatorConversation>> {
    if let Some(Some(assignee)) = request.assignee_id {
        if ctx
            .store
            .role_of(operator.organization, assignee)
            .await?
            .is_none()
        {
            // Like any ID of something the caller cannot see: not found.
            return Err(ApiError::not_found("Member (assigneeId)"));
        }
    }
    let now = ctx.clock.now();
    if let Some(assignee) = request.assignee_id {
        ctx.store
            .assign(operator.organization, id, assignee, now)
            .await
            .map_err(conversation_write_error)?;
    }
    if let Some(status) = request.status {
        ctx.store
            .set_status(operator.organization, id, status, now)
            .await
            .map_err(conversation_write_error)?;
    }
    Ok(Json(shown(&ctx, &operator, id).await?))
}

/// The conversation's messages, a page at a time (as for visitors).
#[utoipa::path(
    get,
    operation_id = "operator_list_messages",
    path = "/v1/operator/conversations/{conversationId}/messages",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    params(("conversationId" = String, Path), PageQuery),
    responses(
        (status = 200, body = MessagePage),
        (status = 404, description = "`NOT_FOUND`", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization, conversation_id = %id))]
pub async fn list_messages(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiPath(id): ApiPath<ConversationId>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<MessagePage>> {
    let conversation = operator.conversation(&ctx, id).await?;
    let (cursor, limit) = query.parse()?;
    let mut page = ctx
        .store
        .messages(conversation.conversation_id, cursor, limit, Reader::Team)
        .await?;
    ctx.links.sign_all(&mut page.items, ctx.clock.now());
    Ok(Json(MessagePage {
        messages: page.items,
        next_cursor: page.next_cursor.map(Cursor::encode),
    }))
}

/// An operator's reply, signed with the operator's name (the
/// organization's for an API key). An `unresolved` conversation becomes
/// `escalated`; an unassigned one is assigned to the operator who replied.
#[utoipa::path(
    post,
    path = "/v1/operator/conversations/{conversationId}/messages",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    params(("conversationId" = String, Path)),
    request_body = SendMessage,
    responses(
        (status = 201, body = Message),
        (status = 400, description = "`VALIDATION`", body = echo_protocol::ErrorBody),
        (status = 404, description = "`NOT_FOUND`", body = echo_protocol::ErrorBody),
        (status = 409, description = "Resolved (`CONFLICT`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization, conversation_id = %id))]
pub async fn reply(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiPath(id): ApiPath<ConversationId>,
    ApiJson(request): ApiJson<SendMessage>,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let (text, attachments) = super::attachments::message_body(&request)?;
    if let Some(key) = &request.idempotency_key {
        IdempotencyKey::parse(key)?;
    }
    let author = operator.author(&ctx).await?;
    let now = ctx.clock.now();
    let message = Message {
        attachments,
        ..authored_message(author, text, now)
    };
    let mut stored = ctx
        .store
        .add_message(operator.organization, id, message)
        .await
        .map_err(conversation_write_error)?;
    ctx.links.sign(&mut stored, now);
    ctx.typing.sent(id, echo_protocol::events::Typist::Operator);
    Ok((StatusCode::CREATED, Json(stored)))
}
