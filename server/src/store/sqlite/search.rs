//! Search (SQLite's FTS5, see `migrations/sqlite/0013_desk.sql`) and the
//! visitor's record, on SQLite.

use echo_protocol::validate::BrowserMetadata;
use echo_protocol::{ConversationId, OrganizationId, Timestamp};
use rusqlite::{params, Connection};

use super::conversations::LAST_MESSAGE;
use super::{query_all, query_first};
use crate::store::desk::{Search, SearchRow, VisitorRecord, SEARCH_WINDOW, VISITOR_CONVERSATIONS};
use crate::store::desk_rows;
use crate::store::rows::{self, Row};
use crate::store::StoreResult;

/// The organization's hits, best first (`bm25`): messages (rowid > 0)
/// and visitors (rowid < 0), each under the inbox's filters. A common
/// word can match a large part of an organization's history: the ranking
/// is among the newest [`SEARCH_WINDOW`] matches of each kind (read from
/// the index newest first, so a search costs about the same however much
/// history there is).
pub(super) fn search(
    conn: &Connection,
    organization: OrganizationId,
    search: &Search,
) -> StoreResult<Vec<SearchRow>> {
    let (condition, p) = rows::inbox_condition(&search.filter, '?', 6, "c");
    // CROSS JOIN keeps the index as the outer loop, read in rowid order,
    // so the LIMIT ends the scan.
    let sql = format!(
        "SELECT * FROM (
             SELECT * FROM (
                 SELECT c.id, m.id, m.text, s.name, c.status, m.created_at, f.rank AS rank
                 FROM search_index f
                 CROSS JOIN messages m ON m.seq = f.rowid
                 CROSS JOIN conversations c ON c.id = m.conversation_id
                 CROSS JOIN contact_sessions s ON s.id_hash = c.contact_session_hash
                 WHERE search_index MATCH ?1 AND f.rowid > 0 AND c.organization_id = ?2
                   AND {condition}
                 ORDER BY f.rowid DESC LIMIT ?5
             )
             UNION ALL
             SELECT * FROM (
                 SELECT c.id, NULL, s.name || ' ' || s.email, s.name, c.status, c.created_at,
                        f.rank
                 FROM search_index f
                 CROSS JOIN conversations c ON c.seq = -f.rowid
                 CROSS JOIN contact_sessions s ON s.id_hash = c.contact_session_hash
                 WHERE search_index MATCH ?1 AND f.rowid < 0 AND c.organization_id = ?2
                   AND {condition}
                 ORDER BY f.rowid ASC LIMIT ?5
             )
         ) ORDER BY 7, 6 DESC LIMIT ?3 OFFSET ?4"
    );
    let query = search
        .query
        .fts5_in(&crate::search::scope_token(organization));
    query_all(
        conn,
        &sql,
        params![
            query,
            organization,
            search.limit + 1,
            search.offset,
            SEARCH_WINDOW,
            p.status,
            p.operator,
            p.label
        ],
        |row| desk_rows::search_row(row),
    )
}

/// The conversation's visitor: their browser's metadata, verified user
/// ID, first visit and other conversations.
pub(super) fn visitor_record(
    conn: &Connection,
    organization: OrganizationId,
    conversation: ConversationId,
) -> StoreResult<Option<VisitorRecord>> {
    let header = query_first(
        conn,
        "SELECT s.metadata, c.visitor_user_id, c.contact_session_hash, s.email
         FROM conversations c JOIN contact_sessions s ON s.id_hash = c.contact_session_hash
         WHERE c.id = ?1 AND c.organization_id = ?2",
        params![conversation, organization],
        |row| {
            Ok((
                row.col::<String>(0)?,
                row.col::<Option<String>>(1)?,
                row.col::<String>(2)?,
                row.col::<String>(3)?,
            ))
        },
    )?;
    let Some((metadata, user_id, session, email)) = header else {
        return Ok(None);
    };
    let metadata: BrowserMetadata = serde_json::from_str(&metadata)
        .map_err(|e| anyhow::anyhow!("stored metadata is not JSON: {e}"))?;
    let first_seen_at: Timestamp = conn
        .prepare_cached(
            "SELECT MIN(created_at) FROM conversations c
             WHERE c.organization_id = ?1
               AND ((?2 IS NOT NULL AND c.visitor_user_id = ?2)
                    OR (?2 IS NULL AND c.contact_session_hash = ?3))",
        )?
        .query_row(params![organization, user_id, session], |row| row.get(0))?;
    let columns = "c.id, c.status, c.created_at, m.role, m.text, m.created_at";
    let conversations = query_all(
        conn,
        &format!(
            "SELECT * FROM (
                 SELECT {columns}, 'user' FROM conversations c {LAST_MESSAGE}
                 WHERE c.organization_id = ?1 AND ?2 IS NOT NULL AND c.visitor_user_id = ?2
                   AND c.id <> ?4
                 UNION ALL
                 SELECT {columns}, 'session' FROM conversations c {LAST_MESSAGE}
                 WHERE c.organization_id = ?1 AND ?2 IS NULL AND c.contact_session_hash = ?3
                   AND c.id <> ?4
                 UNION ALL
                 SELECT {columns}, 'email' FROM contact_sessions s
                 JOIN conversations c ON c.contact_session_hash = s.id_hash {LAST_MESSAGE}
                 WHERE s.organization_id = ?1 AND ?2 IS NULL AND ?5 <> ''
                   AND lower(s.email) = lower(?5) AND s.email <> '' AND s.id_hash <> ?3
             ) ORDER BY 3 DESC LIMIT ?6"
        ),
        params![
            organization,
            user_id,
            session,
            conversation,
            email,
            VISITOR_CONVERSATIONS
        ],
        |row| desk_rows::visitor_conversation(row),
    )?;
    Ok(Some(VisitorRecord {
        metadata,
        user_id,
        first_seen_at,
        conversations,
    }))
}
