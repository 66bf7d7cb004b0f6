//! A credential that ends closes its open streams at once (well inside a
//! second, against the 30 s re-check that catches anything else): a
//! visitor's ended session, a deleted API key, a signed-out session, a
//! removed member, a changed password. Only that credential's streams end.

use std::time::{Duration, Instant};

use echo_protocol::team::OperatorRole;
use reqwest::{Method, StatusCode};

use crate::helpers::{json, spawn_app, SseReader};

/// Well under the fallback re-check (`RECHECK_EVERY`, 30 s): the stream
/// was told, not found out.
const AT_ONCE: Duration = Duration::from_secs(2);

async fn member_stream(app: &crate::helpers::TestApp, cookie: &str) -> SseReader {
    let opened = app
        .client
        .get(app.url("/v1/operator/events"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let mut stream = SseReader::new(opened);
    assert_eq!(stream.next().await.event, "ready");
    stream
}

#[tokio::test]
async fn an_ended_visitor_session_closes_its_stream_and_no_other() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let other = app.visitor().await;
    let others = app.start_conversation(&other).await;
    let mut stream = app
        .visitor_events(visitor.token(), conversation, None)
        .await;
    assert_eq!(stream.next().await.event, "ready");
    let mut other_stream = app.visitor_events(other.token(), others, None).await;
    assert_eq!(other_stream.next().await.event, "ready");

    let asked = Instant::now();
    let ended = app
        .client
        .delete(app.url("/v1/contact-sessions/current"))
        .bearer_auth(visitor.token())
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), StatusCode::NO_CONTENT);
    assert!(stream.ends_within(AT_ONCE).await, "the stream closed");
    println!(
        "a visitor's stream closed {:?} after the session ended",
        asked.elapsed()
    );
    // A reply now reaches nobody through the old stream; the other visitor's
    // stream is open and still hears its conversation.
    app.operator_reply(&app.org.operator_key, others, "still here")
        .await;
    let frame = other_stream.next().await;
    assert!(
        ["message", "status"].contains(&frame.event.as_str()),
        "{}",
        frame.event
    );
}

#[tokio::test]
async fn a_deleted_key_a_signed_out_session_and_a_removed_member_close_their_streams() {
    let app = spawn_app().await;
    let org = app.org.organization_id;
    let ada = app
        .member(org, "ada@example.com", OperatorRole::Admin)
        .await;
    let grace = app
        .member(org, "grace@example.com", OperatorRole::Agent)
        .await;
    let key: echo_protocol::team::ApiKeyCreated = json(
        app.member_post(
            "/v1/operator/api-keys",
            &ada.cookie,
            &serde_json::json!({"name": "stream"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let mut by_key = app.operator_events(&key.key).await;
    assert_eq!(by_key.next().await.event, "ready");
    let mut by_default_key = app.operator_events(&app.org.operator_key).await;
    assert_eq!(by_default_key.next().await.event, "ready");
    let mut ada_stream = member_stream(&app, &ada.cookie).await;
    let mut grace_stream = member_stream(&app, &grace.cookie).await;

    let deleted = app
        .as_member::<()>(
            Method::DELETE,
            &format!("/v1/operator/api-keys/{}", key.key_id),
            &ada.cookie,
            None,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert!(by_key.ends_within(AT_ONCE).await, "the key's stream ended");

    let removed = app
        .as_member::<()>(
            Method::DELETE,
            &format!("/v1/operator/team/{}", grace.account.operator.id),
            &ada.cookie,
            None,
        )
        .await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert!(
        grace_stream.ends_within(AT_ONCE).await,
        "the removed member's stream ended"
    );

    app.member_post("/v1/auth/sign-out", &ada.cookie, &serde_json::json!({}))
        .await;
    assert!(
        ada_stream.ends_within(AT_ONCE).await,
        "the signed-out session's stream ended"
    );
    // The organization's other key was never revoked: its stream goes on.
    let visitor = app.visitor().await;
    app.start_conversation(&visitor).await;
    // (`next` fails unless an event comes: the stream is still open.)
    let frame = by_default_key.next().await;
    assert_eq!(frame.event, "message");
}

#[tokio::test]
async fn a_changed_password_closes_every_other_session_of_the_operator() {
    let app = spawn_app().await;
    let org = app.org.organization_id;
    let ada = app
        .member(org, "ada@example.com", OperatorRole::Admin)
        .await;
    let laptop = app
        .sign_in("ada@example.com", crate::members::PASSWORD)
        .await;
    let laptop = crate::members::cookie_of(&laptop);
    let mut on_laptop = member_stream(&app, &laptop).await;
    let changed = app
        .member_post(
            "/v1/auth/password",
            &ada.cookie,
            &serde_json::json!({
                "currentPassword": crate::members::PASSWORD,
                "newPassword": "a brand new passphrase",
            }),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert!(
        on_laptop.ends_within(AT_ONCE).await,
        "the other session's stream ended"
    );
}
