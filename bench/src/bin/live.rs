//! `cargo run --release -p echo-bench --bin live`: live connections at scale.
//!
//! Starts the server (this binary re-executed as a child process, running
//! the real server library on SQLite), creates `ECHO_BENCH_VISITORS`
//! visitors (default 10,000) each with a conversation, and then, in one run:
//!
//! 1. push: every visitor holds the widget's event stream open; prints the
//!    connections held, the server's RSS per connection, its CPU while the
//!    streams are held idle (`ECHO_BENCH_IDLE_SECS`, default 30: the
//!    heartbeats, one per stream every 30 s), and the latency
//!    from an operator reply to its arrival at the visitor (p50, p99) while
//!    replies go out at `ECHO_BENCH_REPLY_RATE` per second (default 100);
//!    `ECHO_BENCH_OPEN_OVER_SECS` spreads the openings over that many
//!    seconds (default 0: all at once), as real widgets' are, so their
//!    heartbeats fall due at different times;
//! 2. polling baseline: the same visitors poll for new messages every 2 s,
//!    as a widget without push would; prints the requests per second the
//!    server must then serve, its RSS per visitor and the same latency.
//!
//! All traffic stays on loopback; the run stops by itself.

use echo_bench::env_or;
use echo_bench::streams::{hold_stream, percentile, send_replies, OperatorApi, Visitor};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use echo_protocol::messages::MessagePage;
use echo_protocol::OrganizationId;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::sync::{mpsc, Semaphore};

const POLL_EVERY: Duration = Duration::from_secs(2);

/// The child: the real server on a fresh SQLite file, until stdin closes.
async fn serve_child(db: &str) -> anyhow::Result<()> {
    use echo_server::{admin, clock::Clock, startup::Application};
    let config = echo_bench::server_config(format!("sqlite://{db}"));
    let app = Application::build(config).await?;
    let org =
        admin::create_organization(app.context().store.as_ref(), &Clock::system(), "Bench").await?;
    println!(
        "{}",
        serde_json::json!({"port": app.port(), "organizationId": org.organization_id, "operatorKey": org.operator_key})
    );
    let stdin_closed = async {
        let mut sink = Vec::new();
        let _ = tokio::io::stdin().read_to_end(&mut sink).await;
    };
    app.run_until(stdin_closed).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--serve-child") {
        return serve_child(&args[2]).await;
    }
    // The server child inherits it.
    echo_server::open_files::raise_to_hard_limit()?;
    let visitors_wanted: usize = env_or("ECHO_BENCH_VISITORS", 10_000);
    let reply_rate: u64 = env_or("ECHO_BENCH_REPLY_RATE", 100);
    let replies: u64 = env_or("ECHO_BENCH_REPLIES", 1000);

    let base_dir = std::env::var("ECHO_BENCH_DIR").unwrap_or_else(|_| "target".into());
    std::fs::create_dir_all(&base_dir)?;
    let dir = tempfile::tempdir_in(&base_dir)?;
    let db = dir.path().join("live.db");
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .args(["--serve-child", &db.display().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().context("child pid")?;
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().context("child stdout")?)
        .read_line(&mut first_line)
        .await?;
    let started: serde_json::Value = serde_json::from_str(&first_line)?;
    let port = started["port"].as_u64().context("port")? as u16;
    let org = OrganizationId::parse(started["organizationId"].as_str().context("org")?)
        .context("org id")?;
    let operator_key = started["operatorKey"].as_str().context("key")?.to_owned();
    let base = format!("http://127.0.0.1:{port}");
    println!(
        "echo-bench live: {visitors_wanted} visitors, replies at {reply_rate}/s, server pid {pid}"
    );

    // Visitors and their conversations.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let setup = Instant::now();
    let gate = Arc::new(Semaphore::new(64));
    let mut tasks = Vec::with_capacity(visitors_wanted);
    for i in 0..visitors_wanted {
        let (client, base, gate) = (client.clone(), base.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await?;
            let visitor = echo_bench::new_visitor(&client, &base, org, i).await?;
            let (token, conversation) = (visitor.token, visitor.conversation.to_string());
            let page: MessagePage = client
                .get(format!(
                    "{base}/v1/conversations/{conversation}/messages?limit=1"
                ))
                .bearer_auth(&token)
                .send()
                .await?
                .json()
                .await?;
            anyhow::Ok(Arc::new(Visitor {
                token,
                conversation,
                last_message: page.messages[0].id.to_string(),
            }))
        }));
    }
    let mut visitors = Vec::with_capacity(visitors_wanted);
    for task in tasks {
        visitors.push(task.await??);
    }
    println!(
        "setup: {} visitors with conversations in {:.1} s",
        visitors.len(),
        setup.elapsed().as_secs_f64()
    );
    let rss_idle = echo_bench::process::rss_bytes(pid) / 1024;

    // Phase 1: push.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let (ready_tx, mut ready_rx) = mpsc::channel(visitors.len());
    let (arrival_tx, mut arrival_rx) = mpsc::unbounded_channel();
    let connecting = Instant::now();
    let connect_gate = Arc::new(Semaphore::new(256));
    let mut streams = Vec::with_capacity(visitors.len());
    let open_over = Duration::from_secs(env_or("ECHO_BENCH_OPEN_OVER_SECS", 0));
    let count = visitors.len() as f64;
    for (i, visitor) in visitors.iter().enumerate() {
        let due = connecting + open_over.mul_f64(i as f64 / count);
        let (visitor, ready, arrivals, stop) = (
            visitor.clone(),
            ready_tx.clone(),
            arrival_tx.clone(),
            stop_rx.clone(),
        );
        let gate = connect_gate.clone();
        streams.push(tokio::spawn(async move {
            tokio::time::sleep_until(due.into()).await;
            let permit = gate.acquire_owned().await?;
            let (inner_ready, mut became_ready) = mpsc::channel(1);
            let holder = tokio::spawn(hold_stream(
                None,
                port,
                visitor,
                inner_ready,
                arrivals,
                stop,
            ));
            if became_ready.recv().await.is_some() {
                let _ = ready.send(()).await;
            }
            drop(permit);
            holder.await?
        }));
    }
    drop(ready_tx);
    let mut held = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    while held < visitors.len() && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(5), ready_rx.recv()).await {
            Ok(Some(())) => held += 1,
            _ => break,
        }
    }
    println!(
        "push: {held} streams open in {:.1} s",
        connecting.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(1)).await; // let allocations settle
    let rss_push = echo_bench::process::rss_bytes(pid) / 1024;
    // Held and idle: what the heartbeats (one every 30 s per stream) cost.
    let idle = Duration::from_secs(env_or("ECHO_BENCH_IDLE_SECS", 30));
    let cpu_before = echo_bench::process::cpu_secs(pid)?;
    tokio::time::sleep(idle).await;
    let idle_cpu = (echo_bench::process::cpu_secs(pid)? - cpu_before) / idle.as_secs_f64() * 100.0;

    let push_latencies = send_replies(
        OperatorApi {
            client: &client,
            bases: std::slice::from_ref(&base),
            key: Some(&operator_key),
            sticky: false,
        },
        &visitors,
        replies,
        reply_rate,
        0,
        &mut arrival_rx,
        Duration::from_secs(10),
    )
    .await?
    .latencies;
    let still_held = streams.iter().filter(|s| !s.is_finished()).count();
    let _ = stop_tx.send(true);
    for stream in streams {
        let _ = stream.await;
    }

    // Phase 2: polling every 2 s.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let poll_client = reqwest::Client::builder()
        .pool_max_idle_per_host(visitors.len())
        .build()?;
    let (poll_arrival_tx, mut poll_arrival_rx) = mpsc::unbounded_channel::<(u64, Instant)>();
    let (poll_stop_tx, poll_stop_rx) = tokio::sync::watch::channel(false);
    let polls = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut pollers = Vec::new();
    for (i, visitor) in visitors.iter().enumerate() {
        let (client, base, visitor) = (poll_client.clone(), base.clone(), visitor.clone());
        let (arrivals, mut stop, polls) =
            (poll_arrival_tx.clone(), poll_stop_rx.clone(), polls.clone());
        let offset = POLL_EVERY.mul_f64(i as f64 / visitors.len() as f64);
        pollers.push(tokio::spawn(async move {
            tokio::time::sleep(offset).await;
            let mut after = visitor.last_message.clone();
            let mut ticker = tokio::time::interval(POLL_EVERY);
            loop {
                tokio::select! {
                    _ = ticker.tick() => {},
                    _ = stop.changed() => return,
                }
                let url = format!(
                    "{base}/v1/conversations/{}/messages?after={after}",
                    visitor.conversation
                );
                let Ok(response) = client.get(&url).bearer_auth(&visitor.token).send().await else {
                    continue;
                };
                let Ok(page) = response.json::<MessagePage>().await else {
                    continue;
                };
                polls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let now = Instant::now();
                for message in &page.messages {
                    if let Some(n) = message
                        .text
                        .strip_prefix("bench-")
                        .and_then(|d| d.parse().ok())
                    {
                        let _ = arrivals.send((n, now));
                    }
                }
                if let Some(last) = page.messages.last() {
                    after = last.id.to_string();
                }
            }
        }));
    }
    tokio::time::sleep(POLL_EVERY * 2).await; // every poller connected and polling
    let polls_before = polls.load(std::sync::atomic::Ordering::Relaxed);
    let polling_started = Instant::now();
    let rss_poll = echo_bench::process::rss_bytes(pid) / 1024;
    let poll_latencies = send_replies(
        OperatorApi {
            client: &poll_client,
            bases: std::slice::from_ref(&base),
            key: Some(&operator_key),
            sticky: false,
        },
        &visitors,
        replies / 2,
        reply_rate,
        replies,
        &mut poll_arrival_rx,
        POLL_EVERY * 3,
    )
    .await?
    .latencies;
    let polls_per_sec = (polls.load(std::sync::atomic::Ordering::Relaxed) - polls_before) as f64
        / polling_started.elapsed().as_secs_f64();
    let _ = poll_stop_tx.send(true);
    for poller in pollers {
        let _ = poller.await;
    }
    drop(child.stdin.take());
    let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;

    let n = visitors.len() as f64;
    let per = |rss: u64| (rss.saturating_sub(rss_idle)) as f64 / n;
    println!();
    println!("                                 push (SSE)        polling every 2 s");
    println!(
        "visitors                       {:>10}          {:>10}",
        visitors.len(),
        visitors.len()
    );
    println!(
        "connections held               {:>10}          {:>10}",
        still_held, "-"
    );
    println!(
        "requests/s the server serves   {:>10}          {:>10.0}",
        "0 (idle)", polls_per_sec
    );
    println!("server RSS, idle               {:>7} KiB", rss_idle);
    println!(
        "server CPU, streams held idle  {:>7.1} % of one core over {} s (target < 10 %)",
        idle_cpu,
        idle.as_secs()
    );
    println!(
        "server RSS per visitor         {:>7.1} KiB         {:>7.1} KiB   (target <= 16 KiB)",
        per(rss_push),
        per(rss_poll)
    );
    println!(
        "reply -> visitor p50           {:>7.1} ms          {:>7.1} ms",
        percentile(&push_latencies, 0.50),
        percentile(&poll_latencies, 0.50)
    );
    println!(
        "reply -> visitor p99           {:>7.1} ms          {:>7.1} ms   (target <= 100 ms)",
        percentile(&push_latencies, 0.99),
        percentile(&poll_latencies, 0.99)
    );
    println!(
        "replies delivered              {:>10}          {:>10}",
        format!("{}/{}", push_latencies.len(), replies),
        format!("{}/{}", poll_latencies.len(), replies / 2)
    );
    Ok(())
}
