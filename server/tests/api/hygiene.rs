//! Text hygiene at the boundary: NFC, nothing-but-invisible text refused,
//! bidirectional overrides and isolates refused in names and file names,
//! C1 control characters refused.

use echo_protocol::contact_sessions::CreateContactSession;
use echo_protocol::operator::{OperatorConversation, WidgetSettings};
use echo_protocol::ErrorCode;
use echo_server::store::SubscriptionStatus;
use reqwest::StatusCode;

use crate::helpers::{assert_error, json, spawn_app};

#[tokio::test]
async fn names_are_composed_and_must_show_something_plain() {
    let app = spawn_app().await;
    let org = app.org.organization_id;
    let with_name = |name: &str| CreateContactSession {
        name: name.into(),
        ..app.session_request(org)
    };
    for (name, why) in [
        ("\u{200B}", "zero-width space only"),
        ("\u{FEFF}", "a lone byte-order mark"),
        (" \u{200D}\u{2060} ", "joiners only"),
        ("Ada\u{202E}ecalevoL", "a right-to-left override"),
        ("Ada\u{2067}x", "an isolate"),
        ("A\u{0085}da", "a C1 control character (NEL)"),
        ("A\u{009B}da", "a C1 control character (CSI)"),
    ] {
        let refused = app
            .post("/v1/contact-sessions", &with_name(name), None)
            .await;
        let body = assert_error(refused, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
        assert_eq!(body.error.field.as_deref(), Some("name"), "{why}");
    }
    assert_eq!(app.count("contact_sessions").await, 0, "nothing stored");

    // "Zoë" typed with a combining diaeresis is stored composed.
    let created = app
        .post("/v1/contact-sessions", &with_name("Zoe\u{0308}"), None)
        .await;
    let created: echo_protocol::contact_sessions::ContactSessionCreated =
        json(created, StatusCode::CREATED).await;
    let visitor = crate::helpers::TestVisitor {
        session: created.contact_session_id,
        expires_at: created.expires_at,
        organization_id: org,
    };
    let conversation = app.start_conversation(&visitor).await;
    let seen: OperatorConversation = json(
        app.operator_get(
            &app.org.operator_key,
            &format!("/v1/operator/conversations/{conversation}"),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(seen.visitor.name, "Zo\u{00EB}");
}

#[tokio::test]
async fn messages_and_settings_must_show_something() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let path = format!("/v1/conversations/{conversation}/messages");
    let before = app.count("messages").await;
    for text in ["\u{FEFF}", "\u{200B}\n\u{200C}", "\u{2063}"] {
        let refused = app
            .post(
                &path,
                &serde_json::json!({ "text": text }),
                Some(visitor.token()),
            )
            .await;
        assert_error(refused, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
    }
    assert_eq!(app.count("messages").await, before);
    // Right-to-left text itself is fine in a message.
    let arabic = app
        .post(
            &path,
            &serde_json::json!({ "text": "مرحبا \u{200F}!" }),
            Some(visitor.token()),
        )
        .await;
    assert_eq!(arabic.status(), StatusCode::CREATED);

    let settings = |greet: &str| WidgetSettings {
        greet_message: greet.into(),
        suggestions: vec![],
        accent_color: None,
        theme: None,
        allowed_origins: None,
        voice: None,
    };
    let refused = app
        .client
        .put(app.url("/v1/operator/widget-settings"))
        .bearer_auth(&app.org.operator_key)
        .json(&settings("\u{200B}\u{200B}"))
        .send()
        .await
        .unwrap();
    assert_error(refused, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
}

#[tokio::test]
async fn a_file_name_with_a_bidi_override_is_refused() {
    let app = spawn_app().await;
    app.store
        .set_subscription(app.org.organization_id, SubscriptionStatus::Active)
        .await
        .unwrap();
    let key = &app.org.operator_key;
    let disguised = app
        .upload(
            key,
            "refunds\u{202E}dm.exe",
            "text/plain",
            b"Refunds take 5 days".to_vec(),
        )
        .await;
    let body = assert_error(disguised, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
    assert_eq!(body.error.field.as_deref(), Some("file"));
    assert_eq!(app.count("knowledge_files").await, 0);
    let hidden = app
        .upload(
            key,
            "\u{200B}faq\u{FEFF}.md",
            "text/markdown",
            b"# FAQ".to_vec(),
        )
        .await;
    let listed: echo_protocol::knowledge::KnowledgeFile = json(hidden, StatusCode::CREATED).await;
    assert_eq!(listed.name, "faq.md");
}
