//! What the benchmarks share: making visitors through the public API, the
//! message load they drive, and a throwaway PostgreSQL cluster.

pub mod keep_alive;
pub mod postgres;
pub mod process;
pub mod streams;
pub mod uploads;

use std::time::{Duration, Instant};

use echo_protocol::contact_sessions::{ContactSessionCreated, CreateContactSession};
use echo_protocol::conversations::{ConversationCreated, CreateConversation};
use echo_protocol::messages::SendMessage;
use echo_protocol::validate::BrowserMetadata;
use echo_protocol::{ConversationId, OrganizationId};

/// A visitor with a session and one conversation, made over HTTP.
pub struct BenchVisitor {
    pub token: String,
    pub conversation: ConversationId,
}

pub async fn new_visitor(
    client: &reqwest::Client,
    base: &str,
    organization_id: OrganizationId,
    n: usize,
) -> anyhow::Result<BenchVisitor> {
    let session: ContactSessionCreated = client
        .post(format!("{base}/v1/contact-sessions"))
        .json(&CreateContactSession {
            organization_id,
            name: format!("Visitor {n}"),
            email: format!("visitor{n}@example.com"),
            metadata: BrowserMetadata::default(),
            user_id: None,
            user_hash: None,
        })
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = session.contact_session_id.expose_secret().to_owned();
    let created: ConversationCreated = client
        .post(format!("{base}/v1/conversations"))
        .bearer_auth(&token)
        .json(&CreateConversation { organization_id })
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(BenchVisitor {
        token,
        conversation: created.conversation_id,
    })
}

/// Concurrent visitors of the message-load phases.
pub const VISITORS: usize = 64;

/// `VISITORS` visitors (spread over the replicas' base URLs and the
/// organizations) each sending messages back to back on a keep-alive
/// connection of its own (`keep_alive`, a client that costs the server's
/// cores little): messages/s, p50 and p99 in ms.
pub async fn drive(
    bases: &[String],
    orgs: &[echo_protocol::OrganizationId],
    phase: Duration,
) -> anyhow::Result<(f64, f64, f64)> {
    // Only for making the visitors; their messages go by `keep_alive`.
    let client = reqwest::Client::new();
    let mut targets = Vec::with_capacity(VISITORS);
    for i in 0..VISITORS {
        let base = &bases[i % bases.len()];
        let visitor = new_visitor(&client, base, orgs[i % orgs.len()], i).await?;
        let token = visitor.token;
        let url = format!("{base}/v1/conversations/{}/messages", visitor.conversation);
        targets.push((token, url));
    }

    // One second of warm-up, then the measured phase.
    let warm_up = Duration::from_secs(1);
    let start = Instant::now() + warm_up;
    let end = start + phase;
    let body = serde_json::to_vec(&SendMessage {
        text: "Hello, I have a question about my order".into(),
        idempotency_key: None,
        attachment_ids: Vec::new(),
    })?;
    let tasks: Vec<_> = targets
        .into_iter()
        .map(|(token, url)| {
            let visitor = keep_alive::KeepAlive::post_json(&url, &token, &body);
            tokio::spawn(async move {
                let mut visitor = visitor?;
                let mut latencies = Vec::new();
                loop {
                    let sent = Instant::now();
                    if sent >= end {
                        break;
                    }
                    let status = visitor.send().await?;
                    anyhow::ensure!(status == 201, "send failed: {status}");
                    let done = Instant::now();
                    if sent >= start {
                        latencies.push(done - sent);
                    }
                }
                anyhow::Ok(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    latencies.sort();
    let count = latencies.len();
    anyhow::ensure!(count > 0, "no message was sent");
    let pct =
        |p: f64| latencies[((count as f64 * p) as usize).min(count - 1)].as_secs_f64() * 1000.0;
    Ok((count as f64 / phase.as_secs_f64(), pct(0.50), pct(0.99)))
}

/// The server's settings for a benchmark on `url`: volume is the point,
/// so the abuse limits are off; time is the system's; on PostgreSQL the
/// pool has `ECHO_DATABASE_MAX_CONNECTIONS` connections when that is set,
/// as the server reads it.
pub fn server_config(url: impl Into<String>) -> echo_server::config::Config {
    let mut config = echo_server::config::Config::for_tests(url.into());
    config.limits = echo_server::limits::LimitSettings::off();
    config.clock = echo_server::clock::Clock::system();
    config.database_max_connections = env_or(
        "ECHO_DATABASE_MAX_CONNECTIONS",
        config.database_max_connections,
    );
    config
}

/// A setting from the environment, or `default` when unset or unreadable.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Now, in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
