//! Two `echo-server serve` processes on one PostgreSQL database and one
//! SMTP server: every mail is sent exactly once, whichever replica took
//! the message and whichever leased the notice and the outbox row.
//!
//! Needs PostgreSQL (`ECHO_TEST_DATABASE_URL`); skipped in the SQLite run.

use std::collections::HashSet;
use std::time::Duration;

use echo_protocol::messages::SendMessage;
use reqwest::StatusCode;

use crate::helpers::{
    cli_organization, eventually, postgres_server, visitor_over_http, ThrowawayDatabase,
};
use crate::server_process::start_server;
use crate::smtp::SmtpSink;

const CONVERSATIONS: usize = 12;

#[tokio::test]
async fn two_replicas_send_each_mail_once() {
    let Some(server) = postgres_server() else {
        eprintln!("mail replicas: skipped, no PostgreSQL (set ECHO_TEST_DATABASE_URL)");
        return;
    };
    let sink = SmtpSink::start();
    let database = ThrowawayDatabase::create(&server).await;
    let url = database.url.clone();
    let (key, org_id) = cli_organization(&url);
    let smtp = sink.url();
    let flags = [
        "--smtp-url",
        smtp.as_str(),
        "--mail-from",
        "support@echo.test",
        "--notify-after-secs",
        "1",
        "--notify-batch-secs",
        "1",
        "--rate-limits",
        "off",
    ];
    let replicas = [start_server(&url, &flags), start_server(&url, &flags)];
    let client = reqwest::Client::new();

    for n in 0..CONVERSATIONS {
        let (base, other) = (&replicas[n % 2].base, &replicas[(n + 1) % 2].base);
        let (_, conversation) = visitor_over_http(&client, base, org_id).await;
        let reply = client
            .post(format!(
                "{other}/v1/operator/conversations/{conversation}/messages"
            ))
            .bearer_auth(&key)
            .json(&SendMessage {
                text: format!("Reply number {n}"),
                idempotency_key: None,
                attachment_ids: Vec::new(),
            })
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), StatusCode::CREATED);
    }

    // The visitors typed one address: it confirms once (one confirmation
    // mail, whichever replica decided which reply), then every reply goes.
    sink.confirm(&client, "ada@example.com").await;
    sink.wait_for(CONVERSATIONS + 1).await;
    let settled = eventually(
        || async {
            let unsent: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL AND NOT held",
            )
            .fetch_one(&database.pool)
            .await
            .unwrap();
            let pending: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM mail_notices WHERE pending")
                    .fetch_one(&database.pool)
                    .await
                    .unwrap();
            (unsent == 0 && pending == 0).then_some(())
        },
        Duration::from_secs(20),
    )
    .await;
    assert!(settled.is_some(), "mail did not settle");
    let (confirmations, mails): (Vec<_>, Vec<_>) = sink
        .mails()
        .into_iter()
        .partition(|m| m.header("subject").starts_with("Confirm"));
    assert_eq!(confirmations.len(), 1, "one confirmation for the address");
    assert_eq!(mails.len(), CONVERSATIONS, "each reply mailed exactly once");
    let replies: HashSet<String> = mails
        .iter()
        .map(|m| {
            let line = m
                .text
                .lines()
                .find(|l| l.starts_with("> Reply number"))
                .unwrap();
            line.to_owned()
        })
        .collect();
    assert_eq!(replies.len(), CONVERSATIONS);
    let ids: HashSet<&str> = mails.iter().map(|m| m.header("message-id")).collect();
    assert_eq!(ids.len(), CONVERSATIONS);
}
