//! Row mapping, written once for both backends. Each backend implements
//! [`Row`] for its own row type (a few lines); every query then reads its
//! columns with the same functions here, so a column added to a result is
//! read the same way on SQLite and PostgreSQL. Typed IDs, statuses, roles
//! and timestamps decode themselves (`echo_protocol::db`).

use anyhow::Context;
use echo_protocol::conversations::MessagePreview;
use echo_protocol::events::LiveEvent;
use echo_protocol::knowledge::KnowledgeFile;
use echo_protocol::messages::Message;
use echo_protocol::operator::{OperatorConversation, VisitorDetails};
use echo_protocol::team::{
    ApiKey, Assignee, Membership, MessageAuthor, OperatorProfile, TeamMember,
};
use sqlx::Postgres;

use super::model::{
    AssigneeFilter, ContactSession, Conversation, ConversationSummary, InboxFilter, KnowledgeText,
    OperatorAccount, OperatorSession, OperatorSummary, Organization, SubscriptionStatus,
};
use super::page::{ActivityCursor, Cursor};
use super::{StoreError, StoreResult};
use crate::secrets::SecretHash;

/// A value both backends can read from a column.
pub(crate) trait Column:
    rusqlite::types::FromSql + for<'r> sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>
{
}

impl<T> Column for T where
    T: rusqlite::types::FromSql + for<'r> sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>
{
}

/// A result row of either backend.
pub(crate) trait Row {
    fn col<T: Column>(&self, index: usize) -> StoreResult<T>;
}

/// The inbox's filter as a condition on `conversations c` (its status and
/// assignee read from the table aliased `on`, which has them too), for
/// either backend: its three parameters are `{mark}{first}` (status),
/// `{mark}{first + 1}` (the assignee) and `{mark}{first + 2}` (the
/// label), bound from [`InboxParams`].
pub(crate) fn inbox_condition(
    filter: &InboxFilter,
    mark: char,
    first: usize,
    on: &str,
) -> (String, InboxParams) {
    let (s, o, l) = (
        format!("{mark}{first}"),
        format!("{mark}{}", first + 1),
        format!("{mark}{}", first + 2),
    );
    let (assignee, operator) = match filter.assignee {
        AssigneeFilter::Any => (format!("CAST({o} AS TEXT) IS NULL"), None),
        AssigneeFilter::Unassigned => (
            format!("{on}.assignee_id IS NULL AND CAST({o} AS TEXT) IS NULL"),
            None,
        ),
        AssigneeFilter::Operator(id) => (format!("{on}.assignee_id = {o}"), Some(id)),
        AssigneeFilter::Nobody => (format!("CAST({o} AS TEXT) IS NOT NULL"), None),
    };
    let sql = format!(
        "(CAST({s} AS TEXT) IS NULL OR {on}.status = {s}) AND {assignee}
         AND (CAST({l} AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM conversation_labels cl
              WHERE cl.conversation_id = c.id AND cl.label_id = {l}))"
    );
    (
        sql,
        InboxParams {
            status: filter.status,
            operator,
            label: filter.label,
        },
    )
}

/// The parameters of [`inbox_condition`], in order.
pub(crate) struct InboxParams {
    pub status: Option<echo_protocol::conversations::ConversationStatus>,
    pub operator: Option<echo_protocol::OperatorId>,
    pub label: Option<echo_protocol::desk::LabelId>,
}

/// The columns [`conversation`] reads, for a `conversations c` table.
pub(crate) const CONVERSATION: &str = "c.id, c.organization_id, c.status, c.created_at";
/// The columns [`message`] reads.
pub(crate) const MESSAGE: &str =
    "id, role, text, created_at, author_id, author_name, mentions, voice";
/// The columns [`organization`] reads.
pub(crate) const ORGANIZATION: &str =
    "id, name, greet_message, suggestions, subscription_status, accent_color, theme, allowed_origins,
     require_two_factor, retention_days, business_hours, ratings_enabled";
/// The columns [`contact_session`] reads.
pub(crate) const CONTACT_SESSION: &str = "organization_id, name, email, expires_at, user_id";
/// The columns [`operator_conversation`] reads (`conversations c` joined
/// with its `contact_sessions s`).
pub(crate) const OPERATOR_CONVERSATION: &str =
    "c.id, c.status, c.created_at, c.last_activity_at, s.name, s.email, s.metadata, a.id, a.name,
     (SELECT MAX(m.sent_at) FROM mail_outbox m WHERE m.conversation_id = c.id AND m.kind = 'visitor'),
     c.rating, c.rating_comment, c.rated_at";
/// Joins a conversation `c`'s assignee as `a` (for [`OPERATOR_CONVERSATION`]
/// and [`operator_summary`]).
pub(crate) const ASSIGNEE_JOIN: &str = "LEFT JOIN operators a ON a.id = c.assignee_id";
/// The columns [`operator_account`] reads.
pub(crate) const OPERATOR_ACCOUNT: &str =
    "id, email, name, password_hash, email_verified_at IS NOT NULL";
/// The columns [`team_member`] reads (`memberships m` joined with `operators o`).
pub(crate) const TEAM_MEMBER: &str = "o.id, o.name, o.email, m.role";
/// The columns [`api_key`] reads.
pub(crate) const API_KEY: &str = "id, name, created_at";
/// Whether the conversation `c` is the visitor's whose session hash is the
/// parameter `param`: started in that session or, for a verified visitor,
/// by the same user in the same organization from any session.
pub(crate) fn owned_by(param: &str) -> String {
    format!(
        "(c.contact_session_hash = {param} OR (c.visitor_user_id IS NOT NULL
          AND (c.organization_id, c.visitor_user_id) =
              (SELECT organization_id, user_id FROM contact_sessions WHERE id_hash = {param})))"
    )
}

/// The columns [`knowledge_text`] reads.
pub(crate) const KNOWLEDGE_TEXT: &str = "id, name, text";

pub(crate) fn conversation(row: &impl Row, at: usize) -> StoreResult<Conversation> {
    Ok(Conversation {
        id: row.col(at)?,
        organization_id: row.col(at + 1)?,
        status: row.col(at + 2)?,
        created_at: row.col(at + 3)?,
    })
}

/// A note's mentions as stored (a JSON array; `NULL` when none).
pub(crate) fn mentions_json(message: &Message) -> StoreResult<Option<String>> {
    if message.mentions.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        serde_json::to_string(&message.mentions).context("encoding mentions")?,
    ))
}

pub(crate) fn message(row: &impl Row, at: usize) -> StoreResult<Message> {
    let author_name: Option<String> = row.col(at + 5)?;
    let author = match &author_name {
        Some(name) => Some(MessageAuthor {
            operator_id: row.col(at + 4)?,
            name: name.clone(),
        }),
        None => None,
    };
    let mentions = match row.col::<Option<String>>(at + 6)? {
        Some(json) => serde_json::from_str(&json).context("stored mentions are not JSON")?,
        None => Vec::new(),
    };
    Ok(Message {
        id: row.col(at)?,
        role: row.col(at + 1)?,
        text: row.col(at + 2)?,
        created_at: row.col(at + 3)?,
        author_name,
        author,
        mentions,
        attachments: Vec::new(),
        voice: row.col(at + 7)?,
    })
}

/// An operator's ID and name from two nullable columns.
fn assignee(row: &impl Row, at: usize) -> StoreResult<Option<Assignee>> {
    let Some(operator_id) = row.col(at)? else {
        return Ok(None);
    };
    Ok(Some(Assignee {
        operator_id,
        name: row.col(at + 1)?,
    }))
}

pub(crate) fn operator_account(row: &impl Row) -> StoreResult<OperatorAccount> {
    Ok(OperatorAccount {
        id: row.col(0)?,
        email: row.col(1)?,
        name: row.col(2)?,
        password_hash: row.col(3)?,
        email_verified: row.col(4)?,
    })
}

pub(crate) fn team_member(row: &impl Row) -> StoreResult<TeamMember> {
    Ok(TeamMember {
        operator_id: row.col(0)?,
        name: row.col(1)?,
        email: row.col(2)?,
        role: row.col(3)?,
    })
}

pub(crate) fn api_key(row: &impl Row) -> StoreResult<ApiKey> {
    Ok(ApiKey {
        key_id: row.col(0)?,
        name: row.col(1)?,
        created_at: row.col(2)?,
    })
}

/// An organization's ID, name and the operator's role there.
pub(crate) fn membership(row: &impl Row) -> StoreResult<Membership> {
    Ok(Membership {
        organization_id: row.col(0)?,
        name: row.col(1)?,
        role: row.col(2)?,
    })
}

/// `o.id, o.name, o.email, s.last_seen_at, m.organization_id, m.role` of
/// `operator_sessions s` joined with its operator and (left) its active
/// membership.
pub(crate) const OPERATOR_SESSION: &str =
    "o.id, o.name, o.email, s.last_seen_at, m.organization_id, m.role,
     (m.organization_id IS NOT NULL AND org.require_two_factor
      AND NOT EXISTS (SELECT 1 FROM two_factor t
                      WHERE t.operator_id = o.id AND t.enabled_at IS NOT NULL))";
/// Joins the session's active organization as `org` (for [`OPERATOR_SESSION`]).
pub(crate) const SESSION_ORGANIZATION_JOIN: &str =
    "LEFT JOIN organizations org ON org.id = m.organization_id";

pub(crate) fn operator_session(row: &impl Row) -> StoreResult<OperatorSession> {
    let organization: Option<echo_protocol::OrganizationId> = row.col(4)?;
    let role: Option<echo_protocol::team::OperatorRole> = row.col(5)?;
    Ok(OperatorSession {
        operator: OperatorProfile {
            id: row.col(0)?,
            name: row.col(1)?,
            email: row.col(2)?,
        },
        last_seen_at: row.col(3)?,
        active: organization.zip(role),
        two_factor_missing: row.col::<Option<bool>>(6)?.unwrap_or(false),
    })
}

/// A message's `seq` then its [`MESSAGE`] columns: one row of a page.
pub(crate) fn paged_message(row: &impl Row) -> StoreResult<(Cursor, Message)> {
    Ok((Cursor(row.col(0)?), message(row, 1)?))
}

/// The last message's role, text and time, all NULL when there is none.
pub(crate) fn preview(row: &impl Row, at: usize) -> StoreResult<Option<MessagePreview>> {
    let Some(role) = row.col(at)? else {
        return Ok(None);
    };
    Ok(Some(MessagePreview {
        role,
        text: row.col(at + 1)?,
        created_at: row.col(at + 2)?,
    }))
}

pub(crate) fn organization(row: &impl Row) -> StoreResult<Organization> {
    let suggestions: String = row.col(3)?;
    let subscription: String = row.col(4)?;
    Ok(Organization {
        id: row.col(0)?,
        name: row.col(1)?,
        greet_message: row.col(2)?,
        suggestions: serde_json::from_str(&suggestions)
            .context("stored suggestions are not a JSON array")?,
        subscription: SubscriptionStatus::parse(&subscription).ok_or_else(|| {
            StoreError::Other(anyhow::anyhow!("stored subscription {subscription:?}"))
        })?,
        accent_color: row.col(5)?,
        theme: row.col(6)?,
        allowed_origins: serde_json::from_str(&row.col::<String>(7)?)
            .context("stored allowed origins are not a JSON array")?,
        require_two_factor: row.col(8)?,
        retention_days: row.col::<Option<i32>>(9)?.map(|d| d.max(0) as u32),
        business_hours: row
            .col::<Option<String>>(10)?
            .map(|json| serde_json::from_str(&json))
            .transpose()
            .context("stored business hours are not their JSON")?,
        ratings_enabled: row.col(11)?,
    })
}

pub(crate) fn contact_session(row: &impl Row, id_hash: SecretHash) -> StoreResult<ContactSession> {
    Ok(ContactSession {
        id_hash,
        organization_id: row.col(0)?,
        name: row.col(1)?,
        email: row.col(2)?,
        expires_at: row.col(3)?,
        user_id: row.col(4)?,
    })
}

/// `c.seq`, the [`CONVERSATION`] columns, then the last message's role,
/// text and time.
pub(crate) fn conversation_summary(row: &impl Row) -> StoreResult<(Cursor, ConversationSummary)> {
    Ok((
        Cursor(row.col(0)?),
        ConversationSummary {
            conversation: conversation(row, 1)?,
            last_message: preview(row, 5)?,
        },
    ))
}

/// As [`conversation_summary`], then `c.last_activity_at`, the visitor's
/// name and the assignee's ID and name.
pub(crate) fn operator_summary(row: &impl Row) -> StoreResult<(ActivityCursor, OperatorSummary)> {
    let (cursor, summary) = conversation_summary(row)?;
    let last_activity_at: echo_protocol::Timestamp = row.col(8)?;
    Ok((
        ActivityCursor {
            at: last_activity_at.millis(),
            seq: cursor.0,
        },
        OperatorSummary {
            conversation: summary.conversation,
            last_activity_at,
            visitor_name: row.col(9)?,
            last_message: summary.last_message,
            assignee: assignee(row, 10)?,
        },
    ))
}

pub(crate) fn operator_conversation(row: &impl Row) -> StoreResult<OperatorConversation> {
    let metadata: String = row.col(6)?;
    Ok(OperatorConversation {
        conversation_id: row.col(0)?,
        status: row.col(1)?,
        created_at: row.col(2)?,
        last_activity_at: row.col(3)?,
        visitor: VisitorDetails {
            name: row.col(4)?,
            email: row.col(5)?,
            metadata: serde_json::from_str(&metadata).context("stored metadata is not JSON")?,
        },
        assignee: assignee(row, 7)?,
        visitor_mailed_at: row.col(9)?,
        // The desk's store adds them where they are shown.
        labels: Vec::new(),
        rating: rating(row, 10)?,
    })
}

/// id, name, content type, size, text length and creation time.
pub(crate) fn knowledge_file(row: &impl Row) -> StoreResult<KnowledgeFile> {
    Ok(KnowledgeFile {
        file_id: row.col(0)?,
        name: row.col(1)?,
        content_type: row.col(2)?,
        size_bytes: row.col::<i64>(3)? as u64,
        text_chars: row.col::<i64>(4)? as u64,
        created_at: row.col(5)?,
    })
}

pub(crate) fn knowledge_text(row: &impl Row) -> StoreResult<KnowledgeText> {
    Ok(KnowledgeText {
        id: row.col(0)?,
        name: row.col(1)?,
        text: row.col(2)?,
    })
}

/// An event's position, conversation and JSON payload.
pub(crate) fn event(row: &impl Row) -> StoreResult<LiveEvent> {
    let payload: String = row.col(2)?;
    Ok(LiveEvent {
        position: row.col(0)?,
        conversation_id: row.col(1)?,
        change: serde_json::from_str(&payload).context("stored event is not JSON")?,
    })
}

/// The columns [`rating`] reads, for a `conversations c`.
pub(crate) const RATING: &str = "c.rating, c.rating_comment, c.rated_at";

/// A conversation's last rating from [`RATING`]'s columns at `at`.
pub(crate) fn rating(
    row: &impl Row,
    at: usize,
) -> StoreResult<Option<echo_protocol::ratings::ConversationRating>> {
    let score: Option<i32> = row.col(at)?;
    let Some(score) = score else {
        return Ok(None);
    };
    Ok(Some(echo_protocol::ratings::ConversationRating {
        score: score.clamp(1, 5) as u8,
        comment: row.col::<Option<String>>(at + 1)?.unwrap_or_default(),
        rated_at: row.col(at + 2)?,
    }))
}

/// A [`RatingState`] from [`super::effects::RATING_STATE`]'s columns.
pub(crate) fn rating_state(row: &impl Row, at: usize) -> StoreResult<super::effects::RatingState> {
    Ok(super::effects::RatingState {
        enabled: row.col(at)?,
        status: row.col(at + 1)?,
        replied: row.col(at + 2)?,
        resolutions: row.col(at + 3)?,
        rated_for: row.col(at + 4)?,
    })
}
