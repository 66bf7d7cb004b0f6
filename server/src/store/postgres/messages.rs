//! Messages on PostgreSQL: the visitor's, the operator's and the agent's
//! writes, and reading history.

use std::sync::atomic::Ordering;

use anyhow::{anyhow, Context};
use async_trait::async_trait;
use echo_protocol::conversations::ConversationStatus;
use echo_protocol::events::Change;
use echo_protocol::messages::{Message, MessageRole};
use echo_protocol::{ConversationId, MessageId, OrganizationId, Timestamp};

use super::attachments::{claim_attachments, fill_attachments};
use super::conversations::{change_assignee, change_status, conversation_state, state_in};
use super::mail::queue_notice;
use super::sessions::{refresh_session, touch_session};
use super::{PostgresStore, Tx};
use crate::attachments::{visitor_party, TEAM_PARTY};
use crate::store::mail::Audience;
use crate::store::page::{fetch_limit, paginate};
use crate::store::rows::{self, MESSAGE};
use crate::store::{Cursor, MessageStore, Page, StoreError, StoreResult, VisitorActivity};

/// Stores the message, marks the conversation's activity and logs the
/// event, in one round trip (the event's position is set at commit, see
/// `record_event`). A used idempotency key stores nothing: `false`.
pub(super) async fn insert_message(
    tx: &mut Tx,
    organization: OrganizationId,
    conversation: ConversationId,
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
             (id, conversation_id, role, text, created_at, client_id, author_id, author_name)
             VALUES ($1, $2, $3, $4, $5, $6, $9, $10)
             ON CONFLICT (conversation_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
             RETURNING id
         ), touched AS (
             UPDATE conversations SET last_activity_at = $5
             WHERE id = $2 AND EXISTS (SELECT 1 FROM stored)
         )
         INSERT INTO events (organization_id, conversation_id, payload, created_at)
         SELECT $7, $2, $8, $5 FROM stored",
    )
    .bind(message.id)
    .bind(conversation)
    .bind(message.role)
    .bind(&message.text)
    .bind(message.created_at)
    .bind(client_id)
    .bind(organization)
    .bind(payload)
    .bind(message.author.as_ref().and_then(|a| a.operator_id))
    .bind(&message.author_name)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(stored == 1)
}

/// The message stored under a visitor's idempotency key, if any.
async fn message_by_key(
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

/// An operator's or assistant's message once the conversation's state is
/// known (and locked): refused when resolved; an operator's reply
/// escalates, and assigns an unassigned conversation to its author. Commits.
async fn add_to(
    mut tx: Tx,
    (organization, status): (OrganizationId, ConversationStatus),
    conversation: ConversationId,
    message: Message,
    notices: bool,
) -> StoreResult<Message> {
    if status == ConversationStatus::Resolved {
        return Err(StoreError::Conflict("the conversation is resolved"));
    }
    let mut message = message;
    claim_attachments(&mut tx, conversation, TEAM_PARTY, &mut message).await?;
    insert_message(&mut tx, organization, conversation, &message, None).await?;
    if message.role == MessageRole::Operator && status == ConversationStatus::Unresolved {
        change_status(
            &mut tx,
            organization,
            conversation,
            ConversationStatus::Escalated,
            message.created_at,
        )
        .await?;
    }
    if notices && message.role == MessageRole::Operator {
        queue_notice(
            &mut tx,
            conversation,
            Audience::Visitor,
            message.created_at,
            false,
        )
        .await?;
    }
    if let Some(author) = message.author.as_ref().and_then(|a| a.operator_id) {
        change_assignee(
            &mut tx,
            organization,
            conversation,
            Some(author),
            true,
            message.created_at,
        )
        .await?;
    }
    tx.commit().await?;
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
    ) -> StoreResult<Message> {
        let mut tx = self.begin().await?;
        // The session and the conversation, checked and locked together:
        // the session that started it first (most messages), then another
        // session of the same verified user.
        let mut row: Option<(Timestamp, OrganizationId, ConversationStatus)> = sqlx::query_as(
            "SELECT s.expires_at, c.organization_id, c.status
             FROM contact_sessions s
             JOIN conversations c ON c.contact_session_hash = s.id_hash
             WHERE s.id_hash = $1 AND c.id = $2
             FOR UPDATE",
        )
        .bind(activity.session.as_str())
        .bind(conversation)
        .fetch_optional(&mut *tx)
        .await?;
        if row.is_none() {
            let sql = format!(
                "SELECT s.expires_at, c.organization_id, c.status
                 FROM contact_sessions s
                 JOIN conversations c ON c.id = $2 AND {}
                 WHERE s.id_hash = $1
                 FOR UPDATE",
                rows::owned_by("$1")
            );
            row = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(activity.session.as_str())
                .bind(conversation)
                .fetch_optional(&mut *tx)
                .await?;
        }
        let Some((expires_at, organization, status)) = row else {
            // Tell an expired session from a conversation that is not its.
            touch_session(&mut tx, &activity).await?;
            return Err(StoreError::NotFound);
        };
        refresh_session(&mut tx, &activity, expires_at).await?;
        if status == ConversationStatus::Resolved {
            // A retry of a message stored before the conversation was
            // resolved still gets that message.
            if let Some(key) = idempotency_key {
                if let Some(mut message) = message_by_key(&mut tx, conversation, &key).await? {
                    fill_attachments(&mut *tx, conversation, std::slice::from_mut(&mut message))
                        .await?;
                    return Ok(message);
                }
            }
            return Err(StoreError::Conflict("the conversation is resolved"));
        }
        // A retry with a used key stores nothing and claims nothing.
        if let Some(key) = &idempotency_key {
            if let Some(mut earlier) = message_by_key(&mut tx, conversation, key).await? {
                fill_attachments(&mut *tx, conversation, std::slice::from_mut(&mut earlier))
                    .await?;
                return Ok(earlier);
            }
        }
        let mut message = message;
        claim_attachments(
            &mut tx,
            conversation,
            &visitor_party(&activity.session),
            &mut message,
        )
        .await?;
        let stored = insert_message(
            &mut tx,
            organization,
            conversation,
            &message,
            idempotency_key.as_deref(),
        )
        .await?;
        if !stored {
            // The key was used before: that message is the answer.
            let key = idempotency_key.expect("only a key can collide");
            let message = message_by_key(&mut tx, conversation, &key)
                .await?
                .ok_or_else(|| {
                    StoreError::Other(anyhow!("an idempotency key without its message"))
                })?;
            return Ok(message);
        }
        if self.notices.load(Ordering::Relaxed) {
            // The team hears of a new conversation, and of every visitor
            // message once a person handles it.
            let only_first = status != ConversationStatus::Escalated;
            queue_notice(
                &mut tx,
                conversation,
                Audience::Team,
                message.created_at,
                only_first,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(message)
    }

    async fn add_message(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        message: Message,
    ) -> StoreResult<Message> {
        let mut tx = self.begin().await?;
        let state = state_in(&mut tx, organization, conversation).await?;
        add_to(
            tx,
            state,
            conversation,
            message,
            self.notices.load(Ordering::Relaxed),
        )
        .await
    }

    async fn add_message_unscoped(
        &self,
        conversation: ConversationId,
        message: Message,
    ) -> StoreResult<Message> {
        let mut tx = self.begin().await?;
        let state = conversation_state(&mut tx, conversation).await?;
        add_to(
            tx,
            state,
            conversation,
            message,
            self.notices.load(Ordering::Relaxed),
        )
        .await
    }

    async fn add_agent_message(
        &self,
        conversation: ConversationId,
        message: Message,
        then_status: Option<ConversationStatus>,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let (organization, status) = conversation_state(&mut tx, conversation).await?;
        if status != ConversationStatus::Unresolved {
            return Err(StoreError::Conflict(
                "the conversation is no longer the agent's",
            ));
        }
        insert_message(&mut tx, organization, conversation, &message, None).await?;
        if let Some(next) = then_status.filter(|next| *next != status) {
            change_status(
                &mut tx,
                organization,
                conversation,
                next,
                message.created_at,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn messages(
        &self,
        conversation: ConversationId,
        before: Option<Cursor>,
        limit: u32,
    ) -> StoreResult<Page<Message>> {
        let sql = format!(
            "SELECT seq, {MESSAGE} FROM messages
             WHERE conversation_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(conversation)
            .bind(Cursor::bound(before))
            .bind(fetch_limit(limit))
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
