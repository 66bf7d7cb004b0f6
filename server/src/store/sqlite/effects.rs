//! The rules' effects written on SQLite ([`crate::rules`] decides them):
//! a message, a status, an assignee, a notice, each with its event. The
//! conversation's state is read here too, for the rules to decide on.

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::events::Change;
use echo_protocol::messages::Message;
use echo_protocol::team::Assignee;
use echo_protocol::{ConversationId, OperatorId, OrganizationId};
use rusqlite::{params, Connection, OptionalExtension};

use super::attachments::claim_attachments;
use super::events::record_event;
use super::mail::queue_notice;
use super::Published;
use crate::store::effects::{
    no_message, Decided, Effect, Milestone, Progress, Read, State, Target, PROGRESS,
};
use crate::store::rows::mentions_json;
use crate::store::{StoreError, StoreResult};

/// The conversation's organization and state (`NotFound` if it does not
/// exist).
pub(super) fn conversation_state(
    conn: &Connection,
    conversation: ConversationId,
) -> StoreResult<Read> {
    conn.prepare_cached(&format!(
        "SELECT c.organization_id, c.status, c.assignee_id, {PROGRESS}
         FROM conversations c WHERE c.id = ?1"
    ))?
    .query_row([conversation], |row| read_row(row, conversation))
    .optional()?
    .ok_or(StoreError::NotFound)
}

/// A [`Read`] from a row of organization, status, assignee and
/// [`PROGRESS`].
pub(super) fn read_row(
    row: &rusqlite::Row<'_>,
    conversation: ConversationId,
) -> rusqlite::Result<Read> {
    Ok(Read {
        organization: row.get(0)?,
        conversation,
        state: State {
            status: row.get(1)?,
            assignee: row.get(2)?,
            progress: Progress {
                asked: row.get(3)?,
                replied: row.get(4)?,
                human_replied: row.get(5)?,
            },
        },
    })
}

/// As [`conversation_state`], `NotFound` unless it is the organization's.
pub(super) fn state_in(
    conn: &Connection,
    organization: OrganizationId,
    conversation: ConversationId,
) -> StoreResult<Read> {
    let read = conversation_state(conn, conversation)?;
    if read.organization != organization {
        return Err(StoreError::NotFound);
    }
    Ok(read)
}

/// Writes the effects in order; the events to publish once committed.
pub(super) fn apply(conn: &Connection, decided: Decided<'_>) -> StoreResult<Vec<Published>> {
    let Decided {
        target,
        effects,
        mut message,
    } = decided;
    let target = &target;
    let mut events = Vec::with_capacity(effects.len());
    for effect in &effects {
        match *effect {
            Effect::AddMessage => {
                let new = message.as_mut().ok_or_else(no_message)?;
                claim_attachments(conn, target.conversation, new.uploader, new.message)?;
                events.push(insert_message(conn, target, new.message, new.client_id)?);
            }
            Effect::SetStatus(status) => events.push(set_status(conn, target, status)?),
            Effect::SetAssignee(assignee) => events.push(set_assignee(conn, target, assignee)?),
            Effect::Mark(milestone) => {
                let at = message.as_ref().ok_or_else(no_message)?.message.created_at;
                mark(conn, target, milestone, at)?;
            }
            Effect::Notify {
                audience,
                only_first,
            } => queue_notice(conn, target.conversation, audience, target.now, only_first)?,
        }
    }
    Ok(events)
}

/// Stores the message (and the operators a note mentions), indexes it for
/// search, marks the conversation's activity and logs the event.
fn insert_message(
    conn: &Connection,
    target: &Target,
    message: &Message,
    client_id: Option<&str>,
) -> StoreResult<Published> {
    let mentions = mentions_json(message)?;
    conn.prepare_cached(
        "INSERT INTO messages
         (id, conversation_id, role, text, created_at, client_id, author_id, author_name, mentions,
          voice)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        message.id,
        target.conversation,
        message.role,
        message.text,
        message.created_at,
        client_id,
        message.author.as_ref().and_then(|a| a.operator_id),
        message.author_name,
        mentions,
        message.voice
    ])?;
    let seq = conn.last_insert_rowid();
    let scope = crate::search::scope_token(target.organization);
    super::index_queue::add(seq, crate::search::scoped_index_text(&scope, &message.text));
    for operator in &message.mentions {
        conn.prepare_cached(
            "INSERT OR IGNORE INTO mentions
             (message_id, operator_id, organization_id, conversation_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            message.id,
            operator,
            target.organization,
            target.conversation,
            message.created_at
        ])?;
    }
    // Reports sum each conversation's messages (not notes).
    let counted = i64::from(message.role != echo_protocol::messages::MessageRole::Note);
    conn.prepare_cached(
        "UPDATE conversations SET last_activity_at = ?1, message_count = message_count + ?3
         WHERE id = ?2",
    )?
    .execute(params![message.created_at, target.conversation, counted])?;
    let change = Change::Message {
        message: message.clone(),
    };
    record_event(
        conn,
        target.organization,
        target.conversation,
        change,
        message.created_at,
    )
}

fn set_status(
    conn: &Connection,
    target: &Target,
    status: ConversationStatus,
) -> StoreResult<Published> {
    // A resolution is kept (reports, ratings) until the conversation
    // reopens.
    let resolved_at = (status == ConversationStatus::Resolved).then_some(target.now);
    conn.prepare_cached(
        "UPDATE conversations SET status = ?1, resolved_at = ?3,
             resolutions = resolutions + (?3 IS NOT NULL)
         WHERE id = ?2",
    )?
    .execute(params![status, target.conversation, resolved_at])?;
    let change = Change::Status { status };
    record_event(
        conn,
        target.organization,
        target.conversation,
        change,
        target.now,
    )
}

fn mark(
    conn: &Connection,
    target: &Target,
    milestone: Milestone,
    at: echo_protocol::Timestamp,
) -> StoreResult<()> {
    conn.prepare_cached(&format!(
        "UPDATE conversations SET {} = ?1 WHERE id = ?2",
        milestone.column()
    ))?
    .execute(params![at, target.conversation])?;
    Ok(())
}

fn set_assignee(
    conn: &Connection,
    target: &Target,
    assignee: Option<OperatorId>,
) -> StoreResult<Published> {
    conn.prepare_cached("UPDATE conversations SET assignee_id = ?1 WHERE id = ?2")?
        .execute(params![assignee, target.conversation])?;
    let assignee = match assignee {
        None => None,
        Some(id) => Some(Assignee {
            operator_id: id,
            name: conn
                .prepare_cached("SELECT name FROM operators WHERE id = ?1")?
                .query_row([id], |row| row.get(0))?,
        }),
    };
    let change = Change::Assignment { assignee };
    record_event(
        conn,
        target.organization,
        target.conversation,
        change,
        target.now,
    )
}
