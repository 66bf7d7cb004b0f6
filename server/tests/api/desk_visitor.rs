//! The visitor's context (parsed, not raw) and typing, both ways.

use echo_protocol::desk::{VisitorContext, VisitorMatch};
use echo_protocol::events::{Change, Typist};
use echo_protocol::team::OperatorRole;
use echo_protocol::ErrorCode;
use reqwest::{Method, StatusCode};
use serde_json::json as body;

use crate::helpers::{assert_error, json, spawn_app, SseReader, TestApp};
use crate::identity::verified;

const FIREFOX: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";

async fn context(app: &TestApp, id: echo_protocol::ConversationId) -> VisitorContext {
    json(
        app.key_call(
            Method::GET,
            &format!("/v1/operator/conversations/{id}/visitor"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await
}

#[tokio::test]
async fn the_visitor_is_described_and_their_other_conversations_found() {
    let app = spawn_app().await;
    let org = app.org.organization_id;
    let mut request = app.session_request(org);
    request.metadata.user_agent = Some(FIREFOX.into());
    request.metadata.languages = vec!["fr-FR".into(), "en".into()];
    request.metadata.timezone = Some("Asia/Tokyo".into());
    request.metadata.current_url = Some("https://shop.acme.test/cart".into());
    request.metadata.referrer = Some("https://search.example/?q=acme".into());
    let visitor = app.visitor_with(request).await;
    let earlier = app.start_conversation(&visitor).await;
    let now = app.start_conversation(&visitor).await;
    // Someone else typed the same address in another browser.
    let same_email = app.visitor().await;
    let elsewhere = app.start_conversation(&same_email).await;

    let seen = context(&app, now).await;
    assert_eq!(seen.browser.as_deref(), Some("Firefox 128"));
    assert_eq!(seen.os.as_deref(), Some("Windows 10"));
    assert_eq!(seen.device, "desktop");
    assert_eq!(seen.language.as_deref(), Some("fr-FR"));
    assert_eq!(seen.time_zone.as_deref(), Some("Asia/Tokyo"));
    // The test clock's START is 2027-01-15T08:00Z: 17:00 in Tokyo.
    assert_eq!(seen.local_time.as_deref(), Some("2027-01-15T17:00"));
    assert_eq!(seen.page.as_deref(), Some("https://shop.acme.test/cart"));
    assert_eq!(
        seen.referrer.as_deref(),
        Some("https://search.example/?q=acme")
    );
    assert_eq!(seen.user_id, None);
    let others: Vec<_> = seen
        .conversations
        .iter()
        .map(|c| (c.conversation_id, c.matched_by))
        .collect();
    assert!(others.contains(&(earlier, VisitorMatch::Session)));
    assert!(others.contains(&(elsewhere, VisitorMatch::UnverifiedEmail)));
    assert!(!others.iter().any(|(id, _)| *id == now), "not itself");
    assert!(seen.conversations[0].last_message.is_some());

    // A verified user is matched by their ID, in any browser, and only so.
    let user = verified(&app, org, "user-7").await;
    let one = app.start_conversation(&user).await;
    let again = verified(&app, org, "user-7").await;
    let two = app.start_conversation(&again).await;
    let seen = context(&app, two).await;
    assert_eq!(seen.user_id.as_deref(), Some("user-7"));
    let others: Vec<_> = seen
        .conversations
        .iter()
        .map(|c| (c.conversation_id, c.matched_by))
        .collect();
    assert_eq!(others, [(one, VisitorMatch::VerifiedUser)]);

    let other = app.create_org("Globex").await;
    let foreign = app
        .client
        .get(app.url(&format!("/v1/operator/conversations/{now}/visitor")))
        .bearer_auth(&other.operator_key)
        .send()
        .await
        .unwrap();
    assert_error(foreign, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}

/// The next typing event on a stream (others skipped).
async fn next_typing(stream: &mut SseReader) -> (bool, Typist, Option<String>) {
    loop {
        let frame = stream.next().await;
        if frame.event == "typing" {
            match frame.live().change {
                Change::Typing { active, by, name } => return (active, by, name),
                other => panic!("{other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn typing_goes_both_ways_throttled_and_never_back_to_its_author() {
    let app = spawn_app().await;
    let org = app.org.organization_id;
    let ada = app.member(org, "ada@acme.test", OperatorRole::Agent).await;
    let visitor = app.visitor().await;
    let id = app.start_conversation(&visitor).await;
    let mut widget = app.visitor_events(visitor.token(), id, None).await;
    assert_eq!(widget.next().await.event, "ready");
    let mut console = app.operator_events(&app.org.operator_key).await;
    assert_eq!(console.next().await.event, "ready");

    // Two starts inside 2 s make one event; the stop always goes.
    let operator_path = format!("/v1/operator/conversations/{id}/typing");
    for active in [true, true, false] {
        let told = app
            .member_call(
                &ada,
                Method::POST,
                &operator_path,
                Some(body!({ "active": active })),
            )
            .await;
        assert_eq!(told.status(), StatusCode::NO_CONTENT);
    }
    assert_eq!(
        next_typing(&mut widget).await,
        (true, Typist::Operator, Some("ada".into()))
    );
    assert_eq!(
        next_typing(&mut widget).await,
        (false, Typist::Operator, Some("ada".into()))
    );

    let visitor_path = format!("/v1/conversations/{id}/typing");
    for active in [true, true, false] {
        let told = app
            .post(
                &visitor_path,
                &body!({ "active": active }),
                Some(visitor.token()),
            )
            .await;
        assert_eq!(told.status(), StatusCode::NO_CONTENT);
    }
    // The team sees the operator's own typing too, then the visitor's.
    let mut seen = Vec::new();
    while seen.len() < 4 {
        seen.push(next_typing(&mut console).await);
    }
    assert_eq!(
        &seen[2..],
        [
            (true, Typist::Visitor, None),
            (false, Typist::Visitor, None)
        ]
    );
    // The widget never hears its own visitor typing: its next event is
    // this reply.
    app.operator_reply(&app.org.operator_key, id, "Marker")
        .await;
    loop {
        let frame = widget.next().await;
        assert_ne!(frame.event, "typing", "{}", frame.data);
        if frame.event == "message" {
            break;
        }
    }

    // A sent reply ends its side's throttle: the next reply's first
    // keystroke is told at once, not 2 s later.
    for n in 0..2 {
        let told = app
            .member_call(
                &ada,
                Method::POST,
                &operator_path,
                Some(body!({ "active": true })),
            )
            .await;
        assert_eq!(told.status(), StatusCode::NO_CONTENT);
        app.operator_reply(&app.org.operator_key, id, &format!("Reply {n}"))
            .await;
    }
    let mut kinds = Vec::new();
    while kinds.len() < 4 {
        let frame = widget.next().await;
        if frame.event != "status" {
            kinds.push(frame.event);
        }
    }
    assert_eq!(kinds, ["typing", "message", "typing", "message"]);

    // Another session's conversation, or another organization's, is 404.
    let stranger = app.visitor().await;
    let refused = app
        .post(
            &format!("/v1/conversations/{id}/typing"),
            &body!({"active": true}),
            Some(stranger.token()),
        )
        .await;
    assert_error(refused, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let bad = app
        .post(
            &format!("/v1/conversations/{id}/typing"),
            &body!({"active": "yes"}),
            Some(visitor.token()),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}
