//! The PostgreSQL backend, for production and for several replicas on one
//! database. Same rules and errors as SQLite; an answered write is committed
//! with the server's default `synchronous_commit = on`, so it is on disk.
//!
//! Live events cross replicas through PostgreSQL itself. When a transaction
//! that wrote events commits, a deferred trigger gives them the
//! organization's next positions (a row lock held only through the commit,
//! so an organization's events commit in position order) and sends `NOTIFY
//! echo_events '<org>:<position>[:<conversation>:<event JSON>]'`, which
//! PostgreSQL delivers after the commit, in commit order. Every replica (including the
//! writer's) listens and publishes the event to its in-process hub: from the
//! notification when it carries the event and follows the last one
//! published, otherwise read from the table (large events, gaps). If the listening connection drops,
//! notifications may be lost, so the hub disconnects every stream and the
//! clients resume from the event log. Typing events, which are not stored,
//! travel as `NOTIFY echo_typing`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use async_trait::async_trait;
use echo_protocol::conversations::{ConversationStatus, MessagePreview};
use echo_protocol::events::{Change, LiveEvent};
use echo_protocol::knowledge::KnowledgeFile;
use echo_protocol::messages::{Message, MessageRole};
use echo_protocol::operator::{OperatorConversation, VisitorDetails};
use echo_protocol::{ConversationId, FileId, MessageId, OrganizationId, Timestamp};
use sqlx::postgres::{PgListener, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};

use super::{
    paginate, ActivityCursor, ContactSession, Conversation, ConversationSummary, Cursor,
    EventScope, KnowledgeText, NewContactSession, NewKnowledgeFile, NewOrganization,
    OperatorSummary, Organization, Page, Store, StoreError, StoreResult, SubscriptionStatus,
    VisitorActivity,
};
use crate::live::Hub;
use crate::secrets::SecretHash;
use crate::session::Refresh;

const EVENTS_CHANNEL: &str = "echo_events";
const TYPING_CHANNEL: &str = "echo_typing";

type Tx = Transaction<'static, Postgres>;

pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

pub struct PostgresStore {
    pool: PgPool,
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if let Some(db) = error.as_database_error() {
            match db.code().as_deref() {
                Some("23503") => return StoreError::NotFound,
                Some("23505") => return StoreError::Conflict("already exists"),
                _ => {}
            }
        }
        StoreError::Other(error.into())
    }
}

fn parse<T>(text: &str, parse: impl Fn(&str) -> Option<T>, what: &str) -> StoreResult<T> {
    parse(text).ok_or_else(|| StoreError::Other(anyhow!("stored {what} is malformed: {text:?}")))
}

fn status_of(text: &str) -> StoreResult<ConversationStatus> {
    parse(text, ConversationStatus::parse, "status")
}

fn role_of(text: &str) -> StoreResult<MessageRole> {
    parse(text, MessageRole::parse, "role")
}

impl PostgresStore {
    /// Connects, applies the migrations (an advisory lock keeps replicas
    /// that start together from racing) and starts following events.
    pub async fn connect(url: &str, max_connections: u32, hub: Arc<Hub>) -> anyhow::Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .context("connecting to PostgreSQL")?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .context("PostgreSQL migrations")?;
        let mut listener = PgListener::connect_with(&pool).await?;
        listener
            .listen_all([EVENTS_CHANNEL, TYPING_CHANNEL])
            .await
            .context("LISTEN")?;
        tokio::spawn(follow(pool.clone(), listener, hub));
        Ok(Self { pool })
    }

    async fn begin(&self) -> StoreResult<Tx> {
        Ok(self.pool.begin().await?)
    }
}

/// Publishes every committed event to the hub, in position order per
/// organization.
async fn follow(pool: PgPool, mut listener: PgListener, hub: Arc<Hub>) {
    let mut published: HashMap<OrganizationId, i64> = HashMap::new();
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => {
                let payload = notification.payload();
                let result = if notification.channel() == TYPING_CHANNEL {
                    publish_typing(&hub, payload)
                } else {
                    publish_events(&pool, &hub, &mut published, payload).await
                };
                if let Err(error) = result {
                    tracing::error!(error = %error, "following events failed; streams resume from the log");
                    published.clear();
                    hub.disconnect_all();
                }
            }
            Ok(None) => {
                tracing::warn!("the LISTEN connection dropped; streams resume from the log");
                published.clear();
                hub.disconnect_all();
            }
            Err(sqlx::Error::PoolClosed) => return,
            Err(error) => {
                tracing::error!(error = %error, "LISTEN failed; retrying");
                published.clear();
                hub.disconnect_all();
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

fn publish_typing(hub: &Hub, payload: &str) -> anyhow::Result<()> {
    let mut parts = payload.split(':');
    let (Some(org), Some(conversation), Some(active)) = (parts.next(), parts.next(), parts.next())
    else {
        anyhow::bail!("malformed typing notification {payload:?}");
    };
    let org = OrganizationId::parse(org).context("typing organization")?;
    let conversation = ConversationId::parse(conversation).context("typing conversation")?;
    hub.typing(org, conversation, active == "1");
    Ok(())
}

async fn publish_events(
    pool: &PgPool,
    hub: &Hub,
    published: &mut HashMap<OrganizationId, i64>,
    payload: &str,
) -> anyhow::Result<()> {
    let mut parts = payload.splitn(3, ':');
    let (Some(org), Some(position)) = (parts.next(), parts.next()) else {
        anyhow::bail!("malformed event notification {payload:?}");
    };
    let inline = parts.next();
    let org = OrganizationId::parse(org).context("event organization")?;
    let position: i64 = position.parse().context("event position")?;
    let after = published.get(&org).copied().unwrap_or(position - 1);
    if position <= after {
        return Ok(());
    }
    if let (true, Some(inline)) = (position == after + 1, inline) {
        let (conversation, change) = inline
            .split_once(':')
            .ok_or_else(|| anyhow!("malformed inline event"))?;
        hub.publish(
            org,
            event_from((position, conversation.to_owned(), change.to_owned()))?,
        );
        published.insert(org, position);
        return Ok(());
    }
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT position, conversation_id, payload FROM events
         WHERE organization_id = $1 AND position > $2 AND position <= $3 ORDER BY position",
    )
    .bind(org.to_string())
    .bind(after)
    .bind(position)
    .fetch_all(pool)
    .await?;
    for row in rows {
        hub.publish(org, event_from(row)?);
    }
    published.insert(org, position);
    Ok(())
}

fn event_from(
    (position, conversation, payload): (i64, String, String),
) -> anyhow::Result<LiveEvent> {
    Ok(LiveEvent {
        position,
        conversation_id: ConversationId::parse(&conversation).context("event conversation")?,
        change: serde_json::from_str(&payload).context("stored event is not JSON")?,
    })
}

/// Checks the session is live and applies the refresh rule; returns the
/// session's expiry after the activity.
async fn touch_session(tx: &mut Tx, activity: &VisitorActivity) -> StoreResult<Timestamp> {
    let expires_at: Option<i64> =
        sqlx::query_scalar("SELECT expires_at FROM contact_sessions WHERE id_hash = $1 FOR UPDATE")
            .bind(activity.session.as_str())
            .fetch_optional(&mut **tx)
            .await?;
    refresh_session(
        tx,
        activity,
        Timestamp(expires_at.ok_or(StoreError::SessionExpired)?),
    )
    .await
}

/// Applies the refresh rule to a session (locked by the caller) whose expiry
/// is `expires_at`; returns the expiry after the activity.
async fn refresh_session(
    tx: &mut Tx,
    activity: &VisitorActivity,
    expires_at: Timestamp,
) -> StoreResult<Timestamp> {
    match activity.policy.refresh(expires_at, activity.now) {
        Err(_) => Err(StoreError::SessionExpired),
        Ok(Refresh::Unchanged) => Ok(expires_at),
        Ok(Refresh::ExtendTo(new_expiry)) => {
            sqlx::query("UPDATE contact_sessions SET expires_at = $1 WHERE id_hash = $2")
                .bind(new_expiry.millis())
                .bind(activity.session.as_str())
                .execute(&mut **tx)
                .await?;
            Ok(new_expiry)
        }
    }
}

/// Appends to the event log. Its position (and the notification to every
/// replica) is assigned at commit by the `events_sequence` trigger (see the
/// migration), which keeps the organization's row locked only for the
/// commit itself.
async fn record_event(
    tx: &mut Tx,
    organization: OrganizationId,
    conversation: ConversationId,
    change: &Change,
    now: Timestamp,
) -> StoreResult<()> {
    let payload = serde_json::to_string(change).context("encoding an event")?;
    sqlx::query(
        "INSERT INTO events (organization_id, conversation_id, payload, created_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(organization.to_string())
    .bind(conversation.to_string())
    .bind(payload)
    .bind(now.millis())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_message(
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
    // The message, the conversation's activity time and the event, in one
    // round trip (the event's position is set at commit, see record_event).
    // A used idempotency key stores nothing: `false`.
    let stored = sqlx::query(
        "WITH stored AS (
             INSERT INTO messages (id, conversation_id, role, text, created_at, client_id)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (conversation_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
             RETURNING id
         ), touched AS (
             UPDATE conversations SET last_activity_at = $5
             WHERE id = $2 AND EXISTS (SELECT 1 FROM stored)
         )
         INSERT INTO events (organization_id, conversation_id, payload, created_at)
         SELECT $7, $2, $8, $5 FROM stored",
    )
    .bind(message.id.to_string())
    .bind(conversation.to_string())
    .bind(message.role.as_str())
    .bind(&message.text)
    .bind(message.created_at.millis())
    .bind(client_id)
    .bind(organization.to_string())
    .bind(payload)
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
    let row: Option<MessageRow> = sqlx::query_as(
        "SELECT id, role, text, created_at FROM messages
         WHERE conversation_id = $1 AND client_id = $2",
    )
    .bind(conversation.to_string())
    .bind(key)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(message_from).transpose()
}

/// The conversation's organization and status, locked for this transaction,
/// if it exists (and, with `organization`, belongs to it).
async fn conversation_state(
    tx: &mut Tx,
    conversation: ConversationId,
    organization: Option<OrganizationId>,
) -> StoreResult<(OrganizationId, ConversationStatus)> {
    let (org, status): (String, String) = sqlx::query_as(
        "SELECT organization_id, status FROM conversations WHERE id = $1 FOR UPDATE",
    )
    .bind(conversation.to_string())
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let org = parse(&org, OrganizationId::parse, "organization ID")?;
    if organization.is_some_and(|expected| expected != org) {
        return Err(StoreError::NotFound);
    }
    Ok((org, status_of(&status)?))
}

async fn change_status(
    tx: &mut Tx,
    organization: OrganizationId,
    conversation: ConversationId,
    status: ConversationStatus,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query("UPDATE conversations SET status = $1 WHERE id = $2")
        .bind(status.as_str())
        .bind(conversation.to_string())
        .execute(&mut **tx)
        .await?;
    record_event(
        tx,
        organization,
        conversation,
        &Change::Status { status },
        now,
    )
    .await
}

fn preview(
    role: Option<String>,
    text: Option<String>,
    at: Option<i64>,
) -> StoreResult<Option<MessagePreview>> {
    match (role, text, at) {
        (Some(role), Some(text), Some(at)) => Ok(Some(MessagePreview {
            role: role_of(&role)?,
            text,
            created_at: Timestamp(at),
        })),
        _ => Ok(None),
    }
}

fn message_from((id, role, text, at): (String, String, String, i64)) -> StoreResult<Message> {
    Ok(Message {
        id: parse(&id, MessageId::parse, "message ID")?,
        role: role_of(&role)?,
        text,
        created_at: Timestamp(at),
    })
}

fn conversation_from(
    (id, org, status, at): (String, String, String, i64),
) -> StoreResult<Conversation> {
    Ok(Conversation {
        id: parse(&id, ConversationId::parse, "conversation ID")?,
        organization_id: parse(&org, OrganizationId::parse, "organization ID")?,
        status: status_of(&status)?,
        created_at: Timestamp(at),
    })
}

async fn bump_knowledge_version(tx: &mut Tx, organization: OrganizationId) -> StoreResult<i64> {
    sqlx::query_scalar(
        "UPDATE organizations SET knowledge_version = knowledge_version + 1
         WHERE id = $1 RETURNING knowledge_version",
    )
    .bind(organization.to_string())
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)
}

type ConversationRow = (String, String, String, i64);
type MessageRow = (String, String, String, i64);

#[async_trait]
impl Store for PostgresStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn create_organization(&self, org: NewOrganization) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO organizations (id, name, operator_key_hash, greet_message, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(org.id.to_string())
        .bind(org.name)
        .bind(org.operator_key_hash.as_str())
        .bind(org.greet_message)
        .bind(org.created_at.millis())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn organization(&self, id: OrganizationId) -> StoreResult<Option<Organization>> {
        let row: Option<(String, String, String, String)> = sqlx::query_as(
            "SELECT name, greet_message, suggestions, subscription_status
             FROM organizations WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(name, greet_message, suggestions, subscription)| {
            Ok(Organization {
                id,
                name,
                greet_message,
                suggestions: serde_json::from_str(&suggestions)
                    .context("stored suggestions are not a JSON array")?,
                subscription: parse(&subscription, SubscriptionStatus::parse, "subscription")?,
            })
        })
        .transpose()
    }

    async fn set_subscription(
        &self,
        id: OrganizationId,
        status: SubscriptionStatus,
    ) -> StoreResult<()> {
        let changed =
            sqlx::query("UPDATE organizations SET subscription_status = $1 WHERE id = $2")
                .bind(status.as_str())
                .bind(id.to_string())
                .execute(&self.pool)
                .await?
                .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn set_widget_settings(
        &self,
        id: OrganizationId,
        greet_message: String,
        suggestions: Vec<String>,
    ) -> StoreResult<()> {
        let suggestions = serde_json::to_string(&suggestions).context("encoding suggestions")?;
        let changed = sqlx::query(
            "UPDATE organizations SET greet_message = $1, suggestions = $2 WHERE id = $3",
        )
        .bind(greet_message)
        .bind(suggestions)
        .bind(id.to_string())
        .execute(&self.pool)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn create_contact_session(&self, session: NewContactSession) -> StoreResult<()> {
        let metadata = serde_json::to_string(&session.metadata).context("encoding metadata")?;
        sqlx::query(
            "INSERT INTO contact_sessions
             (id_hash, organization_id, name, email, metadata, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(session.id_hash.as_str())
        .bind(session.organization_id.to_string())
        .bind(session.name)
        .bind(session.email)
        .bind(metadata)
        .bind(session.created_at.millis())
        .bind(session.expires_at.millis())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn contact_session(&self, id_hash: &SecretHash) -> StoreResult<Option<ContactSession>> {
        let row: Option<(String, String, String, i64)> = sqlx::query_as(
            "SELECT organization_id, name, email, expires_at
             FROM contact_sessions WHERE id_hash = $1",
        )
        .bind(id_hash.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(org, name, email, expires_at)| {
            Ok(ContactSession {
                id_hash: id_hash.clone(),
                organization_id: parse(&org, OrganizationId::parse, "organization ID")?,
                name,
                email,
                expires_at: Timestamp(expires_at),
            })
        })
        .transpose()
    }

    async fn create_conversation(
        &self,
        id: ConversationId,
        greeting_id: MessageId,
        activity: VisitorActivity,
    ) -> StoreResult<(Conversation, Timestamp)> {
        let mut tx = self.begin().await?;
        let expires_at = touch_session(&mut tx, &activity).await?;
        let (organization_id, greet_message): (String, String) = sqlx::query_as(
            "SELECT o.id, o.greet_message FROM contact_sessions s
             JOIN organizations o ON o.id = s.organization_id WHERE s.id_hash = $1",
        )
        .bind(activity.session.as_str())
        .fetch_one(&mut *tx)
        .await?;
        let organization = parse(&organization_id, OrganizationId::parse, "organization ID")?;
        sqlx::query(
            "INSERT INTO conversations
             (id, organization_id, contact_session_hash, status, created_at, last_activity_at)
             VALUES ($1, $2, $3, 'unresolved', $4, $4)",
        )
        .bind(id.to_string())
        .bind(&organization_id)
        .bind(activity.session.as_str())
        .bind(activity.now.millis())
        .execute(&mut *tx)
        .await?;
        let greeting = Message {
            id: greeting_id,
            role: MessageRole::Assistant,
            text: greet_message,
            created_at: activity.now,
        };
        insert_message(&mut tx, organization, id, &greeting, None).await?;
        tx.commit().await?;
        Ok((
            Conversation {
                id,
                organization_id: organization,
                status: ConversationStatus::Unresolved,
                created_at: activity.now,
            },
            expires_at,
        ))
    }

    async fn conversation_of_session(
        &self,
        id: ConversationId,
        session: &SecretHash,
    ) -> StoreResult<Option<Conversation>> {
        let row: Option<ConversationRow> = sqlx::query_as(
            "SELECT id, organization_id, status, created_at FROM conversations
             WHERE id = $1 AND contact_session_hash = $2",
        )
        .bind(id.to_string())
        .bind(session.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(conversation_from).transpose()
    }

    async fn conversation(&self, id: ConversationId) -> StoreResult<Option<Conversation>> {
        let row: Option<ConversationRow> = sqlx::query_as(
            "SELECT id, organization_id, status, created_at FROM conversations WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(conversation_from).transpose()
    }

    async fn conversations_of_session(
        &self,
        session: &SecretHash,
        before: Option<Cursor>,
        limit: u32,
    ) -> StoreResult<Page<ConversationSummary>> {
        #[allow(clippy::type_complexity)]
        let rows: Vec<(
            i64,
            String,
            String,
            String,
            i64,
            Option<String>,
            Option<String>,
            Option<i64>,
        )> = sqlx::query_as(
            "SELECT c.seq, c.id, c.organization_id, c.status, c.created_at,
                        m.role, m.text, m.created_at
                 FROM conversations c
                 LEFT JOIN LATERAL (
                     SELECT role, text, created_at FROM messages
                     WHERE conversation_id = c.id ORDER BY seq DESC LIMIT 1
                 ) m ON TRUE
                 WHERE c.contact_session_hash = $1 AND c.seq < $2
                 ORDER BY c.seq DESC LIMIT $3",
        )
        .bind(session.as_str())
        .bind(before.map_or(i64::MAX, |c| c.0))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let rows = rows
            .into_iter()
            .map(|(seq, id, org, status, at, role, text, m_at)| {
                Ok((
                    Cursor(seq),
                    ConversationSummary {
                        conversation: conversation_from((id, org, status, at))?,
                        last_message: preview(role, text, m_at)?,
                    },
                ))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(paginate(rows, limit))
    }

    async fn add_visitor_message(
        &self,
        conversation: ConversationId,
        message: Message,
        activity: VisitorActivity,
        idempotency_key: Option<String>,
    ) -> StoreResult<Message> {
        let mut tx = self.begin().await?;
        // The session and the conversation, checked and locked together.
        let row: Option<(i64, String, String)> = sqlx::query_as(
            "SELECT s.expires_at, c.organization_id, c.status
             FROM contact_sessions s
             JOIN conversations c ON c.contact_session_hash = s.id_hash
             WHERE s.id_hash = $1 AND c.id = $2
             FOR UPDATE",
        )
        .bind(activity.session.as_str())
        .bind(conversation.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some((expires_at, org, status)) = row else {
            // Tell an expired session from a conversation that is not its.
            touch_session(&mut tx, &activity).await?;
            return Err(StoreError::NotFound);
        };
        refresh_session(&mut tx, &activity, Timestamp(expires_at)).await?;
        let organization = parse(&org, OrganizationId::parse, "organization ID")?;
        if status_of(&status)? == ConversationStatus::Resolved {
            // A retry of a message stored before the conversation was
            // resolved still gets that message.
            if let Some(key) = idempotency_key {
                if let Some(message) = message_by_key(&mut tx, conversation, &key).await? {
                    return Ok(message);
                }
            }
            return Err(StoreError::Conflict("the conversation is resolved"));
        }
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
        tx.commit().await?;
        Ok(message)
    }

    async fn add_message(
        &self,
        conversation: ConversationId,
        message: Message,
        organization: Option<OrganizationId>,
    ) -> StoreResult<Message> {
        let mut tx = self.begin().await?;
        let (organization, status) =
            conversation_state(&mut tx, conversation, organization).await?;
        if status == ConversationStatus::Resolved {
            return Err(StoreError::Conflict("the conversation is resolved"));
        }
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
        tx.commit().await?;
        Ok(message)
    }

    async fn add_agent_message(
        &self,
        conversation: ConversationId,
        message: Message,
        then_status: Option<ConversationStatus>,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let (organization, status) = conversation_state(&mut tx, conversation, None).await?;
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

    async fn set_conversation_status(
        &self,
        conversation: ConversationId,
        status: ConversationStatus,
        organization: Option<OrganizationId>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let (organization, current) =
            conversation_state(&mut tx, conversation, organization).await?;
        if current != status {
            change_status(&mut tx, organization, conversation, status, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn typing(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        active: bool,
    ) {
        let result = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(TYPING_CHANNEL)
            .bind(format!(
                "{organization}:{conversation}:{}",
                if active { 1 } else { 0 }
            ))
            .execute(&self.pool)
            .await;
        if let Err(error) = result {
            tracing::warn!(error = %error, "typing notification failed");
        }
    }

    async fn operator_organization(&self, key: &SecretHash) -> StoreResult<Option<OrganizationId>> {
        let id: Option<String> =
            sqlx::query_scalar("SELECT id FROM organizations WHERE operator_key_hash = $1")
                .bind(key.as_str())
                .fetch_optional(&self.pool)
                .await?;
        id.map(|id| parse(&id, OrganizationId::parse, "organization ID"))
            .transpose()
    }

    async fn operator_conversations(
        &self,
        organization: OrganizationId,
        status: Option<ConversationStatus>,
        before: Option<ActivityCursor>,
        limit: u32,
    ) -> StoreResult<Page<OperatorSummary, ActivityCursor>> {
        let cursor = before.unwrap_or(ActivityCursor {
            at: i64::MAX,
            seq: i64::MAX,
        });
        #[allow(clippy::type_complexity)]
        let rows: Vec<(
            i64,
            String,
            String,
            i64,
            i64,
            String,
            Option<String>,
            Option<String>,
            Option<i64>,
        )> = sqlx::query_as(
            "SELECT c.seq, c.id, c.status, c.created_at, c.last_activity_at, s.name,
                    m.role, m.text, m.created_at
             FROM conversations c
             JOIN contact_sessions s ON s.id_hash = c.contact_session_hash
             LEFT JOIN LATERAL (
                 SELECT role, text, created_at FROM messages
                 WHERE conversation_id = c.id ORDER BY seq DESC LIMIT 1
             ) m ON TRUE
             WHERE c.organization_id = $1 AND ($2::TEXT IS NULL OR c.status = $2)
               AND (c.last_activity_at, c.seq) < ($3, $4)
             ORDER BY c.last_activity_at DESC, c.seq DESC LIMIT $5",
        )
        .bind(organization.to_string())
        .bind(status.map(ConversationStatus::as_str))
        .bind(cursor.at)
        .bind(cursor.seq)
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let rows = rows
            .into_iter()
            .map(|(seq, id, status, created, last, name, role, text, m_at)| {
                Ok((
                    ActivityCursor { at: last, seq },
                    OperatorSummary {
                        conversation: Conversation {
                            id: parse(&id, ConversationId::parse, "conversation ID")?,
                            organization_id: organization,
                            status: status_of(&status)?,
                            created_at: Timestamp(created),
                        },
                        last_activity_at: Timestamp(last),
                        visitor_name: name,
                        last_message: preview(role, text, m_at)?,
                    },
                ))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(paginate(rows, limit))
    }

    async fn operator_conversation(
        &self,
        organization: OrganizationId,
        id: ConversationId,
    ) -> StoreResult<Option<OperatorConversation>> {
        let row: Option<(String, i64, i64, String, String, String)> = sqlx::query_as(
            "SELECT c.status, c.created_at, c.last_activity_at, s.name, s.email, s.metadata
             FROM conversations c
             JOIN contact_sessions s ON s.id_hash = c.contact_session_hash
             WHERE c.id = $1 AND c.organization_id = $2",
        )
        .bind(id.to_string())
        .bind(organization.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(status, created, last, name, email, metadata)| {
            Ok(OperatorConversation {
                conversation_id: id,
                status: status_of(&status)?,
                created_at: Timestamp(created),
                last_activity_at: Timestamp(last),
                visitor: VisitorDetails {
                    name,
                    email,
                    metadata: serde_json::from_str(&metadata)
                        .context("stored metadata is not JSON")?,
                },
            })
        })
        .transpose()
    }

    async fn apply_billing_event(
        &self,
        event_id: String,
        organization: OrganizationId,
        status: SubscriptionStatus,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        // An unknown organization fails this insert's foreign key: NotFound.
        let inserted = sqlx::query(
            "INSERT INTO billing_events (id, organization_id, status, received_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
        )
        .bind(event_id)
        .bind(organization.to_string())
        .bind(status.as_str())
        .bind(now.millis())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(false);
        }
        sqlx::query("UPDATE organizations SET subscription_status = $1 WHERE id = $2")
            .bind(status.as_str())
            .bind(organization.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn add_knowledge_file(&self, file: NewKnowledgeFile) -> StoreResult<i64> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO knowledge_files
             (id, organization_id, name, content_type, size_bytes, text, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(file.id.to_string())
        .bind(file.organization_id.to_string())
        .bind(file.name)
        .bind(file.content_type)
        .bind(file.size_bytes as i64)
        .bind(file.text)
        .bind(file.created_at.millis())
        .execute(&mut *tx)
        .await?;
        let version = bump_knowledge_version(&mut tx, file.organization_id).await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn knowledge_files(
        &self,
        organization: OrganizationId,
    ) -> StoreResult<Vec<KnowledgeFile>> {
        let rows: Vec<(String, String, String, i64, i32, i64)> = sqlx::query_as(
            "SELECT id, name, content_type, size_bytes, char_length(text), created_at
             FROM knowledge_files WHERE organization_id = $1
             ORDER BY created_at DESC, seq DESC",
        )
        .bind(organization.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, name, content_type, size, chars, at)| {
                Ok(KnowledgeFile {
                    file_id: parse(&id, FileId::parse, "file ID")?,
                    name,
                    content_type,
                    size_bytes: size as u64,
                    text_chars: chars as u64,
                    created_at: Timestamp(at),
                })
            })
            .collect()
    }

    async fn delete_knowledge_file(
        &self,
        organization: OrganizationId,
        id: FileId,
    ) -> StoreResult<i64> {
        let mut tx = self.begin().await?;
        let deleted =
            sqlx::query("DELETE FROM knowledge_files WHERE id = $1 AND organization_id = $2")
                .bind(id.to_string())
                .bind(organization.to_string())
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        let version = bump_knowledge_version(&mut tx, organization).await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn knowledge_version(&self, organization: OrganizationId) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT knowledge_version FROM organizations WHERE id = $1")
            .bind(organization.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn knowledge_texts(
        &self,
        organization: OrganizationId,
    ) -> StoreResult<(i64, Vec<KnowledgeText>)> {
        // One snapshot: the texts are exactly those of the version.
        let mut tx = self.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *tx)
            .await?;
        let version: i64 =
            sqlx::query_scalar("SELECT knowledge_version FROM organizations WHERE id = $1")
                .bind(organization.to_string())
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT id, name, text FROM knowledge_files WHERE organization_id = $1")
                .bind(organization.to_string())
                .fetch_all(&mut *tx)
                .await?;
        tx.commit().await?;
        let files = rows
            .into_iter()
            .map(|(id, name, text)| {
                Ok(KnowledgeText {
                    id: parse(&id, FileId::parse, "file ID")?,
                    name,
                    text,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((version, files))
    }

    async fn prune_events(&self, before: Timestamp) -> StoreResult<u64> {
        let deleted: i64 = sqlx::query_scalar(
            "WITH gone AS (
                 DELETE FROM events WHERE created_at < $1
                 RETURNING organization_id, position
             ), through AS (
                 SELECT organization_id, MAX(position) AS position FROM gone GROUP BY organization_id
             ), marked AS (
                 UPDATE organizations o SET events_pruned_through = t.position
                 FROM through t
                 WHERE o.id = t.organization_id AND t.position > o.events_pruned_through
             )
             SELECT COUNT(*) FROM gone",
        )
        .bind(before.millis())
        .fetch_one(&self.pool)
        .await?;
        Ok(deleted as u64)
    }

    async fn pruned_through(&self, scope: EventScope) -> StoreResult<i64> {
        let (sql, key) = match scope {
            EventScope::Conversation(id) => (
                "SELECT o.events_pruned_through FROM conversations c
                 JOIN organizations o ON o.id = c.organization_id WHERE c.id = $1",
                id.to_string(),
            ),
            EventScope::Organization(id) => (
                "SELECT events_pruned_through FROM organizations WHERE id = $1",
                id.to_string(),
            ),
        };
        let through: Option<i64> = sqlx::query_scalar(sql)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(through.unwrap_or(0))
    }

    async fn head_position(&self, scope: EventScope) -> StoreResult<i64> {
        let (sql, key) = match scope {
            EventScope::Conversation(id) => (
                "SELECT GREATEST(
                     (SELECT MAX(position) FROM events WHERE conversation_id = $1),
                     (SELECT o.events_pruned_through FROM conversations c
                      JOIN organizations o ON o.id = c.organization_id WHERE c.id = $1),
                     0)",
                id.to_string(),
            ),
            EventScope::Organization(id) => (
                "SELECT GREATEST(
                     (SELECT MAX(position) FROM events WHERE organization_id = $1),
                     (SELECT events_pruned_through FROM organizations WHERE id = $1),
                     0)",
                id.to_string(),
            ),
        };
        Ok(sqlx::query_scalar(sql)
            .bind(key)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn events_after(
        &self,
        scope: EventScope,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<LiveEvent>> {
        let (sql, key) = match scope {
            EventScope::Conversation(id) => (
                "SELECT position, conversation_id, payload FROM events
                 WHERE conversation_id = $1 AND position > $2 ORDER BY position LIMIT $3",
                id.to_string(),
            ),
            EventScope::Organization(id) => (
                "SELECT position, conversation_id, payload FROM events
                 WHERE organization_id = $1 AND position > $2 ORDER BY position LIMIT $3",
                id.to_string(),
            ),
        };
        let rows: Vec<(i64, String, String)> = sqlx::query_as(sql)
            .bind(key)
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(event_from)
            .collect::<anyhow::Result<Vec<_>>>()?)
    }

    async fn messages(
        &self,
        conversation: ConversationId,
        before: Option<Cursor>,
        limit: u32,
    ) -> StoreResult<Page<Message>> {
        let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
            "SELECT seq, id, role, text, created_at FROM messages
             WHERE conversation_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3",
        )
        .bind(conversation.to_string())
        .bind(before.map_or(i64::MAX, |c| c.0))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let rows = rows
            .into_iter()
            .map(|(seq, id, role, text, at)| Ok((Cursor(seq), message_from((id, role, text, at))?)))
            .collect::<StoreResult<Vec<_>>>()?;
        let mut page = paginate(rows, limit);
        page.items.reverse();
        Ok(page)
    }

    async fn messages_after(
        &self,
        conversation: ConversationId,
        after: MessageId,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        let rows: Vec<MessageRow> = sqlx::query_as(
            "SELECT id, role, text, created_at FROM messages
             WHERE conversation_id = $1 AND seq >
                 (SELECT seq FROM messages WHERE id = $2 AND conversation_id = $1)
             ORDER BY seq ASC LIMIT $3",
        )
        .bind(conversation.to_string())
        .bind(after.to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(message_from).collect()
    }
}
