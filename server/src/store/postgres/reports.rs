//! Reports and exports on PostgreSQL.

use async_trait::async_trait;
use echo_protocol::{OperatorId, OrganizationId};
use sqlx::AssertSqlSafe;

use super::PostgresStore;
use crate::store::reports::{self, ExportRow, ReportRow, ReportStore};
use crate::store::StoreResult;

const LABELS: &str = "(SELECT string_agg(l.name, '; ' ORDER BY l.name_key)
      FROM conversation_labels cl JOIN labels l ON l.id = cl.label_id
      WHERE cl.conversation_id = c.id)";

#[async_trait]
impl ReportStore for PostgresStore {
    async fn report_rows(
        &self,
        organization: OrganizationId,
        assignee: Option<OperatorId>,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<ReportRow>> {
        sqlx::query(AssertSqlSafe(reports::report_rows_sql('$')))
            .bind(organization)
            .bind(from)
            .bind(to)
            .bind(assignee)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| reports::report_row(row, 0))
            .collect()
    }

    async fn export_page(
        &self,
        organization: OrganizationId,
        from: i64,
        to: i64,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<ExportRow>> {
        sqlx::query(AssertSqlSafe(reports::export_sql('$', LABELS)))
            .bind(organization)
            .bind(from)
            .bind(to)
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(reports::export_row)
            .collect()
    }
}
