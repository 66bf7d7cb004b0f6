//! Private notes, and the mentions in them. A note is a message with role
//! `note`: the rules let it into any conversation and change nothing else
//! (`rules::conversation`); every visitor-facing reader leaves it out
//! (`store::Reader`, `Change::for_visitor`, the mail queries).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use echo_protocol::desk::{AddNote, Members, Mentions, ReadMentions};
use echo_protocol::messages::{Message, MessageRole};
use echo_protocol::team::Assignee;
use echo_protocol::validate::MessageText;
use echo_protocol::{ConversationId, OperatorId};

use crate::http::auth::Operator;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{conversation_not_found, conversation_write_error, ApiJson, ApiPath};
use crate::http::ApiContext;
use crate::store::{authored_message, StoreError};

/// The most operators one note mentions.
const MAX_MENTIONS: usize = 20;
/// How many mentions the Mentions view lists.
const MENTIONS_SHOWN: u32 = 50;

/// Adds a private note to the conversation (whatever its status). The
/// operators it mentions who are members are kept (others dropped); they
/// see it on their stream and in their mentions, and get a mail if away.
#[utoipa::path(
    post,
    path = "/v1/operator/conversations/{conversationId}/notes",
    tag = "desk",
    security(("session" = []), ("operatorKey" = [])),
    params(("conversationId" = String, Path)),
    request_body = AddNote,
    responses(
        (status = 201, body = Message),
        (status = 400, description = "Empty (or only invisible characters), too long, or too many mentions (`VALIDATION`)", body = echo_protocol::ErrorBody),
        (status = 404, description = "`NOT_FOUND`", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization, conversation_id = %id))]
pub async fn add_note(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiPath(id): ApiPath<ConversationId>,
    ApiJson(request): ApiJson<AddNote>,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let text = MessageText::parse(&request.text)?.into_inner();
    if request.mentions.len() > MAX_MENTIONS {
        return Err(ApiError::validation(
            "mentions",
            format!("at most {MAX_MENTIONS} operators"),
        ));
    }
    let members = ctx.store.team(operator.organization).await?;
    let mut mentions: Vec<OperatorId> = Vec::new();
    for wanted in &request.mentions {
        if members.iter().any(|m| m.operator_id == *wanted) && !mentions.contains(wanted) {
            mentions.push(*wanted);
        }
    }
    let author = operator.author(&ctx).await?;
    let note = Message {
        role: MessageRole::Note,
        mentions,
        ..authored_message(author, text, ctx.clock.now())
    };
    let stored = ctx
        .store
        .add_message(operator.organization, id, note)
        .await
        .map_err(conversation_write_error)?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// The organization's members by name: whom a note can mention and a
/// conversation be assigned to (any member may read it; emails and roles
/// stay on the admins' team page).
#[utoipa::path(
    get,
    path = "/v1/operator/members",
    operation_id = "list_members",
    tag = "desk",
    security(("session" = []), ("operatorKey" = [])),
    responses((status = 200, body = Members))
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn list_members(
    State(ctx): State<ApiContext>,
    operator: Operator,
) -> ApiResult<Json<Members>> {
    let mut members: Vec<Assignee> = ctx
        .store
        .team(operator.organization)
        .await?
        .into_iter()
        .map(|m| Assignee {
            operator_id: m.operator_id,
            name: m.name,
        })
        .collect();
    members.sort_by_key(|a| a.name.to_lowercase());
    Ok(Json(Members { members }))
}

/// The notes that mention the caller, newest first (50), and how many are
/// unread. An API key is mentioned by nobody.
#[utoipa::path(
    get,
    path = "/v1/operator/mentions",
    tag = "desk",
    security(("session" = []), ("operatorKey" = [])),
    responses((status = 200, body = Mentions))
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn list_mentions(
    State(ctx): State<ApiContext>,
    operator: Operator,
) -> ApiResult<Json<Mentions>> {
    let Some(me) = operator.operator_id() else {
        return Ok(Json(Mentions {
            mentions: Vec::new(),
            unread: 0,
        }));
    };
    Ok(Json(
        ctx.store
            .mentions(operator.organization, me, MENTIONS_SHOWN)
            .await?,
    ))
}

/// Marks the caller's mentions read: those in one conversation, or all.
#[utoipa::path(
    post,
    path = "/v1/operator/mentions/read",
    tag = "desk",
    security(("session" = []), ("operatorKey" = [])),
    request_body = ReadMentions,
    responses(
        (status = 204, description = "Read"),
        (status = 404, description = "`NOT_FOUND`", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn read_mentions(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiJson(request): ApiJson<ReadMentions>,
) -> ApiResult<StatusCode> {
    if let Some(id) = request.conversation_id {
        operator.conversation(&ctx, id).await?;
    }
    let Some(me) = operator.operator_id() else {
        return Ok(StatusCode::NO_CONTENT);
    };
    ctx.store
        .read_mentions(
            operator.organization,
            me,
            request.conversation_id,
            ctx.clock.now(),
        )
        .await
        .map_err(|error| match error {
            StoreError::NotFound => conversation_not_found(),
            other => other.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}
