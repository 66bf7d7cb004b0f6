//! A placing whose events do not fit in one notification sends them in
//! pieces, each with its events, so no replica reads them back
//! (`migrations/postgres/0022_placing_notifies_in_pieces.sql`).

use std::time::{Duration, Instant};

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::events::Change;

use crate::replicas::{commit_unannounced, one_open_stream, text_of};

#[tokio::test]
async fn a_placing_too_big_for_one_notification_goes_out_in_pieces_in_order() {
    let Some(mut fixture) = one_open_stream("placing").await else {
        return;
    };
    let mut listener = sqlx::postgres::PgListener::connect(&fixture.database.url)
        .await
        .unwrap();
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
    let (organization, conversation) = (&fixture.organization, &fixture.conversation);
    commit_unannounced(&fixture.pool, organization, conversation, &payloads).await;
    sqlx::query("SELECT echo_place($1)")
        .bind(organization)
        .execute(&fixture.pool)
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
        let frame = fixture
            .stream
            .next_within(Duration::from_secs(5))
            .await
            .expect("each event reaches the stream, in order");
        assert_eq!(text_of(&frame), format!("status:{}", status.as_str()));
    }
    fixture.pool.close().await;
}
