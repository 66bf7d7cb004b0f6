//! The vocabulary between the rules and the stores. A store reads a
//! conversation's [`State`] in its transaction, asks its [`Rules`] what a
//! [`Command`] does there, and writes the [`Effect`]s it is told (each
//! backend's `effects.rs`), deciding nothing itself. The rules are
//! `crate::rules`, handed to the store when it opens: storage is the floor
//! and never imports them.

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::messages::{Message, MessageRole};
use echo_protocol::team::OperatorRole;
use echo_protocol::{ConversationId, MessageId, OperatorId, OrganizationId, Timestamp};

use super::{StoreError, StoreResult};

/// Who a mail notice is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// The assignee, or every member when unassigned.
    Team,
    /// The visitor, at the email of the conversation's contact session.
    Visitor,
    /// The operators a note mentions, until they read it.
    Mentioned,
    /// The visitor, asked to rate a resolved conversation they left.
    Rating,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Team => "team",
            Audience::Visitor => "visitor",
            Audience::Mentioned => "mentioned",
            Audience::Rating => "rating",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "team" => Some(Audience::Team),
            "visitor" => Some(Audience::Visitor),
            "mentioned" => Some(Audience::Mentioned),
            "rating" => Some(Audience::Rating),
            _ => None,
        }
    }
}

/// What the store read about the conversation before deciding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State {
    pub status: ConversationStatus,
    pub assignee: Option<OperatorId>,
    pub progress: Progress,
}

impl State {
    /// A conversation as it is created.
    pub const NEW: State = State {
        status: ConversationStatus::Unresolved,
        assignee: None,
        progress: Progress::NONE,
    };
}

/// Which of a conversation's milestones it has passed (each kept as the
/// time it was passed: reports measure between them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// The visitor wrote.
    pub asked: bool,
    /// Someone (a person or the assistant) replied after that.
    pub replied: bool,
    /// A person replied after that.
    pub human_replied: bool,
}

impl Progress {
    pub const NONE: Progress = Progress {
        asked: false,
        replied: false,
        human_replied: false,
    };
}

/// A milestone a message passes ([`Progress`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Milestone {
    Asked,
    Replied,
    HumanReplied,
}

impl Milestone {
    /// The conversation's column that keeps when it was passed.
    pub fn column(self) -> &'static str {
        match self {
            Milestone::Asked => "first_visitor_at",
            Milestone::Replied => "first_reply_at",
            Milestone::HumanReplied => "first_human_reply_at",
        }
    }
}

/// The columns a store reads into [`Progress`], for a `conversations c`.
pub const PROGRESS: &str = "c.first_visitor_at IS NOT NULL, c.first_reply_at IS NOT NULL,
     c.first_human_reply_at IS NOT NULL";

/// What someone asks of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// A visitor starts the conversation: it opens with the organization's
    /// greeting ([`greeting`]), before anyone writes.
    Open,
    /// The visitor writes (their session owns the conversation: checked by
    /// the store's read).
    VisitorMessage,
    /// The team writes: an operator (a person, or an API key when `author`
    /// is `None`) or, through support tooling, the assistant's role.
    TeamMessage {
        role: MessageRole,
        author: Option<OperatorId>,
    },
    /// The support agent answers, and may then escalate or resolve.
    AssistantMessage {
        then: Option<ConversationStatus>,
    },
    /// A team member's private note (never shown to the visitor);
    /// `mentions`: whether it names operators to tell.
    Note {
        mentions: bool,
    },
    SetStatus(ConversationStatus),
    Assign(Option<OperatorId>),
    /// The automatic away reply (the assistant's role): no reply of
    /// anyone's, so it passes no milestone.
    AwayReply,
    /// A final line of a voice call's transcript: the visitor's (as their
    /// message) or the voice assistant's (an answer, whoever else handles
    /// the conversation: the call goes on).
    VoiceLine {
        role: MessageRole,
    },
}

/// What to write. Each effect that changes the conversation is also an
/// event on the push channel (the backend records it as it writes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Store the command's message (with the attachments it names), mark
    /// the conversation's activity.
    AddMessage,
    SetStatus(ConversationStatus),
    SetAssignee(Option<OperatorId>),
    /// Keep the time (the message's) the conversation passed it.
    Mark(Milestone),
    /// Queue (or re-arm) a mail notice; with `only_first`, only if the
    /// conversation never had one for that audience.
    Notify {
        audience: Audience,
        only_first: bool,
    },
}

impl Command {
    /// The command a message written by the team is (a note is a note).
    pub fn team(message: &Message) -> Self {
        if message.role == MessageRole::Note {
            return Command::Note {
                mentions: !message.mentions.is_empty(),
            };
        }
        Command::TeamMessage {
            role: message.role,
            author: message.author.as_ref().and_then(|a| a.operator_id),
        }
    }
}

/// The rules a store asks before it writes (`crate::rules` implements
/// them). A refusal comes back as [`StoreError::Conflict`].
pub trait Rules: Send + Sync + 'static {
    /// The effects of `command` on a conversation in `state`. `notices`:
    /// whether this server mails.
    fn decide(&self, state: State, command: Command, notices: bool) -> StoreResult<Vec<Effect>>;

    /// The message a new conversation opens with.
    fn greeting(&self, id: MessageId, text: String, now: Timestamp) -> Message;

    /// Whether a visitor's message while the desk is closed gets the away
    /// reply (`away_until`: the end of the closed period the last one went in).
    fn away_reply(
        &self,
        state: State,
        away_until: Option<Timestamp>,
        now: Timestamp,
        assistant_answers: bool,
    ) -> bool;

    /// The resolution a rating of a conversation in `state` rates, or why
    /// it cannot be rated.
    /// `link_for`: the resolution a mailed link was made for.
    fn rating(&self, state: RatingState, link_for: Option<i64>) -> StoreResult<i64>;

    /// A conversation's labels after `change`, given its `current` ones
    /// (each a label of the organization's: the store checked).
    fn labels(
        &self,
        current: &[echo_protocol::desk::LabelId],
        change: &LabelChange,
    ) -> StoreResult<Vec<echo_protocol::desk::LabelId>>;

    /// Whether a member may go from `current` to `next` (`None`: removed)
    /// with `other_admins` admins besides them.
    fn change_member(
        &self,
        current: OperatorRole,
        next: Option<OperatorRole>,
        other_admins: u64,
    ) -> StoreResult<()>;
}

/// What a store reads to decide whether a conversation may be rated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatingState {
    /// The organization asks for ratings.
    pub enabled: bool,
    pub status: ConversationStatus,
    /// Someone answered the visitor ([`Progress::replied`]).
    pub replied: bool,
    /// How many times it was resolved (the last is the current one when
    /// it is resolved).
    pub resolutions: i64,
    /// The resolution its last rating rated.
    pub rated_for: Option<i64>,
}

/// The columns a store reads into [`RatingState`], for a `conversations c`
/// joined with its `organizations o`.
pub const RATING_STATE: &str =
    "o.ratings_enabled, c.status, c.first_reply_at IS NOT NULL, c.resolutions, c.rated_for";

/// A change to a conversation's labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelChange {
    /// These and no others.
    Set(Vec<echo_protocol::desk::LabelId>),
    /// These added, those removed (a bulk change).
    Edit {
        add: Vec<echo_protocol::desk::LabelId>,
        remove: Vec<echo_protocol::desk::LabelId>,
    },
}

/// The command's message, as it is stored.
pub struct NewMessage<'m> {
    pub message: &'m mut Message,
    /// Who uploaded the files it may name: only theirs can be sent
    /// ([`visitor_party`] or [`TEAM_PARTY`]).
    pub uploader: &'m str,
    /// The visitor's idempotency key.
    pub client_id: Option<&'m str>,
}

impl<'m> NewMessage<'m> {
    /// A visitor's message: the files of `uploader` (their session's
    /// party), under their idempotency key.
    pub fn visitor(
        message: &'m mut Message,
        uploader: &'m str,
        client_id: Option<&'m str>,
    ) -> Self {
        Self {
            message,
            uploader,
            client_id,
        }
    }

    /// A voice call's transcript line, under its idempotency key: no files.
    pub fn voice(message: &'m mut Message, key: &'m str) -> Self {
        Self {
            message,
            uploader: TEAM_PARTY,
            client_id: Some(key),
        }
    }

    /// A message of the team's (or the assistant's): the team's files.
    pub fn team(message: &'m mut Message) -> Self {
        Self {
            message,
            uploader: TEAM_PARTY,
            client_id: None,
        }
    }
}

/// What a store read of the conversation, in its transaction.
#[derive(Debug, Clone, Copy)]
pub struct Read {
    pub organization: OrganizationId,
    pub conversation: ConversationId,
    pub state: State,
}

/// Where the effects go.
pub struct Target {
    pub organization: OrganizationId,
    pub conversation: ConversationId,
    /// The time of the events: the message's, or the change's.
    pub now: Timestamp,
}

/// A write the rules decided on: the effects, where they go, and the
/// command's message if it has one. A backend's `apply` writes it.
pub struct Decided<'m> {
    pub target: Target,
    pub effects: Vec<Effect>,
    pub message: Option<NewMessage<'m>>,
}

impl<'m> Decided<'m> {
    /// A command that writes `new` (the rules may refuse it).
    pub fn message(
        rules: &dyn Rules,
        notices: bool,
        read: Read,
        command: Command,
        new: NewMessage<'m>,
    ) -> StoreResult<Self> {
        Ok(Self {
            effects: rules.decide(read.state, command, notices)?,
            target: Target {
                organization: read.organization,
                conversation: read.conversation,
                now: new.message.created_at,
            },
            message: Some(new),
        })
    }

    /// A change without a message (status, assignment) at `now`.
    /// `notices`: whether this server mails.
    pub fn change(
        rules: &dyn Rules,
        notices: bool,
        read: Read,
        command: Command,
        now: Timestamp,
    ) -> StoreResult<Self> {
        Ok(Self {
            effects: rules.decide(read.state, command, notices)?,
            target: Target {
                organization: read.organization,
                conversation: read.conversation,
                now,
            },
            message: None,
        })
    }
}

/// The uploading party of a visitor's files: their contact session.
pub fn visitor_party(session: &crate::secrets::SecretHash) -> String {
    format!("visitor:{}", session.as_str())
}

/// The uploading party of the team's files (any operator or API key).
pub const TEAM_PARTY: &str = "team";

/// An `AddMessage` effect for a command that carried no message: a bug in
/// the calling store, never the client's doing.
pub(crate) fn no_message() -> StoreError {
    StoreError::Other(anyhow::anyhow!(
        "a message effect for a command without one"
    ))
}
