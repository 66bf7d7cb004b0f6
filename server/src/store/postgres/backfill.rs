//! Rows written before search existed (migration 0010) have no tsvector:
//! the server folds their text after it starts, a small batch per
//! transaction so no lock is held long, and replicas that start together
//! share the work (`SKIP LOCKED`) instead of repeating it.

use sqlx::{AssertSqlSafe, PgPool, Row};

const BATCH: i64 = 500;

/// Indexes every message and conversation still without a tsvector.
pub(super) async fn search_index(pool: PgPool) {
    let mut done = 0u64;
    loop {
        match batch(&pool).await {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) => {
                tracing::warn!(error = %e, "indexing older rows for search stopped; it resumes at the next start");
                return;
            }
        }
    }
    if done > 0 {
        tracing::info!(rows = done, "older rows indexed for search");
    }
}

/// Each indexed table: the rows still to do (`seq`, `text`) and its
/// table's name.
const TABLES: [(&str, &str); 2] = [
    (
        "SELECT seq, text FROM messages WHERE search IS NULL
         LIMIT $1 FOR UPDATE SKIP LOCKED",
        "messages",
    ),
    (
        "SELECT c.seq, s.name || ' ' || s.email AS text
         FROM conversations c JOIN contact_sessions s ON s.id_hash = c.contact_session_hash
         WHERE c.search IS NULL LIMIT $1 FOR UPDATE OF c SKIP LOCKED",
        "conversations",
    ),
];

async fn batch(pool: &PgPool) -> sqlx::Result<u64> {
    let mut tx = pool.begin().await?;
    let mut indexed = 0;
    for (pending, table) in TABLES {
        let rows = sqlx::query(pending).bind(BATCH).fetch_all(&mut *tx).await?;
        let (seqs, texts) = folded(&rows)?;
        let update = format!(
            "UPDATE {table} t SET search = to_tsvector('simple', u.text)
             FROM unnest($1::bigint[], $2::text[]) AS u(seq, text) WHERE t.seq = u.seq"
        );
        sqlx::query(AssertSqlSafe(update))
            .bind(&seqs)
            .bind(&texts)
            .execute(&mut *tx)
            .await?;
        indexed += seqs.len() as u64;
    }
    tx.commit().await?;
    Ok(indexed)
}

fn folded(rows: &[sqlx::postgres::PgRow]) -> sqlx::Result<(Vec<i64>, Vec<String>)> {
    let mut seqs = Vec::with_capacity(rows.len());
    let mut texts = Vec::with_capacity(rows.len());
    for row in rows {
        seqs.push(row.try_get::<i64, _>("seq")?);
        texts.push(crate::search::index_text(
            &row.try_get::<String, _>("text")?,
        ));
    }
    Ok((seqs, texts))
}
