//! What the live-connection benchmarks share: a visitor's event stream
//! held open over a bare socket, operator replies marked `bench-N` sent to
//! random visitors, and the latency from each reply to its arrival.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use echo_protocol::messages::SendMessage;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{mpsc, watch};

/// A visitor with an open conversation, as the stream holders see it.
pub struct Visitor {
    pub token: String,
    pub conversation: String,
    /// The newest message when the visitor was made (where polling starts).
    pub last_message: String,
}

/// The `p` quantile of sorted latencies, in milliseconds.
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// A connection to `target`, from `source` when given: with several
/// loopback source addresses, each has its own ephemeral ports, so 100,000
/// connections do not run out of them.
async fn connect(source: Option<IpAddr>, target: SocketAddr) -> std::io::Result<TcpStream> {
    let Some(source) = source else {
        return TcpStream::connect(target).await;
    };
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(source, 0))?;
    socket.connect(target).await
}

/// Opens the event stream with a bare HTTP/1.1 request (a browser's fetch
/// costs the server the same), signals `ready` when the server says so,
/// then reports every `bench-N` marker it sees with its arrival time,
/// until `stop` changes. An error when the stream is refused or closed.
pub async fn hold_stream(
    source: Option<IpAddr>,
    port: u16,
    visitor: Arc<Visitor>,
    ready: mpsc::Sender<()>,
    arrivals: mpsc::UnboundedSender<(u64, Instant)>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let mut stream = connect(source, SocketAddr::from(([127, 0, 0, 1], port))).await?;
    let request = format!(
        "GET /v1/conversations/{}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\nAccept: text/event-stream\r\n\r\n",
        visitor.conversation, visitor.token
    );
    stream.write_all(request.as_bytes()).await?;
    let mut buffer = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let mut is_ready = false;
    loop {
        let read = tokio::select! {
            read = stream.read(&mut chunk) => read?,
            _ = stop.changed() => return Ok(()),
        };
        if read == 0 {
            bail!("stream closed");
        }
        let now = Instant::now();
        buffer.extend_from_slice(&chunk[..read]);
        let text = String::from_utf8_lossy(&buffer).into_owned();
        if !is_ready {
            if !text.starts_with("HTTP/1.1 200") {
                bail!("stream refused: {}", text.lines().next().unwrap_or(""));
            }
            if text.contains("event: ready") {
                is_ready = true;
                let _ = ready.send(()).await;
            }
        }
        let mut rest = text.as_str();
        while let Some(at) = rest.find("bench-") {
            let digits: String = rest[at + 6..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(n) = digits.parse() {
                let _ = arrivals.send((n, now));
            }
            rest = &rest[at + 6..];
        }
        // Keep a tail in case a marker was cut between two reads.
        let keep = buffer.len().saturating_sub(32);
        buffer.drain(..keep);
        if let Some(last) = text.rfind("bench-") {
            if text[last..].contains('"') {
                buffer.clear();
            }
        }
    }
}

/// Where the marked messages go: the servers (taken in turn, or each
/// visitor's own when `sticky`) and who sends them: operator replies with
/// the organization's key, or (`None`) each visitor's own message, which
/// its stream also carries.
pub struct OperatorApi<'a> {
    pub client: &'a reqwest::Client,
    pub bases: &'a [String],
    pub key: Option<&'a str>,
    /// Visitor `i`'s messages go to server `i mod servers`, where its
    /// conversation was made and its stream is held, as behind a load
    /// balancer that keeps a client on one replica.
    pub sticky: bool,
}

/// What became of the replies `send_replies` sent.
pub struct Replies {
    /// From each reply's send to its arrival, sorted; a reply that did not
    /// arrive has none.
    pub latencies: Vec<Duration>,
    /// From each reply's send to its 201, sorted.
    pub answered: Vec<Duration>,
}

/// Sends `count` operator replies, marked `bench-N` from `first`, to random
/// visitors at `rate` per second (whether or not earlier ones were
/// answered, as independent operators do), waiting up to `wait` after the
/// last for arrivals.
pub async fn send_replies(
    operator: OperatorApi<'_>,
    visitors: &[Arc<Visitor>],
    count: u64,
    rate: u64,
    first: u64,
    arrivals: &mut mpsc::UnboundedReceiver<(u64, Instant)>,
    wait: Duration,
) -> anyhow::Result<Replies> {
    let (sent_tx, mut sent_rx) = mpsc::unbounded_channel::<(u64, Instant, Duration)>();
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(1) as f64));
    let mut senders = Vec::new();
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for n in first..first + count {
        ticker.tick().await;
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let index = (seed % visitors.len() as u64) as usize;
        let visitor = visitors[index].clone();
        let turn = if operator.sticky { index } else { n as usize };
        let base = &operator.bases[turn % operator.bases.len()];
        let (url, key) = match operator.key {
            Some(key) => (
                format!(
                    "{base}/v1/operator/conversations/{}/messages",
                    visitor.conversation
                ),
                key.to_owned(),
            ),
            None => (
                format!("{base}/v1/conversations/{}/messages", visitor.conversation),
                visitor.token.clone(),
            ),
        };
        let (client, sent) = (operator.client.clone(), sent_tx.clone());
        senders.push(tokio::spawn(async move {
            let at = Instant::now();
            let response = client
                .post(url)
                .bearer_auth(key)
                .json(&SendMessage {
                    text: format!("bench-{n}"),
                    idempotency_key: None,
                    attachment_ids: Vec::new(),
                })
                .send()
                .await;
            if matches!(&response, Ok(r) if r.status() == 201) {
                let _ = sent.send((n, at, at.elapsed()));
            }
        }));
    }
    for sender in senders {
        let _ = sender.await;
    }
    drop(sent_tx);
    let mut sent = HashMap::new();
    let mut answered = Vec::new();
    while let Some((n, at, answer)) = sent_rx.recv().await {
        sent.insert(n, (at, answer));
        answered.push(answer);
    }
    answered.sort();
    // Arrivals of earlier phases' markers may still be queued; only this
    // phase's count.
    let mut arrived = HashMap::new();
    let deadline = Instant::now() + wait;
    while arrived.len() < sent.len() && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_millis(500), arrivals.recv()).await {
            Ok(Some((n, at))) if sent.contains_key(&n) => {
                arrived.entry(n).or_insert(at);
            }
            Ok(Some(_)) | Err(_) => {}
            Ok(None) => break,
        }
    }
    let mut latencies: Vec<Duration> = sent
        .iter()
        .filter_map(|(n, (at, _))| {
            arrived
                .get(n)
                .map(|arrival| arrival.saturating_duration_since(*at))
        })
        .collect();
    if let Ok(path) = std::env::var("ECHO_BENCH_TRACE") {
        trace(&path, &sent, &arrived)?;
    }
    latencies.sort();
    Ok(Replies {
        latencies,
        answered,
    })
}

/// Writes `n,sent_ms,answered_ms,delivered_ms` per message (sent from the
/// first send; delivery empty when it did not arrive), for finding when a
/// tail began, and whether its writes were slow too.
fn trace(
    path: &str,
    sent: &HashMap<u64, (Instant, Duration)>,
    arrived: &HashMap<u64, Instant>,
) -> anyhow::Result<()> {
    use std::fmt::Write as _;
    let Some(first) = sent.values().map(|(at, _)| *at).min() else {
        return Ok(());
    };
    let mut rows: Vec<_> = sent.iter().collect();
    rows.sort();
    let mut text = String::from("n,sent_ms,answered_ms,delivered_ms\n");
    for (n, (at, answer)) in rows {
        let delivered = arrived
            .get(n)
            .map(|arrival| {
                format!(
                    "{:.1}",
                    arrival.saturating_duration_since(*at).as_secs_f64() * 1e3
                )
            })
            .unwrap_or_default();
        writeln!(
            text,
            "{n},{:.1},{:.1},{delivered}",
            (*at - first).as_secs_f64() * 1e3,
            answer.as_secs_f64() * 1e3
        )?;
    }
    std::fs::write(path, text)?;
    Ok(())
}
