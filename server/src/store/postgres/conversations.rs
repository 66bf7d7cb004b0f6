//! Conversations on PostgreSQL: creation, lookups for visitors and
//! operators, status changes.

use async_trait::async_trait;
use echo_protocol::conversations::ConversationStatus;
use echo_protocol::operator::OperatorConversation;
use echo_protocol::{ConversationId, MessageId, OperatorId, OrganizationId, Timestamp};

use super::effects::{apply, conversation_state, state_in};
use super::sessions::touch_session;
use super::{PostgresStore, Tx};
use crate::secrets::SecretHash;
use crate::store::effects::{Command, Decided, NewMessage, Read, State};
use crate::store::page::{fetch_limit, paginate};
use crate::store::rows::{self, ASSIGNEE_JOIN, CONVERSATION, OPERATOR_CONVERSATION};
use crate::store::{
    ActivityCursor, Conversation, ConversationStore, ConversationSummary, Cursor, InboxFilter,
    OperatorSummary, Page, StoreResult, VisitorActivity,
};

/// A status or assignment change, the conversation read (and locked): the
/// rules decide, the effects are written. Commits.
async fn change(
    store: &PostgresStore,
    mut tx: Tx,
    notices: bool,
    read: Read,
    command: Command,
    now: Timestamp,
) -> StoreResult<()> {
    let rules = store.rules.as_ref();
    apply(
        &mut tx,
        Decided::change(rules, notices, read, command, now)?,
    )
    .await?;
    store.commit_then_place(tx, read.organization).await
}

/// The last message's role, text and time for the conversation `c` (a
/// note is not one: the visitor's list shows this too).
pub(super) const LAST_MESSAGE: &str = "LEFT JOIN LATERAL (
     SELECT role, text, created_at FROM messages
     WHERE conversation_id = c.id AND role <> 'note' ORDER BY seq DESC LIMIT 1
 ) m ON TRUE";

#[async_trait]
impl ConversationStore for PostgresStore {
    async fn create_conversation(
        &self,
        id: ConversationId,
        greeting_id: MessageId,
        activity: VisitorActivity,
    ) -> StoreResult<(Conversation, Timestamp)> {
        let mut tx = self.begin().await?;
        let expires_at = touch_session(&mut tx, &activity).await?;
        let (organization, greet_message, name, email): (OrganizationId, String, String, String) =
            sqlx::query_as(
                "SELECT o.id, o.greet_message, s.name, s.email FROM contact_sessions s
                 JOIN organizations o ON o.id = s.organization_id WHERE s.id_hash = $1",
            )
            .bind(activity.session.as_str())
            .fetch_one(&mut *tx)
            .await?;
        // The visitor's name and email are searchable from the start (a
        // session's never change).
        sqlx::query(
            "INSERT INTO conversations
             (id, organization_id, contact_session_hash, status, created_at, last_activity_at,
              visitor_user_id, search)
             VALUES ($1, $2, $3, 'unresolved', $4, $4,
                     (SELECT user_id FROM contact_sessions WHERE id_hash = $3),
                     to_tsvector('simple', $5))",
        )
        .bind(id)
        .bind(organization)
        .bind(activity.session.as_str())
        .bind(activity.now)
        .bind(crate::search::index_text(&format!("{name} {email}")))
        .execute(&mut *tx)
        .await?;
        let mut greeting = self
            .rules
            .greeting(greeting_id, greet_message, activity.now);
        let read = Read {
            organization,
            conversation: id,
            state: State::NEW,
        };
        let new = NewMessage::team(&mut greeting);
        let opened = Decided::message(self.rules.as_ref(), false, read, Command::Open, new)?;
        apply(&mut tx, opened).await?;
        self.commit_then_place(tx, organization).await?;
        let conversation = Conversation {
            id,
            organization_id: organization,
            status: ConversationStatus::Unresolved,
            created_at: activity.now,
        };
        Ok((conversation, expires_at))
    }

    async fn conversation_of_session(
        &self,
        id: ConversationId,
        session: &SecretHash,
    ) -> StoreResult<Option<Conversation>> {
        let sql = format!(
            "SELECT {CONVERSATION} FROM conversations c
             WHERE c.id = $1 AND {}",
            rows::owned_by("$2")
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(session.as_str())
            .fetch_optional(&self.pool)
            .await?
            .map(|row| rows::conversation(&row, 0))
            .transpose()
    }

    async fn conversation(&self, id: ConversationId) -> StoreResult<Option<Conversation>> {
        let sql = format!("SELECT {CONVERSATION} FROM conversations c WHERE c.id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| rows::conversation(&row, 0))
            .transpose()
    }

    async fn conversations_of_session(
        &self,
        session: &SecretHash,
        before: Option<Cursor>,
        limit: u32,
    ) -> StoreResult<Page<ConversationSummary>> {
        let sql = format!(
            "SELECT c.seq, {CONVERSATION}, m.role, m.text, m.created_at
             FROM conversations c {LAST_MESSAGE}
             WHERE {} AND c.seq < $2
             ORDER BY c.seq DESC LIMIT $3",
            rows::owned_by("$1")
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(session.as_str())
            .bind(Cursor::bound(before))
            .bind(fetch_limit(limit))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(rows::conversation_summary)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(paginate(rows, limit))
    }

    async fn operator_conversations(
        &self,
        organization: OrganizationId,
        filter: InboxFilter,
        before: Option<ActivityCursor>,
        limit: u32,
    ) -> StoreResult<Page<OperatorSummary, ActivityCursor>> {
        let cursor = before.unwrap_or(ActivityCursor::START);
        let (condition, params) = rows::inbox_condition(&filter, '$', 5, "o");
        let sql = format!(
            "SELECT c.seq, {CONVERSATION}, m.role, m.text, m.created_at,
                    c.last_activity_at, s.name, a.id, a.name
             FROM conversation_activity o
             JOIN conversations c ON c.seq = o.seq
             JOIN contact_sessions s ON s.id_hash = c.contact_session_hash
             {LAST_MESSAGE} {ASSIGNEE_JOIN}
             WHERE o.organization_id = $1
               AND (o.last_activity_at, o.seq) < ($2, $3) AND {condition}
             ORDER BY o.last_activity_at DESC, o.seq DESC LIMIT $4"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(organization)
            .bind(cursor.at)
            .bind(cursor.seq)
            .bind(fetch_limit(limit))
            .bind(params.status)
            .bind(params.operator)
            .bind(params.label)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(rows::operator_summary)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(paginate(rows, limit))
    }

    async fn operator_conversation(
        &self,
        organization: OrganizationId,
        id: ConversationId,
    ) -> StoreResult<Option<OperatorConversation>> {
        let sql = format!(
            "SELECT {OPERATOR_CONVERSATION}
             FROM conversations c
             JOIN contact_sessions s ON s.id_hash = c.contact_session_hash
             {ASSIGNEE_JOIN}
             WHERE c.id = $1 AND c.organization_id = $2"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(organization)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| rows::operator_conversation(&row))
            .transpose()
    }

    async fn set_status(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        status: ConversationStatus,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let read = state_in(&mut tx, organization, conversation).await?;
        change(
            self,
            tx,
            self.notices.load(std::sync::atomic::Ordering::Relaxed),
            read,
            Command::SetStatus(status),
            now,
        )
        .await
    }

    async fn assign(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        assignee: Option<OperatorId>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let read = state_in(&mut tx, organization, conversation).await?;
        change(
            self,
            tx,
            self.notices.load(std::sync::atomic::Ordering::Relaxed),
            read,
            Command::Assign(assignee),
            now,
        )
        .await
    }

    async fn set_status_unscoped(
        &self,
        conversation: ConversationId,
        status: ConversationStatus,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let read = conversation_state(&mut tx, conversation).await?;
        change(
            self,
            tx,
            self.notices.load(std::sync::atomic::Ordering::Relaxed),
            read,
            Command::SetStatus(status),
            now,
        )
        .await
    }
}
