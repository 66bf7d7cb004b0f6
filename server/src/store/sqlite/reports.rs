//! Reports and exports on SQLite.

use async_trait::async_trait;
use echo_protocol::{OperatorId, OrganizationId};
use rusqlite::params;

use super::{query_all, SqliteStore};
use crate::store::reports::{self, ExportRow, ReportRow, ReportStore};
use crate::store::rows::Row;
use crate::store::StoreResult;

const LABELS: &str =
    "(SELECT group_concat(name, '; ') FROM (SELECT l.name FROM conversation_labels cl
      JOIN labels l ON l.id = cl.label_id WHERE cl.conversation_id = c.id ORDER BY l.name_key))";

#[async_trait]
impl ReportStore for SqliteStore {
    async fn report_rows(
        &self,
        organization: OrganizationId,
        assignee: Option<OperatorId>,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<ReportRow>> {
        self.read(move |conn| {
            query_all(
                conn,
                &reports::report_rows_sql('?'),
                params![organization, from, to, assignee],
                |row| reports::report_row(row, 0),
            )
        })
        .await
    }

    async fn message_counts(
        &self,
        organization: OrganizationId,
        author: Option<OperatorId>,
        edges: Vec<i64>,
    ) -> StoreResult<Vec<u64>> {
        self.read(move |conn| {
            // One index range per span (organization, time): each counts
            // its own entries only.
            let mut count = conn.prepare_cached(
                "SELECT COUNT(*) FROM messages
                 WHERE organization_id = ?1 AND created_at >= ?2 AND created_at < ?3
                   AND role <> 'note' AND (?4 IS NULL OR (role = 'operator' AND author_id = ?4))",
            )?;
            let mut counts = Vec::with_capacity(edges.len().saturating_sub(1));
            for span in edges.windows(2) {
                let n: i64 = count
                    .query_row(params![organization, span[0], span[1], author], |r| {
                        r.get(0)
                    })?;
                counts.push(n.max(0) as u64);
            }
            Ok(counts)
        })
        .await
    }

    async fn messages_by_author(
        &self,
        organization: OrganizationId,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<(OperatorId, u64)>> {
        self.read(move |conn| {
            query_all(
                conn,
                "SELECT author_id, COUNT(*) FROM messages
                 WHERE organization_id = ?1 AND created_at >= ?2 AND created_at < ?3
                   AND role = 'operator' AND author_id IS NOT NULL
                 GROUP BY author_id",
                params![organization, from, to],
                |row| Ok((row.col(0)?, row.col::<i64>(1)?.max(0) as u64)),
            )
        })
        .await
    }

    async fn export_page(
        &self,
        organization: OrganizationId,
        from: i64,
        to: i64,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<ExportRow>> {
        self.read(move |conn| {
            query_all(
                conn,
                &reports::export_sql('?', LABELS),
                params![organization, from, to, after, limit],
                |row| reports::export_row(row),
            )
        })
        .await
    }
}
