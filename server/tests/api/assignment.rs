//! Assignment, who answered, API keys and organization isolation for
//! signed-in operators.

use echo_protocol::events::Change;
use echo_protocol::messages::{Message, MessagePage};
use echo_protocol::operator::{OperatorConversation, OperatorConversationPage};
use echo_protocol::team::{ApiKeyCreated, ApiKeys, OperatorRole};
use echo_protocol::{ConversationId, ErrorCode};
use reqwest::{Method, StatusCode};

use crate::helpers::{assert_error, json, spawn_app, SseReader, TestApp};
use crate::members::Member;

fn reply_body(text: &str) -> serde_json::Value {
    serde_json::json!({"text": text})
}

async fn reply_as(app: &TestApp, member: &Member, id: ConversationId, text: &str) -> Message {
    let path = format!("/v1/operator/conversations/{id}/messages");
    json(
        app.member_post(&path, &member.cookie, &reply_body(text))
            .await,
        StatusCode::CREATED,
    )
    .await
}

async fn inbox(app: &TestApp, member: &Member, query: &str) -> Vec<ConversationId> {
    let page: OperatorConversationPage = json(
        app.member_get(
            &format!("/v1/operator/conversations?{query}"),
            &member.cookie,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    page.conversations
        .iter()
        .map(|c| c.conversation_id)
        .collect()
}

async fn assign(
    app: &TestApp,
    member: &Member,
    id: ConversationId,
    assignee: serde_json::Value,
) -> reqwest::Response {
    app.as_member(
        Method::PATCH,
        &format!("/v1/operator/conversations/{id}"),
        &member.cookie,
        Some(&serde_json::json!({ "assigneeId": assignee })),
    )
    .await
}

/// The next assignment on an operator stream (other events skipped).
async fn next_assignment(stream: &mut SseReader) -> Option<echo_protocol::team::Assignee> {
    loop {
        let frame = stream.next().await;
        if frame.event == "assignment" {
            match frame.live().change {
                Change::Assignment { assignee } => return assignee,
                other => panic!("{other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn conversations_are_assigned_filtered_and_announced() {
    let app = spawn_app().await;
    let org = app.org.organization_id;
    let ada = app
        .member(org, "ada@example.com", OperatorRole::Admin)
        .await;
    let bob = app
        .member(org, "bob@example.com", OperatorRole::Agent)
        .await;
    let visitor = app.visitor().await;
    let first = app.start_conversation(&visitor).await;
    let second = app.start_conversation(&visitor).await;
    let mut stream = app.operator_events(&app.org.operator_key).await;
    assert_eq!(stream.next().await.event, "ready");
    let mut visitor_stream = app.visitor_events(visitor.token(), first, None).await;
    assert_eq!(visitor_stream.next().await.event, "ready");

    let assigned = assign(&app, &ada, first, serde_json::json!(bob.id())).await;
    let assigned: OperatorConversation = json(assigned, StatusCode::OK).await;
    assert_eq!(assigned.assignee.as_ref().unwrap().operator_id, bob.id());
    assert_eq!(assigned.assignee.unwrap().name, "bob");
    assert_eq!(
        next_assignment(&mut stream).await.unwrap().operator_id,
        bob.id()
    );

    assert_eq!(inbox(&app, &bob, "assignee=me").await, [first]);
    assert_eq!(
        inbox(&app, &ada, "assignee=me").await,
        Vec::<ConversationId>::new()
    );
    assert_eq!(inbox(&app, &ada, "assignee=none").await, [second]);
    assert_eq!(
        inbox(&app, &ada, &format!("assignee={}", bob.id())).await,
        [first]
    );
    assert_eq!(inbox(&app, &ada, "").await.len(), 2);
    let bad = app
        .member_get("/v1/operator/conversations?assignee=someone", &ada.cookie)
        .await;
    assert_error(bad, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
    // An API key is nobody: nothing is assigned to it.
    let me_by_key: OperatorConversationPage = json(
        app.operator_get(
            &app.org.operator_key,
            "/v1/operator/conversations?assignee=me",
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(me_by_key.conversations.is_empty());

    // Only members can be assignees.
    let outsider = app.create_org("Globex").await.organization_id;
    let carol = app
        .member(outsider, "carol@example.com", OperatorRole::Admin)
        .await;
    let refused = assign(&app, &ada, second, serde_json::json!(carol.id())).await;
    assert_error(refused, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;

    // A reply to an unassigned conversation takes it; an assigned one stays.
    reply_as(&app, &ada, second, "I'll take this").await;
    assert_eq!(
        next_assignment(&mut stream).await.unwrap().operator_id,
        ada.id()
    );
    reply_as(&app, &ada, first, "helping Bob").await;
    assert_eq!(inbox(&app, &bob, "assignee=me").await, [first]);
    assert_eq!(inbox(&app, &ada, "assignee=me").await, [second]);

    let unassigned = assign(&app, &bob, first, serde_json::Value::Null).await;
    let unassigned: OperatorConversation = json(unassigned, StatusCode::OK).await;
    assert!(unassigned.assignee.is_none());
    assert!(next_assignment(&mut stream).await.is_none());

    // The visitor's stream carried the replies, never an assignment.
    let mut kinds = Vec::new();
    while let Some(frame) = visitor_stream
        .next_within(std::time::Duration::from_millis(500))
        .await
    {
        kinds.push(frame.event);
    }
    assert!(kinds.contains(&"message".to_owned()), "{kinds:?}");
    assert!(!kinds.contains(&"assignment".to_owned()), "{kinds:?}");
}

#[tokio::test]
async fn visitors_see_who_answered_by_name_only() {
    let app = spawn_app().await;
    let org = app.org.organization_id;
    let ada = app
        .member(org, "ada@example.com", OperatorRole::Admin)
        .await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let mut visitor_stream = app
        .visitor_events(visitor.token(), conversation, None)
        .await;
    assert_eq!(visitor_stream.next().await.event, "ready");

    let sent = reply_as(&app, &ada, conversation, "Hello from Ada").await;
    assert_eq!(sent.author_name.as_deref(), Some("ada"));
    assert_eq!(sent.author.as_ref().unwrap().operator_id, Some(ada.id()));
    let by_key = app
        .operator_reply(&app.org.operator_key, conversation, "Hello from the team")
        .await;
    let by_key: Message = json(by_key, StatusCode::CREATED).await;
    assert_eq!(by_key.author_name.as_deref(), Some("Acme"));
    assert_eq!(by_key.author.as_ref().unwrap().operator_id, None);

    let operator_view: MessagePage = json(
        app.member_get(
            &format!("/v1/operator/conversations/{conversation}/messages"),
            &ada.cookie,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let last = operator_view
        .messages
        .iter()
        .find(|m| m.id == sent.id)
        .unwrap();
    assert_eq!(last.author.as_ref().unwrap().name, "ada");

    let visitor_view = app
        .get(
            &format!("/v1/conversations/{conversation}/messages"),
            Some(visitor.token()),
        )
        .await
        .text()
        .await
        .unwrap();
    let ada_id = ada.id().to_string();
    assert!(
        visitor_view.contains(r#""authorName":"ada""#),
        "{visitor_view}"
    );
    assert!(
        visitor_view.contains(r#""authorName":"Acme""#),
        "{visitor_view}"
    );
    for hidden in [
        ada_id.as_str(),
        "ada@example.com",
        "\"author\"",
        "operatorId",
    ] {
        assert!(!visitor_view.contains(hidden), "{hidden} in {visitor_view}");
    }
    let frame = visitor_stream.next().await;
    assert_eq!(frame.event, "message");
    assert!(
        frame.data.contains(r#""authorName":"ada""#),
        "{}",
        frame.data
    );
    for hidden in [ada_id.as_str(), "ada@example.com", "operatorId"] {
        assert!(!frame.data.contains(hidden), "{hidden} in {}", frame.data);
    }
}

#[tokio::test]
async fn a_cookie_acts_only_in_its_organization() {
    let app = spawn_app().await;
    let ada = app
        .member(
            app.org.organization_id,
            "ada@example.com",
            OperatorRole::Admin,
        )
        .await;
    let other = app.create_org("Globex").await;
    let stranger = app.visitor_of(other.organization_id).await;
    let theirs = app.start_conversation(&stranger).await;
    let ours_visitor = app.visitor().await;
    let ours = app.start_conversation(&ours_visitor).await;

    assert_eq!(inbox(&app, &ada, "").await, [ours]);
    for path in [
        format!("/v1/operator/conversations/{theirs}"),
        format!("/v1/operator/conversations/{theirs}/messages"),
    ] {
        let hidden = app.member_get(&path, &ada.cookie).await;
        assert_error(hidden, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    }
    let write = app
        .member_post(
            &format!("/v1/operator/conversations/{theirs}/messages"),
            &ada.cookie,
            &reply_body("hi"),
        )
        .await;
    assert_error(write, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let assigned = assign(&app, &ada, theirs, serde_json::json!(ada.id())).await;
    assert_error(assigned, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let choose = app
        .member_post(
            "/v1/auth/organization",
            &ada.cookie,
            &serde_json::json!({"organizationId": other.organization_id}),
        )
        .await;
    assert_error(choose, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    let team = app
        .member_get("/v1/operator/team", &ada.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(!team.contains("Globex"));
}

#[tokio::test]
async fn api_keys_are_named_shown_once_and_stop_at_once_when_deleted() {
    let app = spawn_app().await;
    let ada = app
        .member(
            app.org.organization_id,
            "ada@example.com",
            OperatorRole::Admin,
        )
        .await;
    let listed: ApiKeys = json(
        app.member_get("/v1/operator/api-keys", &ada.cookie).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed.api_keys.len(), 1, "the organization's first key");
    assert_eq!(listed.api_keys[0].name, "Default");

    let blank = app
        .member_post(
            "/v1/operator/api-keys",
            &ada.cookie,
            &serde_json::json!({"name": " "}),
        )
        .await;
    assert_error(blank, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
    let created = app
        .member_post(
            "/v1/operator/api-keys",
            &ada.cookie,
            &serde_json::json!({"name": "CI"}),
        )
        .await;
    let created: ApiKeyCreated = json(created, StatusCode::CREATED).await;
    assert!(created.key.starts_with("ok_"));
    let stored = app
        .scalar_text(&format!(
            "SELECT key_hash FROM api_keys WHERE id = '{}'",
            created.key_id
        ))
        .await;
    assert!(!stored.contains(&created.key[3..]));
    let listing = app
        .member_get("/v1/operator/api-keys", &ada.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(listing.contains("\"CI\"") && !listing.contains(&created.key));
    let works = app
        .operator_get(&created.key, "/v1/operator/conversations")
        .await;
    assert_eq!(works.status(), StatusCode::OK);

    // Another organization cannot delete it; its owner can, and it stops.
    let other = app.create_org("Globex").await;
    let foreign = app
        .client
        .delete(app.url(&format!("/v1/operator/api-keys/{}", created.key_id)))
        .bearer_auth(&other.operator_key)
        .send()
        .await
        .unwrap();
    assert_error(foreign, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let deleted = app
        .as_member::<()>(
            Method::DELETE,
            &format!("/v1/operator/api-keys/{}", created.key_id),
            &ada.cookie,
            None,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let stopped = app
        .operator_get(&created.key, "/v1/operator/conversations")
        .await;
    assert_error(stopped, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    let default = app
        .operator_get(&app.org.operator_key, "/v1/operator/conversations")
        .await;
    assert_eq!(default.status(), StatusCode::OK);
}
