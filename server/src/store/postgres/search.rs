//! Search (tsvector with GIN indexes, see
//! `migrations/postgres/0010_desk.sql`) and the visitor's record, on
//! PostgreSQL. The server folds text (lowercase, no accents) before
//! PostgreSQL's `simple` configuration sees it, so both stores match alike.

use echo_protocol::validate::BrowserMetadata;
use echo_protocol::{ConversationId, OrganizationId, Timestamp};
use sqlx::{AssertSqlSafe, PgPool};

use super::conversations::LAST_MESSAGE;
use crate::store::desk::{Search, SearchRow, VisitorRecord, VISITOR_CONVERSATIONS};
use crate::store::desk_rows;
use crate::store::rows;
use crate::store::StoreResult;

/// The organization's hits, best first (`ts_rank`): messages and
/// visitors, each under the inbox's filters.
pub(super) async fn search(
    pool: &PgPool,
    organization: OrganizationId,
    search: &Search,
) -> StoreResult<Vec<SearchRow>> {
    let (condition, p) = rows::inbox_condition(&search.filter, '$', 5);
    let sql = format!(
        "SELECT * FROM (
             SELECT c.id, m.id AS message_id, m.text, s.name, c.status, m.created_at,
                    ts_rank(m.search, q) AS rank
             FROM to_tsquery('simple', $1) q, messages m
             JOIN conversations c ON c.id = m.conversation_id
             JOIN contact_sessions s ON s.id_hash = c.contact_session_hash
             WHERE m.search @@ q AND c.organization_id = $2 AND {condition}
             UNION ALL
             SELECT c.id, NULL, s.name || ' ' || s.email, s.name, c.status, c.created_at,
                    ts_rank(c.search, q)
             FROM to_tsquery('simple', $1) q, conversations c
             JOIN contact_sessions s ON s.id_hash = c.contact_session_hash
             WHERE c.search @@ q AND c.organization_id = $2 AND {condition}
         ) hits ORDER BY rank DESC, 6 DESC LIMIT $3 OFFSET $4"
    );
    sqlx::query(AssertSqlSafe(sql))
        .bind(search.query.tsquery())
        .bind(organization)
        .bind(i64::from(search.limit) + 1)
        .bind(i64::from(search.offset))
        .bind(p.status)
        .bind(p.operator)
        .bind(p.label)
        .fetch_all(pool)
        .await?
        .iter()
        .map(desk_rows::search_row)
        .collect()
}

/// The conversation's visitor: their browser's metadata, verified user
/// ID, first visit and other conversations.
pub(super) async fn visitor_record(
    pool: &PgPool,
    organization: OrganizationId,
    conversation: ConversationId,
) -> StoreResult<Option<VisitorRecord>> {
    let header: Option<(String, Option<String>, String, String)> = sqlx::query_as(
        "SELECT s.metadata, c.visitor_user_id, c.contact_session_hash, s.email
         FROM conversations c JOIN contact_sessions s ON s.id_hash = c.contact_session_hash
         WHERE c.id = $1 AND c.organization_id = $2",
    )
    .bind(conversation)
    .bind(organization)
    .fetch_optional(pool)
    .await?;
    let Some((metadata, user_id, session, email)) = header else {
        return Ok(None);
    };
    let metadata: BrowserMetadata = serde_json::from_str(&metadata)
        .map_err(|e| anyhow::anyhow!("stored metadata is not JSON: {e}"))?;
    let first_seen_at: Timestamp = sqlx::query_scalar(
        "SELECT MIN(created_at) FROM conversations c
         WHERE c.organization_id = $1
           AND (($2::text IS NOT NULL AND c.visitor_user_id = $2)
                OR ($2::text IS NULL AND c.contact_session_hash = $3))",
    )
    .bind(organization)
    .bind(&user_id)
    .bind(&session)
    .fetch_one(pool)
    .await?;
    let columns = "c.id, c.status, c.created_at, m.role, m.text, m.created_at";
    let sql = format!(
        "SELECT * FROM (
             SELECT {columns}, 'user' FROM conversations c {LAST_MESSAGE}
             WHERE c.organization_id = $1 AND $2::text IS NOT NULL AND c.visitor_user_id = $2
               AND c.id <> $4
             UNION ALL
             SELECT {columns}, 'session' FROM conversations c {LAST_MESSAGE}
             WHERE c.organization_id = $1 AND $2::text IS NULL AND c.contact_session_hash = $3
               AND c.id <> $4
             UNION ALL
             SELECT {columns}, 'email' FROM contact_sessions s
             JOIN conversations c ON c.contact_session_hash = s.id_hash {LAST_MESSAGE}
             WHERE s.organization_id = $1 AND $2::text IS NULL AND $5 <> ''
               AND lower(s.email) = lower($5) AND s.email <> '' AND s.id_hash <> $3
         ) others ORDER BY 3 DESC LIMIT $6"
    );
    let conversations = sqlx::query(AssertSqlSafe(sql))
        .bind(organization)
        .bind(&user_id)
        .bind(&session)
        .bind(conversation)
        .bind(&email)
        .bind(i64::from(VISITOR_CONVERSATIONS))
        .fetch_all(pool)
        .await?
        .iter()
        .map(desk_rows::visitor_conversation)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Some(VisitorRecord {
        metadata,
        user_id,
        first_seen_at,
        conversations,
    }))
}
