//! Storage behind small traits, one per domain, so the HTTP layer never sees
//! SQL and each backend is a folder of short files that match.
//!
//! The stores only store. A write that a rule governs (a message, a status
//! change, an assignment, a member's removal) reads the state it depends on
//! inside its transaction, asks the [`effects::Rules`] it was opened with
//! (the server's `rules` module) what the command does there, and writes the
//! effects it is told, in the same transaction: no rule is written in a
//! backend, let alone in both.
//!
//! # Layout
//!
//! - [`effects`]: the vocabulary between the rules and the stores (state,
//!   commands, effects, the `Rules` trait); each backend's `effects.rs`
//!   reads a conversation's state and writes effects.
//! - [`model`]: the rows the stores take and give.
//! - [`page`]: cursors and pagination, shared by both backends.
//! - `rows`: row mapping written once for both backends.
//! - [`sqlite`]: embedded SQLite (one writer thread, group commit).
//! - [`postgres`]: PostgreSQL (a pool; live events across replicas by LISTEN).
//!
//! Each backend has one file per trait (those below, the event log's in
//! `events.rs`, and each domain module's). Callers hold an
//! `Arc<dyn Store>`, on which every domain's methods are callable.

pub mod attachments;
pub mod desk;
mod desk_rows;
pub mod effects;
pub mod erasure;
mod error;
mod events;
pub mod mail;
mod mail_rows;
pub mod model;
pub mod onboarding;
pub mod page;
pub mod plugins;
pub mod postgres;
pub mod pressure;
pub mod ratings;
pub mod reports;
mod rows;
pub mod sqlite;
pub mod trust;
pub mod voice;

use std::sync::Arc;

use async_trait::async_trait;
use echo_protocol::conversations::ConversationStatus;
use echo_protocol::knowledge::KnowledgeFile;
use echo_protocol::messages::Message;
use echo_protocol::operator::OperatorConversation;
use echo_protocol::team::{ApiKey, Membership, OperatorRole, TeamMember};
use echo_protocol::{
    ApiKeyId, ConversationId, FileId, MessageId, OperatorId, OrganizationId, Timestamp,
};

use crate::live::Hub;
use crate::secrets::SecretHash;

pub use error::{StoreError, StoreResult};
pub use events::EventStore;
pub use model::{
    authored_message, new_message, AssigneeFilter, ContactSession, Conversation,
    ConversationSummary, EventScope, InboxFilter, Invitation, Joiner, KnowledgeText, NewApiKey,
    NewContactSession, NewInvitation, NewKnowledgeFile, NewOperatorSession, NewOrganization,
    OperatorAccount, OperatorSession, OperatorSummary, Organization, Reader, SubscriptionStatus,
    VisitorActivity,
};
pub use page::{ActivityCursor, Cursor, Page};
pub use postgres::{is_postgres_url, PostgresStore};
pub use sqlite::{SqliteStore, WriteStats, DEFAULT_MAX_BATCH};

/// Organizations (with their first API key), their settings and billing.
#[async_trait]
pub trait OrganizationStore: Send + Sync {
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

    /// Sets the widget's accent colour (`#rrggbb`) and theme.
    async fn set_brand(
        &self,
        id: OrganizationId,
        accent_color: String,
        theme: echo_protocol::widget::WidgetTheme,
    ) -> StoreResult<()>;

    /// Sets the sites (normal-form origins) allowed to embed the widget.
    /// Saves the business hours (checked by the caller).
    async fn set_business_hours(
        &self,
        id: OrganizationId,
        hours: echo_protocol::hours::BusinessHours,
    ) -> StoreResult<()>;
    async fn set_allowed_origins(
        &self,
        id: OrganizationId,
        origins: Vec<String>,
    ) -> StoreResult<()>;

    /// The organization's identity-verification key (`None`: no such org).
    async fn identity_secret(&self, id: OrganizationId) -> StoreResult<Option<String>>;
    /// Replaces it (`NotFound` for an unknown organization).
    async fn set_identity_secret(&self, id: OrganizationId, secret: String) -> StoreResult<()>;

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
}

/// Visitors' contact sessions.
#[async_trait]
pub trait ContactSessionStore: Send + Sync {
    async fn create_contact_session(&self, session: NewContactSession) -> StoreResult<()>;
    async fn contact_session(&self, id_hash: &SecretHash) -> StoreResult<Option<ContactSession>>;
    /// Ends a session now (the host signed its user out): it expires at
    /// `now`, so every later use is `UNAUTHORIZED`.
    async fn end_contact_session(&self, id_hash: &SecretHash, now: Timestamp) -> StoreResult<()>;
}

/// Conversations: creation, lookups for visitors and operators, status.
#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// Creates an `unresolved` conversation whose first message is the
    /// organization's greeting, and refreshes the session. Returns the
    /// conversation and the session's (possibly new) expiry.
    async fn create_conversation(
        &self,
        id: ConversationId,
        greeting_id: MessageId,
        activity: VisitorActivity,
    ) -> StoreResult<(Conversation, Timestamp)>;

    /// The conversation if it belongs to this session; `None` otherwise.
    async fn conversation_of_session(
        &self,
        id: ConversationId,
        session: &SecretHash,
    ) -> StoreResult<Option<Conversation>>;

    /// Any conversation, whoever owns it (the agent and support tooling).
    async fn conversation(&self, id: ConversationId) -> StoreResult<Option<Conversation>>;

    /// The session's conversations, newest first.
    async fn conversations_of_session(
        &self,
        session: &SecretHash,
        before: Option<Cursor>,
        limit: u32,
    ) -> StoreResult<Page<ConversationSummary>>;

    /// The organization's conversations, newest activity first.
    async fn operator_conversations(
        &self,
        organization: OrganizationId,
        filter: InboxFilter,
        before: Option<ActivityCursor>,
        limit: u32,
    ) -> StoreResult<Page<OperatorSummary, ActivityCursor>>;

    /// One conversation of the organization, with its visitor's details.
    async fn operator_conversation(
        &self,
        organization: OrganizationId,
        id: ConversationId,
    ) -> StoreResult<Option<OperatorConversation>>;

    /// Sets the status of one of the organization's conversations (a
    /// conversation of another one is `NotFound`); no event when unchanged.
    async fn set_status(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        status: ConversationStatus,
        now: Timestamp,
    ) -> StoreResult<()>;

    /// Assigns one of the organization's conversations to `assignee` (a
    /// member, checked by the caller) or unassigns it; an event when it
    /// changes. Another organization's conversation is `NotFound`.
    async fn assign(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        assignee: Option<OperatorId>,
        now: Timestamp,
    ) -> StoreResult<()>;

    /// Sets the status of any conversation (support tooling, no owner check).
    async fn set_status_unscoped(
        &self,
        conversation: ConversationId,
        status: ConversationStatus,
        now: Timestamp,
    ) -> StoreResult<()>;
}

/// Messages: the three kinds of author, and reading history.
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Stores a visitor message after checking, in the same transaction, that
    /// the session is live and owns the conversation (`NotFound` otherwise)
    /// and that the conversation is not resolved (`Conflict`); refreshes the
    /// session.
    ///
    /// With an idempotency key already used in this conversation, stores
    /// nothing and returns the message first stored under it. Also answers
    /// the conversation's organization (read anyway), for what follows a
    /// visitor's message (the away reply).
    async fn add_visitor_message(
        &self,
        conversation: ConversationId,
        message: Message,
        activity: VisitorActivity,
        idempotency_key: Option<String>,
    ) -> StoreResult<(Message, OrganizationId)>;

    /// Stores an operator's (or assistant's) message in one of the
    /// organization's conversations: `NotFound` for another organization's,
    /// `Conflict` when resolved. An operator's reply makes an `unresolved`
    /// conversation `escalated`, and assigns an unassigned one to its author.
    async fn add_message(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        message: Message,
    ) -> StoreResult<Message>;

    /// As [`MessageStore::add_message`] for any conversation (support
    /// tooling, no owner check).
    async fn add_message_unscoped(
        &self,
        conversation: ConversationId,
        message: Message,
    ) -> StoreResult<Message>;

    /// The away reply to a visitor's message while the desk is closed:
    /// stored as the assistant's if the rules want one (see
    /// `rules::service`), remembering `until` (the next opening) as the end
    /// of this closed period; `None` when none is due.
    async fn add_away_reply(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        message: Message,
        until: Timestamp,
        assistant_answers: bool,
    ) -> StoreResult<Option<Message>>;

    /// The support agent's write: stores its message and then, if given,
    /// sets the status, only while the conversation is still `unresolved`
    /// (`Conflict` once an operator took over or it was resolved).
    async fn add_agent_message(
        &self,
        conversation: ConversationId,
        message: Message,
        then_status: Option<ConversationStatus>,
    ) -> StoreResult<()>;

    /// Messages older than `before` (or the newest), oldest first in the
    /// page; notes only for the team.
    async fn messages(
        &self,
        conversation: ConversationId,
        before: Option<Cursor>,
        limit: u32,
        reader: Reader,
    ) -> StoreResult<Page<Message>>;

    /// The visitor's messages strictly newer than the message `after`,
    /// oldest first (never a note).
    async fn messages_after(
        &self,
        conversation: ConversationId,
        after: MessageId,
        limit: u32,
    ) -> StoreResult<Vec<Message>>;
}

/// Knowledge-base files and the version that tells replicas to reindex.
#[async_trait]
pub trait KnowledgeStore: Send + Sync {
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
}

/// Operator accounts, memberships, invitations, sessions and API keys.
#[async_trait]
pub trait TeamStore: Send + Sync {
    /// The account with this (lowercased) email.
    async fn operator_by_email(&self, email: &str) -> StoreResult<Option<OperatorAccount>>;
    async fn operator_account(&self, id: OperatorId) -> StoreResult<Option<OperatorAccount>>;
    /// The operator's organizations, by name.
    async fn memberships(&self, operator: OperatorId) -> StoreResult<Vec<Membership>>;
    async fn role_of(
        &self,
        organization: OrganizationId,
        operator: OperatorId,
    ) -> StoreResult<Option<OperatorRole>>;

    async fn create_invitation(&self, invitation: NewInvitation) -> StoreResult<()>;
    /// The invitation with this token if it is unused and unexpired.
    async fn invitation(
        &self,
        token: &SecretHash,
        now: Timestamp,
    ) -> StoreResult<Option<Invitation>>;
    /// Uses the invitation (`NotFound` if it was used or expired meanwhile),
    /// creates the account for a new joiner (`Conflict` if the email was
    /// taken meanwhile) and adds the membership, in one transaction.
    async fn accept_invitation(
        &self,
        token: &SecretHash,
        now: Timestamp,
        joiner: Joiner,
    ) -> StoreResult<OperatorId>;

    async fn create_operator_session(&self, session: NewOperatorSession) -> StoreResult<()>;
    /// The session if it was seen after `idle_since`.
    async fn operator_session(
        &self,
        id_hash: &SecretHash,
        idle_since: Timestamp,
    ) -> StoreResult<Option<OperatorSession>>;
    async fn touch_operator_session(&self, id_hash: &SecretHash, now: Timestamp)
        -> StoreResult<()>;
    async fn set_active_organization(
        &self,
        id_hash: &SecretHash,
        organization: OrganizationId,
    ) -> StoreResult<()>;
    async fn delete_operator_session(&self, id_hash: &SecretHash) -> StoreResult<()>;
    /// Sets the password hash and ends every session of the operator.
    async fn set_password(&self, operator: OperatorId, password_hash: String) -> StoreResult<()>;

    /// The organization's members, by name.
    async fn team(&self, organization: OrganizationId) -> StoreResult<Vec<TeamMember>>;
    /// `NotFound` for a non-member; `Conflict` when it would leave the
    /// organization without an admin.
    async fn set_role(
        &self,
        organization: OrganizationId,
        operator: OperatorId,
        role: OperatorRole,
    ) -> StoreResult<()>;
    /// Removes the membership and unassigns the operator's conversations
    /// there (with events); `Conflict` for the last admin.
    async fn remove_member(
        &self,
        organization: OrganizationId,
        operator: OperatorId,
        now: Timestamp,
    ) -> StoreResult<()>;

    /// The organization's API keys, oldest first.
    async fn api_keys(&self, organization: OrganizationId) -> StoreResult<Vec<ApiKey>>;
    async fn create_api_key(&self, key: NewApiKey) -> StoreResult<()>;
    /// `NotFound` unless the organization has this key.
    async fn delete_api_key(&self, organization: OrganizationId, id: ApiKeyId) -> StoreResult<()>;
    /// The organization whose API key hashes to this, and the key's ID.
    async fn api_key_organization(
        &self,
        key: &SecretHash,
    ) -> StoreResult<Option<(OrganizationId, ApiKeyId)>>;
}

/// Everything the server stores: one backend implements every domain.
#[async_trait]
pub trait Store:
    OrganizationStore
    + ContactSessionStore
    + ConversationStore
    + MessageStore
    + KnowledgeStore
    + TeamStore
    + EventStore
    + mail::MailStore
    + attachments::AttachmentStore
    + desk::DeskStore
    + trust::TrustStore
    + erasure::ErasureStore
    + onboarding::OnboardingStore
    + ratings::RatingStore
    + reports::ReportStore
    + plugins::PluginStore
    + voice::VoiceStore
    + 'static
{
    /// Whether the database answers (readiness checks).
    async fn ping(&self) -> StoreResult<()>;

    /// How loaded the store is now, without a query.
    fn pressure(&self) -> pressure::Pressure;

    /// Mail waiting to be sent: how many, and when the oldest was queued.
    async fn outbox_backlog(&self) -> StoreResult<(u64, Option<Timestamp>)>;
}

/// Opens the backend the database URL names, with at most
/// `max_connections` to PostgreSQL; committed events go to `hub`, and
/// every write asks `rules` what it may do.
pub async fn connect(
    database_url: &str,
    max_connections: u32,
    hub: Arc<Hub>,
    rules: Arc<dyn effects::Rules>,
) -> anyhow::Result<Arc<dyn Store>> {
    if let Some(path) = sqlite::path_from_url(database_url) {
        return Ok(Arc::new(SqliteStore::open(&path, hub, rules)?));
    }
    if is_postgres_url(database_url) {
        let store =
            PostgresStore::connect(database_url, max_connections.max(2), hub, rules).await?;
        return Ok(Arc::new(store));
    }
    anyhow::bail!(
        "unsupported database URL (expected sqlite://PATH or postgres://...): {}",
        crate::secrets::redacted_url(database_url)
    )
}
