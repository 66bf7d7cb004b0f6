use echo_protocol::conversations::{
    ConversationCreated, ConversationPage, ConversationStatus, ConversationView, CreateConversation,
};
use echo_protocol::messages::{MessagePage, MessageRole, SendMessage};
use echo_protocol::widget::DEFAULT_GREET_MESSAGE;
use echo_protocol::{ErrorBody, ErrorCode, OrganizationId};
use echo_server::admin;
use reqwest::StatusCode;

use crate::helpers::{assert_error, json, keys, spawn_app};

#[tokio::test]
async fn new_conversation_is_unresolved_and_opens_with_the_greeting() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let response = app
        .post(
            "/v1/conversations",
            &CreateConversation {
                organization_id: visitor.organization_id,
            },
            Some(visitor.token()),
        )
        .await;
    let value: serde_json::Value = json(response, StatusCode::CREATED).await;
    assert_eq!(keys(&value), ["conversationId", "status"]);
    let created: ConversationCreated = serde_json::from_value(value).unwrap();
    assert_eq!(created.status, ConversationStatus::Unresolved);

    let page: MessagePage = json(
        app.get(
            &format!("/v1/conversations/{}/messages", created.conversation_id),
            Some(visitor.token()),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(page.messages.len(), 1);
    assert_eq!(page.messages[0].role, MessageRole::Assistant);
    assert_eq!(page.messages[0].text, DEFAULT_GREET_MESSAGE);
}

#[tokio::test]
async fn the_greeting_is_the_organizations_own() {
    let app = spawn_app().await;
    admin::set_widget_settings(
        app.store.as_ref(),
        app.org.organization_id,
        "Ahoy from Acme",
        &[],
    )
    .await
    .unwrap();
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let page: MessagePage = json(
        app.get(
            &format!("/v1/conversations/{conversation}/messages"),
            Some(visitor.token()),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(page.messages[0].text, "Ahoy from Acme");
}

#[tokio::test]
async fn a_session_cannot_open_a_conversation_with_another_organization() {
    let app = spawn_app().await;
    let other = app.create_org("Globex").await;
    let visitor = app.visitor().await;
    let response = app
        .post(
            "/v1/conversations",
            &CreateConversation {
                organization_id: other.organization_id,
            },
            Some(visitor.token()),
        )
        .await;
    assert_error(response, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    assert_eq!(app.count("conversations").await, 0);
}

#[tokio::test]
async fn unknown_organization_cannot_get_a_conversation() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let unknown = OrganizationId::parse("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap();
    let response = app
        .post(
            "/v1/conversations",
            &CreateConversation {
                organization_id: unknown,
            },
            Some(visitor.token()),
        )
        .await;
    assert_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    assert_eq!(app.count("conversations").await, 0);
}

#[tokio::test]
async fn get_one_returns_the_minimum() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let value: serde_json::Value = json(
        app.get(
            &format!("/v1/conversations/{conversation}"),
            Some(visitor.token()),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    // (A rating appears once the visitor rated.)
    assert_eq!(
        keys(&value),
        ["canRate", "conversationId", "createdAt", "status"]
    );
    assert_eq!(value["canRate"], false);
    let view: ConversationView = serde_json::from_value(value).unwrap();
    assert_eq!(view.conversation_id, conversation);
    assert_eq!(view.status, ConversationStatus::Unresolved);
}

#[tokio::test]
async fn another_sessions_conversation_is_indistinguishable_from_a_missing_one() {
    let app = spawn_app().await;
    let owner = app.visitor().await;
    let conversation = app.start_conversation(&owner).await;
    let same_org = app.visitor().await;
    let other_org = {
        let globex = app.create_org("Globex").await;
        app.visitor_of(globex.organization_id).await
    };
    let missing = "67e55044-10b1-426f-9247-bb680e5fe0c8";

    let read_paths = |id: &str| {
        vec![
            format!("/v1/conversations/{id}"),
            format!("/v1/conversations/{id}/messages"),
        ]
    };
    let expected: ErrorBody = assert_error(
        app.get(&format!("/v1/conversations/{missing}"), Some(owner.token()))
            .await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;

    for intruder in [&same_org, &other_org] {
        for path in read_paths(&conversation.to_string())
            .iter()
            .chain(&read_paths(missing))
        {
            let body = assert_error(
                app.get(path, Some(intruder.token())).await,
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
            )
            .await;
            assert_eq!(body, expected, "{path}");
        }
        let body = assert_error(
            app.post(
                &format!("/v1/conversations/{conversation}/messages"),
                &SendMessage {
                    text: "let me in".into(),
                    idempotency_key: None,
                    attachment_ids: Vec::new(),
                },
                Some(intruder.token()),
            )
            .await,
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
        )
        .await;
        assert_eq!(body, expected);
        let listed: ConversationPage = json(
            app.get("/v1/conversations", Some(intruder.token())).await,
            StatusCode::OK,
        )
        .await;
        assert!(listed.conversations.is_empty());
    }
    assert_eq!(app.count("messages").await, 1, "only the greeting");
}

#[tokio::test]
async fn list_is_newest_first_paginated_and_carries_the_last_message() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(app.start_conversation(&visitor).await);
        app.clock.advance_secs(1);
    }
    let last = created[4];
    app.post(
        &format!("/v1/conversations/{last}/messages"),
        &SendMessage {
            text: "Where is my order?".into(),
            idempotency_key: None,
            attachment_ids: Vec::new(),
        },
        Some(visitor.token()),
    )
    .await;

    let first: serde_json::Value = json(
        app.get("/v1/conversations?limit=2", Some(visitor.token()))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        keys(&first["conversations"][0]),
        ["conversationId", "createdAt", "lastMessage", "status"]
    );
    let first: ConversationPage = serde_json::from_value(first).unwrap();
    assert_eq!(
        first
            .conversations
            .iter()
            .map(|c| c.conversation_id)
            .collect::<Vec<_>>(),
        [created[4], created[3]]
    );
    let preview = first.conversations[0].last_message.as_ref().unwrap();
    assert_eq!(
        (preview.role, preview.text.as_str()),
        (MessageRole::Visitor, "Where is my order?")
    );
    assert_eq!(
        first.conversations[1].last_message.as_ref().unwrap().text,
        DEFAULT_GREET_MESSAGE
    );

    let mut seen: Vec<_> = first
        .conversations
        .iter()
        .map(|c| c.conversation_id)
        .collect();
    let mut cursor = first.next_cursor;
    while let Some(c) = cursor {
        let page: ConversationPage = json(
            app.get(
                &format!("/v1/conversations?limit=2&cursor={c}"),
                Some(visitor.token()),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        seen.extend(page.conversations.iter().map(|c| c.conversation_id));
        cursor = page.next_cursor;
    }
    created.reverse();
    assert_eq!(seen, created);
}
