//! The rules' effects written on PostgreSQL ([`crate::rules`] decides
//! them), in the caller's transaction: a message, a status, an assignee, a
//! notice, each with its event. The conversation's state is read (and
//! locked) here too, for the rules to decide on.

use anyhow::Context;
use echo_protocol::conversations::ConversationStatus;
use echo_protocol::events::Change;
use echo_protocol::messages::Message;
use echo_protocol::team::Assignee;
use echo_protocol::{ConversationId, OperatorId, OrganizationId};

use super::attachments::claim_attachments;
use super::events::record_event;
use super::mail::queue_notice;
use super::Tx;
use crate::store::effects::{
    no_message, Decided, Effect, Milestone, Progress, Read, State, Target, PROGRESS,
};
use crate::store::rows::mentions_json;
use crate::store::{StoreError, StoreResult};

/// The conversation's organization and state, locked for this transaction
/// (`NotFound` if it does not exist).
pub(super) async fn conversation_state(
    tx: &mut Tx,
    conversation: ConversationId,
) -> StoreResult<Read> {
    let sql = format!(
        "SELECT c.organization_id, c.status, c.assignee_id, {PROGRESS}
         FROM conversations c WHERE c.id = $1 FOR UPDATE"
    );
    let row: Option<StateRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(conversation)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(read_of(row.ok_or(StoreError::NotFound)?, conversation))
}

/// Organization, status, assignee and [`PROGRESS`].
pub(super) type StateRow = (
    OrganizationId,
    ConversationStatus,
    Option<OperatorId>,
    bool,
    bool,
    bool,
);

pub(super) fn read_of(row: StateRow, conversation: ConversationId) -> Read {
    let (organization, status, assignee, asked, replied, human_replied) = row;
    Read {
        organization,
        conversation,
        state: State {
            status,
            assignee,
            progress: Progress {
                asked,
                replied,
                human_replied,
            },
        },
    }
}

/// As [`conversation_state`], `NotFound` unless it is the organization's.
pub(super) async fn state_in(
    tx: &mut Tx,
    organization: OrganizationId,
    conversation: ConversationId,
) -> StoreResult<Read> {
    let read = conversation_state(tx, conversation).await?;
    if read.organization != organization {
        return Err(StoreError::NotFound);
    }
    Ok(read)
}

/// Writes the effects in order. `Ok(false)`: the message's idempotency
/// key was used already, so nothing was stored (the caller rolls back and
/// answers with the earlier message).
pub(super) async fn apply(tx: &mut Tx, decided: Decided<'_>) -> StoreResult<bool> {
    let Decided {
        target,
        effects,
        mut message,
    } = decided;
    let target = &target;
    for effect in &effects {
        match *effect {
            Effect::AddMessage => {
                let new = message.as_mut().ok_or_else(no_message)?;
                claim_attachments(tx, target.conversation, new.uploader, new.message).await?;
                if !insert_message(tx, target, new.message, new.client_id).await? {
                    return Ok(false);
                }
            }
            Effect::SetStatus(status) => set_status(tx, target, status).await?,
            Effect::SetAssignee(assignee) => set_assignee(tx, target, assignee).await?,
            Effect::Mark(milestone) => {
                let at = message.as_ref().ok_or_else(no_message)?.message.created_at;
                mark(tx, target, milestone, at).await?;
            }
            Effect::Notify {
                audience,
                only_first,
            } => queue_notice(tx, target.conversation, audience, target.now, only_first).await?,
        }
    }
    Ok(true)
}

/// Stores the message (folded into its search vector), marks the
/// conversation's activity and logs the event, in one round trip (the
/// event's position is set at commit, see `record_event`); then the
/// operators a note mentions. A used idempotency key stores nothing:
/// `false`.
async fn insert_message(
    tx: &mut Tx,
    target: &Target,
    message: &Message,
    client_id: Option<&str>,
) -> StoreResult<bool> {
    let change = Change::Message {
        message: message.clone(),
    };
    let payload = serde_json::to_string(&change).context("encoding an event")?;
    let stored = sqlx::query(
        "WITH stored AS (
             INSERT INTO messages
             (id, conversation_id, role, text, created_at, client_id, author_id, author_name,
              mentions, search, voice)
             VALUES ($1, $2, $3, $4, $5, $6, $9, $10, $11, to_tsvector('simple', $12), $14)
             ON CONFLICT (conversation_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
             RETURNING id
         ), touched AS (
             UPDATE conversations SET last_activity_at = $5, message_count = message_count + $13
             WHERE id = $2 AND EXISTS (SELECT 1 FROM stored)
         )
         INSERT INTO events (organization_id, conversation_id, payload, created_at)
         SELECT $7, $2, $8, $5 FROM stored",
    )
    .bind(message.id)
    .bind(target.conversation)
    .bind(message.role)
    .bind(&message.text)
    .bind(message.created_at)
    .bind(client_id)
    .bind(target.organization)
    .bind(payload)
    .bind(message.author.as_ref().and_then(|a| a.operator_id))
    .bind(&message.author_name)
    .bind(mentions_json(message)?)
    .bind(crate::search::index_text(&message.text))
    // Reports sum each conversation's messages (not notes).
    .bind(i64::from(
        message.role != echo_protocol::messages::MessageRole::Note,
    ))
    .bind(message.voice)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if stored == 1 && !message.mentions.is_empty() {
        sqlx::query(
            "INSERT INTO mentions
             (message_id, operator_id, organization_id, conversation_id, created_at)
             SELECT $1, m, $3, $4, $5 FROM UNNEST($2::text[]) AS m
             ON CONFLICT DO NOTHING",
        )
        .bind(message.id)
        .bind(
            message
                .mentions
                .iter()
                .map(|m| m.to_string())
                .collect::<Vec<_>>(),
        )
        .bind(target.organization)
        .bind(target.conversation)
        .bind(message.created_at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(stored == 1)
}

async fn set_status(tx: &mut Tx, target: &Target, status: ConversationStatus) -> StoreResult<()> {
    // A resolution is kept (reports, ratings) until the conversation
    // reopens.
    let resolved_at = (status == ConversationStatus::Resolved).then_some(target.now);
    sqlx::query(
        "UPDATE conversations SET status = $1, resolved_at = $3,
             resolutions = resolutions + CASE WHEN $3 IS NULL THEN 0 ELSE 1 END
         WHERE id = $2",
    )
    .bind(status)
    .bind(target.conversation)
    .bind(resolved_at)
    .execute(&mut **tx)
    .await?;
    let change = Change::Status { status };
    record_event(
        tx,
        target.organization,
        target.conversation,
        &change,
        target.now,
    )
    .await
}

async fn mark(
    tx: &mut Tx,
    target: &Target,
    milestone: Milestone,
    at: echo_protocol::Timestamp,
) -> StoreResult<()> {
    let sql = format!(
        "UPDATE conversations SET {} = $1 WHERE id = $2",
        milestone.column()
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(at)
        .bind(target.conversation)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn set_assignee(
    tx: &mut Tx,
    target: &Target,
    assignee: Option<OperatorId>,
) -> StoreResult<()> {
    sqlx::query("UPDATE conversations SET assignee_id = $1 WHERE id = $2")
        .bind(assignee)
        .bind(target.conversation)
        .execute(&mut **tx)
        .await?;
    let assignee = match assignee {
        None => None,
        Some(id) => Some(Assignee {
            operator_id: id,
            name: sqlx::query_scalar("SELECT name FROM operators WHERE id = $1")
                .bind(id)
                .fetch_one(&mut **tx)
                .await?,
        }),
    };
    let change = Change::Assignment { assignee };
    record_event(
        tx,
        target.organization,
        target.conversation,
        &change,
        target.now,
    )
    .await
}
