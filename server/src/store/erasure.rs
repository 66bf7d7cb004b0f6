//! Deleting a visitor's data or a conversation with everything of it,
//! written once for both backends: which rows belong to a visitor, and the
//! tables a conversation's rows live in, in an order the foreign keys
//! allow. Each backend binds the list of IDs its own way (`in_list`).

/// The visitor an export or erasure is about: the email they gave
/// (lowercased), the user ID the host verified, or both (their data under
/// either). Neither matches nobody.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactMatch {
    pub email: Option<String>,
    pub user_id: Option<String>,
}

impl ContactMatch {
    /// What the audit log names.
    pub fn describe(&self) -> String {
        [self.email.as_deref(), self.user_id.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The addresses whose mail rows go with the visitor: their sessions'
    /// (`session_emails`, lowercased) and the one asked for, once each.
    pub(crate) fn addresses(
        &self,
        session_emails: impl IntoIterator<Item = String>,
    ) -> Vec<String> {
        let mut addresses: Vec<String> = session_emails.into_iter().collect();
        addresses.extend(self.email.clone());
        addresses.retain(|a| !a.is_empty());
        addresses.sort();
        addresses.dedup();
        addresses
    }

    /// The visitor's contact sessions, with the organization as `{p}1`, the
    /// email as `{p}2` and the user ID as `{p}3` (each may be NULL).
    pub(crate) fn sessions_sql(p: char) -> String {
        format!(
            "SELECT id_hash FROM contact_sessions WHERE organization_id = {p}1
             AND (({p}2 IS NOT NULL AND email <> '' AND lower(email) = {p}2)
                  OR ({p}3 IS NOT NULL AND user_id = {p}3))"
        )
    }

    /// The visitor's conversations' IDs (same parameters): those of their
    /// sessions and, for a verified user, any signed with their ID.
    pub(crate) fn conversations_sql(p: char) -> String {
        format!(
            "SELECT id FROM conversations WHERE organization_id = {p}1
             AND (contact_session_hash IN ({})
                  OR ({p}3 IS NOT NULL AND visitor_user_id = {p}3))
             ORDER BY seq",
            Self::sessions_sql(p)
        )
    }
}

/// The visitor's sessions' export rows (same parameters as
/// [`ContactMatch::sessions_sql`]), read by [`exported_session`].
pub(crate) fn exported_sessions_sql(p: char) -> String {
    format!(
        "SELECT name, email, user_id, metadata, created_at, expires_at
         FROM contact_sessions WHERE id_hash IN ({}) ORDER BY created_at",
        ContactMatch::sessions_sql(p)
    )
}

/// The visitor's conversations' export rows, read by
/// [`exported_conversation`] (their messages are the caller's to read).
pub(crate) fn exported_conversations_sql(p: char) -> String {
    format!(
        "SELECT id, status, created_at, last_activity_at FROM conversations
         WHERE id IN ({}) ORDER BY seq",
        ContactMatch::conversations_sql(p)
    )
}

pub(crate) fn exported_session(
    row: &impl super::rows::Row,
) -> super::StoreResult<echo_protocol::trust::ExportedSession> {
    use anyhow::Context;
    Ok(echo_protocol::trust::ExportedSession {
        name: row.col(0)?,
        email: row.col(1)?,
        user_id: row.col(2)?,
        metadata: serde_json::from_str(&row.col::<String>(3)?)
            .context("stored metadata is not JSON")?,
        created_at: row.col(4)?,
        expires_at: row.col(5)?,
    })
}

pub(crate) fn exported_conversation(
    row: &impl super::rows::Row,
) -> super::StoreResult<echo_protocol::trust::ExportedConversation> {
    Ok(echo_protocol::trust::ExportedConversation {
        conversation_id: row.col(0)?,
        status: row.col(1)?,
        created_at: row.col(2)?,
        last_activity_at: row.col(3)?,
        messages: Vec::new(),
    })
}

/// What a conversation's rows are kept in, by the column that names it,
/// children first. Messages and the conversation itself come last (the
/// backends count them, and SQLite drops their search entries first).
pub(crate) const CONVERSATION_PARTS: [(&str, &str); 10] = [
    ("mentions", "conversation_id"),
    ("ratings", "conversation_id"),
    ("rating_tokens", "conversation_id"),
    ("conversation_labels", "conversation_id"),
    ("attachments", "conversation_id"),
    ("mail_notices", "conversation_id"),
    ("mail_marks", "conversation_id"),
    ("mail_outbox", "conversation_id"),
    ("events", "conversation_id"),
    ("messages", "conversation_id"),
];

/// Mail rows about an address in an organization (`{p}1`, the lowercased
/// address `{p}2`) that are not tied to a conversation.
pub(crate) fn address_mail_sql(p: char) -> [String; 4] {
    [
        format!(
            "DELETE FROM mail_outbox WHERE organization_id = {p}1 AND lower(to_address) = {p}2"
        ),
        format!("DELETE FROM mail_confirmations WHERE organization_id = {p}1 AND email = {p}2"),
        format!("DELETE FROM mail_suppressions WHERE organization_id = {p}1 AND email = {p}2"),
        format!("DELETE FROM unsubscribe_tokens WHERE organization_id = {p}1 AND email = {p}2"),
    ]
}

/// How many conversations one retention batch deletes: small, so no
/// transaction holds the writer (or row locks) for long.
pub const RETENTION_BATCH: u32 = 20;

/// Exports and erasures of a visitor's data, and retention.
#[async_trait::async_trait]
pub trait ErasureStore: Send + Sync {
    /// The visitor's contact sessions and conversations in the
    /// organization, oldest first (the conversations' messages are the
    /// caller's to read).
    async fn contact_records(
        &self,
        organization: echo_protocol::OrganizationId,
        who: ContactMatch,
    ) -> super::StoreResult<(
        Vec<echo_protocol::trust::ExportedSession>,
        Vec<echo_protocol::trust::ExportedConversation>,
    )>;

    /// Deletes everything stored about the visitor in the organization, in
    /// one transaction: what was deleted, and the deleted sessions' hashes
    /// (whose open streams the caller ends).
    async fn erase_contact(
        &self,
        organization: echo_protocol::OrganizationId,
        who: ContactMatch,
    ) -> super::StoreResult<(echo_protocol::trust::ContactErased, Vec<String>)>;

    /// Deletes up to [`RETENTION_BATCH`] resolved conversations whose last
    /// activity is older than their organization's retention at `now`,
    /// with everything of theirs, and the expired sessions left with no
    /// conversation; how many conversations.
    async fn apply_retention(&self, now: echo_protocol::Timestamp) -> super::StoreResult<u64>;
}

/// Totals of one deletion of conversations.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Deleted {
    pub conversations: u64,
    pub messages: u64,
    pub attachments: u64,
    pub mails: u64,
}

impl Deleted {
    pub(crate) fn count(&mut self, table: &str, rows: u64) {
        match table {
            "messages" => self.messages += rows,
            "attachments" => self.attachments += rows,
            "mail_outbox" => self.mails += rows,
            _ => {}
        }
    }
}
