//! A placing whose events do not fit in one notification sends them in
//! pieces, each with its events, so no replica reads them back
//! (`migrations/postgres/0022_placing_notifies_in_pieces.sql`).

use std::time::{Duration, Instant};

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::events::Change;

use crate::helpers::{cli_organization, postgres_server, visitor_over_http, ThrowawayDatabase};
use crate::replicas::{commit_unannounced, events, start_server, text_of};

#[tokio::test]
async fn a_placing_too_big_for_one_notification_goes_out_in_pieces_in_order() {
    let Some(server) = postgres_server() else {
        eprintln!("placing: skipped, no PostgreSQL (set ECHO_TEST_DATABASE_URL)");
        return;
    };
    let database = ThrowawayDatabase::create(&server).await;
    let url = database.url.clone();
    let (_, org_id) = cli_organization(&url);
    let a = start_server(&url, &[]);
    let client = reqwest::Client::new();
    let (token, conversation) = visitor_over_http(&client, &a.base, org_id).await;
    let id = conversation.to_string();
    let path = format!("/v1/conversations/{id}/events");
    let mut stream = events(&client, &a.base, &token, &path, None).await;
    assert_eq!(stream.next().await.event, "ready");
    let mut listener = sqlx::postgres::PgListener::connect(&url).await.unwrap();
    listener.listen("echo_events").await.unwrap();

    // Five events of about 3 KB each, committed as a visitor's messages
    // are (placed after the commit): two fit in a notification.
    use ConversationStatus::{Escalated, Resolved, Unresolved};
    let statuses = [Escalated, Resolved, Unresolved, Escalated, Resolved];
    let payloads: Vec<String> = statuses
        .iter()
        .map(|&status| {
            let json = serde_json::to_string(&Change::Status { status }).unwrap();
            format!("{{{}{}", " ".repeat(3_000), &json[1..])
        })
        .collect();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    commit_unannounced(&pool, &org_id.to_string(), &id, &payloads).await;
    sqlx::query("SELECT echo_place($1)")
        .bind(org_id.to_string())
        .execute(&pool)
        .await
        .unwrap();

    // Every notification carries its events; together, all five.
    let mut notified = 0;
    let mut notices = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    while notified < statuses.len() && Instant::now() < deadline {
        let notice = tokio::time::timeout(Duration::from_secs(5), listener.recv())
            .await
            .expect("a notification")
            .unwrap();
        let payload = notice.payload();
        assert!(payload.len() <= 7_900, "{} bytes", payload.len());
        let count = payload
            .split(':')
            .nth(2)
            .and_then(|count| count.strip_prefix('*'))
            .unwrap_or_else(|| panic!("no events in {:.80}", payload));
        notified += count.parse::<usize>().unwrap();
        notices += 1;
    }
    assert_eq!(notified, statuses.len());
    assert!(notices >= 3, "{notices} notifications");
    for status in statuses {
        let frame = stream
            .next_within(Duration::from_secs(5))
            .await
            .expect("each event reaches the stream, in order");
        assert_eq!(text_of(&frame), format!("status:{}", status.as_str()));
    }
    pool.close().await;
}
