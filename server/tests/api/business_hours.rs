//! Business hours: saved and checked, and the widget's settings telling
//! the truth about them at request time.

use echo_protocol::hours::{BusinessHours, ReplyTime};
use echo_protocol::team::OperatorRole;
use echo_protocol::widget::WidgetConfig;
use echo_protocol::{ErrorCode, Timestamp};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, json, spawn_app, TestApp};

const PATH: &str = "/v1/operator/business-hours";

fn berlin_weekdays() -> serde_json::Value {
    let week: Vec<_> = ["mon", "tue", "wed", "thu", "fri"]
        .map(|d| json!({"day": d, "open": "09:00", "close": "17:00"}))
        .into();
    json!({
        "enabled": true,
        "timeZone": "Europe/Berlin",
        "week": week,
        "holidays": [{"date": "2027-01-18", "name": "Staff day"}],
        "replyTime": "hours",
        "awayMessage": "  We're out. We answer every message when we're back.  "
    })
}

async fn put(app: &TestApp, body: &serde_json::Value) -> reqwest::Response {
    app.client
        .put(app.url(PATH))
        .bearer_auth(&app.org.operator_key)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn config(app: &TestApp) -> WidgetConfig {
    json(
        app.get(
            &format!("/v1/organizations/{}/widget", app.org.organization_id),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await
}

#[tokio::test]
async fn the_widget_says_open_or_closed_and_when_it_opens() {
    let app = spawn_app().await;
    // Never set: off, and the widget is open with replies in minutes.
    let unset: BusinessHours = json(
        app.operator_get(&app.org.operator_key, PATH).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(unset, BusinessHours::default());
    let open = config(&app).await.availability;
    assert!(open.open && open.next_open_at.is_none());
    assert_eq!(open.reply_time, ReplyTime::Minutes);

    let saved: BusinessHours = json(put(&app, &berlin_weekdays()).await, StatusCode::OK).await;
    assert_eq!(
        saved.away_message,
        "We're out. We answer every message when we're back."
    );
    let read: BusinessHours = json(
        app.operator_get(&app.org.operator_key, PATH).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read, saved);

    // The test clock starts on Friday 2027-01-15 at 08:00 UTC: 09:00 in Berlin.
    let now = config(&app).await.availability;
    assert!(now.open, "{now:?}");
    assert_eq!(now.reply_time, ReplyTime::Hours);
    assert_eq!(now.away_message, None);

    // Friday 17:00 Berlin: closed until Tuesday (Monday is a holiday).
    app.clock.advance_secs(8 * 3600);
    let closed = config(&app).await.availability;
    assert!(!closed.open);
    let tuesday = "2027-01-19T08:00:00Z".parse::<jiff::Timestamp>().unwrap();
    assert_eq!(
        closed.next_open_at,
        Some(Timestamp(tuesday.as_millisecond()))
    );
    assert_eq!(
        closed.away_message.as_deref(),
        Some("We're out. We answer every message when we're back.")
    );

    // Off again: open, whatever the hour.
    let mut off = berlin_weekdays();
    off["enabled"] = json!(false);
    assert_eq!(put(&app, &off).await.status(), StatusCode::OK);
    assert!(config(&app).await.availability.open);
}

#[tokio::test]
async fn bad_hours_are_refused_naming_the_field_and_change_nothing() {
    let app = spawn_app().await;
    assert_eq!(put(&app, &berlin_weekdays()).await.status(), StatusCode::OK);
    let cases = [
        ("timeZone", json!("Europe/Atlantis")),
        (
            "week",
            json!([{"day": "mon", "open": "09:00", "close": "17:00"}, {"day": "mon", "open": "12:00", "close": "13:00"}]),
        ),
        (
            "week",
            json!([{"day": "mon", "open": "17:00", "close": "17:00"}]),
        ),
        (
            "week",
            json!([{"day": "mon", "open": "9am", "close": "17:00"}]),
        ),
        (
            "holidays",
            json!([{"date": "2027-02-30", "name": "No such day"}]),
        ),
        ("awayMessage", json!("")),
        ("awayMessage", json!("x".repeat(301))),
    ];
    for (field, value) in cases {
        let mut body = berlin_weekdays();
        body[field] = value;
        let refused = put(&app, &body).await;
        let error = assert_error(refused, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
        assert_eq!(error.error.field.as_deref(), Some(field));
    }
    // Past midnight is allowed.
    let mut night = berlin_weekdays();
    night["week"] = json!([{"day": "sat", "open": "22:00", "close": "02:00"}]);
    assert_eq!(put(&app, &night).await.status(), StatusCode::OK);

    let agent = app
        .member(
            app.org.organization_id,
            "agent@example.com",
            OperatorRole::Agent,
        )
        .await;
    let as_agent = app.member_get(PATH, &agent.cookie).await;
    assert_error(as_agent, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
}
