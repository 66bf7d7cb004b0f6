//! `cargo run --release -p echo-bench --bin crowd`: 100,000 open widgets
//! on one machine.
//!
//! One process may hold only as many connections as its open-file limit
//! allows (20,000 on the machine this was written on, not raisable), so the
//! streams are spread over several processes on one machine: server
//! replicas on a throwaway PostgreSQL cluster (this binary re-executed with
//! `--serve`), and stream holders (`--hold`), each connecting from its own
//! loopback address so ephemeral ports do not run out. Then, in one run:
//!
//! 1. `ECHO_BENCH_VISITORS` visitors (default 100,000), each with a session
//!    and a conversation made over HTTP, open their event streams over
//!    `ECHO_BENCH_OPEN_OVER_SECS` (default 60), as real widgets' openings
//!    are spread;
//! 2. held idle for `ECHO_BENCH_IDLE_SECS` (default 60): the servers' CPU is
//!    what heartbeats cost; their memory above their idle size, per stream;
//! 3. held for `ECHO_BENCH_HOLD_SECS` (default 300) while messages go to
//!    random conversations at `ECHO_BENCH_REPLY_RATE` per second (default
//!    1,000), operator replies, or with `ECHO_BENCH_SENDER=visitor` the
//!    visitors' own messages (which their streams carry too): the latency
//!    from each message's send to its arrival at the conversation's stream,
//!    and how many streams are still held at the end.
//!
//! `ECHO_BENCH_REPLICAS` sets the number of servers (default: one per
//! 16,000 streams); `ECHO_BENCH_ROUTE=sticky` sends each visitor's
//! messages to the replica holding its stream (as a load balancer that keeps
//! a client on one replica), instead of to the replicas in turn;
//! `ECHO_BENCH_TRACE=FILE` writes each message's send
//! time, 201 and delivery latencies as CSV, to see when in the run a tail
//! came and whether the writes were slow too.
//! The run stops by itself.

use std::net::IpAddr;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use echo_bench::env_or;
use echo_bench::streams::{hold_stream, percentile, send_replies, OperatorApi, Visitor};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::{mpsc, watch, Semaphore};

/// Streams per process, below the 20,000 open files one process may have.
const PER_PROCESS: usize = 16_000;

fn wall_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// A replica: the real server on the shared database, until stdin closes.
/// The first one also makes the organization.
async fn serve(url: &str, make_organization: bool) -> anyhow::Result<()> {
    use echo_server::{admin, clock::Clock, startup::Application};
    let (_, limit) = echo_server::open_files::raise_to_hard_limit()?;
    let config = echo_bench::server_config(url);
    let app = Application::build(config).await?;
    let mut started = serde_json::json!({"port": app.port(), "openFiles": limit});
    if make_organization {
        let store = app.context().store.clone();
        let org = admin::create_organization(store.as_ref(), &Clock::system(), "Bench").await?;
        started["organizationId"] = org.organization_id.to_string().into();
        started["operatorKey"] = org.operator_key.into();
    }
    println!("{started}");
    let stdin_closed = async {
        let mut sink = Vec::new();
        let _ = tokio::io::stdin().read_to_end(&mut sink).await;
    };
    app.run_until(stdin_closed).await?;
    Ok(())
}

/// A stream holder: reads `PORT TOKEN CONVERSATION` lines, then
/// `go SECONDS`, opens those streams from `source` spread over the
/// seconds, and writes `ready` and `closed` per stream and
/// `arrival N MICROS` per marker seen (wall-clock microseconds, which the
/// parent shares), until stdin closes.
async fn hold(source: IpAddr) -> anyhow::Result<()> {
    echo_server::open_files::raise_to_hard_limit()?;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut targets = Vec::new();
    let mut open_over = Duration::ZERO;
    while let Some(line) = lines.next_line().await? {
        match line.split(' ').collect::<Vec<_>>().as_slice() {
            ["go", secs] => {
                open_over = Duration::from_secs_f64(secs.parse()?);
                break;
            }
            [port, token, conversation] => targets.push((
                port.parse::<u16>()?,
                Arc::new(Visitor {
                    token: (*token).to_owned(),
                    conversation: (*conversation).to_owned(),
                    last_message: String::new(),
                }),
            )),
            _ => bail!("unreadable line: {line}"),
        }
    }
    let (out, mut out_rx) = mpsc::unbounded_channel::<String>();
    let writer = tokio::spawn(async move {
        let mut stdout = tokio::io::stdout();
        let mut batch = Vec::new();
        while out_rx.recv_many(&mut batch, 1024).await > 0 {
            let mut text = batch.join("\n");
            text.push('\n');
            batch.clear();
            if stdout.write_all(text.as_bytes()).await.is_err() || stdout.flush().await.is_err() {
                return;
            }
        }
    });
    let (arrival_tx, mut arrival_rx) = mpsc::unbounded_channel::<(u64, Instant)>();
    let arrivals_out = out.clone();
    tokio::spawn(async move {
        while let Some((n, at)) = arrival_rx.recv().await {
            let micros = wall_micros() - at.elapsed().as_micros() as u64;
            let _ = arrivals_out.send(format!("arrival {n} {micros}"));
        }
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let gate = Arc::new(Semaphore::new(256));
    let start = Instant::now();
    let count = targets.len().max(1) as f64;
    for (i, (port, visitor)) in targets.into_iter().enumerate() {
        let due = start + open_over.mul_f64(i as f64 / count);
        let (gate, out, arrivals, stop) = (
            gate.clone(),
            out.clone(),
            arrival_tx.clone(),
            stop_rx.clone(),
        );
        tokio::spawn(async move {
            tokio::time::sleep_until(due.into()).await;
            let Ok(permit) = gate.acquire_owned().await else {
                return;
            };
            let (ready, mut became_ready) = mpsc::channel(1);
            let holder = tokio::spawn(hold_stream(
                Some(source),
                port,
                visitor,
                ready,
                arrivals,
                stop,
            ));
            if became_ready.recv().await.is_some() {
                let _ = out.send("ready".into());
            }
            drop(permit);
            if let Ok(Err(error)) = holder.await {
                let _ = out.send(format!("closed {error}"));
            }
        });
    }
    drop((out, arrival_tx));
    while lines.next_line().await?.is_some() {}
    let _ = stop_tx.send(true);
    writer.abort();
    Ok(())
}

/// What the parent counts from its holders.
#[derive(Default)]
struct Tally {
    ready: AtomicU64,
    closed: AtomicU64,
}

fn spawn_child(args: &[&str]) -> anyhow::Result<Child> {
    Ok(Command::new(std::env::current_exe()?)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?)
}

/// The first line a child writes, as JSON.
async fn first_line(child: &mut Child) -> anyhow::Result<serde_json::Value> {
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("child stdout")?)
        .read_line(&mut line)
        .await?;
    serde_json::from_str(&line).with_context(|| format!("child said {line:?}"))
}

/// Reads a holder's lines into the tally and the arrivals (converted back
/// to this process's clock).
fn follow_holder(
    child: &mut Child,
    tally: Arc<Tally>,
    arrivals: mpsc::UnboundedSender<(u64, Instant)>,
) -> anyhow::Result<()> {
    let mut lines = BufReader::new(child.stdout.take().context("holder stdout")?).lines();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            if line == "ready" {
                tally.ready.fetch_add(1, Ordering::Relaxed);
            } else if let Some(why) = line.strip_prefix("closed ") {
                if tally.closed.fetch_add(1, Ordering::Relaxed) < 5 {
                    eprintln!("a stream ended: {why}");
                }
            } else if let Some(rest) = line.strip_prefix("arrival ") {
                let mut parts = rest.split(' ');
                let (Some(Ok(n)), Some(Ok(micros))) = (
                    parts.next().map(str::parse::<u64>),
                    parts.next().map(str::parse::<u64>),
                ) else {
                    continue;
                };
                let age = Duration::from_micros(wall_micros().saturating_sub(micros));
                let _ = arrivals.send((n, Instant::now() - age));
            }
        }
    });
    Ok(())
}

/// The summed resident memory (KiB) and CPU time (s) of the servers.
fn servers_usage(pids: &[u32]) -> anyhow::Result<(u64, f64)> {
    let mut rss = 0;
    let mut cpu = 0.0;
    for &pid in pids {
        rss += echo_bench::process::rss_bytes(pid) / 1024;
        cpu += echo_bench::process::cpu_secs(pid)?;
    }
    Ok((rss, cpu))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("--serve") => return serve(&args[2], args.get(3).is_some()).await,
        Some("--hold") => return hold(args[2].parse()?).await,
        _ => {}
    }
    let wanted: usize = env_or("ECHO_BENCH_VISITORS", 100_000);
    let replicas: usize = env_or("ECHO_BENCH_REPLICAS", wanted.div_ceil(PER_PROCESS)).max(1);
    let holders = wanted.div_ceil(PER_PROCESS).max(1);
    let open_over: u64 = env_or("ECHO_BENCH_OPEN_OVER_SECS", 60);
    let idle = Duration::from_secs(env_or("ECHO_BENCH_IDLE_SECS", 60));
    let hold_for: u64 = env_or("ECHO_BENCH_HOLD_SECS", 300);
    let rate: u64 = env_or("ECHO_BENCH_REPLY_RATE", 1000);
    let from_visitors = std::env::var("ECHO_BENCH_SENDER").as_deref() == Ok("visitor");
    let sticky = std::env::var("ECHO_BENCH_ROUTE").as_deref() == Ok("sticky");

    let cluster = echo_bench::postgres::Cluster::start()?;
    let url = cluster.database("crowd").await?;
    // The first replica migrates the database and makes the organization
    // before the others start.
    let mut servers = vec![spawn_child(&["--serve", &url, "--make-organization"])?];
    let first = first_line(&mut servers[0]).await?;
    let mut ports = vec![first["port"].as_u64().context("port")? as u16];
    let organization = echo_protocol::OrganizationId::parse(
        first["organizationId"].as_str().context("organization")?,
    )
    .context("organization id")?;
    let operator_key = first["operatorKey"].as_str().context("key")?.to_owned();
    for _ in 1..replicas {
        let mut server = spawn_child(&["--serve", &url])?;
        ports.push(
            first_line(&mut server).await?["port"]
                .as_u64()
                .context("port")? as u16,
        );
        servers.push(server);
    }
    let pids: Vec<u32> = servers.iter().filter_map(Child::id).collect();
    let bases: Vec<String> = ports
        .iter()
        .map(|port| format!("http://127.0.0.1:{port}"))
        .collect();
    println!(
        "echo-bench crowd: {wanted} visitors, {replicas} server replicas on PostgreSQL \
         (open files per process: {}), {holders} stream holders",
        first["openFiles"]
    );

    // Visitors and their conversations, spread over the replicas.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let setup = Instant::now();
    let gate = Arc::new(Semaphore::new(64));
    let retried = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(wanted);
    for i in 0..wanted {
        let (client, base, gate) = (client.clone(), bases[i % replicas].clone(), gate.clone());
        let retried = retried.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await?;
            // A refusal (503 while the servers are loaded) is tried again,
            // as the widget does.
            let mut attempts = 0;
            let visitor = loop {
                match echo_bench::new_visitor(&client, &base, organization, i).await {
                    Ok(visitor) => break visitor,
                    Err(_) if attempts < 30 => {
                        attempts += 1;
                        retried.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                    Err(error) => return Err(error),
                }
            };
            anyhow::Ok(Arc::new(Visitor {
                token: visitor.token,
                conversation: visitor.conversation.to_string(),
                last_message: String::new(),
            }))
        }));
    }
    let mut visitors = Vec::with_capacity(wanted);
    for task in tasks {
        visitors.push(task.await??);
    }
    println!(
        "setup: {} visitors with conversations in {:.0} s ({} refused and tried again)",
        visitors.len(),
        setup.elapsed().as_secs_f64(),
        retried.load(Ordering::Relaxed)
    );
    tokio::time::sleep(Duration::from_secs(2)).await; // let allocations settle
    let (rss_idle, _) = servers_usage(&pids)?;

    // The holders, each from its own loopback address; visitor i talks to
    // replica i mod replicas.
    let tally = Arc::new(Tally::default());
    let (arrival_tx, mut arrival_rx) = mpsc::unbounded_channel();
    let mut holder_children = Vec::new();
    let mut holder_inputs: Vec<ChildStdin> = Vec::new();
    for h in 0..holders {
        let source = format!("127.0.0.{}", 10 + h);
        let mut child = spawn_child(&["--hold", &source])?;
        follow_holder(&mut child, tally.clone(), arrival_tx.clone())?;
        holder_inputs.push(child.stdin.take().context("holder stdin")?);
        holder_children.push(child);
    }
    drop(arrival_tx);
    for (h, input) in holder_inputs.iter_mut().enumerate() {
        let mut lines = String::new();
        for (i, visitor) in visitors.iter().enumerate().skip(h).step_by(holders) {
            let port = ports[i % replicas];
            lines.push_str(&format!(
                "{port} {} {}\n",
                visitor.token, visitor.conversation
            ));
        }
        lines.push_str(&format!("go {open_over}\n"));
        input.write_all(lines.as_bytes()).await?;
        input.flush().await?;
    }
    let opening = Instant::now();
    let deadline = opening + Duration::from_secs(open_over + 120);
    while (tally.ready.load(Ordering::Relaxed) as usize) < visitors.len()
        && Instant::now() < deadline
        && (tally.closed.load(Ordering::Relaxed) as usize) < visitors.len()
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let opened = tally.ready.load(Ordering::Relaxed);
    println!(
        "push: {opened} streams open in {:.1} s ({} ended)",
        opening.elapsed().as_secs_f64(),
        tally.closed.load(Ordering::Relaxed)
    );
    tokio::time::sleep(Duration::from_secs(2)).await; // let allocations settle
    let (rss_open, cpu_before) = servers_usage(&pids)?;
    tokio::time::sleep(idle).await;
    let (_, cpu_after) = servers_usage(&pids)?;
    let idle_cpu = (cpu_after - cpu_before) / idle.as_secs_f64() * 100.0;
    println!(
        "idle: servers' CPU {idle_cpu:.1} % of one core over {} s",
        idle.as_secs()
    );

    let flowing = Instant::now();
    let replies = send_replies(
        OperatorApi {
            client: &client,
            bases: &bases,
            key: (!from_visitors).then_some(operator_key.as_str()),
            sticky,
        },
        &visitors,
        rate * hold_for,
        rate,
        0,
        &mut arrival_rx,
        Duration::from_secs(10),
    )
    .await?;
    let (rss_end, cpu_end) = servers_usage(&pids)?;
    let flowing_secs = flowing.elapsed().as_secs_f64();
    let flowing_cpu = (cpu_end - cpu_after) / flowing_secs * 100.0;
    let still_held = opened.saturating_sub(tally.closed.load(Ordering::Relaxed));
    drop(holder_inputs);
    for mut child in holder_children {
        let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
    }
    for mut server in servers {
        drop(server.stdin.take());
        let _ = tokio::time::timeout(Duration::from_secs(10), server.wait()).await;
    }

    let per_stream = |rss: u64| rss.saturating_sub(rss_idle) as f64 / opened.max(1) as f64;
    println!();
    println!("streams opened                  {opened:>10} of {wanted} over {open_over} s");
    println!(
        "streams held after {flowing_secs:>4.0} s       {still_held:>10}   (target: all, for 300 s)"
    );
    println!("servers' RSS, idle (sum)        {rss_idle:>10} KiB over {replicas} replicas");
    println!(
        "servers' RSS per stream         {:>10.1} KiB after opening, {:.1} KiB at the end   (target <= 8 KiB)",
        per_stream(rss_open),
        per_stream(rss_end)
    );
    println!("servers' CPU, streams idle      {idle_cpu:>10.1} % of one core   (target < 10 %)");
    let senders = if from_visitors {
        "visitors"
    } else {
        "operators"
    };
    println!(
        "servers' CPU, messages flowing  {flowing_cpu:>10.1} % of one core at {rate}/s from {senders}"
    );
    let latencies = &replies.latencies;
    println!(
        "message answered 201 p50 / p99  {:>10.1} ms / {:.1} ms   ({} of {} answered 201)",
        percentile(&replies.answered, 0.50),
        percentile(&replies.answered, 0.99),
        replies.answered.len(),
        rate * hold_for
    );
    println!(
        "message -> its stream p50       {:>10.1} ms",
        percentile(latencies, 0.50)
    );
    println!(
        "message -> its stream p99       {:>10.1} ms   (target <= 250 ms)",
        percentile(latencies, 0.99)
    );
    println!(
        "messages delivered              {:>10}",
        format!("{}/{}", latencies.len(), replies.answered.len())
    );
    drop(cluster);
    Ok(())
}
