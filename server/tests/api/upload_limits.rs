//! What one visitor may upload: a rate per session and per address (429,
//! `Retry-After`), and a cap on what an organization holds unsent (413
//! until some is sent). Refused uploads store nothing.

use echo_protocol::attachments::AttachmentUploaded;
use echo_protocol::messages::SendMessage;
use echo_protocol::{ConversationId, ErrorCode};
use echo_server::limits::LimitSettings;
use reqwest::{Response, StatusCode};

use crate::helpers::{assert_error, json, spawn_app_with, TestApp, TestVisitor};

async fn attach(
    app: &TestApp,
    visitor: &TestVisitor,
    conversation: ConversationId,
    bytes: Vec<u8>,
) -> Response {
    let part = reqwest::multipart::Part::bytes(bytes).file_name("notes.txt");
    app.client
        .post(app.url(&format!("/v1/conversations/{conversation}/attachments")))
        .bearer_auth(visitor.token())
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_session_and_an_address_upload_at_their_rates() {
    let app = spawn_app_with(|config| {
        config.limits = LimitSettings {
            uploads_per_session_per_hour: 4,
            uploads_per_address_per_hour: 6,
            ..LimitSettings::default()
        };
    })
    .await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    for _ in 0..4 {
        let response = attach(&app, &visitor, conversation, b"hello".to_vec()).await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let refused = attach(&app, &visitor, conversation, b"hello".to_vec()).await;
    assert!(refused.headers().contains_key("retry-after"));
    assert_error(
        refused,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
    )
    .await;
    assert_eq!(
        app.count("attachments").await,
        4,
        "the refused one is not stored"
    );

    // Another session from the same address has what is left of the
    // address's rate.
    let second = app.visitor().await;
    let theirs = app.start_conversation(&second).await;
    for _ in 0..2 {
        let response = attach(&app, &second, theirs, b"hello".to_vec()).await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let refused = attach(&app, &second, theirs, b"hello".to_vec()).await;
    assert_error(
        refused,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
    )
    .await;
}

#[tokio::test]
async fn an_organization_holds_a_capped_amount_unsent() {
    let app = spawn_app_with(|config| {
        config.limits = LimitSettings::off();
        config.max_unsent_bytes = 100_000;
    })
    .await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let file = || vec![b'a'; 40_000];
    let first: AttachmentUploaded = json(
        attach(&app, &visitor, conversation, file()).await,
        StatusCode::CREATED,
    )
    .await;
    let second: AttachmentUploaded = json(
        attach(&app, &visitor, conversation, file()).await,
        StatusCode::CREATED,
    )
    .await;
    // Another visitor of the organization meets the same cap.
    let other = app.visitor().await;
    let theirs = app.start_conversation(&other).await;
    let full = attach(&app, &other, theirs, file()).await;
    assert_error(
        full,
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
    )
    .await;
    assert_eq!(app.count("attachments").await, 2);

    // Sending them frees the room.
    let sent = app
        .post(
            &format!("/v1/conversations/{conversation}/messages"),
            &SendMessage {
                text: String::new(),
                idempotency_key: None,
                attachment_ids: vec![first.attachment_id, second.attachment_id],
            },
            Some(visitor.token()),
        )
        .await;
    assert_eq!(sent.status(), StatusCode::CREATED);
    let now = attach(&app, &other, theirs, file()).await;
    assert_eq!(now.status(), StatusCode::CREATED);
}
