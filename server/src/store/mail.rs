//! What the mail notifications store: presence, notices, the outbox and
//! the addresses not to mail. The decisions are made in the mail module;
//! the backends only read what a decision needs and write its outcome in
//! one transaction.

use async_trait::async_trait;
use echo_protocol::messages::Message;
use echo_protocol::{ConversationId, OperatorId, OrganizationId, Timestamp};

use super::StoreResult;
use crate::secrets::SecretHash;

pub use super::effects::Audience;

/// What kind of mail an outbox row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    Team,
    Visitor,
    Transcript,
    /// Asks an address to confirm it wants the organization's mail.
    Confirmation,
    /// Tells an away operator a note mentioned them.
    Mention,
    /// To an operator about their own account (the email check).
    Account,
    /// Asks a visitor who left to rate the resolved conversation.
    Rating,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::Team => "team",
            MailKind::Visitor => "visitor",
            MailKind::Transcript => "transcript",
            MailKind::Confirmation => "confirmation",
            MailKind::Mention => "mention",
            MailKind::Account => "account",
            MailKind::Rating => "rating",
        }
    }
}

/// The subject of a presence row.
pub fn operator_presence(operator: OperatorId) -> String {
    format!("op:{operator}")
}

pub fn visitor_presence(session: &SecretHash) -> String {
    format!("vs:{}", session.as_str())
}

/// A due notice leased to this process until `lease`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedNotice {
    pub conversation: ConversationId,
    pub audience: Audience,
    /// The notice's version when claimed: a message written meanwhile
    /// bumps it, and the notice then stays pending.
    pub version: i64,
    pub lease: Timestamp,
}

/// One possible recipient of a notice, with what they have seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRecipient {
    /// `visitor` or the operator's ID (the `mail_marks` key).
    pub key: String,
    pub email: String,
    pub name: String,
    /// The last time their console or widget had a push stream open.
    pub last_seen: Option<Timestamp>,
    /// The highest message position a mail to them covered (0: none).
    pub covered_seq: i64,
    pub last_mailed_at: Option<Timestamp>,
}

/// Everything deciding a notice needs, read together.
#[derive(Debug, Clone)]
pub struct NoticeContext {
    pub organization: OrganizationId,
    pub organization_name: String,
    pub visitor_name: String,
    pub visitor_email: String,
    /// The page the visitor chatted on, as their browser reported it.
    pub visitor_page: Option<String>,
    /// Whether the visitor's address may get what they wrote: their
    /// identity is verified, or the address confirmed it.
    pub visitor_trusted: bool,
    /// The organization's allowed sites (origins): the only pages a mail
    /// links to.
    pub allowed_origins: Vec<String>,
    /// The organization's business hours: the team is not mailed while
    /// the desk is closed.
    pub business_hours: Option<echo_protocol::hours::BusinessHours>,
    pub recipients: Vec<NoticeRecipient>,
    /// The messages the audience would be told of (the visitor's for the
    /// team, operators' for the visitor) after the lowest covered position,
    /// oldest first, with their positions.
    pub messages: Vec<(i64, Message)>,
}

/// A mail ready to go, as the outbox stores it.
#[derive(Debug, Clone)]
pub struct NewMail {
    pub id: String,
    pub organization: OrganizationId,
    pub conversation: Option<ConversationId>,
    pub kind: MailKind,
    pub to: String,
    pub from_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The one-click unsubscribe link and the hash of its token.
    pub unsubscribe: Option<(String, SecretHash)>,
    pub created_at: Timestamp,
    /// Waits in the outbox until its address is confirmed.
    pub held: bool,
}

/// A confirmation mail to send unless one went to the address from the
/// organization since `once_since`.
#[derive(Debug, Clone)]
pub struct ConfirmationRequest {
    pub token: SecretHash,
    pub mail: NewMail,
    pub once_since: Timestamp,
}

/// How a notice was decided.
#[derive(Debug, Clone, Default)]
pub struct NoticeOutcome {
    pub mails: Vec<NewMail>,
    /// (recipient key, covered position) for each recipient mailed now.
    pub marks: Vec<(String, i64)>,
    /// When to look again (someone was present or batching holds a mail
    /// back); `None`: nothing is left to tell.
    pub next_due: Option<Timestamp>,
    /// The held mails' address is asked to confirm.
    pub confirmation: Option<ConfirmationRequest>,
    /// The rating links of a resolution mail sent now.
    pub rating_link: Option<super::ratings::RatingLink>,
}

/// An outbox row leased for sending.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub id: String,
    pub organization: OrganizationId,
    pub to: String,
    pub from_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub unsubscribe_url: Option<String>,
    pub attempts: u32,
    pub lease: Timestamp,
}

/// What became of a send attempt.
#[derive(Debug, Clone)]
pub enum Delivery {
    Sent,
    /// Try again at this time.
    Retry {
        at: Timestamp,
        error: String,
    },
    /// The server refused the address for good: never mail it again.
    Bounced {
        error: String,
    },
}

#[async_trait]
pub trait MailStore: Send + Sync {
    /// From now on, message writes queue notices (mail is configured).
    /// Without it they write nothing extra.
    fn enable_notices(&self);

    async fn set_presence(&self, subject: String, at: Timestamp) -> StoreResult<()>;

    /// Leases up to `limit` due notices until `lease`.
    async fn claim_notices(
        &self,
        now: Timestamp,
        lease: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedNotice>>;

    /// What deciding the notice needs (`None`: the conversation is gone).
    async fn notice_context(&self, notice: &ClaimedNotice) -> StoreResult<Option<NoticeContext>>;

    /// Writes the mails and marks and reschedules or settles the notice, in
    /// one transaction, if the lease is still this process's.
    async fn complete_notice(
        &self,
        notice: &ClaimedNotice,
        outcome: NoticeOutcome,
        now: Timestamp,
    ) -> StoreResult<()>;

    /// Queues a transcript (and the confirmation its address needs first)
    /// if fewer than `max` were queued for the conversation since `since`;
    /// `Ok(false)` when the limit is reached.
    async fn queue_transcript(
        &self,
        mail: NewMail,
        since: Timestamp,
        max: u32,
        confirmation: Option<ConfirmationRequest>,
    ) -> StoreResult<bool>;

    /// Whether the address confirmed it wants the organization's mail.
    async fn address_confirmed(
        &self,
        organization: OrganizationId,
        email: &str,
    ) -> StoreResult<bool>;

    /// Confirms the address of a confirmation token requested after
    /// `valid_since` and releases its held mails; `false` for an unknown
    /// or expired token.
    async fn confirm_address(
        &self,
        token: &SecretHash,
        valid_since: Timestamp,
        now: Timestamp,
    ) -> StoreResult<bool>;

    /// Deletes held mails created before `before` (never confirmed).
    async fn drop_held_mail(&self, before: Timestamp) -> StoreResult<u64>;

    /// Leases up to `limit` outbox rows due for an attempt until `lease`.
    async fn claim_mail(
        &self,
        now: Timestamp,
        lease: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<OutgoingMail>>;

    /// Records the attempt's result (only while the lease holds).
    async fn finish_mail(
        &self,
        mail: &OutgoingMail,
        delivery: Delivery,
        now: Timestamp,
    ) -> StoreResult<()>;

    /// Stops mail to the token's address from its organization; `false`
    /// for an unknown token.
    async fn unsubscribe(&self, token: &SecretHash, now: Timestamp) -> StoreResult<bool>;

    /// Whether the address may be mailed by the organization.
    async fn mailable(&self, organization: OrganizationId, email: &str) -> StoreResult<bool>;

    async fn email_notifications(&self, operator: OperatorId) -> StoreResult<bool>;
    async fn set_email_notifications(&self, operator: OperatorId, on: bool) -> StoreResult<()>;
}
