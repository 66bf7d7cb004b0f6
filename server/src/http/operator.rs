//! `/v1/operator/...`: the operator API. Every call is authenticated by the
//! organization's operator key and sees only that organization; another
//! organization's conversation is a 404, as for visitors.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use echo_protocol::conversations::ConversationStatus;
use echo_protocol::messages::{Message, MessagePage, MessageRole, SendMessage};
use echo_protocol::operator::{
    OperatorConversation, OperatorConversationItem, OperatorConversationPage, UpdateConversation,
    WidgetSettings,
};
use echo_protocol::validate::{parse_suggestions, GreetMessage, MessageText};
use echo_protocol::ConversationId;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Operator;
use super::extract::{
    conversation_write_error, organization_not_found, ApiJson, ApiPath, ApiQuery, PageQuery,
};
use super::ApiContext;
use crate::error::{ApiError, ApiResult};
use crate::store::{new_message, ActivityCursor, Cursor};

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
        .route(
            "/v1/operator/widget-settings",
            get(get_widget_settings).put(put_widget_settings),
        )
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// `unresolved`, `escalated` or `resolved`; absent for all.
    pub status: Option<String>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 30).
    pub limit: Option<u32>,
}

/// The organization's conversations, newest activity first, each with the
/// visitor's name and the last message.
#[utoipa::path(
    get,
    path = "/v1/operator/conversations",
    tag = "operator",
    security(("operatorKey" = [])),
    params(InboxQuery),
    responses(
        (status = 200, body = OperatorConversationPage),
        (status = 400, description = "`VALIDATION`", body = echo_protocol::ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.0))]
pub async fn list_conversations(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiQuery(query): ApiQuery<InboxQuery>,
) -> ApiResult<Json<OperatorConversationPage>> {
    let status = match query.status.as_deref() {
        None | Some("") | Some("all") => None,
        Some(text) => Some(ConversationStatus::parse(text).ok_or_else(|| {
            ApiError::validation("status", "must be unresolved, escalated, resolved or all")
        })?),
    };
    let cursor = match &query.cursor {
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
        .operator_conversations(operator.0, status, cursor, limit)
        .await?;
    Ok(Json(OperatorConversationPage {
        conversations: page
            .items
            .into_iter()
            .map(|s| OperatorConversationItem {
                conversation_id: s.conversation.id,
                status: s.conversation.status,
                created_at: s.conversation.created_at,
                last_activity_at: s.last_activity_at,
                visitor_name: s.visitor_name,
                last_message: s.last_message,
            })
            .collect(),
        next_cursor: page.next_cursor.map(ActivityCursor::encode),
    }))
}

/// The conversation with its visitor's name, email and browser metadata.
#[utoipa::path(
    get,
    path = "/v1/operator/conversations/{conversationId}",
    tag = "operator",
    security(("operatorKey" = [])),
    params(("conversationId" = String, Path)),
    responses(
        (status = 200, body = OperatorConversation),
        (status = 401, description = "`UNAUTHORIZED`", body = echo_protocol::ErrorBody),
        (status = 404, description = "Missing or another organization's (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.0, conversation_id = %id))]
pub async fn get_conversation(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiPath(id): ApiPath<ConversationId>,
) -> ApiResult<Json<OperatorConversation>> {
    Ok(Json(operator.conversation(&ctx, id).await?))
}

/// Sets the conversation's status (resolve, escalate, reopen).
#[utoipa::path(
    patch,
    path = "/v1/operator/conversations/{conversationId}",
    tag = "operator",
    security(("operatorKey" = [])),
    params(("conversationId" = String, Path)),
    request_body = UpdateConversation,
    responses(
        (status = 200, body = OperatorConversation),
        (status = 400, description = "`VALIDATION`", body = echo_protocol::ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = echo_protocol::ErrorBody),
        (status = 404, description = "`NOT_FOUND`", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.0, conversation_id = %id))]
pub async fn update_conversation(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiPath(id): ApiPath<ConversationId>,
    ApiJson(request): ApiJson<UpdateConversation>,
) -> ApiResult<Json<OperatorConversation>> {
    ctx.store
        .set_status(operator.0, id, request.status, ctx.clock.now())
        .await
        .map_err(conversation_write_error)?;
    Ok(Json(operator.conversation(&ctx, id).await?))
}

/// The conversation's messages, a page at a time (as for visitors).
#[utoipa::path(
    get,
    path = "/v1/operator/conversations/{conversationId}/messages",
    tag = "operator",
    security(("operatorKey" = [])),
    params(("conversationId" = String, Path), PageQuery),
    responses(
        (status = 200, body = MessagePage),
        (status = 401, description = "`UNAUTHORIZED`", body = echo_protocol::ErrorBody),
        (status = 404, description = "`NOT_FOUND`", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.0, conversation_id = %id))]
pub async fn list_messages(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiPath(id): ApiPath<ConversationId>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<MessagePage>> {
    let conversation = operator.conversation(&ctx, id).await?;
    let (cursor, limit) = query.parse()?;
    let page = ctx
        .store
        .messages(conversation.conversation_id, cursor, limit)
        .await?;
    Ok(Json(MessagePage {
        messages: page.items,
        next_cursor: page.next_cursor.map(Cursor::encode),
    }))
}

/// An operator's reply. An `unresolved` conversation becomes `escalated`.
#[utoipa::path(
    post,
    path = "/v1/operator/conversations/{conversationId}/messages",
    tag = "operator",
    security(("operatorKey" = [])),
    params(("conversationId" = String, Path)),
    request_body = SendMessage,
    responses(
        (status = 201, body = Message),
        (status = 400, description = "`VALIDATION`", body = echo_protocol::ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = echo_protocol::ErrorBody),
        (status = 404, description = "`NOT_FOUND`", body = echo_protocol::ErrorBody),
        (status = 409, description = "Resolved (`CONFLICT`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.0, conversation_id = %id))]
pub async fn reply(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiPath(id): ApiPath<ConversationId>,
    ApiJson(request): ApiJson<SendMessage>,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let text = MessageText::parse(&request.text)?;
    let message = new_message(MessageRole::Operator, text.into_inner(), ctx.clock.now());
    let stored = ctx
        .store
        .add_message(operator.0, id, message)
        .await
        .map_err(conversation_write_error)?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// The greeting and suggestions the widget shows.
#[utoipa::path(
    get,
    path = "/v1/operator/widget-settings",
    tag = "operator",
    security(("operatorKey" = [])),
    responses(
        (status = 200, body = WidgetSettings),
        (status = 401, description = "`UNAUTHORIZED`", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.0))]
pub async fn get_widget_settings(
    State(ctx): State<ApiContext>,
    operator: Operator,
) -> ApiResult<Json<WidgetSettings>> {
    let org = ctx
        .store
        .organization(operator.0)
        .await?
        .ok_or_else(organization_not_found)?;
    Ok(Json(WidgetSettings {
        greet_message: org.greet_message,
        suggestions: org.suggestions,
    }))
}

/// Changes the greeting and up to three suggestions.
#[utoipa::path(
    put,
    path = "/v1/operator/widget-settings",
    tag = "operator",
    security(("operatorKey" = [])),
    request_body = WidgetSettings,
    responses(
        (status = 200, body = WidgetSettings),
        (status = 400, description = "`VALIDATION`", body = echo_protocol::ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.0))]
pub async fn put_widget_settings(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiJson(request): ApiJson<WidgetSettings>,
) -> ApiResult<Json<WidgetSettings>> {
    let greet_message = GreetMessage::parse(&request.greet_message)?.into_inner();
    let suggestions: Vec<String> = parse_suggestions(&request.suggestions)?
        .into_iter()
        .map(|s| s.into_inner())
        .collect();
    ctx.store
        .set_widget_settings(operator.0, greet_message.clone(), suggestions.clone())
        .await?;
    Ok(Json(WidgetSettings {
        greet_message,
        suggestions,
    }))
}
