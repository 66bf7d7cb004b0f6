//! The rows the stores take and give, as plain Rust values. Both backends
//! build and read exactly these.

use echo_protocol::conversations::{ConversationStatus, MessagePreview};
use echo_protocol::messages::{Message, MessageRole};
use echo_protocol::team::{Assignee, MessageAuthor, OperatorProfile, OperatorRole};
use echo_protocol::validate::BrowserMetadata;
use echo_protocol::{
    ApiKeyId, ConversationId, FileId, InvitationId, MessageId, OperatorId, OrganizationId,
    Timestamp,
};

use crate::secrets::SecretHash;
use crate::session::SessionPolicy;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
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
    /// `#rrggbb`, lowercase.
    pub accent_color: String,
    pub theme: echo_protocol::widget::WidgetTheme,
    /// The sites (normal-form origins) allowed to embed the widget; empty:
    /// anywhere.
    pub allowed_origins: Vec<String>,
    /// Members must sign in with a second factor to act here.
    pub require_two_factor: bool,
    /// Resolved conversations idle longer than this many days are deleted.
    pub retention_days: Option<u32>,
    /// As last saved (checked then); `None`: never set, always open.
    pub business_hours: Option<echo_protocol::hours::BusinessHours>,
    /// Visitors are asked to rate resolved conversations.
    pub ratings_enabled: bool,
}

/// A new organization, with its first API key when made on the command
/// line (one made in the console gets keys from its admin).
#[derive(Debug, Clone)]
pub struct NewOrganization {
    pub id: OrganizationId,
    pub name: String,
    pub first_key: Option<NewApiKey>,
    /// The HMAC key of identity verification (see `secrets::IdentitySecret`).
    pub identity_secret: String,
    pub greet_message: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub id: ApiKeyId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub key_hash: SecretHash,
    pub created_at: Timestamp,
}

/// An operator's account as sign-in needs it.
#[derive(Clone)]
pub struct OperatorAccount {
    pub id: OperatorId,
    pub email: String,
    pub name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// The operator confirmed the address (sign-up mails a link; invited
    /// accounts and the first admin start confirmed).
    pub email_verified: bool,
}

impl std::fmt::Debug for OperatorAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorAccount")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub id: InvitationId,
    pub organization_id: OrganizationId,
    pub email: String,
    pub role: OperatorRole,
    pub token_hash: SecretHash,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A pending, unexpired invitation.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub id: InvitationId,
    pub organization_id: OrganizationId,
    pub email: String,
    pub role: OperatorRole,
}

/// Who accepts an invitation: the account its email already has, or a new one.
#[derive(Debug, Clone)]
pub enum Joiner {
    Existing(OperatorId),
    New(OperatorAccount),
}

#[derive(Debug, Clone)]
pub struct NewOperatorSession {
    pub id_hash: SecretHash,
    pub operator_id: OperatorId,
    pub active_organization_id: Option<OrganizationId>,
    pub now: Timestamp,
}

/// A live operator session: who, and the organization it acts in with the
/// operator's role there (`None` when none is chosen or the membership is gone).
#[derive(Debug, Clone)]
pub struct OperatorSession {
    pub operator: OperatorProfile,
    pub active: Option<(OrganizationId, OperatorRole)>,
    pub last_seen_at: Timestamp,
    /// The active organization requires two-factor sign-in and this
    /// operator has not turned it on.
    pub two_factor_missing: bool,
}

/// Which conversations of the inbox, by assignee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    Any,
    Unassigned,
    Operator(OperatorId),
    /// Assigned to nobody who can be (an API key's "me"): matches nothing.
    Nobody,
}

/// Which conversations of the inbox (or of a search).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxFilter {
    pub status: Option<ConversationStatus>,
    pub assignee: AssigneeFilter,
    /// Only those carrying this label.
    pub label: Option<echo_protocol::desk::LabelId>,
}

#[derive(Debug, Clone)]
pub struct NewContactSession {
    pub id_hash: SecretHash,
    pub organization_id: OrganizationId,
    /// The host's user ID, only when its hash verified.
    pub user_id: Option<String>,
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
    /// The host's signed-in user, when the identity was verified.
    pub user_id: Option<String>,
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

/// One row of the operator inbox.
#[derive(Debug, Clone)]
pub struct OperatorSummary {
    pub conversation: Conversation,
    pub last_activity_at: Timestamp,
    pub visitor_name: String,
    pub last_message: Option<MessagePreview>,
    pub assignee: Option<Assignee>,
}

/// Whose events a live stream follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventScope {
    Conversation(ConversationId),
    Organization(OrganizationId),
}

impl EventScope {
    /// The scope's column in `events`, its key, and the query of the highest
    /// position pruned from its organization (`$1` is the key; SQLite reads
    /// `$1` as its first parameter too).
    pub(crate) fn sql(self) -> (&'static str, String, &'static str) {
        match self {
            EventScope::Conversation(id) => (
                "conversation_id",
                id.to_string(),
                "SELECT o.events_pruned_through FROM conversations c
                 JOIN organizations o ON o.id = c.organization_id WHERE c.id = $1",
            ),
            EventScope::Organization(id) => (
                "organization_id",
                id.to_string(),
                "SELECT events_pruned_through FROM organizations WHERE id = $1",
            ),
        }
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

/// A message to be stored, with a fresh ID.
pub fn new_message(role: MessageRole, text: String, now: Timestamp) -> Message {
    Message::new(MessageId::from_uuid(uuid::Uuid::new_v4()), role, text, now)
}

/// Who reads a conversation's messages: the visitor (and the assistant,
/// which answers them) sees no notes; the team sees everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Visitor,
    Team,
}

impl Reader {
    /// Whether notes are shown to this reader.
    pub fn sees_notes(self) -> bool {
        self == Reader::Team
    }
}

/// An operator message written by `author` (an operator, or an API key
/// acting as the organization: `operator_id` `None`).
pub fn authored_message(author: MessageAuthor, text: String, now: Timestamp) -> Message {
    Message {
        author_name: Some(author.name.clone()),
        author: Some(author),
        ..new_message(MessageRole::Operator, text, now)
    }
}
