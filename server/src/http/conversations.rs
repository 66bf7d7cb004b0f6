//! `/v1/conversations`: a visitor's conversations. Every call is scoped to
//! the calling session; another session's conversation is indistinguishable
//! from a missing one.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use echo_protocol::conversations::{
    ConversationCreated, ConversationListItem, ConversationPage, ConversationView,
    CreateConversation,
};
use echo_protocol::{ConversationId, ErrorCode, MessageId};

use super::auth::Visitor;
use super::error::{ApiError, ApiResult};
use super::extract::{organization_not_found, ApiJson, ApiPath, ApiQuery, PageQuery};
use super::ApiContext;
use crate::store::{Cursor, VisitorActivity};

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route(
            "/v1/conversations",
            get(list_conversations).post(create_conversation),
        )
        .route("/v1/conversations/{conversation_id}", get(get_conversation))
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
        (status = 403, description = "The session belongs to another organization (`FORBIDDEN`)", body = echo_protocol::ErrorBody),
        (status = 404, description = "Unknown organization (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
        (status = 429, description = "Too many new conversations (`RATE_LIMITED`, `Retry-After`)", body = echo_protocol::ErrorBody),
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
    ctx.limits.new_conversation(visitor.0.id_hash.as_str())?;
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

/// The conversation's ID, status and creation time, whether its visitor
/// may rate it now, and their last rating.
#[utoipa::path(
    get,
    path = "/v1/conversations/{conversationId}",
    tag = "conversations",
    security(("contactSession" = [])),
    params(("conversationId" = String, Path)),
    responses(
        (status = 200, body = ConversationView),
        (status = 404, description = "Missing or owned by another session (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(conversation_id = %id))]
pub async fn get_conversation(
    State(ctx): State<ApiContext>,
    visitor: Visitor,
    ApiPath(id): ApiPath<ConversationId>,
) -> ApiResult<Json<ConversationView>> {
    let conversation = visitor.conversation(&ctx, id).await?;
    let rating = ctx.store.rating_view(id).await?;
    Ok(Json(ConversationView {
        conversation_id: conversation.id,
        status: conversation.status,
        created_at: conversation.created_at,
        can_rate: crate::rules::service::rating(rating.state, None).is_ok(),
        rating: rating.rating,
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
