//! Reports and exports on PostgreSQL.

use async_trait::async_trait;
use echo_protocol::{OperatorId, OrganizationId};
use sqlx::AssertSqlSafe;

use super::PostgresStore;
use crate::store::reports::{self, ExportRow, ReportRow, ReportStore};
use crate::store::rows::Row;
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

    async fn message_counts(
        &self,
        organization: OrganizationId,
        author: Option<OperatorId>,
        edges: Vec<i64>,
    ) -> StoreResult<Vec<u64>> {
        let spans = edges.len().saturating_sub(1);
        let (Some(first), Some(last)) = (edges.first().copied(), edges.last().copied()) else {
            return Ok(Vec::new());
        };
        // One scan of the range, each message put in its span.
        let rows: Vec<(i32, i64)> = sqlx::query_as(
            "SELECT width_bucket(created_at, $2::bigint[]), COUNT(*) FROM messages
             WHERE organization_id = $1 AND created_at >= $3 AND created_at < $4
               AND role <> 'note' AND ($5::text IS NULL OR (role = 'operator' AND author_id = $5))
             GROUP BY 1",
        )
        .bind(organization)
        .bind(&edges)
        .bind(first)
        .bind(last)
        .bind(author)
        .fetch_all(&self.pool)
        .await?;
        let mut counts = vec![0u64; spans];
        for (bucket, n) in rows {
            // Bucket i (from 1) is [edges[i-1], edges[i]).
            if let Some(slot) = usize::try_from(bucket - 1)
                .ok()
                .and_then(|i| counts.get_mut(i))
            {
                *slot = n.max(0) as u64;
            }
        }
        Ok(counts)
    }

    async fn messages_by_author(
        &self,
        organization: OrganizationId,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<(OperatorId, u64)>> {
        sqlx::query(
            "SELECT author_id, COUNT(*) FROM messages
             WHERE organization_id = $1 AND created_at >= $2 AND created_at < $3
               AND role = 'operator' AND author_id IS NOT NULL
             GROUP BY author_id",
        )
        .bind(organization)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| Ok((row.col(0)?, row.col::<i64>(1)?.max(0) as u64)))
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
