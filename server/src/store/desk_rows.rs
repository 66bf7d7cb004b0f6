//! Row mapping for the desk's tables, written once for both backends (as
//! [`super::rows`] is for the rest).

use echo_protocol::desk::{
    CannedReply, CannedScope, Label, Mention, SearchField, VisitorConversation, VisitorMatch,
};
use echo_protocol::OperatorId;

use super::desk::{SearchRow, StoredCannedReply};
use super::rows::{preview, Row};
use super::StoreResult;

/// The columns [`canned_reply`] reads.
pub(crate) const CANNED_REPLY: &str = "id, shortcut, title, text, owner_id";

pub(crate) fn canned_reply(row: &impl Row) -> StoreResult<StoredCannedReply> {
    let owner: Option<OperatorId> = row.col(4)?;
    Ok(StoredCannedReply {
        reply: CannedReply {
            id: row.col(0)?,
            shortcut: row.col(1)?,
            title: row.col(2)?,
            text: row.col(3)?,
            scope: if owner.is_some() {
                CannedScope::Personal
            } else {
                CannedScope::Team
            },
        },
        owner,
    })
}

/// The columns [`label`] reads, for a `labels l` table.
pub(crate) const LABEL: &str = "l.id, l.name, l.color";

pub(crate) fn label(row: &impl Row, at: usize) -> StoreResult<Label> {
    Ok(Label {
        id: row.col(at)?,
        name: row.col(at + 1)?,
        color: row.col(at + 2)?,
    })
}

/// The columns [`mention`] reads, for `mentions n JOIN messages m`.
pub(crate) const MENTION: &str =
    "n.message_id, n.conversation_id, m.author_name, m.text, n.created_at, n.read_at";

pub(crate) fn mention(row: &impl Row) -> StoreResult<Mention> {
    Ok(Mention {
        message_id: row.col(0)?,
        conversation_id: row.col(1)?,
        author_name: row.col::<Option<String>>(2)?.unwrap_or_default(),
        text: row.col(3)?,
        created_at: row.col(4)?,
        read_at: row.col(5)?,
    })
}

/// A search hit's columns after its kind: the conversation, the message
/// (`NULL` for a visitor hit), the matched text, the visitor's name, the
/// conversation's status, and the hit's time.
pub(crate) fn search_row(row: &impl Row) -> StoreResult<SearchRow> {
    let message_id: Option<echo_protocol::MessageId> = row.col(1)?;
    Ok(SearchRow {
        conversation_id: row.col(0)?,
        field: if message_id.is_some() {
            SearchField::Message
        } else {
            SearchField::Visitor
        },
        message_id,
        text: row.col(2)?,
        visitor_name: row.col(3)?,
        status: row.col(4)?,
        created_at: row.col(5)?,
    })
}

/// The columns [`visitor_conversation`] reads: `c.id, c.status,
/// c.created_at`, the last message's role, text and time, then how it was
/// matched (`user`, `session` or `email`).
pub(crate) fn visitor_conversation(row: &impl Row) -> StoreResult<VisitorConversation> {
    let matched: String = row.col(6)?;
    Ok(VisitorConversation {
        conversation_id: row.col(0)?,
        status: row.col(1)?,
        created_at: row.col(2)?,
        last_message: preview(row, 3)?,
        matched_by: match matched.as_str() {
            "user" => VisitorMatch::VerifiedUser,
            "session" => VisitorMatch::Session,
            _ => VisitorMatch::UnverifiedEmail,
        },
    })
}
