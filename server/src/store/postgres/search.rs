//! Search (tsvector with GIN indexes, see
//! `migrations/postgres/0010_desk.sql`) and the visitor's record, on
//! PostgreSQL. The server folds text (lowercase, no accents) before
//! PostgreSQL's `simple` configuration sees it, so both stores match alike.

use echo_protocol::validate::BrowserMetadata;
use echo_protocol::{ConversationId, OrganizationId, Timestamp};
use sqlx::{AssertSqlSafe, PgPool};

use super::conversations::LAST_MESSAGE;
use crate::store::desk::{Search, SearchRow, VisitorRecord, SEARCH_WINDOW, VISITOR_CONVERSATIONS};
use crate::store::desk_rows;
use crate::store::rows;
use crate::store::StoreResult;

/// Above this many matching messages (the planner's estimate) a word is
/// common: its newest matches are found by walking the newest messages;
/// below it, through the GIN index.
const COMMON: f64 = 20_000.0;

/// The organization's hits, best first (`ts_rank`): messages and
/// visitors, each under the inbox's filters, ranked among the newest
/// [`SEARCH_WINDOW`] matches of each kind (a common word's older matches
/// are not read).
pub(super) async fn search(
    pool: &PgPool,
    organization: OrganizationId,
    search: &Search,
) -> StoreResult<Vec<SearchRow>> {
    let tsquery = search.query.tsquery();
    // Left to itself the planner walks the newest messages for a rare word
    // too (it cannot know how rare a word missing from its statistics is):
    // its own estimate of the matches decides the path instead.
    let plan: sqlx::types::Json<serde_json::Value> = sqlx::query_scalar(
        "EXPLAIN (FORMAT JSON) SELECT 1 FROM messages WHERE search @@ to_tsquery('simple', $1)",
    )
    .bind(&tsquery)
    .fetch_one(pool)
    .await?;
    let estimate = plan.0[0]["Plan"]["Plan Rows"].as_f64().unwrap_or(f64::MAX);
    // OFFSET 0 keeps the rare word's GIN lookup a step of its own.
    let (matching, matches) = if estimate > COMMON {
        ("messages m", "m.search @@ to_tsquery('simple', $1) AND")
    } else {
        (
            "(SELECT m.seq, m.conversation_id FROM messages m, to_tsquery('simple', $1) q
              WHERE m.search @@ q OFFSET 0) m",
            "",
        )
    };
    let (condition, p) = rows::inbox_condition(&search.filter, '$', 6, "c");
    let sql = format!(
        "SELECT * FROM (
             (SELECT c.id, m.id AS message_id, m.text, s.name, c.status, m.created_at,
                     ts_rank(m.search, q) AS rank
              FROM (SELECT m.seq FROM {matching}
                    JOIN conversations c ON c.id = m.conversation_id
                    WHERE {matches} c.organization_id = $2 AND {condition}
                    ORDER BY m.seq DESC LIMIT $5) recent
              JOIN messages m ON m.seq = recent.seq
              JOIN conversations c ON c.id = m.conversation_id
              JOIN contact_sessions s ON s.id_hash = c.contact_session_hash,
              to_tsquery('simple', $1) q)
             UNION ALL
             (SELECT c.id, NULL, s.name || ' ' || s.email, s.name, c.status, c.created_at,
                     ts_rank(c.search, q)
              FROM to_tsquery('simple', $1) q, conversations c
              JOIN contact_sessions s ON s.id_hash = c.contact_session_hash
              WHERE c.search @@ q AND c.organization_id = $2 AND {condition}
              ORDER BY c.seq DESC LIMIT $5)
         ) hits ORDER BY rank DESC, 6 DESC LIMIT $3 OFFSET $4"
    );
    sqlx::query(AssertSqlSafe(sql))
        .bind(&tsquery)
        .bind(organization)
        .bind(i64::from(search.limit) + 1)
        .bind(i64::from(search.offset))
        .bind(i64::from(SEARCH_WINDOW))
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
