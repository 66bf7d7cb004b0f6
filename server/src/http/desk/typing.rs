//! "Is typing", both ways: an operator's name to the visitor's widget, and
//! "the visitor is typing" (never what) to the team. Not stored; at most
//! one start per side of a conversation every 2 seconds
//! (`rules::desk::typing_goes_out`), so a chatty client costs nothing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::State;
use axum::http::StatusCode;
use echo_protocol::desk::Typing as TypingRequest;
use echo_protocol::events::Typist;
use echo_protocol::ConversationId;

use crate::http::auth::{Operator, Visitor};
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::ApiContext;
use crate::live::Typing;
use crate::rules::desk::{typing_goes_out, TYPING_CLEARS_AFTER};

/// When each side of each conversation last started typing (this
/// replica's view: each replica throttles what it is sent).
#[derive(Default)]
pub struct TypingGate {
    starts: Mutex<HashMap<(ConversationId, Typist), Instant>>,
}

/// Past this many entries the gate forgets the stale ones.
const GATE_ENTRIES: usize = 10_000;

impl TypingGate {
    /// Whether this signal goes out (and notes it if it does).
    pub fn admit(&self, conversation: ConversationId, by: Typist, active: bool) -> bool {
        let now = Instant::now();
        let mut starts = self.starts.lock().unwrap_or_else(|p| p.into_inner());
        if starts.len() > GATE_ENTRIES {
            starts.retain(|_, at| now.duration_since(*at) < TYPING_CLEARS_AFTER);
        }
        let key = (conversation, by);
        if !typing_goes_out(active, starts.get(&key).copied(), now) {
            return false;
        }
        if active {
            starts.insert(key, now);
        } else {
            starts.remove(&key);
        }
        true
    }

    /// The side sent its message: its next keystroke is a new reply being
    /// written, told at once rather than up to 2 s later.
    pub fn sent(&self, conversation: ConversationId, by: Typist) {
        let mut starts = self.starts.lock().unwrap_or_else(|p| p.into_inner());
        starts.remove(&(conversation, by));
    }
}

/// The operator started or stopped typing a reply: the visitor's widget
/// shows "<name> is typing...".
#[utoipa::path(
    post,
    path = "/v1/operator/conversations/{conversationId}/typing",
    tag = "desk",
    security(("session" = []), ("operatorKey" = [])),
    params(("conversationId" = String, Path)),
    request_body = TypingRequest,
    responses(
        (status = 204, description = "Told (or throttled)"),
        (status = 404, description = "`NOT_FOUND`", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization, conversation_id = %id))]
pub async fn operator_typing(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiPath(id): ApiPath<ConversationId>,
    ApiJson(request): ApiJson<TypingRequest>,
) -> ApiResult<StatusCode> {
    operator.conversation(&ctx, id).await?;
    if ctx.typing.admit(id, Typist::Operator, request.active) {
        let name = operator.author(&ctx).await?.name;
        let typing = Typing {
            active: request.active,
            by: Typist::Operator,
            name: Some(name),
        };
        ctx.store.typing(operator.organization, id, typing).await;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The visitor started or stopped typing: the team sees "visitor is
/// typing..." (never the text).
#[utoipa::path(
    post,
    path = "/v1/conversations/{conversationId}/typing",
    tag = "messages",
    security(("contactSession" = [])),
    params(("conversationId" = String, Path)),
    request_body = TypingRequest,
    responses(
        (status = 204, description = "Told (or throttled)"),
        (status = 404, description = "Missing or owned by another session (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(conversation_id = %id))]
pub async fn visitor_typing(
    State(ctx): State<ApiContext>,
    visitor: Visitor,
    ApiPath(id): ApiPath<ConversationId>,
    ApiJson(request): ApiJson<TypingRequest>,
) -> ApiResult<StatusCode> {
    let conversation = visitor.conversation(&ctx, id).await?;
    if ctx.typing.admit(id, Typist::Visitor, request.active) {
        let typing = Typing {
            active: request.active,
            by: Typist::Visitor,
            name: None,
        };
        ctx.store
            .typing(conversation.organization_id, id, typing)
            .await;
    }
    Ok(StatusCode::NO_CONTENT)
}
