//! `cargo run --release -p echo-bench`: what the server's group commit buys.
//!
//! Prints, in one run on the same disk:
//! (a) the raw limit: SQLite single-row inserts with `synchronous=FULL`, one
//!     commit each, and the same rows in 100-row commits;
//! (b) the server: visitor messages per second and p50/p99 latency with 64
//!     concurrent visitors over loopback;
//! (c) (b) as a ratio of (a);
//! (d) the same load on PostgreSQL (a throwaway cluster started by the
//!     benchmark), through one server, through two replicas sharing the
//!     database, and with the visitors spread over eight organizations
//!     (each organization's events are ordered under its own lock), beside
//!     SQLite;
//! (e) 20 concurrent 2 MiB attachment uploads: throughput, p99 and how far
//!     the process's resident memory rose;
//! (f) the PostgreSQL figures against the anchor measured on the same
//!     cluster: 64 clients each committing one message-sized row per
//!     transaction into an indexed table, from Rust (sqlx), and the same
//!     rows by `pgbench`, whose client costs almost nothing.
//!
//! `ECHO_BENCH_POSTGRES_ONLY` runs (d) and (f) alone, and
//! `ECHO_DATABASE_MAX_CONNECTIONS` sizes each server's pool as it would
//! the server's;
//! `ECHO_BENCH_SECS` sets each phase's length (default 5);
//! `ECHO_BENCH_DIR` the directory for the database files (default: a
//! temporary directory under `target/`, on the project's disk).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use echo_server::admin;
use echo_server::clock::Clock;
use echo_server::live::Hub;
use echo_server::startup::Application;
use echo_server::store::{SqliteStore, DEFAULT_MAX_BATCH};

use echo_bench::{drive, VISITORS};

fn main() -> anyhow::Result<()> {
    // The servers this starts parse uploads in child processes of this
    // executable.
    echo_server::sandbox::child::run_if_asked();
    let secs: u64 = std::env::var("ECHO_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let phase = Duration::from_secs(secs);
    let base = std::env::var("ECHO_BENCH_DIR").unwrap_or_else(|_| "target".into());
    std::fs::create_dir_all(&base)?;
    let dir = tempfile::tempdir_in(&base).context("creating the benchmark directory")?;
    println!(
        "echo-bench: {secs} s per phase, databases in {}",
        dir.path().display()
    );

    if std::env::var_os("ECHO_BENCH_POSTGRES_ONLY").is_some() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        return postgres_phases(&runtime, phase, None);
    }
    let single = raw_inserts(&dir.path().join("raw-single.db"), 1, phase)?;
    let batched = raw_inserts(&dir.path().join("raw-batched.db"), 100, phase)?;
    println!();
    println!("(a) raw SQLite, WAL, synchronous=FULL");
    println!("    one commit per row     {single:>10.0} rows/s");
    println!("    100 rows per commit    {batched:>10.0} rows/s");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let grouped = runtime.block_on(server_load(
        &dir.path().join("server.db"),
        DEFAULT_MAX_BATCH,
        phase,
    ))?;
    let ungrouped = runtime.block_on(server_load(
        &dir.path().join("server-no-group-commit.db"),
        1,
        phase,
    ))?;
    println!();
    println!("(b) server, {VISITORS} concurrent visitors over loopback, POST .../messages");
    println!("                           group commit    one commit per write");
    println!(
        "    throughput           {:>9.0} msg/s    {:>9.0} msg/s",
        grouped.per_sec, ungrouped.per_sec
    );
    println!(
        "    latency p50          {:>9.2} ms       {:>9.2} ms",
        grouped.p50_ms, ungrouped.p50_ms
    );
    println!(
        "    latency p99          {:>9.2} ms       {:>9.2} ms",
        grouped.p99_ms, ungrouped.p99_ms
    );
    println!(
        "    writes per commit    {:>9.1}          {:>9.1}",
        grouped.writes_per_commit, ungrouped.writes_per_commit
    );
    println!();
    let ratio = grouped.per_sec / single;
    println!("(c) server / raw one-commit-per-row   {ratio:>6.2}x   (target >= 10x)");
    println!(
        "    server / raw 100-row commits      {:>6.3}x",
        grouped.per_sec / batched
    );
    println!(
        "    group commit / one commit per write {:>4.2}x",
        grouped.per_sec / ungrouped.per_sec
    );
    println!(
        "    p99 {:.2} ms                         (target <= 25 ms)",
        grouped.p99_ms
    );
    let pass = ratio >= 10.0 && grouped.p99_ms <= 25.0;
    println!(
        "    {}",
        if pass {
            "targets met"
        } else {
            "TARGETS MISSED (see README: Benchmarks)"
        }
    );

    let uploads = runtime.block_on(echo_bench::uploads::upload_load(
        &dir.path().join("uploads.db"),
        phase,
    ))?;
    println!();
    println!(
        "(e) attachments: {} visitors uploading {} MiB files at once (SQLite)",
        echo_bench::uploads::UPLOADERS,
        echo_bench::uploads::FILE_BYTES / (1024 * 1024)
    );
    println!(
        "    {:.1} uploads/s, {:.0} MiB/s, p99 {:.0} ms; resident memory rose {:.0} MiB at most",
        uploads.per_sec, uploads.mib_per_sec, uploads.p99_ms, uploads.rss_rise_mib
    );

    // PostgreSQL: a throwaway cluster on the same disk.
    postgres_phases(&runtime, phase, Some(grouped.per_sec))?;
    drop(runtime);
    Ok(())
}

/// (d) and (f): the message load on PostgreSQL (one server, two replicas,
/// eight organizations) beside SQLite's rate when it was measured, and
/// against what the same cluster commits on its own.
fn postgres_phases(
    runtime: &tokio::runtime::Runtime,
    phase: Duration,
    sqlite: Option<f64>,
) -> anyhow::Result<()> {
    let cluster = echo_bench::postgres::Cluster::start()?;
    let raw = runtime.block_on(async {
        let url = cluster.database("bench_raw").await?;
        echo_bench::postgres::raw_inserts(&url, VISITORS, phase).await
    })?;
    let load = |previous: &'static str, name, replicas, organizations| {
        runtime.block_on(async {
            cluster.settle(previous).await?;
            postgres_load(&cluster, name, replicas, organizations, phase).await
        })
    };
    let pgbench = runtime.block_on(async {
        cluster.settle("bench_raw").await?;
        cluster.pgbench_inserts(VISITORS, phase).await
    })?;
    let one = load("bench_pgbench", "bench_one", 1, 1)?;
    let two = load("bench_one", "bench_two", 2, 1)?;
    let spread = load("bench_two", "bench_spread", 1, 8)?;
    println!();
    println!("(d) storage backends, same load ({VISITORS} visitors), durable commits on both");
    println!("                       SQLite        PostgreSQL    PostgreSQL     PostgreSQL");
    println!("                                                     2 replicas     8 organizations");
    let sqlite_rate = sqlite.map_or("      -      ".into(), |r| format!("{r:>7.0} msg/s"));
    println!(
        "    throughput  {sqlite_rate}  {:>7.0} msg/s  {:>7.0} msg/s  {:>7.0} msg/s",
        one.0, two.0, spread.0
    );
    println!(
        "    latency p50                {:>7.2} ms     {:>7.2} ms     {:>7.2} ms",
        one.1, two.1, spread.1
    );
    println!(
        "    latency p99                {:>7.2} ms     {:>7.2} ms     {:>7.2} ms",
        one.2, two.2, spread.2
    );
    println!();
    println!("(f) PostgreSQL against its own write rate (same cluster, {VISITORS} clients)");
    println!("    raw: one message-sized row per transaction, indexed  {raw:>7.0} rows/s");
    println!("    the same by pgbench (a client costing almost nothing) {pgbench:>6.0} rows/s");
    println!(
        "    one organization     {:>5.2} of raw   (target >= 0.30), p99 {:.1} ms; {:.2} of pgbench's",
        one.0 / raw,
        one.2,
        one.0 / pgbench
    );
    println!(
        "    8 organizations      {:>5.2} of raw   (target >= 0.50), p99 {:.1} ms (target <= 50 ms); {:.2} of pgbench's",
        spread.0 / raw,
        spread.2,
        spread.0 / pgbench
    );
    Ok(())
}

/// Inserts rows for `phase`, committing every `per_commit` rows.
fn raw_inserts(path: &Path, per_commit: usize, phase: Duration) -> anyhow::Result<f64> {
    let conn = rusqlite::Connection::open(path)?;
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         CREATE TABLE messages (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, text TEXT NOT NULL, created_at INTEGER NOT NULL);",
    )?;
    let started = Instant::now();
    let mut rows = 0u64;
    while started.elapsed() < phase {
        conn.execute_batch("BEGIN")?;
        {
            let mut insert = conn.prepare_cached(
                "INSERT INTO messages (id, text, created_at) VALUES (?1, ?2, ?3)",
            )?;
            for _ in 0..per_commit {
                insert.execute(rusqlite::params![
                    format!("{rows:032x}"),
                    "Hello, I have a question about my order",
                    rows as i64
                ])?;
                rows += 1;
            }
        }
        conn.execute_batch("COMMIT")?;
    }
    Ok(rows as f64 / started.elapsed().as_secs_f64())
}

struct ServerFigures {
    per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    writes_per_commit: f64,
}

async fn server_load(
    db: &Path,
    max_batch: usize,
    phase: Duration,
) -> anyhow::Result<ServerFigures> {
    let config = echo_bench::server_config(format!("sqlite://{}", db.display()));
    let hub = Arc::new(Hub::default());
    let sqlite = Arc::new(SqliteStore::open_with_max_batch(
        db,
        hub.clone(),
        echo_server::rules::rules(),
        max_batch,
    )?);
    let app = Application::build_with_store(config, sqlite.clone(), hub).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let store = app.context().store.clone();
    let org = admin::create_organization(store.as_ref(), &Clock::system(), "Bench").await?;
    tokio::spawn(app.run_until(std::future::pending()));

    let before = sqlite.write_stats().snapshot();
    let (per_sec, p50_ms, p99_ms) = drive(&[base], &[org.organization_id], phase).await?;
    let after = sqlite.write_stats().snapshot();
    Ok(ServerFigures {
        per_sec,
        p50_ms,
        p99_ms,
        writes_per_commit: (after.1 - before.1) as f64 / (after.0 - before.0).max(1) as f64,
    })
}

/// The same load on PostgreSQL through `replicas` server instances sharing
/// one database.
async fn postgres_load(
    cluster: &echo_bench::postgres::Cluster,
    name: &str,
    replicas: usize,
    organizations: usize,
    phase: Duration,
) -> anyhow::Result<(f64, f64, f64)> {
    let url = cluster.database(name).await?;
    let mut bases = Vec::new();
    let mut orgs = Vec::new();
    for _ in 0..replicas {
        let config = echo_bench::server_config(url.clone());
        let app = Application::build(config).await?;
        bases.push(format!("http://127.0.0.1:{}", app.port()));
        if orgs.is_empty() {
            let store = app.context().store.clone();
            for _ in 0..organizations {
                let clock = Clock::system();
                let org = admin::create_organization(store.as_ref(), &clock, "Bench").await?;
                orgs.push(org.organization_id);
            }
        }
        tokio::spawn(app.run_until(std::future::pending()));
    }
    drive(&bases, &orgs, phase).await
}
