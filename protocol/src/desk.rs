//! The operator desk: saved (canned) replies, private notes and mentions,
//! labels, bulk actions, search, the visitor's context and typing. The
//! operator API's (the widget uses none of them; the linker drops them).

use serde::{Deserialize, Serialize};

use crate::conversations::{ConversationStatus, MessagePreview};
pub use crate::ids::{CannedReplyId, LabelId};
use crate::validate::ValidationError;
use crate::{ConversationId, ErrorCode, MessageId, OperatorId, Timestamp};

/// Whose a saved reply is: the team's (admins manage it) or one
/// operator's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum CannedScope {
    Team,
    Personal,
}

crate::ids::text_enum!(CannedScope {
    Team => "team",
    Personal => "personal",
});

/// A saved reply: typing `/shortcut` in the reply box inserts its text,
/// with `{{visitor.name}}`, `{{visitor.email}}`, `{{operator.name}}` and
/// `{{organization.name}}` filled in ([`fill_variables`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CannedReply {
    pub id: CannedReplyId,
    pub shortcut: String,
    pub title: String,
    /// Markdown, as a message.
    pub text: String,
    pub scope: CannedScope,
}

/// `GET /v1/operator/canned-replies`: the team's and the caller's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CannedReplies {
    pub canned_replies: Vec<CannedReply>,
}

/// `POST /v1/operator/canned-replies`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreateCannedReply {
    /// `[a-z0-9-]{1,32}`, unique within its scope.
    pub shortcut: String,
    pub title: String,
    pub text: String,
    pub scope: CannedScope,
}

/// `PATCH /v1/operator/canned-replies/{id}`: what is given changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UpdateCannedReply {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shortcut: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// What a saved reply's variables stand for in one conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Variables<'a> {
    pub visitor_name: &'a str,
    pub visitor_email: &'a str,
    pub operator_name: &'a str,
    pub organization_name: &'a str,
}

/// `text` with its known `{{variables}}` filled in; an unknown one (or an
/// unclosed `{{`) is left as written.
pub fn fill_variables(text: &str, values: &Variables<'_>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let value = match after[..end].trim() {
            "visitor.name" => Some(values.visitor_name),
            "visitor.email" => Some(values.visitor_email),
            "operator.name" => Some(values.operator_name),
            "organization.name" => Some(values.organization_name),
            _ => None,
        };
        match value {
            Some(value) => out.push_str(value),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// `POST /v1/operator/conversations/{id}/notes`: a private note to the
/// team, never shown to the visitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AddNote {
    pub text: String,
    /// Operators to tell (members of the organization; others are
    /// dropped). At most 20.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<OperatorId>,
}

/// `GET /v1/operator/members`: the team by name, for any member (to
/// mention or assign someone), by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Members {
    pub members: Vec<crate::team::Assignee>,
}

/// A note that mentions the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Mention {
    pub message_id: MessageId,
    pub conversation_id: ConversationId,
    /// Who wrote the note.
    pub author_name: String,
    pub text: String,
    pub created_at: Timestamp,
    /// When the caller opened it; `null`: unread.
    pub read_at: Option<Timestamp>,
}

/// `GET /v1/operator/mentions`: the caller's, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Mentions {
    pub mentions: Vec<Mention>,
    pub unread: u32,
}

/// `POST /v1/operator/mentions/read`: marks the caller's mentions read
/// (those of one conversation, or all).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReadMentions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<ConversationId>,
}

/// A label an organization files its conversations under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Label {
    pub id: LabelId,
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
}

/// `GET /v1/operator/labels`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Labels {
    pub labels: Vec<Label>,
}

/// `POST /v1/operator/labels` (admins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreateLabel {
    /// Unique in the organization, whatever its case.
    pub name: String,
    pub color: String,
}

/// `PATCH /v1/operator/labels/{id}` (admins).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UpdateLabel {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

/// `PUT /v1/operator/conversations/{id}/labels`: the conversation's labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SetLabels {
    pub label_ids: Vec<LabelId>,
}

/// `POST /v1/operator/conversations/bulk`: one change to many
/// conversations; each ID succeeds or fails on its own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BulkChange {
    /// 1 to 100.
    pub conversation_ids: Vec<ConversationId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ConversationStatus>,
    /// `null` unassigns; left out, the assignee stays.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::operator::present"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, nullable))]
    pub assignee_id: Option<Option<OperatorId>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_label_ids: Vec<LabelId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove_label_ids: Vec<LabelId>,
}

/// What became of one conversation of a bulk change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BulkResult {
    pub conversation_id: ConversationId,
    pub ok: bool,
    /// Why not (`NOT_FOUND` for another organization's or a missing one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorCode>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BulkResults {
    pub results: Vec<BulkResult>,
}

/// Where a search matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum SearchField {
    /// A message's (or note's) text.
    Message,
    /// The visitor's name or email.
    Visitor,
}

/// A matched stretch of a snippet: `start..end` in Unicode characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Range {
    pub start: u32,
    pub end: u32,
}

/// One hit of `GET /v1/operator/search`, best first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub conversation_id: ConversationId,
    pub field: SearchField,
    /// The matched message, for a message hit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<MessageId>,
    pub visitor_name: String,
    pub status: ConversationStatus,
    /// The matching text around its first match, as plain text.
    pub snippet: String,
    /// The matched stretches of the snippet (character offsets).
    pub ranges: Vec<Range>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    pub next_cursor: Option<String>,
}

/// One of the visitor's conversations in this organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VisitorConversation {
    pub conversation_id: ConversationId,
    pub status: ConversationStatus,
    pub created_at: Timestamp,
    pub last_message: Option<MessagePreview>,
    /// How it was found to be theirs.
    pub matched_by: VisitorMatch,
}

/// How the visitor's other conversations were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum VisitorMatch {
    /// The same verified user.
    VerifiedUser,
    /// The same contact session (browser).
    Session,
    /// The same email address, which nobody verified.
    UnverifiedEmail,
}

/// `GET /v1/operator/conversations/{id}/visitor`: who the visitor is, read
/// from what their browser reported and what they did here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VisitorContext {
    /// `Firefox 128`, from the user agent; `null` when unknown.
    pub browser: Option<String>,
    /// `Windows 10`, `iOS 17.5`, ...
    pub os: Option<String>,
    /// `desktop`, `mobile`, `tablet`, `bot` or `unknown`.
    pub device: String,
    /// The browser's first language (`en-GB`).
    pub language: Option<String>,
    /// The visitor's IANA time zone (`Europe/London`).
    pub time_zone: Option<String>,
    /// The visitor's local time now, `YYYY-MM-DDTHH:MM` (their zone).
    pub local_time: Option<String>,
    pub page: Option<String>,
    pub referrer: Option<String>,
    /// The host's user ID, when the identity was verified.
    pub user_id: Option<String>,
    /// When this visitor (the verified user, else this browser) first
    /// started a chat here.
    pub first_seen_at: Timestamp,
    /// Their other conversations here, newest first (at most 20): the
    /// same verified user's; else this browser's and, marked
    /// `unverifiedEmail`, those under the same email address.
    pub conversations: Vec<VisitorConversation>,
}

/// `POST .../typing`: the caller is typing (`true`, at most every 2 s while
/// they do) or stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Typing {
    pub active: bool,
}

/// A saved reply's shortcut: `[a-z0-9-]{1,32}`.
pub fn parse_shortcut(raw: &str) -> Result<String, ValidationError> {
    let ok = (1..=32).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok {
        return Err(ValidationError::new(
            "shortcut",
            "must be 1 to 32 of a-z, 0-9 and -",
        ));
    }
    Ok(raw.to_owned())
}

/// A label's colour: `#rrggbb`, kept lowercase.
pub fn parse_label_color(raw: &str) -> Result<String, ValidationError> {
    let text = raw.trim();
    crate::widget::parse_color(text)
        .map(|_| text.to_ascii_lowercase())
        .ok_or_else(|| ValidationError::new("color", "must be a colour like #4f46e5"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_variables_are_filled_and_others_left_as_written() {
        let values = Variables {
            visitor_name: "Ada",
            visitor_email: "ada@example.com",
            operator_name: "Grace",
            organization_name: "Acme",
        };
        assert_eq!(
            fill_variables(
                "Hi {{visitor.name}} ({{ visitor.email }}), {{operator.name}} of {{organization.name}}. {{order.id}} {{",
                &values
            ),
            "Hi Ada (ada@example.com), Grace of Acme. {{order.id}} {{"
        );
        assert_eq!(fill_variables("no variables", &values), "no variables");
        assert_eq!(
            fill_variables("}} {{visitor.name", &values),
            "}} {{visitor.name"
        );
    }
}
