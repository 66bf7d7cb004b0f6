//! `/v1/conversations/{conversationId}/messages`: a visitor's side of a
//! conversation's history.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use echo_protocol::messages::{Message, MessagePage, MessageRole, SendMessage};
use echo_protocol::validate::IdempotencyKey;
use echo_protocol::{ConversationId, MessageId};
use serde::Deserialize;
use utoipa::IntoParams;

use super::attachments::message_body;
use super::auth::{Visitor, VisitorCredential};
use super::error::{ApiError, ApiResult};
use super::extract::{conversation_write_error, ApiJson, ApiPath, ApiQuery, PageQuery};
use super::ApiContext;
use crate::store::{new_message, Cursor, Reader, VisitorActivity};

pub fn router() -> Router<ApiContext> {
    Router::new().route(
        "/v1/conversations/{conversation_id}/messages",
        get(list_messages).post(send_message),
    )
}

/// Stores the visitor's message and refreshes the session. The session's
/// liveness and ownership of the conversation are checked in the same
/// transaction as the insert.
#[utoipa::path(
    post,
    path = "/v1/conversations/{conversationId}/messages",
    tag = "messages",
    security(("contactSession" = [])),
    params(("conversationId" = String, Path)),
    request_body = SendMessage,
    responses(
        (status = 201, body = Message),
        (status = 400, description = "Empty or over-long text (`VALIDATION`)", body = echo_protocol::ErrorBody),
        (status = 404, description = "Missing or owned by another session (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
        (status = 409, description = "The conversation is resolved (`CONFLICT`)", body = echo_protocol::ErrorBody),
        (status = 429, description = "Too many messages (`RATE_LIMITED`, `Retry-After`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(conversation_id = %id))]
pub async fn send_message(
    State(ctx): State<ApiContext>,
    VisitorCredential(credential): VisitorCredential,
    ApiPath(id): ApiPath<ConversationId>,
    ApiJson(request): ApiJson<SendMessage>,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let (text, attachments) = message_body(&request)?;
    ctx.limits.visitor_message(credential.as_str())?;
    let idempotency_key = request
        .idempotency_key
        .as_deref()
        .map(IdempotencyKey::parse)
        .transpose()?
        .map(IdempotencyKey::into_inner);
    let now = ctx.clock.now();
    let message = Message {
        attachments,
        ..new_message(MessageRole::Visitor, text, now)
    };
    let fresh = message.id;
    let activity = VisitorActivity {
        session: credential,
        now,
        policy: ctx.policy,
    };
    let (mut stored, organization) = ctx
        .store
        .add_visitor_message(id, message, activity, idempotency_key)
        .await
        .map_err(conversation_write_error)?;
    ctx.links.sign(&mut stored, now);
    ctx.typing.sent(id, echo_protocol::events::Typist::Visitor);
    // A retried send (same idempotency key) was answered the first time.
    if stored.id == fresh {
        if let Some(agent) = &ctx.agent {
            agent.visitor_wrote(id);
        }
        ctx.away.visitor_wrote(organization, id);
    }
    Ok((StatusCode::CREATED, Json(stored)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessagesQuery {
    /// `nextCursor` of the previous page: fetches older messages.
    #[param(pattern = r"^([1-9][0-9]{0,17})?$")]
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 30).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// A message ID: returns only messages newer than it, oldest first.
    #[param(
        pattern = r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32}|\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}|urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$"
    )]
    pub after: Option<String>,
}

/// History, a page at a time: the newest page first, each page oldest first.
#[utoipa::path(
    get,
    path = "/v1/conversations/{conversationId}/messages",
    tag = "messages",
    security(("contactSession" = [])),
    params(("conversationId" = String, Path), MessagesQuery),
    responses(
        (status = 200, body = MessagePage),
        (status = 400, description = "Bad cursor, limit or after (`VALIDATION`)", body = echo_protocol::ErrorBody),
        (status = 404, description = "Missing or owned by another session (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(conversation_id = %id))]
pub async fn list_messages(
    State(ctx): State<ApiContext>,
    visitor: Visitor,
    ApiPath(id): ApiPath<ConversationId>,
    ApiQuery(query): ApiQuery<MessagesQuery>,
) -> ApiResult<Json<MessagePage>> {
    let conversation = visitor.conversation(&ctx, id).await?;
    let (cursor, limit) = PageQuery {
        cursor: query.cursor,
        limit: query.limit,
    }
    .parse()?;
    if let Some(after) = query.after.filter(|a| !a.is_empty()) {
        let after = MessageId::parse(&after)
            .ok_or_else(|| ApiError::validation("after", "is not a message ID"))?;
        let mut messages = ctx
            .store
            .messages_after(conversation.id, after, limit)
            .await?;
        ctx.links.sign_all(&mut messages, ctx.clock.now());
        return Ok(Json(MessagePage {
            messages: messages.into_iter().map(Message::for_visitor).collect(),
            next_cursor: None,
        }));
    }
    let mut page = ctx
        .store
        .messages(conversation.id, cursor, limit, Reader::Visitor)
        .await?;
    ctx.links.sign_all(&mut page.items, ctx.clock.now());
    Ok(Json(MessagePage {
        messages: page.items.into_iter().map(Message::for_visitor).collect(),
        next_cursor: page.next_cursor.map(Cursor::encode),
    }))
}
