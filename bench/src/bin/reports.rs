//! `cargo run --release -p echo-bench --bin reports`: a 90-day report and
//! a conversations export over a large organization.
//!
//! On SQLite and on PostgreSQL (a throwaway cluster), in one run: starts
//! the real server, gives one organization `ECHO_BENCH_CONVERSATIONS`
//! conversations (default 200,000) of ten messages each (2,000,000),
//! spread over the last 90 days, written straight into the database as
//! the stores write them (milestones, ratings, message counts, the
//! messages themselves); then asks for the 90-day report by day over HTTP 20
//! times (p50, p95; the goal is p95 <= 300 ms), by week and with business
//! hours only, and exports the conversations of 45 days (about 100,000)
//! as CSV while sampling the process's resident memory (the goal: it rises
//! by at most 50 MB).

use echo_bench::{env_or, now_ms};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use echo_protocol::OrganizationId;
use echo_server::clock::Clock;
use echo_server::startup::Application;
use futures_util::StreamExt;

const MESSAGES_PER_CONVERSATION: i64 = 10;
const DAY_MS: i64 = 86_400_000;
const TEXT: &str = "A question about my order and its delivery";

struct Running {
    base: String,
    org: OrganizationId,
    key: String,
}

async fn start(url: &str) -> anyhow::Result<Running> {
    let config = echo_bench::server_config(url);
    let app = Application::build(config).await?;
    let store = app.context().store.clone();
    let org =
        echo_server::admin::create_organization(store.as_ref(), &Clock::system(), "Big").await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until(std::future::pending()));
    Ok(Running {
        base,
        org: org.organization_id,
        key: org.operator_key,
    })
}

/// The conversations' shape, the same on both stores: conversation `i` is
/// created at `start + i * step`; the visitor writes 5 s later, the first
/// reply follows within 10 minutes, a person's within an hour for 7 in
/// 10, 8 in 10 are resolved within a day, 3 in 10 rated.
fn shape(count: i64) -> (i64, i64) {
    let start = now_ms() - 90 * DAY_MS;
    (start, 90 * DAY_MS / count.max(1))
}

fn seed_sqlite(path: &std::path::Path, org: OrganizationId, count: i64) -> anyhow::Result<()> {
    let mut conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(60))?;
    let (start, step) = shape(count);
    let tx = conn.transaction()?;
    let numbers =
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?3)";
    tx.execute(
        &format!(
            "{numbers} INSERT INTO contact_sessions
                 (id_hash, organization_id, name, email, metadata, created_at, expires_at)
             SELECT printf('big%061d', i), ?1, 'Visitor ' || i, printf('v%d@example.com', i),
                    '{{}}', ?2, ?2 FROM n"
        ),
        rusqlite::params![org.to_string(), start, count],
    )?;
    tx.execute(
        &format!(
            "{numbers}, c(i, at) AS (SELECT i, ?2 + i * ?4 FROM n)
             INSERT INTO conversations
                 (id, organization_id, contact_session_hash, status, created_at, last_activity_at,
                  first_visitor_at, first_reply_at, first_human_reply_at, resolved_at, resolutions,
                  rating, rating_comment, rated_at, rated_for, message_count)
             SELECT printf('%08x-0000-4000-8000-%012x', i, i), ?1, printf('big%061d', i),
                    CASE WHEN i % 10 < 8 THEN 'resolved' ELSE 'escalated' END, at, at,
                    at + 5000, at + 10000 + (i % 600) * 1000,
                    CASE WHEN i % 10 < 7 THEN at + 60000 + (i % 3600) * 1000 END,
                    CASE WHEN i % 10 < 8 THEN at + 120000 + (i % 86400) * 1000 END,
                    CASE WHEN i % 10 < 8 THEN 1 ELSE 0 END,
                    CASE WHEN i % 10 < 3 THEN 1 + i % 5 END,
                    CASE WHEN i % 10 < 3 THEN 'Thanks' END,
                    CASE WHEN i % 10 < 3 THEN at + 200000 + (i % 86400) * 1000 END,
                    CASE WHEN i % 10 < 3 THEN 1 END, 10
             FROM c"
        ),
        rusqlite::params![org.to_string(), start, count, step],
    )?;
    for j in 0..MESSAGES_PER_CONVERSATION {
        tx.execute(
            &format!(
                "{numbers} INSERT INTO messages (id, conversation_id, role, text, created_at)
                 SELECT printf('%08x-%04x-4000-9000-%012x', i, ?4, i),
                        printf('%08x-0000-4000-8000-%012x', i, i),
                        CASE WHEN ?4 % 2 = 0 THEN 'visitor' ELSE 'operator' END, ?5,
                        ?2 + i * ?6 + 5000 + ?4 * 60000 FROM n"
            ),
            rusqlite::params![org.to_string(), start, count, j, TEXT, step],
        )?;
    }
    tx.commit()?;
    conn.execute_batch("ANALYZE")?;
    Ok(())
}

async fn seed_postgres(url: &str, org: OrganizationId, count: i64) -> anyhow::Result<()> {
    let pool = sqlx::PgPool::connect(url).await?;
    let (start, step) = shape(count);
    let org = org.to_string();
    sqlx::query(
        "INSERT INTO contact_sessions
             (id_hash, organization_id, name, email, metadata, created_at, expires_at)
         SELECT 'big' || lpad(i::text, 61, '0'), $1, 'Visitor ' || i, 'v' || i || '@example.com',
                '{}', $2, $2 FROM generate_series(0, $3 - 1) AS i",
    )
    .bind(&org)
    .bind(start)
    .bind(count)
    .execute(&pool)
    .await?;
    sqlx::query(
        "INSERT INTO conversations
             (id, organization_id, contact_session_hash, status, created_at, last_activity_at,
              first_visitor_at, first_reply_at, first_human_reply_at, resolved_at, resolutions,
              rating, rating_comment, rated_at, rated_for, message_count)
         SELECT lpad(to_hex(i), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(i), 12, '0'), $1,
                'big' || lpad(i::text, 61, '0'),
                CASE WHEN i % 10 < 8 THEN 'resolved' ELSE 'escalated' END, at, at,
                at + 5000, at + 10000 + (i % 600) * 1000,
                CASE WHEN i % 10 < 7 THEN at + 60000 + (i % 3600) * 1000 END,
                CASE WHEN i % 10 < 8 THEN at + 120000 + (i % 86400) * 1000 END,
                CASE WHEN i % 10 < 8 THEN 1 ELSE 0 END,
                CASE WHEN i % 10 < 3 THEN 1 + i % 5 END,
                CASE WHEN i % 10 < 3 THEN 'Thanks' END,
                CASE WHEN i % 10 < 3 THEN at + 200000 + (i % 86400) * 1000 END,
                CASE WHEN i % 10 < 3 THEN 1 END, 10
         FROM (SELECT i, $2 + i * $4 AS at FROM generate_series(0, $3 - 1) AS i) c",
    )
    .bind(&org)
    .bind(start)
    .bind(count)
    .bind(step)
    .execute(&pool)
    .await?;
    sqlx::query(
        "INSERT INTO messages (id, conversation_id, role, text, created_at, search)
         SELECT lpad(to_hex(i), 8, '0') || '-' || lpad(to_hex(j), 4, '0') || '-4000-9000-'
                    || lpad(to_hex(i), 12, '0'),
                lpad(to_hex(i), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(i), 12, '0'),
                CASE WHEN j % 2 = 0 THEN 'visitor' ELSE 'operator' END, $3,
                $2 + i * $5 + 5000 + j * 60000, 'question'::tsvector
         FROM generate_series(0, $1 - 1) AS i, generate_series(0, $4 - 1) AS j",
    )
    .bind(count)
    .bind(start)
    .bind(TEXT)
    .bind(MESSAGES_PER_CONVERSATION)
    .bind(step)
    .execute(&pool)
    .await?;
    sqlx::query("VACUUM ANALYZE").execute(&pool).await?;
    pool.close().await;
    Ok(())
}

fn date(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date().to_string())
        .unwrap_or_default()
}

struct Figures {
    day: (f64, f64),
    week: (f64, f64),
    business: (f64, f64),
    exported: u64,
    export_secs: f64,
    rise_mb: f64,
    peak_mb: f64,
}

async fn timed(
    client: &reqwest::Client,
    url: &str,
    key: &str,
    runs: usize,
) -> anyhow::Result<(f64, f64)> {
    let mut took = Vec::with_capacity(runs);
    for run in 0..=runs {
        let began = Instant::now();
        let response = client.get(url).bearer_auth(key).send().await?;
        anyhow::ensure!(response.status() == 200, "report: {}", response.status());
        response.bytes().await?;
        // The first run warms the caches.
        if run > 0 {
            took.push(began.elapsed().as_secs_f64() * 1000.0);
        }
    }
    took.sort_by(f64::total_cmp);
    let at = |p: f64| took[((p * took.len() as f64).ceil() as usize).clamp(1, took.len()) - 1];
    Ok((at(0.5), at(0.95)))
}

async fn measure(running: &Running) -> anyhow::Result<Figures> {
    let client = reqwest::Client::new();
    let (from, to) = (date(now_ms() - 89 * DAY_MS), date(now_ms()));
    let report = |extra: &str| {
        format!(
            "{}/v1/operator/reports?from={from}&to={to}&timeZone=Europe/Berlin{extra}",
            running.base
        )
    };
    // First (before the reports grow the heap), the export of 45 days,
    // read as it streams, memory sampled meanwhile.
    let half = date(now_ms() - 45 * DAY_MS);
    let url = format!(
        "{}/v1/operator/conversations/export.csv?from={half}&to={to}",
        running.base
    );
    let before = echo_bench::process::rss_bytes("self");
    let peak = Arc::new(AtomicU64::new(before));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(echo_bench::process::rss_bytes("self"), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let began = Instant::now();
    let response = client.get(&url).bearer_auth(&running.key).send().await?;
    anyhow::ensure!(response.status() == 200, "export: {}", response.status());
    let mut lines = 0u64;
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        lines += chunk?.iter().filter(|b| **b == b'\n').count() as u64;
    }
    let export_secs = began.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let rise = peak.load(Ordering::Relaxed).saturating_sub(before);
    let day = timed(&client, &report(""), &running.key, 20).await?;
    let week = timed(&client, &report("&groupBy=week"), &running.key, 10).await?;
    // Business hours only: a weekday 9-to-5 in Berlin.
    let week_days: Vec<_> = ["mon", "tue", "wed", "thu", "fri"]
        .iter()
        .map(|d| serde_json::json!({"day": d, "open": "09:00", "close": "17:00"}))
        .collect();
    let hours = serde_json::json!({"enabled": true, "timeZone": "Europe/Berlin", "week": week_days,
        "holidays": [], "replyTime": "hours", "awayMessage": "Away"});
    let saved = client
        .put(format!("{}/v1/operator/business-hours", running.base))
        .bearer_auth(&running.key)
        .json(&hours)
        .send()
        .await?;
    anyhow::ensure!(saved.status() == 200, "hours: {}", saved.status());
    let business = timed(
        &client,
        &report("&businessHoursOnly=true"),
        &running.key,
        10,
    )
    .await?;

    Ok(Figures {
        day,
        week,
        business,
        exported: lines.saturating_sub(1),
        export_secs,
        rise_mb: rise as f64 / 1_048_576.0,
        peak_mb: peak.load(Ordering::Relaxed) as f64 / 1_048_576.0,
    })
}

fn print(store: &str, f: &Figures) {
    println!("{store}");
    println!(
        "    90-day report by day      p50 {:>7.1} ms  p95 {:>7.1} ms  (goal p95 <= 300 ms)",
        f.day.0, f.day.1
    );
    println!(
        "    by week                   p50 {:>7.1} ms  p95 {:>7.1} ms",
        f.week.0, f.week.1
    );
    println!(
        "    business hours only       p50 {:>7.1} ms  p95 {:>7.1} ms",
        f.business.0, f.business.1
    );
    println!(
        "    export {} conversations in {:.1} s; resident memory rose {:.1} MB to {:.0} MB (goal: rise <= 50 MB)",
        f.exported, f.export_secs, f.rise_mb, f.peak_mb
    );
}

fn main() -> anyhow::Result<()> {
    let count: i64 = env_or("ECHO_BENCH_CONVERSATIONS", 200_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    std::fs::create_dir_all("target")?;
    let dir = tempfile::tempdir_in("target")?;
    println!(
        "echo-bench reports: {count} conversations, {} messages, over 90 days",
        count * MESSAGES_PER_CONVERSATION
    );
    let path = dir.path().join("reports.db");
    let sqlite = runtime.block_on(async {
        let running = start(&format!("sqlite://{}", path.display())).await?;
        let began = Instant::now();
        seed_sqlite(&path, running.org, count).context("seeding SQLite")?;
        println!("(SQLite seeded in {:.0} s)", began.elapsed().as_secs_f64());
        measure(&running).await
    })?;
    print("SQLite", &sqlite);

    let cluster = echo_bench::postgres::Cluster::start()?;
    let postgres = runtime.block_on(async {
        let url = cluster.database("bench_reports").await?;
        let running = start(&url).await?;
        let began = Instant::now();
        seed_postgres(&url, running.org, count)
            .await
            .context("seeding PostgreSQL")?;
        println!(
            "(PostgreSQL seeded in {:.0} s)",
            began.elapsed().as_secs_f64()
        );
        measure(&running).await
    })?;
    print("PostgreSQL", &postgres);
    Ok(())
}
