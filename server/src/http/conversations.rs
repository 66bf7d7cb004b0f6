//! `/v1/conversations`: a visitor's conversations. Every call is scoped to
//! the calling session; another session's conversation is indistinguishable
//! from a missing one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use echo_protocol::conversations::{
    ConversationCreated, ConversationListItem, ConversationPage, ConversationView,
    CreateConversation,
};
use echo_protocol::messages::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use echo_protocol::{ConversationId, ErrorCode, MessageId};
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{ApiJson, ApiQuery, Visitor};
use super::widget::organization_not_found;
use super::ApiContext;
use crate::error::{ApiError, ApiResult};
use crate::store::{Conversation, Cursor, VisitorActivity};

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route(
            "/v1/conversations",
            get(list_conversations).post(create_conversation),
        )
        .route("/v1/conversations/{conversation_id}", get(get_conversation))
}

/// `?cursor=&limit=` of every list call.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// `nextCursor` of the previous page; absent for the first page.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 30).
    pub limit: Option<u32>,
}

impl PageQuery {
    pub fn parse(&self) -> ApiResult<(Option<Cursor>, u32)> {
        let cursor = match &self.cursor {
            None => None,
            Some(text) => Some(
                Cursor::parse(text)
                    .ok_or_else(|| ApiError::validation("cursor", "is not a valid cursor"))?,
            ),
        };
        let limit = self.limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            return Err(ApiError::validation(
                "limit",
                format!("must be between 1 and {MAX_PAGE_SIZE}"),
            ));
        }
        Ok((cursor, limit))
    }
}

pub fn conversation_not_found() -> ApiError {
    ApiError::not_found("Conversation")
}

/// The conversation named in the path, if it belongs to the caller. A
/// malformed ID, a missing one and another session's all give the same 404.
pub async fn owned_conversation(
    ctx: &ApiContext,
    visitor: &Visitor,
    raw_id: &str,
) -> ApiResult<Conversation> {
    let id = ConversationId::parse(raw_id).ok_or_else(conversation_not_found)?;
    ctx.store
        .conversation_of_session(id, &visitor.0.id_hash)
        .await?
        .ok_or_else(conversation_not_found)
}

/// Creates an `unresolved` conversation that opens with the greeting.
#[utoipa::path(
    post,
    path = "/v1/conversations",
    tag = "conversations",
    security(("contactSession" = [])),
    request_body = CreateConversation,
    responses(
        (status = 201, body = ConversationCreated),
        (status = 401, description = "`UNAUTHORIZED`", body = echo_protocol::ErrorBody),
        (status = 403, description = "The session belongs to another organization (`FORBIDDEN`)", body = echo_protocol::ErrorBody),
        (status = 404, description = "Unknown organization (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %request.organization_id))]
pub async fn create_conversation(
    State(ctx): State<ApiContext>,
    visitor: Visitor,
    ApiJson(request): ApiJson<CreateConversation>,
) -> ApiResult<(StatusCode, Json<ConversationCreated>)> {
    if request.organization_id != visitor.0.organization_id {
        ctx.store
            .organization(request.organization_id)
            .await?
            .ok_or_else(organization_not_found)?;
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "This contact session belongs to another organization",
        ));
    }
    let id = ConversationId::from_uuid(uuid::Uuid::new_v4());
    let greeting = MessageId::from_uuid(uuid::Uuid::new_v4());
    let (conversation, _expires_at) = ctx
        .store
        .create_conversation(
            id,
            greeting,
            VisitorActivity {
                session: visitor.0.id_hash.clone(),
                now: ctx.clock.now(),
                policy: ctx.policy,
            },
        )
        .await?;
    tracing::info!(conversation_id = %conversation.id, "conversation created");
    Ok((
        StatusCode::CREATED,
        Json(ConversationCreated {
            conversation_id: conversation.id,
            status: conversation.status,
        }),
    ))
}

/// Only the conversation's ID, status and creation time.
#[utoipa::path(
    get,
    path = "/v1/conversations/{conversationId}",
    tag = "conversations",
    security(("contactSession" = [])),
    params(("conversationId" = String, Path)),
    responses(
        (status = 200, body = ConversationView),
        (status = 401, description = "`UNAUTHORIZED`", body = echo_protocol::ErrorBody),
        (status = 404, description = "Missing or owned by another session (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip(ctx, visitor))]
pub async fn get_conversation(
    State(ctx): State<ApiContext>,
    visitor: Visitor,
    Path(conversation_id): Path<String>,
) -> ApiResult<Json<ConversationView>> {
    let conversation = owned_conversation(&ctx, &visitor, &conversation_id).await?;
    Ok(Json(ConversationView {
        conversation_id: conversation.id,
        status: conversation.status,
        created_at: conversation.created_at,
    }))
}

/// The session's conversations, newest first, each with its last message.
#[utoipa::path(
    get,
    path = "/v1/conversations",
    tag = "conversations",
    security(("contactSession" = [])),
    params(PageQuery),
    responses(
        (status = 200, body = ConversationPage),
        (status = 400, description = "Bad cursor or limit (`VALIDATION`)", body = echo_protocol::ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn list_conversations(
    State(ctx): State<ApiContext>,
    visitor: Visitor,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<ConversationPage>> {
    let (cursor, limit) = query.parse()?;
    let page = ctx
        .store
        .conversations_of_session(&visitor.0.id_hash, cursor, limit)
        .await?;
    Ok(Json(ConversationPage {
        conversations: page
            .items
            .into_iter()
            .map(|s| ConversationListItem {
                conversation_id: s.conversation.id,
                status: s.conversation.status,
                created_at: s.conversation.created_at,
                last_message: s.last_message,
            })
            .collect(),
        next_cursor: page.next_cursor.map(Cursor::encode),
    }))
}
