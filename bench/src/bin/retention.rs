//! `cargo run --release -p echo-bench --bin retention`: retention under load.
//!
//! On SQLite and on PostgreSQL (a throwaway cluster), in one run: starts
//! the real server, gives one organization a backlog of
//! `ECHO_BENCH_OLD` conversations (default 20,000) of ten messages each,
//! resolved 100 days ago, and a 30-day retention; then drives echo-bench's
//! message load (64 visitors of another organization) for a phase with
//! nothing else running, and for a phase while the server's retention job
//! (paced, as it runs in the background) deletes the backlog. Prints both phases' throughput and p99, their ratio, and
//! how fast retention deleted. The target: the message load does not drop
//! (ratio >= 0.9).
//!
//! The backlog is written straight into the database as the stores write
//! it: sessions, conversations, messages with their search entries (FTS5
//! rows; PostgreSQL's `tsvector`), and on SQLite their live events.
//! `ECHO_BENCH_SECS` sets each phase's length (default 5).

use echo_bench::{env_or, now_ms};
use std::time::{Duration, Instant};

use anyhow::Context;
use echo_protocol::OrganizationId;
use echo_server::clock::Clock;
use echo_server::startup::Application;
use echo_server::store::Store;

const MESSAGES_PER_CONVERSATION: usize = 10;
const TEXT: &str = "An old question about my order and its delivery";
const DAY_MS: i64 = 86_400_000;

struct Running {
    base: String,
    store: std::sync::Arc<dyn Store>,
    load_org: OrganizationId,
    old_org: OrganizationId,
}

async fn start(url: &str) -> anyhow::Result<Running> {
    let config = echo_bench::server_config(url);
    let app = Application::build(config).await?;
    let store = app.context().store.clone();
    let clock = Clock::system();
    let load = echo_server::admin::create_organization(store.as_ref(), &clock, "Load").await?;
    let old = echo_server::admin::create_organization(store.as_ref(), &clock, "Old").await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until(std::future::pending()));
    Ok(Running {
        base,
        store,
        load_org: load.organization_id,
        old_org: old.organization_id,
    })
}

fn seed_sqlite(path: &std::path::Path, org: OrganizationId, count: usize) -> anyhow::Result<()> {
    let mut conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(30))?;
    let at = now_ms() - 100 * DAY_MS;
    let body = echo_server::search::scoped_index_text(&echo_server::search::scope_token(org), TEXT);
    let tx = conn.transaction()?;
    let numbers =
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?3)";
    tx.execute(
        &format!(
            "{numbers} INSERT INTO contact_sessions
                 (id_hash, organization_id, name, email, metadata, created_at, expires_at)
             SELECT printf('old%061d', i), ?1, 'Old visitor', printf('old%d@example.com', i),
                    '{{}}', ?2, ?2 FROM n"
        ),
        rusqlite::params![org.to_string(), at, count as i64],
    )?;
    tx.execute(
        &format!(
            "{numbers} INSERT INTO conversations
                 (id, organization_id, contact_session_hash, status, created_at, last_activity_at)
             SELECT printf('%08x-0000-4000-8000-%012x', i, i), ?1, printf('old%061d', i),
                    'resolved', ?2, ?2 FROM n"
        ),
        rusqlite::params![org.to_string(), at, count as i64],
    )?;
    for j in 0..MESSAGES_PER_CONVERSATION {
        tx.execute(
            &format!(
                "{numbers} INSERT INTO messages (id, conversation_id, role, text, created_at)
                 SELECT printf('%08x-%04x-4000-9000-%012x', i, ?4, i),
                        printf('%08x-0000-4000-8000-%012x', i, i), 'visitor', ?5, ?2 FROM n"
            ),
            rusqlite::params![org.to_string(), at, count as i64, j as i64, TEXT],
        )?;
    }
    let old = "SELECT id FROM conversations WHERE organization_id = ?1";
    tx.execute(
        &format!(
            "INSERT INTO search_index (rowid, body)
             SELECT seq, ?2 FROM messages WHERE conversation_id IN ({old})"
        ),
        rusqlite::params![org.to_string(), body],
    )?;
    tx.execute(
        &format!(
            "INSERT INTO events (organization_id, conversation_id, payload, created_at)
             SELECT ?1, conversation_id, '{{}}', created_at FROM messages
             WHERE conversation_id IN ({old})"
        ),
        rusqlite::params![org.to_string()],
    )?;
    tx.commit()?;
    Ok(())
}

async fn seed_postgres(url: &str, org: OrganizationId, count: usize) -> anyhow::Result<()> {
    let pool = sqlx::PgPool::connect(url).await?;
    let at = now_ms() - 100 * DAY_MS;
    let org = org.to_string();
    sqlx::query(
        "INSERT INTO contact_sessions
             (id_hash, organization_id, name, email, metadata, created_at, expires_at)
         SELECT 'old' || lpad(i::text, 61, '0'), $1, 'Old visitor', 'old' || i || '@example.com',
                '{}', $2, $2 FROM generate_series(0, $3 - 1) AS i",
    )
    .bind(&org)
    .bind(at)
    .bind(count as i64)
    .execute(&pool)
    .await?;
    sqlx::query(
        "INSERT INTO conversations
             (id, organization_id, contact_session_hash, status, created_at, last_activity_at)
         SELECT lpad(to_hex(i), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(i), 12, '0'), $1,
                'old' || lpad(i::text, 61, '0'), 'resolved', $2, $2
         FROM generate_series(0, $3 - 1) AS i",
    )
    .bind(&org)
    .bind(at)
    .bind(count as i64)
    .execute(&pool)
    .await?;
    sqlx::query(
        "INSERT INTO messages (id, conversation_id, role, text, created_at, search)
         SELECT lpad(to_hex(i), 8, '0') || '-' || lpad(to_hex(j), 4, '0') || '-4000-9000-'
                    || lpad(to_hex(i), 12, '0'),
                lpad(to_hex(i), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(i), 12, '0'),
                'visitor', $3, $2, to_tsvector('simple', $3)
         FROM generate_series(0, $1 - 1) AS i, generate_series(0, $4 - 1) AS j",
    )
    .bind(count as i64)
    .bind(at)
    .bind(TEXT)
    .bind(MESSAGES_PER_CONVERSATION as i64)
    .execute(&pool)
    .await?;
    pool.close().await;
    Ok(())
}

struct Figures {
    alone: (f64, f64, f64),
    during: (f64, f64, f64),
    deleted_in_phase: u64,
    deleted_per_sec: f64,
    finished_in: Option<Duration>,
}

/// The load alone, then the load while the server's retention job (as it
/// runs in the background, paced) works through the backlog. `left`
/// counts the backlog still there.
async fn measure<F, Fut>(running: &Running, phase: Duration, left: F) -> anyhow::Result<Figures>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<u64>>,
{
    let bases = [running.base.clone()];
    let alone = echo_bench::drive(&bases, &[running.load_org], phase).await?;
    running
        .store
        .set_security(
            running.old_org,
            echo_protocol::trust::UpdateOrganization {
                retention_days: Some(Some(30)),
                ..Default::default()
            },
        )
        .await?;
    let backlog = left().await?;
    let store = running.store.clone();
    let began = Instant::now();
    let job = tokio::spawn(async move {
        let deleted = echo_server::retention::run_once(store.as_ref(), &Clock::system()).await?;
        anyhow::Ok((deleted, began.elapsed()))
    });
    let during = echo_bench::drive(&bases, &[running.load_org], phase).await?;
    let ended_with_phase = began.elapsed();
    let deleted_in_phase = backlog - left().await?;
    let (deleted, took) = job.await??;
    Ok(Figures {
        alone,
        during,
        deleted_in_phase,
        deleted_per_sec: deleted as f64 / took.as_secs_f64(),
        finished_in: (took <= ended_with_phase).then_some(took),
    })
}

fn report(store: &str, figures: &Figures) {
    let ratio = figures.during.0 / figures.alone.0;
    println!("{store}");
    println!(
        "    message load alone        {:>7.0} msg/s  p50 {:>6.2} ms  p99 {:>6.2} ms",
        figures.alone.0, figures.alone.1, figures.alone.2
    );
    println!(
        "    while retention deletes   {:>7.0} msg/s  p50 {:>6.2} ms  p99 {:>6.2} ms",
        figures.during.0, figures.during.1, figures.during.2
    );
    println!(
        "    ratio {ratio:.2} (target >= 0.9); retention deleted {:.0} conversations/s ({} by the phase's end{})",
        figures.deleted_per_sec,
        figures.deleted_in_phase,
        figures
            .finished_in
            .map(|t| format!(", the whole backlog in {:.1} s, within the phase", t.as_secs_f64()))
            .unwrap_or_default()
    );
}

fn main() -> anyhow::Result<()> {
    let phase = Duration::from_secs(env_or("ECHO_BENCH_SECS", 5));
    let old: usize = env_or("ECHO_BENCH_OLD", 20_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    std::fs::create_dir_all("target")?;
    let dir = tempfile::tempdir_in("target")?;
    println!(
        "echo-bench retention: {old} old conversations of {MESSAGES_PER_CONVERSATION} messages, {} s phases",
        phase.as_secs()
    );

    let path = dir.path().join("retention.db");
    let sqlite = runtime.block_on(async {
        let running = start(&format!("sqlite://{}", path.display())).await?;
        seed_sqlite(&path, running.old_org, old).context("seeding SQLite")?;
        let org = running.old_org.to_string();
        let left = || {
            let (path, org) = (path.clone(), org.clone());
            async move {
                let conn = rusqlite::Connection::open(&path)?;
                conn.busy_timeout(Duration::from_secs(30))?;
                let n: i64 = conn.query_row(
                    "SELECT COUNT(*) FROM conversations WHERE organization_id = ?1",
                    [&org],
                    |row| row.get(0),
                )?;
                anyhow::Ok(n as u64)
            }
        };
        measure(&running, phase, left).await
    })?;
    report("SQLite", &sqlite);

    let cluster = echo_bench::postgres::Cluster::start()?;
    let postgres = runtime.block_on(async {
        let url = cluster.database("bench_retention").await?;
        let running = start(&url).await?;
        seed_postgres(&url, running.old_org, old)
            .await
            .context("seeding PostgreSQL")?;
        let pool = sqlx::PgPool::connect(&url).await?;
        let org = running.old_org.to_string();
        let left = || {
            let (pool, org) = (pool.clone(), org.clone());
            async move {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM conversations WHERE organization_id = $1",
                )
                .bind(org)
                .fetch_one(&pool)
                .await?;
                anyhow::Ok(n as u64)
            }
        };
        measure(&running, phase, left).await
    })?;
    report("PostgreSQL", &postgres);
    Ok(())
}
