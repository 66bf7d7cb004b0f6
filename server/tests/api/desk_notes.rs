//! Private notes and mentions. A note reaches the team and nobody else:
//! every visitor-facing output is read here to prove it (their message
//! list and polling, their live stream and its replay, their list of
//! conversations, the assistant's context; the mails in `desk_mail.rs`).

use std::time::Duration;

use echo_protocol::conversations::{ConversationPage, ConversationStatus};
use echo_protocol::desk::Mentions;
use echo_protocol::events::Change;
use echo_protocol::messages::{MessagePage, MessageRole, SendMessage};
use echo_protocol::operator::OperatorConversation;
use echo_protocol::team::OperatorRole;
use echo_protocol::ErrorCode;
use reqwest::{Method, StatusCode};
use serde_json::json as body;

use crate::helpers::{assert_error, json, spawn_app, SseReader};
use crate::pro::app_with_llm;
use crate::scripted_llm::{Answer, ScriptedLlm};

const SECRET: &str = "VIP: card ends 4242, be careful";
/// What a leak of the note would show. Not "4242" alone: a random UUID
/// in a frame (a conversation's ID) held those digits once and failed
/// the test.
const LEAK: &str = "card ends 4242";

/// Reads the stream until a message with `text` arrives; panics if a note
/// (or the secret) comes first.
async fn until_message(stream: &mut SseReader, text: &str) {
    loop {
        let frame = stream.next().await;
        assert!(
            !frame.data.contains(LEAK),
            "a note reached a visitor: {}",
            frame.data
        );
        if let Some(Change::Message { message }) =
            (frame.event == "message").then(|| frame.live().change)
        {
            assert_ne!(message.role, MessageRole::Note);
            if message.text == text {
                return;
            }
        }
    }
}

#[tokio::test]
async fn a_note_reaches_the_team_and_never_the_visitor() {
    let app = spawn_app().await;
    let org = app.org.organization_id;
    let ada = app.member(org, "ada@acme.test", OperatorRole::Agent).await;
    let visitor = app.visitor().await;
    let id = app.start_conversation(&visitor).await;
    let mut widget = app.visitor_events(visitor.token(), id, None).await;
    assert_eq!(widget.next().await.event, "ready");
    let greeting = app.visitor_messages(&visitor, id).await[0].id;

    let note = app.note(&ada, id, SECRET, body!([])).await;
    assert_eq!(note.role, MessageRole::Note);
    assert_eq!(note.author.as_ref().unwrap().operator_id, Some(ada.id()));
    assert_eq!(note.author_name.as_deref(), Some("ada"));

    // It changed nothing: still the assistant's, still nobody's.
    let path = format!("/v1/operator/conversations/{id}");
    let detail: OperatorConversation =
        json(app.key_call(Method::GET, &path, None).await, StatusCode::OK).await;
    assert_eq!(detail.status, ConversationStatus::Unresolved);
    assert!(detail.assignee.is_none());

    // Live: the visitor's next message is the reply after it.
    let reply = app
        .operator_reply(&app.org.operator_key, id, "Hello from us")
        .await;
    assert_eq!(reply.status(), StatusCode::CREATED);
    until_message(&mut widget, "Hello from us").await;
    let late = app
        .note(&ada, id, &format!("{SECRET} (again)"), body!([]))
        .await;

    // History, polling after the greeting, and the replayed stream.
    let texts: Vec<String> = app
        .visitor_messages(&visitor, id)
        .await
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    let polled: MessagePage = json(
        app.get(
            &format!("/v1/conversations/{id}/messages?after={greeting}"),
            Some(visitor.token()),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(polled.messages.len(), 1);
    assert_eq!(polled.messages[0].text, "Hello from us");
    let mut replay = app.visitor_events(visitor.token(), id, Some(0)).await;
    app.operator_reply(&app.org.operator_key, id, "Marker")
        .await;
    until_message(&mut replay, "Marker").await;
    // Their conversation list shows the last message they can see.
    let list: ConversationPage = json(
        app.get("/v1/conversations", Some(visitor.token())).await,
        StatusCode::OK,
    )
    .await;
    let note_after = app.note(&ada, id, "last word is a note", body!([])).await;
    let list_after: ConversationPage = json(
        app.get("/v1/conversations", Some(visitor.token())).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        list_after.conversations[0]
            .last_message
            .as_ref()
            .unwrap()
            .text,
        "Marker"
    );
    assert_eq!(
        list.conversations[0].last_message,
        list_after.conversations[0].last_message
    );

    // The team reads all of it, in order.
    let team: Vec<_> = app
        .team_messages(id)
        .await
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert!(team.contains(&note.id) && team.contains(&late.id) && team.contains(&note_after.id));

    // A resolved conversation still takes notes, and stays resolved.
    app.operator_set_status(&app.org.operator_key, id, ConversationStatus::Resolved)
        .await;
    app.note(&ada, id, "closing remark", body!([])).await;
    let detail: OperatorConversation =
        json(app.key_call(Method::GET, &path, None).await, StatusCode::OK).await;
    assert_eq!(detail.status, ConversationStatus::Resolved);
}

#[tokio::test]
async fn bad_notes_are_refused_and_store_nothing() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let id = app.start_conversation(&visitor).await;
    let path = format!("/v1/operator/conversations/{id}/notes");
    let before = app.count("messages").await;
    let too_many: Vec<String> = (0..21).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    for case in [
        body!({"text": "\u{200b}\u{200c}\u{2060}\u{feff} "}),
        body!({"text": ""}),
        body!({"text": "x".repeat(4001)}),
        body!({"text": "ok", "mentions": too_many}),
        body!({"text": "ok", "mentions": ["not-an-id"]}),
    ] {
        let response = app.key_call(Method::POST, &path, Some(case.clone())).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{case}");
    }
    assert_eq!(app.count("messages").await, before);
    let other = app.create_org("Globex").await;
    let foreign = app
        .client
        .post(app.url(&path))
        .bearer_auth(&other.operator_key)
        .json(&body!({"text": "hello"}))
        .send()
        .await
        .unwrap();
    assert_error(foreign, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}

#[tokio::test]
async fn mentions_reach_members_only_live_and_in_their_list() {
    let app = spawn_app().await;
    let org = app.org.organization_id;
    let ada = app.member(org, "ada@acme.test", OperatorRole::Admin).await;
    let bob = app.member(org, "bob@acme.test", OperatorRole::Agent).await;
    let other = app.create_org("Globex").await;
    let stranger = app
        .member(
            other.organization_id,
            "eve@globex.test",
            OperatorRole::Admin,
        )
        .await;
    let visitor = app.visitor().await;
    let id = app.start_conversation(&visitor).await;
    let mut bobs_console = SseReader::new(
        app.client
            .get(app.url("/v1/operator/events"))
            .header("cookie", &bob.cookie)
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(bobs_console.next().await.event, "ready");

    // Any member may list whom to mention: names, no emails.
    let members: serde_json::Value = json(
        app.member_get("/v1/operator/members", &bob.cookie).await,
        StatusCode::OK,
    )
    .await;
    let names: Vec<&str> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ada", "bob"]);
    assert!(!members.to_string().contains("@acme.test"));

    let note = app
        .note(
            &ada,
            id,
            "@bob can you take this one?",
            body!([bob.id(), stranger.id(), uuid::Uuid::new_v4(), bob.id()]),
        )
        .await;
    assert_eq!(note.mentions, [bob.id()], "members only, each once");
    let live = loop {
        let frame = bobs_console.next().await;
        if frame.event == "message" {
            break frame.live().change;
        }
    };
    match live {
        Change::Message { message } => {
            assert_eq!(message.id, note.id);
            assert_eq!(message.mentions, [bob.id()]);
        }
        other => panic!("{other:?}"),
    }

    let mentions: Mentions = json(
        app.member_get("/v1/operator/mentions", &bob.cookie).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(mentions.unread, 1);
    assert_eq!(mentions.mentions[0].conversation_id, id);
    assert_eq!(mentions.mentions[0].author_name, "ada");
    let adas: Mentions = json(
        app.member_get("/v1/operator/mentions", &ada.cookie).await,
        StatusCode::OK,
    )
    .await;
    assert!(adas.mentions.is_empty());

    let read = app
        .member_post(
            "/v1/operator/mentions/read",
            &bob.cookie,
            &body!({"conversationId": id}),
        )
        .await;
    assert_eq!(read.status(), StatusCode::NO_CONTENT);
    let after: Mentions = json(
        app.member_get("/v1/operator/mentions", &bob.cookie).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(after.unread, 0);
    assert!(after.mentions[0].read_at.is_some());
}

#[tokio::test]
async fn the_assistant_never_reads_a_note() {
    let llm = ScriptedLlm::start([Answer::Text("Happy to help.".into())]).await;
    let app = app_with_llm(&llm, Duration::from_secs(5)).await;
    let ada = app
        .member(
            app.org.organization_id,
            "ada@acme.test",
            OperatorRole::Agent,
        )
        .await;
    let visitor = app.visitor().await;
    let id = app.start_conversation(&visitor).await;
    app.note(&ada, id, SECRET, body!([])).await;
    let sent = app
        .post(
            &format!("/v1/conversations/{id}/messages"),
            &SendMessage {
                text: "Can you help me?".into(),
                idempotency_key: None,
                attachment_ids: Vec::new(),
            },
            Some(visitor.token()),
        )
        .await;
    assert_eq!(sent.status(), StatusCode::CREATED);
    let request = llm.wait_for_requests(1).await.remove(0).to_string();
    assert!(request.contains("Can you help me?"));
    assert!(!request.contains(LEAK), "the model was shown a note");
}
