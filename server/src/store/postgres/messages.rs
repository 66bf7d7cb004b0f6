//! Messages on PostgreSQL: the visitor's, the operator's and the agent's
//! writes, and reading history.

use std::sync::atomic::Ordering;

use anyhow::anyhow;
use async_trait::async_trait;
use echo_protocol::conversations::ConversationStatus;
use echo_protocol::messages::Message;
use echo_protocol::{ConversationId, MessageId, OrganizationId, Timestamp};

use super::attachments::fill_attachments;
use super::effects::{apply, conversation_state, read_of, state_in};
use super::sessions::{refresh_session, touch_session};
use super::{PostgresStore, Tx};
use crate::store::effects::{visitor_party, Command, Decided, NewMessage, Read, PROGRESS};
use crate::store::page::{fetch_limit, paginate};
use crate::store::rows::{self, MESSAGE};
use crate::store::{Cursor, MessageStore, Page, Reader, StoreError, StoreResult, VisitorActivity};

/// The message stored under a visitor's (or a voice line's) idempotency
/// key, if any.
pub(super) async fn message_by_key(
    tx: &mut Tx,
    conversation: ConversationId,
    key: &str,
) -> StoreResult<Option<Message>> {
    let sql =
        format!("SELECT {MESSAGE} FROM messages WHERE conversation_id = $1 AND client_id = $2");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(conversation)
        .bind(key)
        .fetch_optional(&mut **tx)
        .await?
        .map(|row| rows::message(&row, 0))
        .transpose()
}

/// A message written by the team (an operator or the assistant's role),
/// the conversation read (and locked): the rules decide, the effects are
/// written. Commits.
async fn team_message(
    store: &PostgresStore,
    mut tx: Tx,
    read: Read,
    message: Message,
    command: Command,
    notices: bool,
) -> StoreResult<Message> {
    let mut message = message;
    let new = NewMessage::team(&mut message);
    let rules = store.rules.as_ref();
    apply(
        &mut tx,
        Decided::message(rules, notices, read, command, new)?,
    )
    .await?;
    store.commit_then_place(tx, read.organization).await?;
    Ok(message)
}

#[async_trait]
impl MessageStore for PostgresStore {
    async fn add_visitor_message(
        &self,
        conversation: ConversationId,
        message: Message,
        activity: VisitorActivity,
        idempotency_key: Option<String>,
    ) -> StoreResult<(Message, OrganizationId)> {
        let mut message = message;
        let key = idempotency_key.as_deref();
        if let Some(organization) = self
            .visitor_message_unlocked(conversation, &mut message, &activity, key)
            .await?
        {
            return Ok((message, organization));
        }
        let mut tx = self.begin().await?;
        // The session and the conversation, checked and locked together:
        // the session that started it first (most messages), then another
        // session of the same verified user.
        type Row = (
            Timestamp,
            OrganizationId,
            ConversationStatus,
            Option<echo_protocol::OperatorId>,
            bool,
            bool,
            bool,
        );
        let sql = format!(
            "SELECT s.expires_at, c.organization_id, c.status, c.assignee_id, {PROGRESS}
             FROM contact_sessions s
             JOIN conversations c ON c.contact_session_hash = s.id_hash
             WHERE s.id_hash = $1 AND c.id = $2
             FOR NO KEY UPDATE"
        );
        let mut row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(activity.session.as_str())
            .bind(conversation)
            .fetch_optional(&mut *tx)
            .await?;
        if row.is_none() {
            let sql = format!(
                "SELECT s.expires_at, c.organization_id, c.status, c.assignee_id, {PROGRESS}
                 FROM contact_sessions s
                 JOIN conversations c ON c.id = $2 AND {}
                 WHERE s.id_hash = $1
                 FOR NO KEY UPDATE",
                rows::owned_by("$1")
            );
            row = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(activity.session.as_str())
                .bind(conversation)
                .fetch_optional(&mut *tx)
                .await?;
        }
        let Some((expires_at, organization, status, assignee, asked, replied, human_replied)) = row
        else {
            // Tell an expired session from a conversation that is not its.
            touch_session(&mut tx, &activity).await?;
            return Err(StoreError::NotFound);
        };
        refresh_session(&mut tx, &activity, expires_at).await?;
        // A retry with a used key stores nothing and claims nothing, and
        // gets the message first stored under it (even once resolved).
        if let Some(key) = &idempotency_key {
            if let Some(mut earlier) = message_by_key(&mut tx, conversation, key).await? {
                fill_attachments(&mut *tx, conversation, std::slice::from_mut(&mut earlier))
                    .await?;
                return Ok((earlier, organization));
            }
        }
        let state = (
            organization,
            status,
            assignee,
            asked,
            replied,
            human_replied,
        );
        let read = read_of(state, conversation);
        let notices = self.notices.load(Ordering::Relaxed);
        let uploader = visitor_party(&activity.session);
        let new = NewMessage::visitor(&mut message, &uploader, idempotency_key.as_deref());
        let command = Command::VisitorMessage;
        let decided = Decided::message(self.rules.as_ref(), notices, read, command, new)?;
        if !apply(&mut tx, decided).await? {
            // The key was used meanwhile: that message is the answer.
            let key = idempotency_key.expect("only a key can collide");
            let message = message_by_key(&mut tx, conversation, &key)
                .await?
                .ok_or_else(|| {
                    StoreError::Other(anyhow!("an idempotency key without its message"))
                })?;
            return Ok((message, organization));
        }
        self.commit_then_place(tx, organization).await?;
        Ok((message, organization))
    }

    async fn add_message(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        message: Message,
    ) -> StoreResult<Message> {
        let mut tx = self.begin().await?;
        let read = state_in(&mut tx, organization, conversation).await?;
        let notices = self.notices.load(Ordering::Relaxed);
        let command = Command::team(&message);
        team_message(self, tx, read, message, command, notices).await
    }

    async fn add_away_reply(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        message: Message,
        until: Timestamp,
        assistant_answers: bool,
    ) -> StoreResult<Option<Message>> {
        let mut tx = self.begin().await?;
        let read = state_in(&mut tx, organization, conversation).await?;
        let away_until: Option<Timestamp> =
            sqlx::query_scalar("SELECT away_until FROM conversations WHERE id = $1")
                .bind(conversation)
                .fetch_one(&mut *tx)
                .await?;
        let now = message.created_at;
        if !self
            .rules
            .away_reply(read.state, away_until, now, assistant_answers)
        {
            return Ok(None);
        }
        sqlx::query("UPDATE conversations SET away_until = $2 WHERE id = $1")
            .bind(conversation)
            .bind(until)
            .execute(&mut *tx)
            .await?;
        let notices = self.notices.load(Ordering::Relaxed);
        Ok(Some(
            team_message(self, tx, read, message, Command::AwayReply, notices).await?,
        ))
    }

    async fn add_message_unscoped(
        &self,
        conversation: ConversationId,
        message: Message,
    ) -> StoreResult<Message> {
        let mut tx = self.begin().await?;
        let read = conversation_state(&mut tx, conversation).await?;
        let notices = self.notices.load(Ordering::Relaxed);
        let command = Command::team(&message);
        team_message(self, tx, read, message, command, notices).await
    }

    async fn add_agent_message(
        &self,
        conversation: ConversationId,
        message: Message,
        then_status: Option<ConversationStatus>,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let read = conversation_state(&mut tx, conversation).await?;
        let command = Command::AssistantMessage { then: then_status };
        let mut message = message;
        let new = NewMessage::team(&mut message);
        let decided = Decided::message(self.rules.as_ref(), false, read, command, new)?;
        let organization = read.organization;
        apply(&mut tx, decided).await?;
        self.commit_then_place(tx, organization).await?;
        Ok(())
    }

    async fn messages(
        &self,
        conversation: ConversationId,
        before: Option<Cursor>,
        limit: u32,
        reader: Reader,
    ) -> StoreResult<Page<Message>> {
        let sql = format!(
            "SELECT seq, {MESSAGE} FROM messages
             WHERE conversation_id = $1 AND seq < $2 AND ($4 OR role <> 'note')
             ORDER BY seq DESC LIMIT $3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(conversation)
            .bind(Cursor::bound(before))
            .bind(fetch_limit(limit))
            .bind(reader.sees_notes())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(rows::paged_message)
            .collect::<StoreResult<Vec<_>>>()?;
        let mut page = paginate(rows, limit);
        page.items.reverse();
        fill_attachments(&self.pool, conversation, &mut page.items).await?;
        Ok(page)
    }

    async fn messages_after(
        &self,
        conversation: ConversationId,
        after: MessageId,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        let sql = format!(
            "SELECT {MESSAGE} FROM messages
             WHERE conversation_id = $1 AND seq >
                 (SELECT seq FROM messages WHERE id = $2 AND conversation_id = $1)
               AND role <> 'note'
             ORDER BY seq ASC LIMIT $3"
        );
        let mut messages = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(conversation)
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| rows::message(row, 0))
            .collect::<StoreResult<Vec<_>>>()?;
        fill_attachments(&self.pool, conversation, &mut messages).await?;
        Ok(messages)
    }
}
