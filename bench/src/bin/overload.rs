//! `cargo run --release -p echo-bench --bin overload`: twice the load the
//! server can take.
//!
//! The server runs as a process of its own (this executable, started
//! again in server mode), so its memory is measured alone. On SQLite and
//! on PostgreSQL (a throwaway cluster): measures the sustainable rate
//! (echo-bench's closed loop: 64 visitors sending back to back), then
//! offers twice that rate open-loop (requests start on a clock, whatever
//! the answers) for `ECHO_BENCH_SECS` (default 10) with the default
//! overload bounds. Prints what was accepted (201) and shed (503
//! `OVERLOADED`), the accepted writes' p50 and p99, the server's resident
//! memory before, at its peak and after, and how many 201s are missing
//! from the database (the target: none; p99 bounded; memory back down).
//! `ECHO_OVERLOAD_WRITE_QUEUE` and `ECHO_OVERLOAD_POOL_WAIT_MS` set the
//! bounds, as for the server.

use echo_bench::env_or;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use echo_protocol::OrganizationId;
use echo_server::clock::Clock;
use echo_server::startup::Application;

const SERVE: &str = "ECHO_BENCH_OVERLOAD_SERVE";
/// Requests the client keeps in flight at most (its own bound).
const MAX_IN_FLIGHT: usize = 6000;

/// Server mode: the real server on `url`, limits off, an organization;
/// prints `READY <port> <organization>` and serves until killed.
fn serve(url: String) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let mut config = echo_bench::server_config(url);
            // The bounds as the server reads them (their defaults otherwise).
            config.overload.write_queue =
                env_or("ECHO_OVERLOAD_WRITE_QUEUE", config.overload.write_queue);
            config.overload.pool_wait = Duration::from_millis(env_or(
                "ECHO_OVERLOAD_POOL_WAIT_MS",
                config.overload.pool_wait.as_millis() as u64,
            ));
            let app = Application::build(config).await?;
            let store = app.context().store.clone();
            let org =
                echo_server::admin::create_organization(store.as_ref(), &Clock::system(), "Load")
                    .await?;
            println!("READY {} {}", app.port(), org.organization_id);
            app.run_until(std::future::pending()).await?;
            anyhow::Ok(())
        })
}

struct Server {
    child: Child,
    base: String,
    org: OrganizationId,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(url: &str) -> anyhow::Result<Server> {
    let mut child = Command::new(std::env::current_exe()?)
        .env(SERVE, url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line)?;
    let mut words = line.split_whitespace();
    anyhow::ensure!(words.next() == Some("READY"), "the server said {line:?}");
    let port: u16 = words.next().context("a port")?.parse()?;
    let org = OrganizationId::parse(words.next().context("an organization")?)
        .context("an organization ID")?;
    Ok(Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        org,
    })
}

/// The answers so far: the accepted writes' times, and how many were shed
/// or failed otherwise.
#[derive(Default)]
struct Answers {
    accepted: Vec<Duration>,
    shed: u64,
    other: u64,
}

fn tally((status, took): (u16, Duration), answers: &mut Answers) {
    match status {
        201 => answers.accepted.push(took),
        503 => answers.shed += 1,
        _ => answers.other += 1,
    }
}

struct Figures {
    sustainable: f64,
    offered: f64,
    accepted: u64,
    shed: u64,
    other: u64,
    skipped: u64,
    p50_ms: f64,
    p99_ms: f64,
    rss: (u64, u64, u64),
    lost: i64,
}

/// Twice the sustainable rate, open-loop, for `phase`.
async fn overload(
    server: &Server,
    phase: Duration,
    stored: impl Fn() -> anyhow::Result<i64>,
) -> anyhow::Result<Figures> {
    let bases = [server.base.clone()];
    let (sustainable, _, _) =
        echo_bench::drive(&bases, &[server.org], Duration::from_secs(5)).await?;
    let rate = 2.0 * sustainable;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(MAX_IN_FLIGHT)
        .build()?;
    let mut targets = Vec::new();
    for i in 0..echo_bench::VISITORS {
        let visitor = echo_bench::new_visitor(&client, &server.base, server.org, 1000 + i).await?;
        let url = format!(
            "{}/v1/conversations/{}/messages",
            server.base, visitor.conversation
        );
        targets.push((visitor.token, url));
    }
    let targets = Arc::new(targets);
    let before_count = stored()?;
    let pid = server.child.id();
    let rss_before = echo_bench::process::rss_bytes(pid);
    let peak = Arc::new(AtomicU64::new(rss_before));
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        std::thread::spawn(move || {
            while sampling.load(Ordering::Relaxed) {
                peak.fetch_max(echo_bench::process::rss_bytes(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let in_flight = Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT));
    let mut tasks = tokio::task::JoinSet::new();
    let started = Instant::now();
    let mut sent = 0u64;
    let mut skipped = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    let mut answers = Answers::default();
    while started.elapsed() < phase {
        tick.tick().await;
        let due = (started.elapsed().as_secs_f64() * rate) as u64;
        while sent < due {
            let n = sent as usize;
            sent += 1;
            let Ok(permit) = in_flight.clone().try_acquire_owned() else {
                skipped += 1;
                continue;
            };
            let (client, targets) = (client.clone(), targets.clone());
            tasks.spawn(async move {
                let (token, url) = &targets[n % targets.len()];
                let asked = Instant::now();
                let status = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&serde_json::json!({"text": "Hello, I have a question about my order"}))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0);
                drop(permit);
                (status, asked.elapsed())
            });
        }
        while let Some(done) = tasks.try_join_next() {
            tally(done?, &mut answers);
        }
    }
    let offered = sent as f64 / started.elapsed().as_secs_f64();
    while let Some(done) = tasks.join_next().await {
        tally(done?, &mut answers);
    }
    let Answers {
        mut accepted,
        shed,
        other,
    } = answers;
    let rss_peak = peak.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(3)).await;
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.join();
    let rss_after = echo_bench::process::rss_bytes(pid);
    accepted.sort();
    let pct = |p: f64| {
        accepted
            .get(((accepted.len() as f64 * p) as usize).min(accepted.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let lost = accepted.len() as i64 - (stored()? - before_count);
    Ok(Figures {
        sustainable,
        offered,
        accepted: accepted.len() as u64,
        shed,
        other,
        skipped,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        rss: (rss_before, rss_peak, rss_after),
        lost,
    })
}

fn report(store: &str, f: &Figures, phase: Duration) {
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    let secs = phase.as_secs_f64();
    println!("{store}");
    println!(
        "    sustainable {:.0} msg/s; offered {:.0} req/s ({:.1}x)",
        f.sustainable,
        f.offered,
        f.offered / f.sustainable
    );
    println!(
        "    accepted {:.0}/s (201: {}), shed {:.0}/s (503: {}), other {}, not sent (client at {MAX_IN_FLIGHT} in flight) {}",
        f.accepted as f64 / secs,
        f.accepted,
        f.shed as f64 / secs,
        f.shed,
        f.other,
        f.skipped
    );
    println!(
        "    accepted writes: p50 {:.1} ms, p99 {:.1} ms",
        f.p50_ms, f.p99_ms
    );
    println!(
        "    server memory: {:.0} MiB before, {:.0} MiB at the peak, {:.0} MiB 3 s after",
        mib(f.rss.0),
        mib(f.rss.1),
        mib(f.rss.2)
    );
    println!("    201s missing from the database: {} (target 0)", f.lost);
}

fn main() -> anyhow::Result<()> {
    echo_server::sandbox::child::run_if_asked();
    if let Ok(url) = std::env::var(SERVE) {
        return serve(url);
    }
    let phase = Duration::from_secs(env_or("ECHO_BENCH_SECS", 10));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    std::fs::create_dir_all("target")?;
    let dir = tempfile::tempdir_in("target")?;
    println!(
        "echo-bench overload: twice the sustainable rate for {} s",
        phase.as_secs()
    );

    let path = dir.path().join("overload.db");
    let server = start_server(&format!("sqlite://{}", path.display()))?;
    let count = || -> anyhow::Result<i64> {
        let conn = rusqlite::Connection::open(&path)?;
        conn.busy_timeout(Duration::from_secs(30))?;
        Ok(conn.query_row(
            "SELECT COUNT(*) FROM messages WHERE role = 'visitor'",
            [],
            |row| row.get(0),
        )?)
    };
    let sqlite = runtime.block_on(overload(&server, phase, count))?;
    drop(server);
    report("SQLite", &sqlite, phase);

    let cluster = echo_bench::postgres::Cluster::start()?;
    let url = runtime.block_on(cluster.database("bench_overload"))?;
    let server = start_server(&url)?;
    let pool = runtime.block_on(sqlx::PgPool::connect(&url))?;
    let handle = runtime.handle().clone();
    let count = || -> anyhow::Result<i64> {
        let pool = pool.clone();
        Ok(std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    handle.block_on(
                        sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE role = 'visitor'")
                            .fetch_one(&pool),
                    )
                })
                .join()
                .expect("the count thread")
        })?)
    };
    let postgres = runtime.block_on(overload(&server, phase, count))?;
    report("PostgreSQL", &postgres, phase);
    Ok(())
}
