//! Satisfaction ratings: a resolved conversation someone answered is rated
//! once per resolution by its own visitor, the team sees it (conversation,
//! inbox row, live event), an organization may turn ratings off, and a
//! visitor who left is mailed links whose GET records nothing.

use std::time::Duration;

use echo_protocol::conversations::{ConversationStatus, ConversationView};
use echo_protocol::events::Change;
use echo_protocol::operator::{OperatorConversation, OperatorConversationPage};
use echo_protocol::ratings::ConversationRating;
use echo_protocol::{ConversationId, ErrorCode};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, eventually, json, spawn_app, TestApp, TestVisitor};
use crate::mail::mail_app;
use crate::smtp::SmtpSink;

async fn rate(
    app: &TestApp,
    visitor: &TestVisitor,
    id: ConversationId,
    body: serde_json::Value,
) -> reqwest::Response {
    app.post(
        &format!("/v1/conversations/{id}/rating"),
        &body,
        Some(visitor.token()),
    )
    .await
}

async fn view(app: &TestApp, visitor: &TestVisitor, id: ConversationId) -> ConversationView {
    json(
        app.get(&format!("/v1/conversations/{id}"), Some(visitor.token()))
            .await,
        StatusCode::OK,
    )
    .await
}

/// A conversation the visitor started and an operator answered.
async fn answered(app: &TestApp, visitor: &TestVisitor) -> ConversationId {
    let id = app.start_conversation(visitor).await;
    app.visitor_says(visitor, id, "My parcel is late").await;
    let reply = app
        .operator_reply(&app.org.operator_key, id, "It ships today.")
        .await;
    assert_eq!(reply.status(), StatusCode::CREATED);
    id
}

async fn set_status(app: &TestApp, id: ConversationId, status: ConversationStatus) {
    let response = app
        .operator_set_status(&app.org.operator_key, id, status)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_resolution_is_rated_once_by_its_visitor_and_the_team_sees_it() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let id = answered(&app, &visitor).await;
    let mut stream = app.operator_events(&app.org.operator_key).await;

    // Not resolved yet: nothing to rate.
    assert!(!view(&app, &visitor, id).await.can_rate);
    let early = rate(&app, &visitor, id, json!({"score": 5})).await;
    assert_error(early, StatusCode::CONFLICT, ErrorCode::Conflict).await;

    set_status(&app, id, ConversationStatus::Resolved).await;
    assert!(view(&app, &visitor, id).await.can_rate);
    // Bad input changes nothing.
    for bad in [
        json!({"score": 0}),
        json!({"score": 6}),
        json!({"score": 4, "comment": "x".repeat(2000)}),
        json!({"score": "5"}),
        json!({"score": 5, "extra": 1}),
    ] {
        let response = rate(&app, &visitor, id, bad).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }
    // Another visitor cannot rate it.
    let stranger = app.visitor().await;
    let theirs = rate(&app, &stranger, id, json!({"score": 1})).await;
    assert_error(theirs, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;

    let first: ConversationRating = json(
        rate(
            &app,
            &visitor,
            id,
            json!({"score": 4, "comment": "  Quick, thanks "}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!((first.score, first.comment.as_str()), (4, "Quick, thanks"));
    let again = rate(&app, &visitor, id, json!({"score": 5})).await;
    assert_error(again, StatusCode::CONFLICT, ErrorCode::Conflict).await;
    let seen = view(&app, &visitor, id).await;
    assert!(!seen.can_rate);
    assert_eq!(seen.rating.as_ref().map(|r| r.score), Some(4));

    // The team: the operator stream's event, the conversation, its row.
    let event = loop {
        let frame = stream
            .next_within(Duration::from_secs(10))
            .await
            .expect("a rating event");
        if frame.event != "rating" {
            continue;
        }
        if let Change::Rating { rating } = frame.live().change {
            break rating;
        }
    };
    assert_eq!(event, first);
    let detail: OperatorConversation = json(
        app.operator_get(
            &app.org.operator_key,
            &format!("/v1/operator/conversations/{id}"),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(detail.rating, Some(first.clone()));
    let inbox: OperatorConversationPage = json(
        app.operator_get(&app.org.operator_key, "/v1/operator/conversations")
            .await,
        StatusCode::OK,
    )
    .await;
    let row = inbox
        .conversations
        .iter()
        .find(|c| c.conversation_id == id)
        .unwrap();
    assert_eq!(row.rating, Some(first));

    // Reopened and resolved again: rated again; the last one counts and
    // both are kept.
    set_status(&app, id, ConversationStatus::Escalated).await;
    assert!(!view(&app, &visitor, id).await.can_rate);
    set_status(&app, id, ConversationStatus::Resolved).await;
    let second = rate(&app, &visitor, id, json!({"score": 2})).await;
    assert_eq!(second.status(), StatusCode::CREATED);
    let detail: OperatorConversation = json(
        app.operator_get(
            &app.org.operator_key,
            &format!("/v1/operator/conversations/{id}"),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        detail.rating.map(|r| (r.score, r.comment)),
        Some((2, String::new()))
    );
    assert_eq!(app.count("ratings").await, 2);
}

#[tokio::test]
async fn only_an_answered_conversation_of_an_organization_that_asks_is_rated() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    // Nobody answered (the greeting is no answer).
    let unanswered = app.start_conversation(&visitor).await;
    app.visitor_says(&visitor, unanswered, "Hello?").await;
    set_status(&app, unanswered, ConversationStatus::Resolved).await;
    assert!(!view(&app, &visitor, unanswered).await.can_rate);
    let refused = rate(&app, &visitor, unanswered, json!({"score": 3})).await;
    assert_error(refused, StatusCode::CONFLICT, ErrorCode::Conflict).await;

    // Ratings turned off.
    let id = answered(&app, &visitor).await;
    set_status(&app, id, ConversationStatus::Resolved).await;
    let off = app
        .client
        .patch(app.url("/v1/operator/organization"))
        .bearer_auth(&app.org.operator_key)
        .json(&json!({"ratingsEnabled": false}))
        .send()
        .await
        .unwrap();
    let info: serde_json::Value = json(off, StatusCode::OK).await;
    assert_eq!(info["ratingsEnabled"], false);
    assert!(!view(&app, &visitor, id).await.can_rate);
    let refused = rate(&app, &visitor, id, json!({"score": 3})).await;
    assert_error(refused, StatusCode::CONFLICT, ErrorCode::Conflict).await;
    assert_eq!(app.count("ratings").await, 0);
}

#[tokio::test]
async fn a_visitor_who_left_is_mailed_links_whose_get_records_nothing() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink, 1, 1).await;
    let visitor = app.verified_visitor("user-9").await;
    let id = answered(&app, &visitor).await;
    set_status(&app, id, ConversationStatus::Resolved).await;
    let mail = eventually(
        || async {
            sink.mails()
                .into_iter()
                .find(|m| m.header("subject").starts_with("How did Acme do?"))
        },
        Duration::from_secs(20),
    )
    .await
    .expect("the resolution mail");
    assert_eq!(mail.to(), "ada@example.com");
    let prefix = format!("{}/v1/ratings/", app.address);
    let links: Vec<&str> = mail
        .text
        .split_whitespace()
        .filter(|w| w.starts_with(&prefix))
        .collect();
    assert_eq!(links.len(), 5, "{}", mail.text);
    let four = links.iter().find(|l| l.ends_with("score=4")).unwrap();

    // A mail scanner follows every link: a form, nothing recorded.
    for link in &links {
        let page = app.client.get(*link).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        assert!(page.text().await.unwrap().contains("<form method=\"post\""));
    }
    assert_eq!(app.count("ratings").await, 0);
    assert!(view(&app, &visitor, id).await.can_rate);

    // The form's POST records it, once.
    let action = four.split('?').next().unwrap();
    let sent = app
        .client
        .post(action)
        .form(&[("score", "4"), ("comment", "Thanks by mail")])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::OK);
    let seen = view(&app, &visitor, id).await;
    assert_eq!(
        seen.rating.map(|r| (r.score, r.comment)),
        Some((4, "Thanks by mail".into()))
    );
    let used = app
        .client
        .post(action)
        .form(&[("score", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(used.status(), StatusCode::NOT_FOUND, "single use");
    let forged = app
        .client
        .post(format!("{prefix}rt_{}", "A".repeat(43)))
        .form(&[("score", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.count("ratings").await, 1);
}
