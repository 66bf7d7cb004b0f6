//! `cargo run --release -p echo-bench --bin search`: search at scale.
//!
//! On SQLite and on PostgreSQL (a throwaway cluster), in one run: starts
//! the real server, creates `ECHO_BENCH_CONVERSATIONS` conversations
//! (default 10,000) over HTTP, writes `ECHO_BENCH_MESSAGES` messages
//! (default 1,000,000) into them as the stores write them (each message
//! row with its index entry: FTS5's row, or the folded `tsvector`), then
//! asks `GET /v1/operator/search` a mix of queries (a common word, a
//! 1% word, a rare one, a prefix, an accent-folded word, a phrase, two
//! words, a visitor's name) and prints p50, p95 and the slowest, per store.
//! The target: p95 <= 50 ms on both.

use echo_bench::{env_or, now_ms};
use std::time::{Duration, Instant};

use anyhow::Context;
use echo_server::clock::Clock;
use echo_server::startup::Application;

/// A small deterministic generator (xorshift64*): the same corpus every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..1`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Made-up words (syllables), common ones first.
fn vocabulary(rng: &mut Rng, size: usize) -> Vec<String> {
    const SYLLABLES: &[&str] = &[
        "ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "de", "va", "zu", "fe", "gi", "ho", "bra",
        "cle", "dro", "fin", "gol", "hum", "jar", "kel", "mon", "nor", "pel", "quo", "ros", "sil",
        "tor", "ulm", "ven", "wex",
    ];
    (0..size)
        .map(|_| {
            let n = 2 + (rng.next() % 3) as usize;
            (0..n)
                .map(|_| SYLLABLES[(rng.next() % SYLLABLES.len() as u64) as usize])
                .collect()
        })
        .collect()
}

/// One message: a dozen-odd Zipf-ish words, and the words the queries look
/// for at known rates.
fn message(rng: &mut Rng, words: &[String]) -> String {
    let mut text = Vec::new();
    let len = 8 + (rng.next() % 17) as usize;
    for _ in 0..len {
        let at = (rng.unit().powi(3) * words.len() as f64) as usize;
        text.push(words[at.min(words.len() - 1)].as_str());
    }
    let mut extra = |rate: f64, word: &'static str| {
        if rng.unit() < rate {
            let at = (rng.next() % (text.len() as u64 + 1)) as usize;
            text.insert(at, word);
        }
    };
    extra(0.20, "please");
    extra(0.03, "shipping");
    extra(0.02, "delayed");
    extra(0.01, "refund");
    extra(0.005, "Café");
    extra(0.005, "order number");
    extra(0.00005, "zanzibar");
    text.join(" ")
}

const FIRST: &[&str] = &[
    "Ada", "Grace", "Linus", "Zoë", "Björn", "Amara", "Kenji", "Olu",
];
const LAST: &[&str] = &[
    "Lovelace",
    "Hopper",
    "Torvalds",
    "Ångström",
    "Okafor",
    "Sato",
    "Novak",
];

const QUERIES: &[&str] = &[
    "please",
    "refund",
    "zanzibar",
    "refu",
    "cafe",
    "\"order number\"",
    "shipping delayed",
    "please refund",
    "hopper",
    "angstrom 42",
];

struct Seeded {
    base: String,
    key: String,
    app: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// The server on `url`, with `conversations` conversations made over HTTP.
async fn start(url: &str, conversations: usize) -> anyhow::Result<(Seeded, Vec<String>)> {
    let config = echo_bench::server_config(url);
    let app = Application::build(config).await?;
    let store = app.context().store.clone();
    let org =
        echo_server::admin::create_organization(store.as_ref(), &Clock::system(), "Bench").await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let handle = tokio::spawn(app.run_until(std::future::pending()));
    let client = reqwest::Client::new();
    let org_id = org.organization_id.to_string();
    let mut ids = Vec::with_capacity(conversations);
    let mut pending = tokio::task::JoinSet::new();
    for i in 0..conversations {
        let (client, base, org_id) = (client.clone(), base.clone(), org_id.clone());
        pending.spawn(async move {
            let name = format!(
                "{} {} {i}",
                FIRST[i % FIRST.len()],
                LAST[(i / FIRST.len()) % LAST.len()]
            );
            let session: serde_json::Value = client
                .post(format!("{base}/v1/contact-sessions"))
                .json(&serde_json::json!({"organizationId": org_id, "name": name, "email": format!("v{i}@example.com")}))
                .send()
                .await?
                .json()
                .await?;
            let token = session["contactSessionId"].as_str().context("a session")?;
            let created: serde_json::Value = client
                .post(format!("{base}/v1/conversations"))
                .bearer_auth(token)
                .json(&serde_json::json!({"organizationId": org_id}))
                .send()
                .await?
                .json()
                .await?;
            anyhow::Ok(created["conversationId"].as_str().context("an id")?.to_owned())
        });
        if pending.len() >= 32 {
            ids.push(pending.join_next().await.context("a task")???);
        }
    }
    while let Some(done) = pending.join_next().await {
        ids.push(done??);
    }
    Ok((
        Seeded {
            base,
            key: org.operator_key,
            app: handle,
        },
        ids,
    ))
}

/// Writes the messages into SQLite as its store does: the row, then its
/// FTS5 entry (rowid = seq, its words behind the organization's token).
fn seed_sqlite(path: &std::path::Path, ids: &[String], total: usize) -> anyhow::Result<()> {
    let mut conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(30))?;
    let organization: String = conn.query_row(
        "SELECT organization_id FROM conversations LIMIT 1",
        [],
        |r| r.get(0),
    )?;
    let organization = echo_protocol::OrganizationId::parse(&organization)
        .context("the conversations' organization ID")?;
    let scope = echo_server::search::scope_token(organization);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let words = vocabulary(&mut rng, 20_000);
    let now = now_ms();
    let mut written = 0;
    while written < total {
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO messages (id, conversation_id, role, text, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut index =
                tx.prepare_cached("INSERT INTO search_index (rowid, body) VALUES (?1, ?2)")?;
            for i in written..(written + 10_000).min(total) {
                let text = message(&mut rng, &words);
                let role = if i % 3 == 0 { "operator" } else { "visitor" };
                insert.execute(rusqlite::params![
                    uuid::Uuid::new_v4().to_string(),
                    ids[i % ids.len()],
                    role,
                    text,
                    now - (total - i) as i64 * 1000
                ])?;
                index.execute(rusqlite::params![
                    tx.last_insert_rowid(),
                    echo_server::search::scoped_index_text(&scope, &text)
                ])?;
            }
        }
        tx.commit()?;
        written = (written + 10_000).min(total);
    }
    Ok(())
}

/// Writes the messages into PostgreSQL as its store does: the row with
/// its folded `tsvector`, 10,000 to a statement.
async fn seed_postgres(url: &str, ids: &[String], total: usize) -> anyhow::Result<()> {
    let pool = sqlx::PgPool::connect(url).await?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let words = vocabulary(&mut rng, 20_000);
    let now = now_ms();
    let mut written = 0;
    while written < total {
        let end = (written + 10_000).min(total);
        let (mut mid, mut cid, mut role, mut text, mut at, mut folded) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        for i in written..end {
            let body = message(&mut rng, &words);
            mid.push(uuid::Uuid::new_v4().to_string());
            cid.push(ids[i % ids.len()].clone());
            role.push(if i % 3 == 0 { "operator" } else { "visitor" }.to_owned());
            folded.push(echo_server::search::index_text(&body));
            text.push(body);
            at.push(now - (total - i) as i64 * 1000);
        }
        sqlx::query(
            "INSERT INTO messages (id, conversation_id, role, text, created_at, search)
             SELECT m, c, r, t, a, to_tsvector('simple', f)
             FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[])
                  AS x(m, c, r, t, a, f)",
        )
        .bind(mid)
        .bind(cid)
        .bind(role)
        .bind(text)
        .bind(at)
        .bind(folded)
        .execute(&pool)
        .await?;
        written = end;
    }
    // As a database that has been running a while: vacuumed (its
    // visibility map set) and analyzed, so no autovacuum starts mid-run.
    sqlx::query("VACUUM (ANALYZE)").execute(&pool).await?;
    Ok(())
}

/// Every query `rounds` times (after one warm-up round); the latencies of
/// all, and each query's slowest and hit count.
async fn measure(
    seeded: &Seeded,
    rounds: usize,
) -> anyhow::Result<Vec<(String, Vec<Duration>, usize)>> {
    let client = reqwest::Client::new();
    let mut results = Vec::new();
    for query in QUERIES {
        let url = format!("{}/v1/operator/search", seeded.base);
        let mut times = Vec::new();
        let mut hits = 0;
        for round in 0..=rounds {
            let started = Instant::now();
            let response = client
                .get(&url)
                .bearer_auth(&seeded.key)
                .query(&[("q", *query), ("limit", "20")])
                .send()
                .await?;
            anyhow::ensure!(
                response.status().is_success(),
                "{query}: {}",
                response.status()
            );
            let body: serde_json::Value = response.json().await?;
            let took = started.elapsed();
            hits = body["hits"].as_array().map_or(0, Vec::len);
            if round > 0 {
                times.push(took);
            }
        }
        results.push((query.to_string(), times, hits));
    }
    Ok(results)
}

fn report(store: &str, seeded_in: Duration, results: &[(String, Vec<Duration>, usize)]) {
    let mut all: Vec<Duration> = results.iter().flat_map(|r| r.1.clone()).collect();
    all.sort();
    let pct =
        |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)].as_secs_f64() * 1000.0;
    println!();
    println!("{store}: seeded in {:.0} s", seeded_in.as_secs_f64());
    for (query, times, hits) in results {
        let slowest = times.iter().max().copied().unwrap_or_default();
        let mut sorted = times.clone();
        sorted.sort();
        let median = sorted[sorted.len() / 2];
        println!(
            "    {query:<20} {hits:>3} hits  p50 {:>6.1} ms  max {:>6.1} ms",
            median.as_secs_f64() * 1000.0,
            slowest.as_secs_f64() * 1000.0
        );
    }
    println!(
        "    all queries: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms   (target p95 <= 50 ms)",
        pct(0.50),
        pct(0.95),
        pct(1.0)
    );
}

fn main() -> anyhow::Result<()> {
    echo_server::sandbox::child::run_if_asked();
    let conversations: usize = env_or("ECHO_BENCH_CONVERSATIONS", 10_000);
    let messages: usize = env_or("ECHO_BENCH_MESSAGES", 1_000_000);
    let rounds: usize = env_or("ECHO_BENCH_ROUNDS", 20);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let base = std::env::var("ECHO_BENCH_DIR").unwrap_or_else(|_| "target".into());
    std::fs::create_dir_all(&base)?;
    let dir = tempfile::tempdir_in(&base)?;
    println!(
        "echo-bench search: {messages} messages in {conversations} conversations, {} queries x {rounds}",
        QUERIES.len()
    );

    let path = dir.path().join("search.db");
    if std::env::var("ECHO_BENCH_POSTGRES_ONLY").is_err() {
        sqlite_phase(&runtime, &path, conversations, messages, rounds)?;
    }
    if std::env::var("ECHO_BENCH_SQLITE_ONLY").is_ok() {
        return Ok(());
    }
    postgres_phase(&runtime, conversations, messages, rounds)
}

fn sqlite_phase(
    runtime: &tokio::runtime::Runtime,
    path: &std::path::Path,
    conversations: usize,
    messages: usize,
    rounds: usize,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let (seeded, ids) = runtime.block_on(start(
        &format!("sqlite://{}", path.display()),
        conversations,
    ))?;
    seed_sqlite(path, &ids, messages)?;
    let seeded_in = started.elapsed();
    let results = runtime.block_on(measure(&seeded, rounds))?;
    seeded.app.abort();
    report("SQLite (FTS5)", seeded_in, &results);
    if let Ok(keep) = std::env::var("ECHO_BENCH_KEEP_SQLITE") {
        // For looking at query plans afterwards.
        std::fs::copy(path, &keep)?;
        println!("    (database kept at {keep})");
    }
    Ok(())
}

fn postgres_phase(
    runtime: &tokio::runtime::Runtime,
    conversations: usize,
    messages: usize,
    rounds: usize,
) -> anyhow::Result<()> {
    let cluster = echo_bench::postgres::Cluster::start()?;
    let url = runtime.block_on(cluster.database("bench_search"))?;
    let started = Instant::now();
    let (seeded, ids) = runtime.block_on(start(&url, conversations))?;
    runtime.block_on(seed_postgres(&url, &ids, messages))?;
    let seeded_in = started.elapsed();
    let results = runtime.block_on(measure(&seeded, rounds))?;
    seeded.app.abort();
    report("PostgreSQL (tsvector, GIN)", seeded_in, &results);
    Ok(())
}
