//! Conversations on SQLite: creation, lookups for visitors and operators,
//! status changes.

use async_trait::async_trait;
use echo_protocol::conversations::ConversationStatus;
use echo_protocol::events::Change;
use echo_protocol::messages::{Message, MessageRole};
use echo_protocol::operator::OperatorConversation;
use echo_protocol::team::Assignee;
use echo_protocol::{ConversationId, MessageId, OperatorId, OrganizationId, Timestamp};
use rusqlite::{params, Connection, OptionalExtension};

use super::events::record_event;
use super::messages::insert_message;
use super::sessions::touch_session;
use super::{query_all, query_first, Published, SqliteStore};
use crate::secrets::SecretHash;
use crate::store::page::{fetch_limit, paginate};
use crate::store::rows::{self, ASSIGNEE_JOIN, CONVERSATION, OPERATOR_CONVERSATION};
use crate::store::{
    ActivityCursor, AssigneeFilter, Conversation, ConversationStore, ConversationSummary, Cursor,
    OperatorSummary, Page, StoreError, StoreResult, VisitorActivity,
};

/// The conversation's organization and status (`NotFound` if it does not
/// exist).
pub(super) fn conversation_state(
    conn: &Connection,
    conversation: ConversationId,
) -> StoreResult<(OrganizationId, ConversationStatus)> {
    conn.prepare_cached("SELECT organization_id, status FROM conversations WHERE id = ?1")?
        .query_row([conversation], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?
        .ok_or(StoreError::NotFound)
}

/// As [`conversation_state`], `NotFound` unless it is the organization's.
pub(super) fn state_in(
    conn: &Connection,
    organization: OrganizationId,
    conversation: ConversationId,
) -> StoreResult<(OrganizationId, ConversationStatus)> {
    let state = conversation_state(conn, conversation)?;
    if state.0 != organization {
        return Err(StoreError::NotFound);
    }
    Ok(state)
}

pub(super) fn change_status(
    conn: &Connection,
    organization: OrganizationId,
    conversation: ConversationId,
    status: ConversationStatus,
    now: Timestamp,
) -> StoreResult<Published> {
    conn.prepare_cached("UPDATE conversations SET status = ?1 WHERE id = ?2")?
        .execute(params![status, conversation])?;
    record_event(
        conn,
        organization,
        conversation,
        Change::Status { status },
        now,
    )
}

/// The inbox's assignee condition on `c` and its parameter (`?6`).
pub(super) fn assignee_sql(filter: AssigneeFilter) -> (&'static str, Option<OperatorId>) {
    match filter {
        AssigneeFilter::Any => ("?6 IS NULL", None),
        AssigneeFilter::Unassigned => ("c.assignee_id IS NULL AND ?6 IS NULL", None),
        AssigneeFilter::Operator(id) => ("c.assignee_id = ?6", Some(id)),
        AssigneeFilter::Nobody => ("?6 IS NOT NULL", None),
    }
}

/// Sets the conversation's assignee and records the event, when it
/// changes; with `only_if_unassigned`, only when it has none.
pub(super) fn change_assignee(
    conn: &Connection,
    organization: OrganizationId,
    conversation: ConversationId,
    assignee: Option<OperatorId>,
    only_if_unassigned: bool,
    now: Timestamp,
) -> StoreResult<Option<Published>> {
    let changed = conn
        .prepare_cached(
            "UPDATE conversations SET assignee_id = ?1
             WHERE id = ?2 AND assignee_id IS NOT ?1 AND (NOT ?3 OR assignee_id IS NULL)",
        )?
        .execute(params![assignee, conversation, only_if_unassigned])?;
    if changed == 0 {
        return Ok(None);
    }
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
    record_event(conn, organization, conversation, change, now).map(Some)
}

/// Sets the status once the conversation's state is known; no event when
/// it is unchanged.
fn set_known_status(
    conn: &Connection,
    (organization, current): (OrganizationId, ConversationStatus),
    conversation: ConversationId,
    status: ConversationStatus,
    now: Timestamp,
) -> StoreResult<((), Vec<Published>)> {
    if current == status {
        return Ok(((), Vec::new()));
    }
    let event = change_status(conn, organization, conversation, status, now)?;
    Ok(((), vec![event]))
}

/// The last message's role, text and time for the conversation `c`.
const LAST_MESSAGE: &str = "LEFT JOIN messages m ON m.seq =
     (SELECT MAX(seq) FROM messages WHERE conversation_id = c.id)";

#[async_trait]
impl ConversationStore for SqliteStore {
    async fn create_conversation(
        &self,
        id: ConversationId,
        greeting_id: MessageId,
        activity: VisitorActivity,
    ) -> StoreResult<(Conversation, Timestamp)> {
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
            let greeting = Message {
                id: greeting_id,
                role: MessageRole::Assistant,
                text: greet_message,
                created_at: activity.now,
                author_name: None,
                author: None,
                attachments: Vec::new(),
            };
            let event = insert_message(conn, organization, id, &greeting, None)?;
            let conversation = Conversation {
                id,
                organization_id: organization,
                status: ConversationStatus::Unresolved,
                created_at: activity.now,
            };
            Ok(((conversation, expires_at), vec![event]))
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
        status: Option<ConversationStatus>,
        assignee: AssigneeFilter,
        before: Option<ActivityCursor>,
        limit: u32,
    ) -> StoreResult<Page<OperatorSummary, ActivityCursor>> {
        self.read(move |conn| {
            let cursor = before.unwrap_or(ActivityCursor::START);
            let (filter, operator) = assignee_sql(assignee);
            let rows = query_all(
                conn,
                &format!(
                    "SELECT c.seq, {CONVERSATION}, m.role, m.text, m.created_at,
                            c.last_activity_at, s.name, a.id, a.name
                     FROM conversations c
                     JOIN contact_sessions s ON s.id_hash = c.contact_session_hash
                     {LAST_MESSAGE} {ASSIGNEE_JOIN}
                     WHERE c.organization_id = ?1 AND (?2 IS NULL OR c.status = ?2)
                       AND (c.last_activity_at, c.seq) < (?3, ?4) AND {filter}
                     ORDER BY c.last_activity_at DESC, c.seq DESC LIMIT ?5"
                ),
                params![
                    organization,
                    status,
                    cursor.at,
                    cursor.seq,
                    fetch_limit(limit),
                    operator
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
        self.write_publishing(move |conn| {
            let state = state_in(conn, organization, conversation)?;
            set_known_status(conn, state, conversation, status, now)
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
        self.write_publishing(move |conn| {
            state_in(conn, organization, conversation)?;
            let events = change_assignee(conn, organization, conversation, assignee, false, now)?;
            Ok(((), events.into_iter().collect()))
        })
        .await
    }

    async fn set_status_unscoped(
        &self,
        conversation: ConversationId,
        status: ConversationStatus,
        now: Timestamp,
    ) -> StoreResult<()> {
        self.write_publishing(move |conn| {
            let state = conversation_state(conn, conversation)?;
            set_known_status(conn, state, conversation, status, now)
        })
        .await
    }
}
