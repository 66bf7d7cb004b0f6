//! Row mapping and result shaping for the mail tables, written once for
//! both backends (as [`super::rows`] is for the rest).

use anyhow::Context;
use echo_protocol::validate::BrowserMetadata;

use echo_protocol::messages::MessageRole;
use echo_protocol::Timestamp;

use super::mail::{Audience, NoticeContext, NoticeRecipient, OutgoingMail};
use super::rows::Row;
use super::StoreResult;

/// The columns [`recipient`] reads: key, email, name, presence, mark.
pub(crate) const RECIPIENT: &str = "email, name, p.last_seen, k.covered_seq, k.last_mailed_at";

/// The columns [`outgoing`] reads.
pub(crate) const OUTGOING: &str =
    "id, organization_id, to_address, from_name, subject, text_body, html_body, unsubscribe_url, attempts";

/// How many of the newest unseen messages one mail quotes.
pub(crate) const MAX_QUOTED: u32 = 50;

pub(crate) fn recipient(row: &impl Row, key: String) -> StoreResult<NoticeRecipient> {
    Ok(NoticeRecipient {
        key,
        email: row.col(0)?,
        name: row.col(1)?,
        last_seen: row.col(2)?,
        covered_seq: row.col::<Option<i64>>(3)?.unwrap_or(0),
        last_mailed_at: row.col(4)?,
    })
}

pub(crate) fn outgoing(
    row: &impl Row,
    lease: echo_protocol::Timestamp,
) -> StoreResult<OutgoingMail> {
    Ok(OutgoingMail {
        id: row.col(0)?,
        organization: row.col(1)?,
        to: row.col(2)?,
        from_name: row.col(3)?,
        subject: row.col(4)?,
        text: row.col(5)?,
        html: row.col(6)?,
        unsubscribe_url: row.col(7)?,
        attempts: row.col::<i64>(8)?.clamp(0, u32::MAX as i64) as u32,
        lease,
    })
}

/// The conversation's header row: organization, its name, the visitor's
/// name, email and metadata (for the page they chatted on), assignee,
/// contact-session hash, whether the visitor's address is trusted
/// (verified or confirmed) and the organization's allowed sites.
pub(crate) const NOTICE_HEADER: &str =
    "c.organization_id, o.name, s.name, s.email, s.metadata, c.assignee_id, c.contact_session_hash,
     s.user_id IS NOT NULL OR EXISTS (SELECT 1 FROM mail_confirmations mc
         WHERE mc.organization_id = c.organization_id AND mc.email = lower(s.email)
           AND mc.confirmed_at IS NOT NULL),
     o.allowed_origins, o.business_hours";

pub(crate) struct NoticeHeader {
    pub context: NoticeContext,
    pub assignee: Option<echo_protocol::OperatorId>,
    pub session_hash: String,
}

pub(crate) fn notice_header(row: &impl Row) -> StoreResult<NoticeHeader> {
    let metadata: String = row.col(4)?;
    let metadata: BrowserMetadata =
        serde_json::from_str(&metadata).context("stored metadata is not JSON")?;
    Ok(NoticeHeader {
        context: NoticeContext {
            organization: row.col(0)?,
            organization_name: row.col(1)?,
            visitor_name: row.col(2)?,
            visitor_email: row.col(3)?,
            visitor_page: metadata.current_url.filter(|url| is_web_link(url)),
            visitor_trusted: row.col(7)?,
            allowed_origins: serde_json::from_str(&row.col::<String>(8)?)
                .context("stored allowed origins are not JSON")?,
            business_hours: row
                .col::<Option<String>>(9)?
                .map(|json| serde_json::from_str(&json))
                .transpose()
                .context("stored business hours are not JSON")?,
            recipients: Vec::new(),
            messages: Vec::new(),
        },
        assignee: row.col(5)?,
        session_hash: row.col(6)?,
    })
}

/// The lowest position any recipient's mails covered: the messages after it
/// are what a decision may quote (none without recipients).
pub(crate) fn lowest_covered(context: &NoticeContext) -> i64 {
    context
        .recipients
        .iter()
        .map(|r| r.covered_seq)
        .min()
        .unwrap_or(i64::MAX)
}

/// Whose messages an audience is told of: the team hears the visitor, the
/// visitor hears operators, the mentioned hear notes.
pub(crate) fn told_role(audience: Audience) -> MessageRole {
    match audience {
        Audience::Team => MessageRole::Visitor,
        Audience::Visitor | Audience::Rating => MessageRole::Operator,
        Audience::Mentioned => MessageRole::Note,
    }
}

/// A decided notice's next state, `(pending, due_at)`: due at once when a
/// message came in while it was being decided, at `next_due` when the
/// decision waits, settled otherwise.
pub(crate) fn settled(
    version_changed: bool,
    next_due: Option<Timestamp>,
    now: Timestamp,
) -> (bool, Timestamp) {
    match (version_changed, next_due) {
        (true, _) => (true, now),
        (false, Some(due)) => (true, due),
        (false, None) => (false, now),
    }
}

/// Only plain web links go into a mail: the visitor's browser reported the
/// page, so it could be anything.
fn is_web_link(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::is_web_link;

    #[test]
    fn only_web_links_are_kept() {
        assert!(is_web_link("https://shop.example/cart?x=1"));
        assert!(!is_web_link("javascript:alert(1)"));
        assert!(!is_web_link("https://a.example/\nBcc: x"));
        assert!(!is_web_link("data:text/html,hi"));
    }
}
