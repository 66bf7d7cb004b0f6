//! Conversations on SQLite: creation, lookups for visitors and operators,
//! status changes.

use async_trait::async_trait;
use echo_protocol::conversations::ConversationStatus;
use echo_protocol::operator::OperatorConversation;
use echo_protocol::{ConversationId, MessageId, OperatorId, OrganizationId, Timestamp};
use rusqlite::{params, Connection};

use super::effects::{apply, conversation_state, state_in};
use super::sessions::touch_session;
use super::{query_all, query_first, Published, SqliteStore};
use crate::secrets::SecretHash;
use crate::store::effects::{Command, Decided, NewMessage, Read, Rules, State};
use crate::store::page::{fetch_limit, paginate};
use crate::store::rows::{self, ASSIGNEE_JOIN, CONVERSATION, OPERATOR_CONVERSATION};
use crate::store::{
    ActivityCursor, Conversation, ConversationStore, ConversationSummary, Cursor, InboxFilter,
    OperatorSummary, Page, StoreResult, VisitorActivity,
};

/// A status or assignment change: the rules decide on what was read, the
/// effects are written.
fn change(
    conn: &Connection,
    rules: &dyn Rules,
    notices: bool,
    read: Read,
    command: Command,
    now: Timestamp,
) -> StoreResult<((), Vec<Published>)> {
    Ok((
        (),
        apply(conn, Decided::change(rules, notices, read, command, now)?)?,
    ))
}

/// The last message's role, text and time for the conversation `c` (a
/// note is not one: the visitor's list shows this too).
pub(super) const LAST_MESSAGE: &str = "LEFT JOIN messages m ON m.seq =
     (SELECT MAX(seq) FROM messages WHERE conversation_id = c.id AND role <> 'note')";

#[async_trait]
impl ConversationStore for SqliteStore {
    async fn create_conversation(
        &self,
        id: ConversationId,
        greeting_id: MessageId,
        activity: VisitorActivity,
    ) -> StoreResult<(Conversation, Timestamp)> {
        let rules = self.rules.clone();
        self.write_publishing(move |conn| {
            let expires_at = touch_session(conn, &activity)?;
            let (organization, greet_message): (OrganizationId, String) = conn
                .prepare_cached(
                    "SELECT o.id, o.greet_message FROM contact_sessions s
                     JOIN organizations o ON o.id = s.organization_id WHERE s.id_hash = ?1",
                )?
                .query_row([activity.session.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?;
            conn.prepare_cached(
                "INSERT INTO conversations
                 (id, organization_id, contact_session_hash, status, created_at, last_activity_at,
                  visitor_user_id)
                 VALUES (?1, ?2, ?3, 'unresolved', ?4, ?4,
                         (SELECT user_id FROM contact_sessions WHERE id_hash = ?3))",
            )?
            .execute(params![
                id,
                organization,
                activity.session.as_str(),
                activity.now
            ])?;
            // The visitor's name and email are searchable from the start
            // (a session's never change).
            let seq = conn.last_insert_rowid();
            let visitor: String = conn
                .prepare_cached(
                    "SELECT name || ' ' || email FROM contact_sessions WHERE id_hash = ?1",
                )?
                .query_row([activity.session.as_str()], |r| r.get(0))?;
            let scope = crate::search::scope_token(organization);
            super::index_queue::add(-seq, crate::search::scoped_index_text(&scope, &visitor));
            let mut greeting = rules.greeting(greeting_id, greet_message, activity.now);
            let read = Read {
                organization,
                conversation: id,
                state: State::NEW,
            };
            let new = NewMessage::team(&mut greeting);
            let opened = Decided::message(rules.as_ref(), false, read, Command::Open, new)?;
            let events = apply(conn, opened)?;
            let conversation = Conversation {
                id,
                organization_id: organization,
                status: ConversationStatus::Unresolved,
                created_at: activity.now,
            };
            Ok(((conversation, expires_at), events))
        })
        .await
    }

    async fn conversation_of_session(
        &self,
        id: ConversationId,
        session: &SecretHash,
    ) -> StoreResult<Option<Conversation>> {
        let session = session.clone();
        self.read(move |conn| {
            query_first(
                conn,
                &format!(
                    "SELECT {CONVERSATION} FROM conversations c
                     WHERE c.id = ?1 AND {}",
                    rows::owned_by("?2")
                ),
                params![id, session.as_str()],
                |row| rows::conversation(row, 0),
            )
        })
        .await
    }

    async fn conversation(&self, id: ConversationId) -> StoreResult<Option<Conversation>> {
        self.read(move |conn| {
            query_first(
                conn,
                &format!("SELECT {CONVERSATION} FROM conversations c WHERE c.id = ?1"),
                [id],
                |row| rows::conversation(row, 0),
            )
        })
        .await
    }

    async fn conversations_of_session(
        &self,
        session: &SecretHash,
        before: Option<Cursor>,
        limit: u32,
    ) -> StoreResult<Page<ConversationSummary>> {
        let session = session.clone();
        self.read(move |conn| {
            let rows = query_all(
                conn,
                &format!(
                    "SELECT c.seq, {CONVERSATION}, m.role, m.text, m.created_at
                     FROM conversations c {LAST_MESSAGE}
                     WHERE {} AND c.seq < ?2
                     ORDER BY c.seq DESC LIMIT ?3",
                    rows::owned_by("?1")
                ),
                params![session.as_str(), Cursor::bound(before), fetch_limit(limit)],
                |row| rows::conversation_summary(row),
            )?;
            Ok(paginate(rows, limit))
        })
        .await
    }

    async fn operator_conversations(
        &self,
        organization: OrganizationId,
        filter: InboxFilter,
        before: Option<ActivityCursor>,
        limit: u32,
    ) -> StoreResult<Page<OperatorSummary, ActivityCursor>> {
        self.read(move |conn| {
            let cursor = before.unwrap_or(ActivityCursor::START);
            let (condition, p) = rows::inbox_condition(&filter, '?', 5, "c");
            let rows = query_all(
                conn,
                &format!(
                    "SELECT c.seq, {CONVERSATION}, m.role, m.text, m.created_at,
                            c.last_activity_at, s.name, a.id, a.name
                     FROM conversations c
                     JOIN contact_sessions s ON s.id_hash = c.contact_session_hash
                     {LAST_MESSAGE} {ASSIGNEE_JOIN}
                     WHERE c.organization_id = ?1
                       AND (c.last_activity_at, c.seq) < (?2, ?3) AND {condition}
                     ORDER BY c.last_activity_at DESC, c.seq DESC LIMIT ?4"
                ),
                params![
                    organization,
                    cursor.at,
                    cursor.seq,
                    fetch_limit(limit),
                    p.status,
                    p.operator,
                    p.label
                ],
                |row| rows::operator_summary(row),
            )?;
            Ok(paginate(rows, limit))
        })
        .await
    }

    async fn operator_conversation(
        &self,
        organization: OrganizationId,
        id: ConversationId,
    ) -> StoreResult<Option<OperatorConversation>> {
        self.read(move |conn| {
            query_first(
                conn,
                &format!(
                    "SELECT {OPERATOR_CONVERSATION}
                     FROM conversations c
                     JOIN contact_sessions s ON s.id_hash = c.contact_session_hash
                     {ASSIGNEE_JOIN}
                     WHERE c.id = ?1 AND c.organization_id = ?2"
                ),
                params![id, organization],
                |row| rows::operator_conversation(row),
            )
        })
        .await
    }

    async fn set_status(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        status: ConversationStatus,
        now: Timestamp,
    ) -> StoreResult<()> {
        let rules = self.rules.clone();
        let notices = self.notices.load(std::sync::atomic::Ordering::Relaxed);
        self.write_publishing(move |conn| {
            let read = state_in(conn, organization, conversation)?;
            change(
                conn,
                rules.as_ref(),
                notices,
                read,
                Command::SetStatus(status),
                now,
            )
        })
        .await
    }

    async fn assign(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        assignee: Option<OperatorId>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let rules = self.rules.clone();
        let notices = self.notices.load(std::sync::atomic::Ordering::Relaxed);
        self.write_publishing(move |conn| {
            let read = state_in(conn, organization, conversation)?;
            change(
                conn,
                rules.as_ref(),
                notices,
                read,
                Command::Assign(assignee),
                now,
            )
        })
        .await
    }

    async fn set_status_unscoped(
        &self,
        conversation: ConversationId,
        status: ConversationStatus,
        now: Timestamp,
    ) -> StoreResult<()> {
        let rules = self.rules.clone();
        let notices = self.notices.load(std::sync::atomic::Ordering::Relaxed);
        self.write_publishing(move |conn| {
            let read = conversation_state(conn, conversation)?;
            change(
                conn,
                rules.as_ref(),
                notices,
                read,
                Command::SetStatus(status),
                now,
            )
        })
        .await
    }
}
