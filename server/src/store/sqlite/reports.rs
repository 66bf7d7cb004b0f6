//! Reports and exports on SQLite.

use async_trait::async_trait;
use echo_protocol::{OperatorId, OrganizationId};
use rusqlite::params;

use super::{query_all, SqliteStore};
use crate::store::reports::{self, ExportRow, ReportRow, ReportStore};
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
