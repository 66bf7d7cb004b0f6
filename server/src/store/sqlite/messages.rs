//! Messages on SQLite: the visitor's, the operator's and the agent's writes,
//! and reading history.

use std::sync::atomic::Ordering;

use async_trait::async_trait;
use echo_protocol::conversations::ConversationStatus;
use echo_protocol::messages::Message;
use echo_protocol::{ConversationId, MessageId, OrganizationId, Timestamp};
use rusqlite::{params, Connection, OptionalExtension};

use super::attachments::fill_attachments;
use super::effects::{apply, conversation_state, read_row, state_in};
use super::sessions::touch_session;
use super::{query_all, query_first, Published, SqliteStore};
use crate::store::effects::{visitor_party, Command, Decided, NewMessage, Read, Rules, PROGRESS};
use crate::store::page::{fetch_limit, paginate};
use crate::store::rows::{self, MESSAGE};
use crate::store::{Cursor, MessageStore, Page, Reader, StoreError, StoreResult, VisitorActivity};

/// A message written by the team (an operator or the assistant's role):
/// the rules decide on what was read, the effects are written.
fn team_message(
    conn: &Connection,
    rules: &dyn Rules,
    read: Read,
    message: Message,
    command: Command,
    notices: bool,
) -> StoreResult<(Message, Vec<Published>)> {
    let mut message = message;
    let new = NewMessage::team(&mut message);
    let events = apply(conn, Decided::message(rules, notices, read, command, new)?)?;
    Ok((message, events))
}

/// The message stored under a visitor's (or a voice line's) idempotency
/// key, if any.
pub(super) fn message_by_key(
    conn: &Connection,
    conversation: ConversationId,
    key: &str,
) -> StoreResult<Option<Message>> {
    query_first(
        conn,
        &format!("SELECT {MESSAGE} FROM messages WHERE conversation_id = ?1 AND client_id = ?2"),
        params![conversation, key],
        |row| rows::message(row, 0),
    )
}

#[async_trait]
impl MessageStore for SqliteStore {
    async fn add_visitor_message(
        &self,
        conversation: ConversationId,
        message: Message,
        activity: VisitorActivity,
        idempotency_key: Option<String>,
    ) -> StoreResult<(Message, OrganizationId)> {
        let notices = self.notices.load(Ordering::Relaxed);
        let rules = self.rules.clone();
        self.write_publishing(move |conn| {
            touch_session(conn, &activity)?;
            // Most messages come from the session that started the
            // conversation: that exact match first, the verified-user one
            // (several sessions of one user) only when it fails. The writer
            // is serial, so the cheaper common case is throughput.
            let read = |sql: &str| -> StoreResult<Option<Read>> {
                Ok(conn
                    .prepare_cached(sql)?
                    .query_row(params![conversation, activity.session.as_str()], |row| {
                        read_row(row, conversation)
                    })
                    .optional()?)
            };
            let read = match read(&format!(
                "SELECT c.organization_id, c.status, c.assignee_id, {PROGRESS} FROM conversations c
                 WHERE c.id = ?1 AND c.contact_session_hash = ?2"
            ))? {
                Some(found) => found,
                None => read(&format!(
                    "SELECT c.organization_id, c.status, c.assignee_id, {PROGRESS} FROM conversations c
                     WHERE c.id = ?1 AND {}",
                    rows::owned_by("?2")
                ))?
                .ok_or(StoreError::NotFound)?,
            };
            if let Some(key) = &idempotency_key {
                if let Some(mut earlier) = message_by_key(conn, conversation, key)? {
                    fill_attachments(conn, conversation, std::slice::from_mut(&mut earlier))?;
                    return Ok(((earlier, read.organization), Vec::new()));
                }
            }
            let mut message = message;
            let uploader = visitor_party(&activity.session);
            let new = NewMessage::visitor(&mut message, &uploader, idempotency_key.as_deref());
            let command = Command::VisitorMessage;
            let organization = read.organization;
            let events = apply(
                conn,
                Decided::message(rules.as_ref(), notices, read, command, new)?,
            )?;
            Ok(((message, organization), events))
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
        let rules = self.rules.clone();
        self.write_publishing(move |conn| {
            let read = state_in(conn, organization, conversation)?;
            let command = Command::team(&message);
            team_message(conn, rules.as_ref(), read, message, command, notices)
        })
        .await
    }

    async fn add_away_reply(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        message: Message,
        until: Timestamp,
        assistant_answers: bool,
    ) -> StoreResult<Option<Message>> {
        let notices = self.notices.load(Ordering::Relaxed);
        let rules = self.rules.clone();
        self.write_publishing(move |conn| {
            let read = state_in(conn, organization, conversation)?;
            let away_until: Option<Timestamp> = conn
                .prepare_cached("SELECT away_until FROM conversations WHERE id = ?1")?
                .query_row([conversation], |row| row.get(0))?;
            let now = message.created_at;
            if !rules.away_reply(read.state, away_until, now, assistant_answers) {
                return Ok((None, Vec::new()));
            }
            conn.prepare_cached("UPDATE conversations SET away_until = ?2 WHERE id = ?1")?
                .execute(params![conversation, until])?;
            let (message, events) = team_message(
                conn,
                rules.as_ref(),
                read,
                message,
                Command::AwayReply,
                notices,
            )?;
            Ok((Some(message), events))
        })
        .await
    }

    async fn add_message_unscoped(
        &self,
        conversation: ConversationId,
        message: Message,
    ) -> StoreResult<Message> {
        let notices = self.notices.load(Ordering::Relaxed);
        let rules = self.rules.clone();
        self.write_publishing(move |conn| {
            let read = conversation_state(conn, conversation)?;
            let command = Command::team(&message);
            team_message(conn, rules.as_ref(), read, message, command, notices)
        })
        .await
    }

    async fn add_agent_message(
        &self,
        conversation: ConversationId,
        message: Message,
        then_status: Option<ConversationStatus>,
    ) -> StoreResult<()> {
        let notices = self.notices.load(Ordering::Relaxed);
        let rules = self.rules.clone();
        self.write_publishing(move |conn| {
            let read = conversation_state(conn, conversation)?;
            let command = Command::AssistantMessage { then: then_status };
            let mut message = message;
            let new = NewMessage::team(&mut message);
            let decided = Decided::message(rules.as_ref(), notices, read, command, new)?;
            Ok(((), apply(conn, decided)?))
        })
        .await
    }

    async fn messages(
        &self,
        conversation: ConversationId,
        before: Option<Cursor>,
        limit: u32,
        reader: Reader,
    ) -> StoreResult<Page<Message>> {
        self.read(move |conn| {
            let rows = query_all(
                conn,
                &format!(
                    "SELECT seq, {MESSAGE} FROM messages
                     WHERE conversation_id = ?1 AND seq < ?2 AND (?4 OR role <> 'note')
                     ORDER BY seq DESC LIMIT ?3"
                ),
                params![
                    conversation,
                    Cursor::bound(before),
                    fetch_limit(limit),
                    reader.sees_notes()
                ],
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
                       AND role <> 'note'
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
