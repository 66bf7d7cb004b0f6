//! Rows written before search existed (migration 0013) are indexed by the
//! server after it starts: the index's tokens carry the organization
//! (`search::scoped_index_text`), written in Rust, so SQL alone cannot
//! fill it. Newest rows first, a small batch per write, through the one
//! writer like every other write, so nothing waits long behind it.

use rusqlite::{params, Connection};
use tokio::sync::mpsc;

use super::{query_all, Completion, Job};
use crate::search::{scope_token, scoped_index_text};
use crate::store::rows::Row;
use crate::store::StoreResult;
use echo_protocol::OrganizationId;

const BATCH: i64 = 500;

/// Works through the backlog on a thread of its own; returns at once.
pub(super) fn spawn(writer: mpsc::Sender<Job>) {
    let started = std::thread::Builder::new()
        .name("search-backfill".into())
        .spawn(move || {
            let mut done = 0u64;
            loop {
                let (tell, told) = std::sync::mpsc::channel();
                let job: Job = Box::new(move |conn| {
                    let result = batch(conn);
                    let ok = result.is_ok();
                    let completion: Completion = Box::new(move |commit| {
                        let outcome = match (result, commit) {
                            (Ok(n), Ok(())) => Ok(n),
                            (Ok(_), Err(e)) => Err(e),
                            (Err(e), _) => Err(e.to_string()),
                        };
                        let _ = tell.send(outcome);
                    });
                    (ok, completion)
                });
                if writer.blocking_send(job).is_err() {
                    return;
                }
                match told.recv() {
                    Ok(Ok(0)) => break,
                    Ok(Ok(n)) => done += n,
                    Ok(Err(error)) => {
                        tracing::warn!(%error, "indexing older rows for search stopped; it resumes at the next start");
                        return;
                    }
                    Err(_) => return,
                }
            }
            if done > 0 {
                tracing::info!(rows = done, "older rows indexed for search");
            }
        });
    if let Err(error) = started {
        tracing::warn!(%error, "could not start indexing older rows for search");
    }
}

/// Each indexed kind: its progress column, the rows still to do (`seq`,
/// text, organization) from the highest, and its rowid's sign.
const KINDS: [(&str, &str, i64); 2] = [
    (
        "messages_through",
        "SELECT m.seq, m.text, c.organization_id FROM messages m
         JOIN conversations c ON c.id = m.conversation_id
         WHERE m.seq <= ?1 ORDER BY m.seq DESC LIMIT ?2",
        1,
    ),
    (
        "conversations_through",
        "SELECT c.seq, s.name || ' ' || s.email, c.organization_id FROM conversations c
         JOIN contact_sessions s ON s.id_hash = c.contact_session_hash
         WHERE c.seq <= ?1 ORDER BY c.seq DESC LIMIT ?2",
        -1,
    ),
];

/// Indexes the next batch; how many rows it indexed (0: none are left).
fn batch(conn: &Connection) -> StoreResult<u64> {
    let mut indexed = 0;
    for (progress, pending, sign) in KINDS {
        let through: i64 = conn.query_row(
            &format!("SELECT {progress} FROM search_backfill"),
            [],
            |r| r.get(0),
        )?;
        if through <= 0 {
            continue;
        }
        let rows = query_all(conn, pending, params![through, BATCH], |row| {
            Ok((
                row.col::<i64>(0)?,
                row.col::<String>(1)?,
                row.col::<OrganizationId>(2)?,
            ))
        })?;
        let lowest = index(conn, &rows, sign)?;
        conn.execute(
            &format!("UPDATE search_backfill SET {progress} = ?1"),
            [lowest.map_or(0, |seq| seq - 1)],
        )?;
        indexed += rows.len() as u64;
    }
    Ok(indexed)
}

/// Writes the rows' entries (rowid `sign * seq`); the lowest seq written.
fn index(
    conn: &Connection,
    rows: &[(i64, String, OrganizationId)],
    sign: i64,
) -> StoreResult<Option<i64>> {
    let mut insert =
        conn.prepare_cached("INSERT INTO search_index (rowid, body) VALUES (?1, ?2)")?;
    for (seq, text, organization) in rows {
        insert.execute(params![
            sign * seq,
            scoped_index_text(&scope_token(*organization), text)
        ])?;
    }
    Ok(rows.last().map(|(seq, _, _)| *seq))
}
