//! Search entries a write adds wait here until every job of its group
//! commit is done, then go into the index in the same transaction, just
//! before it commits. FTS5 writes out what it holds at every savepoint,
//! and the writer wraps each job in one: written inside the jobs, each
//! message made a segment of its own, which doubled what indexing cost
//! (30.6 against 16.7 microseconds a message, measured without the
//! server).
//!
//! Only the writer thread runs jobs, so the queue is that thread's own.

use std::cell::RefCell;

use rusqlite::{params, Connection};

thread_local! {
    static PENDING: RefCell<Vec<(i64, String)>> = const { RefCell::new(Vec::new()) };
}

/// Queues an index entry (`rowid`, its scoped words) for this commit.
pub(super) fn add(rowid: i64, body: String) {
    PENDING.with(|p| p.borrow_mut().push((rowid, body)));
}

/// Where the queue stands before a job runs.
pub(super) fn mark() -> usize {
    PENDING.with(|p| p.borrow().len())
}

/// A job rolled back: the entries it queued go with it.
pub(super) fn discard_after(mark: usize) {
    PENDING.with(|p| p.borrow_mut().truncate(mark));
}

/// Writes every queued entry (the queue is empty afterwards, whatever
/// happens).
pub(super) fn flush(conn: &Connection) -> rusqlite::Result<()> {
    let pending = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
    if pending.is_empty() {
        return Ok(());
    }
    let mut insert =
        conn.prepare_cached("INSERT INTO search_index (rowid, body) VALUES (?1, ?2)")?;
    for (rowid, body) in pending {
        insert.execute(params![rowid, body])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rolled_back_job_leaves_nothing_and_a_flush_writes_the_rest_once() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE VIRTUAL TABLE search_index USING fts5(body, content = '', contentless_delete = 1)",
        )
        .unwrap();
        add(1, "okept".into());
        let before_failed_job = mark();
        add(2, "ogone".into());
        discard_after(before_failed_job);
        add(3, "okept".into());
        flush(&conn).unwrap();
        flush(&conn).unwrap();
        let found: Vec<i64> = conn
            .prepare("SELECT rowid FROM search_index WHERE search_index MATCH ?1 ORDER BY rowid")
            .unwrap()
            .query_map(["okept OR ogone"], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(found, [1, 3]);
        assert_eq!(mark(), 0);
    }
}
