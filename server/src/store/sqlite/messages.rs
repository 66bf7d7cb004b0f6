//! Messages on SQLite: the visitor's, the operator's and the agent's writes,
//! and reading history.

use std::sync::atomic::Ordering;

use async_trait::async_trait;
use echo_protocol::conversations::ConversationStatus;
use echo_protocol::events::Change;
use echo_protocol::messages::{Message, MessageRole};
use echo_protocol::{ConversationId, MessageId, OrganizationId};
use rusqlite::{params, Connection, OptionalExtension};

use super::attachments::{claim_attachments, fill_attachments};
use super::conversations::{change_assignee, change_status, conversation_state, state_in};
use super::events::record_event;
use super::mail::queue_notice;
use super::sessions::touch_session;
use super::{query_all, query_first, Published, SqliteStore};
use crate::attachments::{visitor_party, TEAM_PARTY};
use crate::store::mail::Audience;
use crate::store::page::{fetch_limit, paginate};
use crate::store::rows::{self, MESSAGE};
use crate::store::{Cursor, MessageStore, Page, StoreError, StoreResult, VisitorActivity};

/// Stores the message, marks the conversation's activity and logs the event.
pub(super) fn insert_message(
    conn: &Connection,
    organization: OrganizationId,
    conversation: ConversationId,
    message: &Message,
    client_id: Option<&str>,
) -> StoreResult<Published> {
    conn.prepare_cached(
        "INSERT INTO messages
         (id, conversation_id, role, text, created_at, client_id, author_id, author_name)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        message.id,
        conversation,
        message.role,
        message.text,
        message.created_at,
        client_id,
        message.author.as_ref().and_then(|a| a.operator_id),
        message.author_name
    ])?;
    conn.prepare_cached("UPDATE conversations SET last_activity_at = ?1 WHERE id = ?2")?
        .execute(params![message.created_at, conversation])?;
    let change = Change::Message {
        message: message.clone(),
    };
    record_event(conn, organization, conversation, change, message.created_at)
}

/// An operator's or assistant's message once the conversation's state is
/// known: refused when resolved; an operator's reply escalates, and
/// assigns an unassigned conversation to the operator who wrote it.
fn add_to(
    conn: &Connection,
    (organization, status): (OrganizationId, ConversationStatus),
    conversation: ConversationId,
    message: Message,
    notices: bool,
) -> StoreResult<(Message, Vec<Published>)> {
    if status == ConversationStatus::Resolved {
        return Err(StoreError::Conflict("the conversation is resolved"));
    }
    let mut message = message;
    claim_attachments(conn, conversation, TEAM_PARTY, &mut message)?;
    let mut events = vec![insert_message(
        conn,
        organization,
        conversation,
        &message,
        None,
    )?];
    if message.role == MessageRole::Operator && status == ConversationStatus::Unresolved {
        events.push(change_status(
            conn,
            organization,
            conversation,
            ConversationStatus::Escalated,
            message.created_at,
        )?);
    }
    if notices && message.role == MessageRole::Operator {
        queue_notice(
            conn,
            conversation,
            Audience::Visitor,
            message.created_at,
            false,
        )?;
    }
    if let Some(author) = message.author.as_ref().and_then(|a| a.operator_id) {
        events.extend(change_assignee(
            conn,
            organization,
            conversation,
            Some(author),
            true,
            message.created_at,
        )?);
    }
    Ok((message, events))
}

#[async_trait]
impl MessageStore for SqliteStore {
    async fn add_visitor_message(
        &self,
        conversation: ConversationId,
        message: Message,
        activity: VisitorActivity,
        idempotency_key: Option<String>,
    ) -> StoreResult<Message> {
        let notices = self.notices.load(Ordering::Relaxed);
        self.write_publishing(move |conn| {
            touch_session(conn, &activity)?;
            // Most messages come from the session that started the
            // conversation: that exact match first, the verified-user one
            // (several sessions of one user) only when it fails. The writer
            // is serial, so the cheaper common case is throughput.
            let state = |sql: &str| -> StoreResult<Option<(OrganizationId, ConversationStatus)>> {
                Ok(conn
                    .prepare_cached(sql)?
                    .query_row(params![conversation, activity.session.as_str()], |row| {
                        Ok((row.get(0)?, row.get(1)?))
                    })
                    .optional()?)
            };
            let (organization, status) = match state(
                "SELECT c.organization_id, c.status FROM conversations c
                 WHERE c.id = ?1 AND c.contact_session_hash = ?2",
            )? {
                Some(found) => found,
                None => state(&format!(
                    "SELECT c.organization_id, c.status FROM conversations c
                     WHERE c.id = ?1 AND {}",
                    rows::owned_by("?2")
                ))?
                .ok_or(StoreError::NotFound)?,
            };
            if let Some(key) = &idempotency_key {
                let earlier = query_first(
                    conn,
                    &format!(
                        "SELECT {MESSAGE} FROM messages
                         WHERE conversation_id = ?1 AND client_id = ?2"
                    ),
                    params![conversation, key],
                    |row| rows::message(row, 0),
                )?;
                if let Some(mut earlier) = earlier {
                    fill_attachments(conn, conversation, std::slice::from_mut(&mut earlier))?;
                    return Ok((earlier, Vec::new()));
                }
            }
            if status == ConversationStatus::Resolved {
                return Err(StoreError::Conflict("the conversation is resolved"));
            }
            let mut message = message;
            claim_attachments(
                conn,
                conversation,
                &visitor_party(&activity.session),
                &mut message,
            )?;
            let event = insert_message(
                conn,
                organization,
                conversation,
                &message,
                idempotency_key.as_deref(),
            )?;
            if notices {
                // The team hears of a new conversation, and of every
                // visitor message once a person handles it.
                let only_first = status != ConversationStatus::Escalated;
                queue_notice(
                    conn,
                    conversation,
                    Audience::Team,
                    message.created_at,
                    only_first,
                )?;
            }
            Ok((message, vec![event]))
        })
        .await
    }

    async fn add_message(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        message: Message,
    ) -> StoreResult<Message> {
        let notices = self.notices.load(Ordering::Relaxed);
        self.write_publishing(move |conn| {
            let state = state_in(conn, organization, conversation)?;
            add_to(conn, state, conversation, message, notices)
        })
        .await
    }

    async fn add_message_unscoped(
        &self,
        conversation: ConversationId,
        message: Message,
    ) -> StoreResult<Message> {
        let notices = self.notices.load(Ordering::Relaxed);
        self.write_publishing(move |conn| {
            let state = conversation_state(conn, conversation)?;
            add_to(conn, state, conversation, message, notices)
        })
        .await
    }

    async fn add_agent_message(
        &self,
        conversation: ConversationId,
        message: Message,
        then_status: Option<ConversationStatus>,
    ) -> StoreResult<()> {
        self.write_publishing(move |conn| {
            let (organization, status) = conversation_state(conn, conversation)?;
            if status != ConversationStatus::Unresolved {
                return Err(StoreError::Conflict(
                    "the conversation is no longer the agent's",
                ));
            }
            let mut events = vec![insert_message(
                conn,
                organization,
                conversation,
                &message,
                None,
            )?];
            if let Some(next) = then_status.filter(|next| *next != status) {
                events.push(change_status(
                    conn,
                    organization,
                    conversation,
                    next,
                    message.created_at,
                )?);
            }
            Ok(((), events))
        })
        .await
    }

    async fn messages(
        &self,
        conversation: ConversationId,
        before: Option<Cursor>,
        limit: u32,
    ) -> StoreResult<Page<Message>> {
        self.read(move |conn| {
            let rows = query_all(
                conn,
                &format!(
                    "SELECT seq, {MESSAGE} FROM messages
                     WHERE conversation_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3"
                ),
                params![conversation, Cursor::bound(before), fetch_limit(limit)],
                |row| rows::paged_message(row),
            )?;
            let mut page = paginate(rows, limit);
            page.items.reverse();
            fill_attachments(conn, conversation, &mut page.items)?;
            Ok(page)
        })
        .await
    }

    async fn messages_after(
        &self,
        conversation: ConversationId,
        after: MessageId,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        self.read(move |conn| {
            let mut messages = query_all(
                conn,
                &format!(
                    "SELECT {MESSAGE} FROM messages
                     WHERE conversation_id = ?1 AND seq >
                         (SELECT seq FROM messages WHERE id = ?2 AND conversation_id = ?1)
                     ORDER BY seq ASC LIMIT ?3"
                ),
                params![conversation, after, i64::from(limit)],
                |row| rows::message(row, 0),
            )?;
            fill_attachments(conn, conversation, &mut messages)?;
            Ok(messages)
        })
        .await
    }
}
