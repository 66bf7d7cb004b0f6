//! Storage behind one trait, so the HTTP layer never sees SQL and a second
//! backend (PostgreSQL) can stand beside SQLite.
//!
//! Rules that must hold atomically with a write (the session is still live,
//! the conversation belongs to the session and is not resolved) are checked
//! inside the backend's transaction, not before it.

mod postgres;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use echo_protocol::conversations::{ConversationStatus, MessagePreview};
use echo_protocol::events::LiveEvent;
use echo_protocol::knowledge::KnowledgeFile;
use echo_protocol::messages::{Message, MessageRole};
use echo_protocol::operator::OperatorConversation;
use echo_protocol::validate::BrowserMetadata;
use echo_protocol::{ConversationId, FileId, OrganizationId, Timestamp};

use crate::live::Hub;
use crate::secrets::SecretHash;
use crate::session::SessionPolicy;

pub use postgres::{is_postgres_url, PostgresStore};
pub use sqlite::{SqliteStore, WriteStats, DEFAULT_MAX_BATCH};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist (or is not visible to the caller).
    #[error("not found")]
    NotFound,
    /// The contact session expired before the write could happen.
    #[error("contact session expired")]
    SessionExpired,
    /// The row's state forbids the write.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// Anything else: the database failed. Logged, never shown to a client.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionStatus {
    Active,
    Inactive,
}

impl SubscriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::Inactive => "inactive",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(SubscriptionStatus::Active),
            "inactive" => Some(SubscriptionStatus::Inactive),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: OrganizationId,
    pub name: String,
    pub greet_message: String,
    pub suggestions: Vec<String>,
    pub subscription: SubscriptionStatus,
}

#[derive(Debug, Clone)]
pub struct NewOrganization {
    pub id: OrganizationId,
    pub name: String,
    pub operator_key_hash: SecretHash,
    pub greet_message: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewContactSession {
    pub id_hash: SecretHash,
    pub organization_id: OrganizationId,
    pub name: String,
    pub email: String,
    pub metadata: BrowserMetadata,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct ContactSession {
    pub id_hash: SecretHash,
    pub organization_id: OrganizationId,
    pub name: String,
    pub email: String,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub id: ConversationId,
    pub organization_id: OrganizationId,
    pub status: ConversationStatus,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct ConversationSummary {
    pub conversation: Conversation,
    pub last_message: Option<MessagePreview>,
}

/// A page of rows and the cursor of the next one, if any.
#[derive(Debug, Clone)]
pub struct Page<T, C = Cursor> {
    pub items: Vec<T>,
    pub next_cursor: Option<C>,
}

/// A position in the operator inbox, ordered by last activity: the row's
/// `(last_activity_at, seq)`, encoded `at_seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityCursor {
    pub at: i64,
    pub seq: i64,
}

impl ActivityCursor {
    pub fn parse(text: &str) -> Option<Self> {
        let (at, seq) = text.split_once('_')?;
        Some(Self {
            at: at.parse().ok()?,
            seq: seq.parse().ok().filter(|s: &i64| *s > 0)?,
        })
    }

    pub fn encode(self) -> String {
        format!("{}_{}", self.at, self.seq)
    }
}

/// One row of the operator inbox.
#[derive(Debug, Clone)]
pub struct OperatorSummary {
    pub conversation: Conversation,
    pub last_activity_at: Timestamp,
    pub visitor_name: String,
    pub last_message: Option<MessagePreview>,
}

/// Whose events a live stream follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventScope {
    Conversation(ConversationId),
    Organization(OrganizationId),
}

/// A position in a list: the row's insertion sequence. Opaque to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(pub i64);

impl Cursor {
    pub fn parse(text: &str) -> Option<Self> {
        text.parse::<i64>().ok().filter(|n| *n > 0).map(Cursor)
    }

    pub fn encode(self) -> String {
        self.0.to_string()
    }
}

/// A knowledge-base file to store, with the text extracted from it.
#[derive(Debug, Clone)]
pub struct NewKnowledgeFile {
    pub id: FileId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub content_type: String,
    pub size_bytes: u64,
    pub text: String,
    pub created_at: Timestamp,
}

/// A knowledge-base file's searchable text.
#[derive(Debug, Clone)]
pub struct KnowledgeText {
    pub id: FileId,
    pub name: String,
    pub text: String,
}

/// What a visitor's activity (creating a conversation, sending a message)
/// needs to check and refresh their session inside the write.
#[derive(Debug, Clone)]
pub struct VisitorActivity {
    pub session: SecretHash,
    pub now: Timestamp,
    pub policy: SessionPolicy,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Whether the database answers (readiness checks).
    async fn ping(&self) -> StoreResult<()>;

    async fn create_organization(&self, org: NewOrganization) -> StoreResult<()>;
    async fn organization(&self, id: OrganizationId) -> StoreResult<Option<Organization>>;
    async fn set_subscription(
        &self,
        id: OrganizationId,
        status: SubscriptionStatus,
    ) -> StoreResult<()>;
    async fn set_widget_settings(
        &self,
        id: OrganizationId,
        greet_message: String,
        suggestions: Vec<String>,
    ) -> StoreResult<()>;

    async fn create_contact_session(&self, session: NewContactSession) -> StoreResult<()>;
    async fn contact_session(&self, id_hash: &SecretHash) -> StoreResult<Option<ContactSession>>;

    /// Creates an `unresolved` conversation whose first message is the
    /// organization's greeting, and refreshes the session. Returns the
    /// conversation and the session's (possibly new) expiry.
    async fn create_conversation(
        &self,
        id: ConversationId,
        greeting_id: echo_protocol::MessageId,
        activity: VisitorActivity,
    ) -> StoreResult<(Conversation, Timestamp)>;

    /// The conversation if it belongs to this session; `None` otherwise.
    async fn conversation_of_session(
        &self,
        id: ConversationId,
        session: &SecretHash,
    ) -> StoreResult<Option<Conversation>>;

    async fn conversation(&self, id: ConversationId) -> StoreResult<Option<Conversation>>;

    /// The session's conversations, newest first.
    async fn conversations_of_session(
        &self,
        session: &SecretHash,
        before: Option<Cursor>,
        limit: u32,
    ) -> StoreResult<Page<ConversationSummary>>;

    /// Stores a visitor message after checking, in the same transaction, that
    /// the session is live and owns the conversation (`NotFound` otherwise)
    /// and that the conversation is not resolved (`Conflict`); refreshes the
    /// session.
    ///
    /// With an idempotency key already used in this conversation, stores
    /// nothing and returns the message first stored under it.
    async fn add_visitor_message(
        &self,
        conversation: ConversationId,
        message: Message,
        activity: VisitorActivity,
        idempotency_key: Option<String>,
    ) -> StoreResult<Message>;

    /// Stores an assistant or operator message (`Conflict` when resolved).
    /// An operator's reply makes an `unresolved` conversation `escalated`.
    /// With `organization`, a conversation of another one is `NotFound`.
    async fn add_message(
        &self,
        conversation: ConversationId,
        message: Message,
        organization: Option<OrganizationId>,
    ) -> StoreResult<Message>;

    /// The support agent's write: stores its message and then, if given,
    /// sets the status, only while the conversation is still `unresolved`
    /// (`Conflict` once an operator took over or it was resolved).
    async fn add_agent_message(
        &self,
        conversation: ConversationId,
        message: Message,
        then_status: Option<ConversationStatus>,
    ) -> StoreResult<()>;

    /// Sets the status (no event when it is unchanged). With `organization`,
    /// a conversation of another one is `NotFound`.
    async fn set_conversation_status(
        &self,
        conversation: ConversationId,
        status: ConversationStatus,
        organization: Option<OrganizationId>,
        now: Timestamp,
    ) -> StoreResult<()>;

    /// Tells the conversation's live streams, on every replica, that the
    /// assistant started or stopped writing. Not stored; best effort.
    async fn typing(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        active: bool,
    );

    /// The organization whose operator key hashes to this.
    async fn operator_organization(&self, key: &SecretHash) -> StoreResult<Option<OrganizationId>>;

    /// The organization's conversations, newest activity first.
    async fn operator_conversations(
        &self,
        organization: OrganizationId,
        status: Option<ConversationStatus>,
        before: Option<ActivityCursor>,
        limit: u32,
    ) -> StoreResult<Page<OperatorSummary, ActivityCursor>>;

    /// One conversation of the organization, with its visitor's details.
    async fn operator_conversation(
        &self,
        organization: OrganizationId,
        id: ConversationId,
    ) -> StoreResult<Option<OperatorConversation>>;

    /// Applies a billing event: records its ID and sets the subscription, in
    /// one transaction. `Ok(false)` when the ID was already applied (nothing
    /// changes); `NotFound` for an unknown organization.
    async fn apply_billing_event(
        &self,
        event_id: String,
        organization: OrganizationId,
        status: SubscriptionStatus,
        now: Timestamp,
    ) -> StoreResult<bool>;

    /// Stores a knowledge-base file; returns the organization's new
    /// knowledge version.
    async fn add_knowledge_file(&self, file: NewKnowledgeFile) -> StoreResult<i64>;

    /// The organization's knowledge-base files, newest first.
    async fn knowledge_files(
        &self,
        organization: OrganizationId,
    ) -> StoreResult<Vec<KnowledgeFile>>;

    /// Deletes one of the organization's files (`NotFound` if it has no such
    /// file); returns the new knowledge version.
    async fn delete_knowledge_file(
        &self,
        organization: OrganizationId,
        id: FileId,
    ) -> StoreResult<i64>;

    /// The organization's knowledge version (0 before any change).
    async fn knowledge_version(&self, organization: OrganizationId) -> StoreResult<i64>;

    /// Every file's text with the version it is current for, read together.
    async fn knowledge_texts(
        &self,
        organization: OrganizationId,
    ) -> StoreResult<(i64, Vec<KnowledgeText>)>;

    /// Deletes events created before `before`; returns how many. Each
    /// organization records the highest position it lost.
    async fn prune_events(&self, before: Timestamp) -> StoreResult<u64>;

    /// The highest position pruned from the scope's organization (0 when
    /// none): a resume from before it cannot be exact.
    async fn pruned_through(&self, scope: EventScope) -> StoreResult<i64>;

    /// Where a new follower of the scope starts: the newest event's position,
    /// or the highest pruned one if that is greater (0 when there is none),
    /// so a later resume from it is exact.
    async fn head_position(&self, scope: EventScope) -> StoreResult<i64>;

    /// Events after `after` in the scope, oldest first.
    async fn events_after(
        &self,
        scope: EventScope,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<LiveEvent>>;

    /// Messages older than `before` (or the newest), oldest first in the page.
    async fn messages(
        &self,
        conversation: ConversationId,
        before: Option<Cursor>,
        limit: u32,
    ) -> StoreResult<Page<Message>>;

    /// Messages strictly newer than the message `after`, oldest first.
    async fn messages_after(
        &self,
        conversation: ConversationId,
        after: echo_protocol::MessageId,
        limit: u32,
    ) -> StoreResult<Vec<Message>>;
}

/// Opens the backend the database URL names; committed events go to `hub`.
pub async fn connect(database_url: &str, hub: Arc<Hub>) -> anyhow::Result<Arc<dyn Store>> {
    connect_with(database_url, 2, hub).await
}

/// As [`connect`], with at most `max_connections` to PostgreSQL.
pub async fn connect_with(
    database_url: &str,
    max_connections: u32,
    hub: Arc<Hub>,
) -> anyhow::Result<Arc<dyn Store>> {
    if let Some(path) = sqlite::path_from_url(database_url) {
        return Ok(Arc::new(SqliteStore::open(&path, hub)?));
    }
    if is_postgres_url(database_url) {
        let store = PostgresStore::connect(database_url, max_connections.max(2), hub).await?;
        return Ok(Arc::new(store));
    }
    anyhow::bail!(
        "unsupported database URL (expected sqlite://PATH or postgres://...): {}",
        crate::config::redacted(database_url)
    )
}

/// Rows fetched newest first with one extra row: if the extra row is there,
/// the page is full and the next one starts below its last item.
fn paginate<C: Copy, T>(mut rows: Vec<(C, T)>, limit: u32) -> Page<T, C> {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|(cursor, _)| *cursor)
    } else {
        None
    };
    Page {
        items: rows.into_iter().map(|(_, item)| item).collect(),
        next_cursor,
    }
}

/// A message to be stored, with a fresh ID.
pub fn new_message(role: MessageRole, text: String, now: Timestamp) -> Message {
    Message {
        id: echo_protocol::MessageId::from_uuid(uuid::Uuid::new_v4()),
        role,
        text,
        created_at: now,
    }
}
