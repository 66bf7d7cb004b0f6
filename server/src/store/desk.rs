//! The operator desk's storage: saved replies, labels, mentions, search
//! and what is known of a conversation's visitor. Labels change through the
//! rules ([`super::effects::Rules::labels`]); the rest is plain rows.

use async_trait::async_trait;
use echo_protocol::conversations::ConversationStatus;
use echo_protocol::desk::{
    CannedReply, Label, LabelId, Mentions, SearchField, VisitorConversation,
};
use echo_protocol::validate::BrowserMetadata;
use echo_protocol::{
    CannedReplyId, ConversationId, MessageId, OperatorId, OrganizationId, Timestamp,
};

use super::effects::LabelChange;
use super::{InboxFilter, StoreResult};

/// A saved reply and whose it is (`None`: the team's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCannedReply {
    pub reply: CannedReply,
    pub owner: Option<OperatorId>,
}

/// A search: the query's terms and the inbox's filters, a page of hits
/// from `offset`.
#[derive(Debug, Clone)]
pub struct Search {
    pub query: crate::search::Query,
    pub filter: InboxFilter,
    pub offset: u32,
    /// The store returns up to `limit + 1` hits, to tell if more follow.
    pub limit: u32,
}

/// One hit as stored: the text it matched in (a message's, or the
/// visitor's `name email`), best first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRow {
    pub conversation_id: ConversationId,
    pub field: SearchField,
    pub message_id: Option<MessageId>,
    pub text: String,
    pub visitor_name: String,
    pub status: ConversationStatus,
    pub created_at: Timestamp,
}

/// What the store knows of a conversation's visitor.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitorRecord {
    pub metadata: BrowserMetadata,
    /// The host's user ID, when the identity was verified.
    pub user_id: Option<String>,
    /// The earliest conversation of this visitor (by user, else session).
    pub first_seen_at: Timestamp,
    /// Their other conversations here, newest first.
    pub conversations: Vec<VisitorConversation>,
}

/// How many other conversations the visitor's context lists.
pub const VISITOR_CONVERSATIONS: u32 = 20;

/// A search ranks the newest this many matching messages (and as many
/// matching visitors): a common word's older matches are not read, so a
/// search costs about the same however long the history (see the search
/// benchmark in the README).
pub const SEARCH_WINDOW: u32 = 1000;

#[async_trait]
pub trait DeskStore: Send + Sync {
    /// The team's saved replies and, for an operator, their own; by
    /// shortcut.
    async fn canned_replies(
        &self,
        organization: OrganizationId,
        owner: Option<OperatorId>,
    ) -> StoreResult<Vec<CannedReply>>;

    /// One of the organization's saved replies, whoever's.
    async fn canned_reply(
        &self,
        organization: OrganizationId,
        id: CannedReplyId,
    ) -> StoreResult<Option<StoredCannedReply>>;

    /// Creates (`create`) or rewrites a saved reply; `Conflict` when its
    /// shortcut is taken in its scope.
    async fn save_canned_reply(
        &self,
        organization: OrganizationId,
        reply: &StoredCannedReply,
        create: bool,
        now: Timestamp,
    ) -> StoreResult<()>;

    async fn delete_canned_reply(
        &self,
        organization: OrganizationId,
        id: CannedReplyId,
    ) -> StoreResult<()>;

    /// The organization's labels, by name.
    async fn labels(&self, organization: OrganizationId) -> StoreResult<Vec<Label>>;

    /// Creates (`create`) or renames/recolours a label; `Conflict` when
    /// the name is taken (whatever its case), `NotFound` for another
    /// organization's.
    async fn save_label(
        &self,
        organization: OrganizationId,
        label: &Label,
        create: bool,
        now: Timestamp,
    ) -> StoreResult<()>;

    /// Deletes a label and takes it off every conversation (each gets a
    /// `labels` event).
    async fn delete_label(
        &self,
        organization: OrganizationId,
        id: LabelId,
        now: Timestamp,
    ) -> StoreResult<()>;

    /// Changes a conversation's labels as the rules allow; `NotFound` for
    /// another organization's conversation or label. The labels after.
    async fn change_labels(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        change: &LabelChange,
        now: Timestamp,
    ) -> StoreResult<Vec<Label>>;

    /// The labels of these conversations of the organization's.
    async fn labels_of(
        &self,
        organization: OrganizationId,
        conversations: &[ConversationId],
    ) -> StoreResult<Vec<(ConversationId, Label)>>;

    /// The notes that mention `operator`, newest first, and how many are
    /// unread.
    async fn mentions(
        &self,
        organization: OrganizationId,
        operator: OperatorId,
        limit: u32,
    ) -> StoreResult<Mentions>;

    /// Marks `operator`'s mentions read: one conversation's, or all.
    async fn read_mentions(
        &self,
        organization: OrganizationId,
        operator: OperatorId,
        conversation: Option<ConversationId>,
        now: Timestamp,
    ) -> StoreResult<()>;

    /// The organization's messages (notes too) and visitors matching the
    /// search, best first.
    async fn search(
        &self,
        organization: OrganizationId,
        search: &Search,
    ) -> StoreResult<Vec<SearchRow>>;

    /// Who the conversation's visitor is; `None` for another
    /// organization's.
    async fn visitor_record(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
    ) -> StoreResult<Option<VisitorRecord>>;
}
