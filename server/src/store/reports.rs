//! What reports and exports read: each conversation's milestones and its
//! count of messages.

use async_trait::async_trait;
use echo_protocol::{ConversationId, OperatorId, OrganizationId};

use super::StoreResult;

/// A conversation's milestones (milliseconds) and last rating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    pub assignee: Option<OperatorId>,
    pub created_at: i64,
    pub first_visitor_at: Option<i64>,
    pub first_reply_at: Option<i64>,
    pub first_human_reply_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub rating: Option<u8>,
    pub rated_at: Option<i64>,
    /// Its messages (not notes).
    pub messages: u64,
}

/// The columns [`report_row`] reads, for a `conversations c`.
pub(crate) const REPORT_ROW: &str = "c.assignee_id, c.created_at, c.first_visitor_at,
     c.first_reply_at, c.first_human_reply_at, c.resolved_at, c.rating, c.rated_at,
     c.message_count";

/// Conversations with anything in `[{p}2, {p}3)` of the organization `{p}1`
/// (all of them, or `{p}4`'s when that is not null).
pub(crate) fn report_rows_sql(p: char) -> String {
    format!(
        "SELECT {REPORT_ROW} FROM conversations c
         WHERE c.organization_id = {p}1 AND c.created_at < {p}3
           AND (CAST({p}4 AS TEXT) IS NULL OR c.assignee_id = {p}4)
           AND (c.created_at >= {p}2 OR c.first_reply_at >= {p}2
                OR c.first_human_reply_at >= {p}2 OR c.resolved_at >= {p}2
                OR c.rated_at >= {p}2)"
    )
}

/// A [`ReportRow`] from [`REPORT_ROW`]'s columns at `at`.
pub(crate) fn report_row(row: &impl super::rows::Row, at: usize) -> StoreResult<ReportRow> {
    Ok(ReportRow {
        assignee: row.col(at)?,
        created_at: row.col(at + 1)?,
        first_visitor_at: row.col(at + 2)?,
        first_reply_at: row.col(at + 3)?,
        first_human_reply_at: row.col(at + 4)?,
        resolved_at: row.col(at + 5)?,
        rating: row.col::<Option<i32>>(at + 6)?.map(|s| s.clamp(1, 5) as u8),
        rated_at: row.col(at + 7)?,
        messages: row.col::<i64>(at + 8)?.max(0) as u64,
    })
}

/// An [`ExportRow`] from [`export_sql`]'s columns.
pub(crate) fn export_row(row: &impl super::rows::Row) -> StoreResult<ExportRow> {
    let status: echo_protocol::conversations::ConversationStatus = row.col(2)?;
    Ok(ExportRow {
        seq: row.col(0)?,
        id: row.col(1)?,
        status: status.as_str().to_owned(),
        assignee: row.col(3)?,
        visitor_name: row.col(4)?,
        visitor_email: row.col(5)?,
        comment: row.col(6)?,
        labels: row.col::<Option<String>>(7)?.unwrap_or_default(),
        milestones: report_row(row, 8)?,
    })
}

/// One conversation of an export, in creation order.
#[derive(Debug, Clone)]
pub struct ExportRow {
    /// Its position: the next page starts after it.
    pub seq: i64,
    pub id: ConversationId,
    pub status: String,
    pub assignee: Option<String>,
    /// Its labels' names, joined with "; ".
    pub labels: String,
    pub visitor_name: String,
    pub visitor_email: String,
    pub milestones: ReportRow,
    pub comment: Option<String>,
}

/// A page of an export; `labels` is the backend's expression joining a
/// conversation `c`'s label names.
pub(crate) fn export_sql(p: char, labels: &str) -> String {
    format!(
        "SELECT c.seq, c.id, c.status, a.name, s.name, s.email, c.rating_comment,
                {labels}, {REPORT_ROW}
         FROM conversations c
         JOIN contact_sessions s ON s.id_hash = c.contact_session_hash
         LEFT JOIN operators a ON a.id = c.assignee_id
         WHERE c.organization_id = {p}1 AND c.created_at >= {p}2 AND c.created_at < {p}3
           AND c.seq > {p}4
         ORDER BY c.seq LIMIT {p}5"
    )
}

#[async_trait]
pub trait ReportStore: Send + Sync {
    /// The conversations of `organization` (only `assignee`'s when given)
    /// with a milestone or rating in `[from, to)`.
    async fn report_rows(
        &self,
        organization: OrganizationId,
        assignee: Option<OperatorId>,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<ReportRow>>;

    /// Up to `limit` conversations created in `[from, to)` after position
    /// `after`, oldest first.
    async fn export_page(
        &self,
        organization: OrganizationId,
        from: i64,
        to: i64,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<ExportRow>>;
}
