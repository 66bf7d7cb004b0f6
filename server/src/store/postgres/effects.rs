//! The rules' effects written on PostgreSQL ([`crate::rules`] decides
//! them), in the caller's transaction: a message, a status, an assignee, a
//! notice, each with its event. The conversation's state is read (and
//! locked) here too, for the rules to decide on.

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::events::Change;
use echo_protocol::messages::Message;
use echo_protocol::team::Assignee;
use echo_protocol::{ConversationId, OperatorId, OrganizationId};

use super::announce::place_after_commit;
use super::attachments::claim_attachments;
use super::events::record_event;
use super::mail::queue_notice;
use super::message_sql::{write_message, Also, Entry};
use super::Tx;
use crate::store::effects::{
    no_message, Decided, Effect, Milestone, Progress, Read, State, Target, PROGRESS,
};
use crate::store::{StoreError, StoreResult};

/// The conversation's organization and state, locked for this transaction
/// (`NotFound` if it does not exist). Every write to a conversation takes
/// this no-key lock (as `messages.rs`, `message_sql.rs` and `ratings.rs`
/// do): writers still wait for each other, and erasure's `FOR UPDATE` for
/// them, but the key-share locks of foreign-key checks on rows that point
/// at the conversation do not. With `FOR UPDATE`, mail being queued for a
/// conversation (holding its notice row, inserting an outbox row) and a
/// reply to it (holding the conversation, upserting that notice) deadlocked.
pub(super) async fn conversation_state(
    tx: &mut Tx,
    conversation: ConversationId,
) -> StoreResult<Read> {
    let sql = format!(
        "SELECT c.organization_id, c.status, c.assignee_id, {PROGRESS}
         FROM conversations c WHERE c.id = $1 FOR NO KEY UPDATE"
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
        state: state_of((status, assignee, asked, replied, human_replied)),
    }
}

/// Status, assignee and [`PROGRESS`]: what the rules decide on.
pub(super) type StateColumns = (ConversationStatus, Option<OperatorId>, bool, bool, bool);

pub(super) fn state_of(columns: StateColumns) -> State {
    let (status, assignee, asked, replied, human_replied) = columns;
    State {
        status,
        assignee,
        progress: Progress {
            asked,
            replied,
            human_replied,
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

/// Writes the effects in order; their events are placed after the commit,
/// which the caller makes with [`PostgresStore::commit_then_place`].
/// `Ok(false)`: the message's idempotency key was used already, so nothing
/// was stored (the caller rolls back and answers with the earlier message).
///
/// [`PostgresStore::commit_then_place`]: super::PostgresStore::commit_then_place
pub(super) async fn apply(tx: &mut Tx, decided: Decided<'_>) -> StoreResult<bool> {
    let Decided {
        target,
        effects,
        mut message,
    } = decided;
    place_after_commit(tx).await?;
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

/// Stores the message, its activity and its event (`message_sql`), then
/// the operators a note mentions. A used idempotency key stores nothing:
/// `false`.
async fn insert_message(
    tx: &mut Tx,
    target: &Target,
    message: &Message,
    client_id: Option<&str>,
) -> StoreResult<bool> {
    let entry = Entry::new(target, message, client_id, Also::default())?;
    let stored = write_message(&mut **tx, entry).await?.is_some();
    if stored && !message.mentions.is_empty() {
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
    Ok(stored)
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
