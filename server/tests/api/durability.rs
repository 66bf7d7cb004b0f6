//! Kill -9 durability: visitors send concurrently, the server process is
//! killed without warning mid-stream, started again on the same database,
//! and every message it acknowledged (201) is there. On SQLite, and on
//! PostgreSQL when the suite runs against one.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use echo_protocol::messages::{Message, MessagePage, SendMessage};
use echo_protocol::MessageId;

use crate::helpers::{cli_organization, postgres_server, visitor_over_http, ThrowawayDatabase};
use crate::server_process::start_server;

const VISITORS: usize = 16;
/// Acknowledged messages to wait for before the kill, so it lands mid-load.
const BEFORE_KILL: usize = 300;

#[tokio::test]
async fn every_acknowledged_message_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let database = match postgres_server() {
        Some(server) => Some(ThrowawayDatabase::create(&server).await),
        None => None,
    };
    let url = match &database {
        Some(db) => db.url.clone(),
        None => format!("sqlite://{}", dir.path().join("echo.db").display()),
    };
    let (_, org_id) = cli_organization(&url);
    // Volume is the point: the abuse limits are off.
    let mut server = start_server(&url, &["--rate-limits", "off"]);
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let mut visitors = Vec::new();
    for _ in 0..VISITORS {
        visitors.push(visitor_over_http(&client, &base, org_id).await);
    }

    let acknowledged: Arc<Mutex<Vec<(usize, MessageId)>>> = Arc::default();
    let senders: Vec<_> = visitors
        .iter()
        .enumerate()
        .map(|(n, (token, conversation))| {
            let (client, token, acknowledged) =
                (client.clone(), token.clone(), acknowledged.clone());
            let path = format!("{base}/v1/conversations/{conversation}/messages");
            tokio::spawn(async move {
                for i in 0.. {
                    let sent = client
                        .post(&path)
                        .bearer_auth(&token)
                        .json(&SendMessage {
                            text: format!("visitor {n} message {i}"),
                            idempotency_key: None,
                            attachment_ids: Vec::new(),
                        })
                        .send()
                        .await;
                    let Ok(response) = sent else { return };
                    if response.status() != 201 {
                        return;
                    }
                    let Ok(message) = response.json::<Message>().await else {
                        return;
                    };
                    acknowledged.lock().unwrap().push((n, message.id));
                }
            })
        })
        .collect();
    let loaded = crate::helpers::eventually(
        || async { (acknowledged.lock().unwrap().len() >= BEFORE_KILL).then_some(()) },
        Duration::from_secs(60),
    )
    .await;
    assert!(loaded.is_some(), "the load got going");
    server.child.kill().unwrap(); // SIGKILL: no shutdown, no flush
    server.child.wait().unwrap();
    for sender in senders {
        let _ = sender.await;
    }
    let acknowledged = acknowledged.lock().unwrap().clone();

    let restarted = start_server(&url, &["--rate-limits", "off"]);
    let mut missing = 0;
    for (n, (token, conversation)) in visitors.iter().enumerate() {
        let mut stored = HashSet::new();
        let mut cursor: Option<String> = None;
        loop {
            let query = cursor
                .as_ref()
                .map(|c| format!("&cursor={c}"))
                .unwrap_or_default();
            let page: MessagePage = client
                .get(format!(
                    "{}/v1/conversations/{conversation}/messages?limit=100{query}",
                    restarted.base
                ))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            stored.extend(page.messages.iter().map(|m| m.id));
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        missing += acknowledged
            .iter()
            .filter(|(who, id)| *who == n && !stored.contains(id))
            .count();
    }
    assert_eq!(
        missing,
        0,
        "{missing} of {} acknowledged messages lost",
        acknowledged.len()
    );
    eprintln!(
        "durability: {} acknowledged messages, all present after kill -9 ({})",
        acknowledged.len(),
        if database.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
}
