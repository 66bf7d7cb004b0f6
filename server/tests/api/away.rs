//! While the desk is closed a visitor hears at once that the team is away
//! (once per conversation per closed period), and the team is mailed only
//! when it opens.

use std::time::Duration;

use echo_protocol::messages::{MessagePage, MessageRole};
use echo_protocol::team::OperatorRole;
use echo_protocol::ConversationId;
use echo_server::clock::Clock;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{eventually, json, spawn_app, spawn_app_with, TestApp, TestVisitor};
use crate::smtp::SmtpSink;

const AWAY: &str = "We're closed. We answer first thing when we open.";

async fn set_hours(app: &TestApp, hours: serde_json::Value) {
    let saved = app
        .client
        .put(app.url("/v1/operator/business-hours"))
        .bearer_auth(&app.org.operator_key)
        .json(&hours)
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), StatusCode::OK);
}

async fn away_replies(app: &TestApp, visitor: &TestVisitor, id: ConversationId) -> usize {
    let page: MessagePage = json(
        app.get(
            &format!("/v1/conversations/{id}/messages"),
            Some(visitor.token()),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    page.messages
        .iter()
        .filter(|m| m.role == MessageRole::Assistant && m.text == AWAY)
        .count()
}

async fn wait_for_replies(app: &TestApp, visitor: &TestVisitor, id: ConversationId, count: usize) {
    eventually(
        || async { (away_replies(app, visitor, id).await == count).then_some(()) },
        Duration::from_secs(10),
    )
    .await
    .unwrap_or_else(|| panic!("{count} away replies expected"));
}

#[tokio::test]
async fn a_visitor_writing_while_closed_hears_it_once_per_closed_period() {
    let app = spawn_app().await;
    // The test clock starts on Friday 2027-01-15 at 08:00 UTC, 09:00 in
    // Berlin: closed until 10:00 (09:00 UTC), open until 17:00.
    let week: Vec<_> = ["mon", "tue", "wed", "thu", "fri"]
        .map(|d| json!({"day": d, "open": "10:00", "close": "17:00"}))
        .into();
    set_hours(
        &app,
        json!({"enabled": true, "timeZone": "Europe/Berlin", "week": week, "holidays": [],
               "replyTime": "hours", "awayMessage": AWAY}),
    )
    .await;
    let visitor = app.visitor().await;
    let first = app.start_conversation(&visitor).await;
    app.visitor_says(&visitor, first, "Hello, anyone there?")
        .await;
    wait_for_replies(&app, &visitor, first, 1).await;
    app.visitor_says(&visitor, first, "Still me").await;
    // Another conversation's reply, written after the second message's turn.
    let other_visitor = app.visitor().await;
    let other = app.start_conversation(&other_visitor).await;
    app.visitor_says(&other_visitor, other, "Me too").await;
    wait_for_replies(&app, &other_visitor, other, 1).await;
    assert_eq!(
        away_replies(&app, &visitor, first).await,
        1,
        "once this closed period"
    );

    // Open (10:00 Berlin): nothing automatic. Closed again at 17:00: a new
    // period, a new reply.
    app.clock.advance_secs(3600);
    app.visitor_says(&visitor, first, "Open now?").await;
    app.clock.advance_secs(7 * 3600);
    app.visitor_says(&visitor, first, "And now?").await;
    wait_for_replies(&app, &visitor, first, 2).await;
    let page: MessagePage = json(
        app.get(
            &format!("/v1/conversations/{first}/messages"),
            Some(visitor.token()),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let order: Vec<&str> = page
        .messages
        .iter()
        .rev()
        .map(|m| m.text.as_str())
        .collect();
    let open = order.iter().position(|t| *t == "Open now?").unwrap();
    assert_ne!(order[open + 1], AWAY, "no reply while open: {order:?}");
}

#[tokio::test]
async fn the_team_is_mailed_when_the_desk_opens() {
    let sink = SmtpSink::start();
    let mail = sink.config(1, 1);
    let app = spawn_app_with(move |c| {
        c.mail = Some(mail);
        c.clock = Clock::system();
    })
    .await;
    app.member(
        app.org.organization_id,
        "ops@acme.test",
        OperatorRole::Admin,
    )
    .await;
    // One opening, two days on: closed now, whenever this runs.
    let later = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(48);
    let day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][later
        .to_zoned(jiff::tz::TimeZone::UTC)
        .weekday()
        .to_monday_zero_offset()
        as usize];
    set_hours(
        &app,
        json!({"enabled": true, "timeZone": "UTC", "week": [{"day": day, "open": "10:00", "close": "11:00"}],
               "holidays": [], "replyTime": "day", "awayMessage": AWAY}),
    )
    .await;
    let visitor = app.visitor().await;
    let id = app.start_conversation(&visitor).await;
    app.visitor_says(&visitor, id, "Please call me back").await;
    wait_for_replies(&app, &visitor, id, 1).await;
    // The notice waits for the opening instead of mailing now.
    let a_day = jiff::Timestamp::now().as_millisecond() + 24 * 3600 * 1000;
    eventually(
        || async {
            let due = app
                .scalar_i64(
                    "SELECT MAX(due_at) FROM mail_notices WHERE audience = 'team' AND pending",
                )
                .await;
            (due > a_day).then_some(())
        },
        Duration::from_secs(20),
    )
    .await
    .expect("the team's notice is due at the opening");
    assert!(
        sink.mails_to("ops@acme.test").is_empty(),
        "{:?}",
        sink.mails()
    );
}

#[tokio::test]
async fn the_assistant_answers_instead_when_the_organization_has_it() {
    use crate::scripted_llm::{Answer, ScriptedLlm};
    let llm = ScriptedLlm::start([Answer::Text("I can help with that right away.".into())]).await;
    let app = crate::pro::app_with_llm(&llm, Duration::from_secs(5)).await;
    let week: Vec<_> = ["mon", "tue", "wed", "thu", "fri"]
        .map(|d| json!({"day": d, "open": "10:00", "close": "17:00"}))
        .into();
    set_hours(
        &app,
        json!({"enabled": true, "timeZone": "Europe/Berlin", "week": week, "holidays": [],
               "replyTime": "hours", "awayMessage": AWAY}),
    )
    .await;
    let visitor = app.visitor().await;
    let id = app.start_conversation(&visitor).await;
    app.visitor_says(&visitor, id, "Where is my parcel?").await;
    let answered = eventually(
        || async {
            let page: MessagePage = json(
                app.get(
                    &format!("/v1/conversations/{id}/messages"),
                    Some(visitor.token()),
                )
                .await,
                StatusCode::OK,
            )
            .await;
            page.messages
                .iter()
                .any(|m| m.text == "I can help with that right away.")
                .then_some(page)
        },
        Duration::from_secs(10),
    )
    .await
    .expect("the assistant answers");
    assert!(
        answered.messages.iter().all(|m| m.text != AWAY),
        "no away reply over it"
    );
}
