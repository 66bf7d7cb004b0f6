//! A placing whose events do not fit in one notification sends them in
//! pieces, each with its events, so no replica reads them back
//! (`migrations/postgres/0022_placing_notifies_in_pieces.sql`, cut by
//! size in one statement since `0026_event_heads_apart.sql`).

use std::time::{Duration, Instant};

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::events::Change;

use crate::replicas::{commit_unannounced, one_open_stream, text_of};

#[tokio::test]
async fn a_placing_too_big_for_one_notification_goes_out_in_pieces_in_order() {
    // Five events of about 3 KB each: two fit in a notification.
    if let Some(notices) = place_padded("placing", &[3_000; 5]).await {
        assert!(notices >= 3, "{notices} notifications");
    }
}

#[tokio::test]
async fn a_large_event_goes_in_a_piece_of_its_own() {
    // Events of 3 KB and 5 KB among small ones: the two together would
    // not fit in a notification (its events left for followers to read
    // back), the 5 KB one alone does.
    if let Some(notices) = place_padded("placing-large", &[100, 3_000, 5_000, 100, 100]).await {
        assert!(notices >= 2, "{notices} notifications");
    }
}

/// Commits status events padded by `pads` spaces each, as a visitor's
/// messages are committed (placed after the commit), places them, and
/// checks that every notification carries its events, that together they
/// carry all of them, and that the stream gets them in order: how many
/// notifications there were (`None` without PostgreSQL).
async fn place_padded(test: &str, pads: &[usize]) -> Option<usize> {
    let mut fixture = one_open_stream(test).await?;
    let mut listener = sqlx::postgres::PgListener::connect(&fixture.database.url)
        .await
        .unwrap();
    listener.listen("echo_events").await.unwrap();

    use ConversationStatus::{Escalated, Resolved, Unresolved};
    let statuses: Vec<_> = [Escalated, Resolved, Unresolved]
        .into_iter()
        .cycle()
        .take(pads.len())
        .collect();
    let payloads: Vec<String> = statuses
        .iter()
        .zip(pads)
        .map(|(&status, &pad)| {
            let json = serde_json::to_string(&Change::Status { status }).unwrap();
            format!("{{{}{}", " ".repeat(pad), &json[1..])
        })
        .collect();
    let (organization, conversation) = (&fixture.organization, &fixture.conversation);
    commit_unannounced(&fixture.pool, organization, conversation, &payloads).await;
    sqlx::query("SELECT echo_place($1)")
        .bind(organization)
        .execute(&fixture.pool)
        .await
        .unwrap();

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
    for status in statuses {
        let frame = fixture
            .stream
            .next_within(Duration::from_secs(5))
            .await
            .expect("each event reaches the stream, in order");
        assert_eq!(text_of(&frame), format!("status:{}", status.as_str()));
    }
    fixture.pool.close().await;
    Some(notices)
}
