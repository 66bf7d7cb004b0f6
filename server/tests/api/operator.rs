//! The operator API: scoped strictly to the key's organization.

use echo_protocol::conversations::{ConversationStatus, ConversationView};
use echo_protocol::messages::{Message, MessagePage, MessageRole, SendMessage};
use echo_protocol::operator::{OperatorConversation, OperatorConversationPage, WidgetSettings};
use echo_protocol::ErrorCode;
use reqwest::StatusCode;

use crate::helpers::{assert_error, json, spawn_app};

#[tokio::test]
async fn an_operator_key_sees_nothing_of_another_organization() {
    let app = spawn_app().await;
    let globex = app.create_org("Globex").await;
    let theirs = {
        let visitor = app.visitor_of(globex.organization_id).await;
        app.start_conversation(&visitor).await
    };
    let ours = {
        let visitor = app.visitor().await;
        app.start_conversation(&visitor).await
    };
    let key = &app.org.operator_key;

    let page: OperatorConversationPage = json(
        app.operator_get(key, "/v1/operator/conversations").await,
        StatusCode::OK,
    )
    .await;
    let ids: Vec<_> = page
        .conversations
        .iter()
        .map(|c| c.conversation_id)
        .collect();
    assert_eq!(ids, [ours]);

    for path in [
        format!("/v1/operator/conversations/{theirs}"),
        format!("/v1/operator/conversations/{theirs}/messages"),
    ] {
        assert_error(
            app.operator_get(key, &path).await,
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
        )
        .await;
    }
    assert_error(
        app.operator_reply(key, theirs, "hello from the wrong company")
            .await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;
    assert_error(
        app.operator_set_status(key, theirs, ConversationStatus::Resolved)
            .await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;

    let put = app
        .client
        .put(app.url("/v1/operator/widget-settings"))
        .bearer_auth(key)
        .json(&WidgetSettings {
            greet_message: "Acme only".into(),
            suggestions: vec![],
            accent_color: None,
            theme: None,
            allowed_origins: None,
            voice: None,
        })
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::OK);
    let globex_settings: WidgetSettings = json(
        app.operator_get(&globex.operator_key, "/v1/operator/widget-settings")
            .await,
        StatusCode::OK,
    )
    .await;
    assert_ne!(globex_settings.greet_message, "Acme only");
    assert_eq!(app.count("messages").await, 2, "only the two greetings");
    let view = app.store.conversation(theirs).await.unwrap().unwrap();
    assert_eq!(view.status, ConversationStatus::Unresolved);
}

#[tokio::test]
async fn bad_operator_credentials_are_unauthorized() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let bogus = format!("ok_{}", "A".repeat(43));
    for key in ["", "nonsense", bogus.as_str(), visitor.token()] {
        assert_error(
            app.operator_get(key, "/v1/operator/conversations").await,
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
        )
        .await;
    }
    // And an operator key is not a visitor session.
    assert_error(
        app.get("/v1/contact-sessions/current", Some(&app.org.operator_key))
            .await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthorized,
    )
    .await;
}

#[tokio::test]
async fn a_reply_escalates_and_a_resolved_conversation_refuses_replies() {
    let app = spawn_app().await;
    let key = &app.org.operator_key;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;

    let reply: Message = json(
        app.operator_reply(key, conversation, "On it!").await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(reply.role, MessageRole::Operator);
    let view: ConversationView = json(
        app.get(
            &format!("/v1/conversations/{conversation}"),
            Some(visitor.token()),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(view.status, ConversationStatus::Escalated);

    let resolved: OperatorConversation = json(
        app.operator_set_status(key, conversation, ConversationStatus::Resolved)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(resolved.status, ConversationStatus::Resolved);
    assert_error(
        app.operator_reply(key, conversation, "one more").await,
        StatusCode::CONFLICT,
        ErrorCode::Conflict,
    )
    .await;
    let reopened: OperatorConversation = json(
        app.operator_set_status(key, conversation, ConversationStatus::Unresolved)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(reopened.status, ConversationStatus::Unresolved);
    let page: MessagePage = json(
        app.operator_get(
            key,
            &format!("/v1/operator/conversations/{conversation}/messages"),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(page.messages.len(), 2);
}

#[tokio::test]
async fn the_inbox_is_newest_activity_first_filtered_and_paginated() {
    let app = spawn_app().await;
    let key = &app.org.operator_key;
    let mut conversations = Vec::new();
    for _ in 0..3 {
        let visitor = app.visitor().await;
        conversations.push((app.start_conversation(&visitor).await, visitor));
        app.clock.advance_secs(10);
    }
    // The oldest conversation gets the newest activity.
    let (oldest, visitor) = &conversations[0];
    app.post(
        &format!("/v1/conversations/{oldest}/messages"),
        &SendMessage {
            text: "Still waiting".into(),
            idempotency_key: None,
            attachment_ids: Vec::new(),
        },
        Some(visitor.token()),
    )
    .await;
    app.operator_set_status(key, conversations[1].0, ConversationStatus::Resolved)
        .await;

    let all: OperatorConversationPage = json(
        app.operator_get(key, "/v1/operator/conversations?status=all")
            .await,
        StatusCode::OK,
    )
    .await;
    let order: Vec<_> = all
        .conversations
        .iter()
        .map(|c| c.conversation_id)
        .collect();
    assert_eq!(
        order,
        [conversations[0].0, conversations[2].0, conversations[1].0]
    );
    assert_eq!(all.conversations[0].visitor_name, "Ada Lovelace");
    assert_eq!(
        all.conversations[0].last_message.as_ref().unwrap().text,
        "Still waiting"
    );

    let resolved: OperatorConversationPage = json(
        app.operator_get(key, "/v1/operator/conversations?status=resolved")
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(resolved.conversations.len(), 1);
    assert_eq!(
        resolved.conversations[0].conversation_id,
        conversations[1].0
    );

    let first: OperatorConversationPage = json(
        app.operator_get(key, "/v1/operator/conversations?limit=2")
            .await,
        StatusCode::OK,
    )
    .await;
    let cursor = first.next_cursor.expect("a second page");
    let second: OperatorConversationPage = json(
        app.operator_get(
            key,
            &format!("/v1/operator/conversations?limit=2&cursor={cursor}"),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(second.conversations.len(), 1);
    assert_eq!(second.conversations[0].conversation_id, conversations[1].0);
    assert!(second.next_cursor.is_none());

    assert_error(
        app.operator_get(key, "/v1/operator/conversations?status=open")
            .await,
        StatusCode::BAD_REQUEST,
        ErrorCode::Validation,
    )
    .await;
}

#[tokio::test]
async fn a_conversation_shows_its_visitor() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let details: OperatorConversation = json(
        app.operator_get(
            &app.org.operator_key,
            &format!("/v1/operator/conversations/{conversation}"),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(details.visitor.name, "Ada Lovelace");
    assert_eq!(details.visitor.email, "ada@example.com");
    assert_eq!(
        details.visitor.metadata.timezone.as_deref(),
        Some("Europe/London")
    );
    assert_eq!(details.status, ConversationStatus::Unresolved);
}

#[tokio::test]
async fn widget_settings_are_read_and_validated() {
    let app = spawn_app().await;
    let key = &app.org.operator_key;
    let put = |settings: serde_json::Value| {
        app.client
            .put(app.url("/v1/operator/widget-settings"))
            .bearer_auth(key)
            .json(&settings)
            .send()
    };
    let ok = put(serde_json::json!({"greetMessage": "Howdy", "suggestions": ["A", "B", "C"]}))
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let settings: WidgetSettings = json(
        app.operator_get(key, "/v1/operator/widget-settings").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(settings.suggestions, ["A", "B", "C"]);
    let id = app.org.organization_id;
    let public: echo_protocol::widget::WidgetConfig = json(
        app.get(&format!("/v1/organizations/{id}/widget"), None)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(public.greet_message, "Howdy");

    for (body, field) in [
        (
            serde_json::json!({"greetMessage": "Hi", "suggestions": ["1", "2", "3", "4"]}),
            "suggestions",
        ),
        (
            serde_json::json!({"greetMessage": " ", "suggestions": []}),
            "greetMessage",
        ),
    ] {
        let error = assert_error(
            put(body).await.unwrap(),
            StatusCode::BAD_REQUEST,
            ErrorCode::Validation,
        )
        .await;
        assert_eq!(error.error.field.as_deref(), Some(field));
    }
}
