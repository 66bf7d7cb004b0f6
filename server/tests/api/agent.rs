//! The AI support agent against a scripted OpenAI-compatible model: it
//! answers in the background through the push channel, searches only its
//! organization's knowledge base, escalates and resolves through tool calls,
//! and stays quiet when it should.

use std::time::{Duration, Instant};

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::events::{Change, Typist};
use echo_protocol::messages::{Message, MessagePage, MessageRole, SendMessage};
use echo_protocol::ConversationId;
use echo_server::agent::{ESCALATED_TEXT, RESOLVED_TEXT};
use echo_server::store::SubscriptionStatus;
use reqwest::StatusCode;
use serde_json::{json as j, Value};

use crate::helpers::{json, SseReader, TestApp, TestVisitor};
use crate::pro::app_with_llm;
use crate::scripted_llm::{Answer, ScriptedLlm};

struct Chat {
    visitor: TestVisitor,
    conversation: ConversationId,
    events: SseReader,
}

async fn open_chat(app: &TestApp) -> Chat {
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let mut events = app
        .visitor_events(visitor.token(), conversation, None)
        .await;
    assert_eq!(events.next().await.event, "ready");
    Chat {
        visitor,
        conversation,
        events,
    }
}

async fn say(app: &TestApp, chat: &Chat, text: &str) -> reqwest::Response {
    app.post(
        &format!("/v1/conversations/{}/messages", chat.conversation),
        &SendMessage {
            text: text.into(),
            idempotency_key: None,
            attachment_ids: Vec::new(),
        },
        Some(chat.visitor.token()),
    )
    .await
}

/// The changes the stream delivers until (and including) typing stops.
async fn until_typing_stops(events: &mut SseReader) -> Vec<Change> {
    let mut changes = Vec::new();
    loop {
        let change = events.next().await.live().change;
        let done = change
            == Change::Typing {
                active: false,
                by: Typist::Assistant,
                name: None,
            };
        changes.push(change);
        if done {
            return changes;
        }
    }
}

fn message_of(change: &Change) -> Option<&Message> {
    match change {
        Change::Message { message } => Some(message),
        _ => None,
    }
}

async fn history(app: &TestApp, chat: &Chat) -> Vec<Message> {
    let response = app
        .get(
            &format!("/v1/conversations/{}/messages", chat.conversation),
            Some(chat.visitor.token()),
        )
        .await;
    json::<MessagePage>(response, StatusCode::OK).await.messages
}

fn tool_results(request: &Value) -> Vec<String> {
    request["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["content"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn the_agent_searches_the_knowledge_base_and_answers_live() {
    let llm = ScriptedLlm::start([
        Answer::Tool("search_knowledge_base", j!({"query": "refund policy"})),
        Answer::Text("Refunds are paid within **14 days** of the return.".into()),
    ])
    .await;
    let app = app_with_llm(&llm, Duration::from_secs(5)).await;
    let key = &app.org.operator_key;
    app.upload(
        key,
        "refunds.md",
        "text/markdown",
        b"# Refunds\n\nRefunds are paid within 14 days of the return.".to_vec(),
    )
    .await;
    let mut chat = open_chat(&app).await;

    let started = Instant::now();
    let sent = say(&app, &chat, "How do refunds work?").await;
    assert_eq!(sent.status(), StatusCode::CREATED);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the send does not wait for the model"
    );

    let changes = until_typing_stops(&mut chat.events).await;
    let kinds: Vec<&str> = changes.iter().map(Change::kind).collect();
    assert_eq!(kinds, ["message", "typing", "message", "typing"]);
    assert_eq!(
        changes[1],
        Change::Typing {
            active: true,
            by: Typist::Assistant,
            name: None
        }
    );
    let reply = message_of(&changes[2]).unwrap();
    assert_eq!(reply.role, MessageRole::Assistant);
    assert_eq!(
        reply.text,
        "Refunds are paid within **14 days** of the return."
    );

    let requests = llm.requests();
    assert_eq!(requests.len(), 2);
    let first = &requests[0];
    let tools: Vec<&str> = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        tools,
        [
            "search_knowledge_base",
            "escalate_conversation",
            "resolve_conversation"
        ]
    );
    let messages = first["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "system");
    assert!(messages[0]["content"]
        .as_str()
        .unwrap()
        .contains("search_knowledge_base"));
    assert_eq!(messages[1]["role"], "assistant", "the greeting");
    assert_eq!(messages.last().unwrap()["content"], "How do refunds work?");
    let results = tool_results(&requests[1]);
    assert_eq!(results.len(), 1);
    assert!(results[0].contains("within 14 days"), "{}", results[0]);
    assert!(results[0].contains("refunds.md"));

    let stored = history(&app, &chat).await;
    assert_eq!(stored.len(), 3, "greeting, question, answer");
    let view = app
        .get(
            &format!("/v1/conversations/{}", chat.conversation),
            Some(chat.visitor.token()),
        )
        .await;
    let view: Value = json(view, StatusCode::OK).await;
    assert_eq!(view["status"], "unresolved");
}

#[tokio::test]
async fn asking_for_a_human_escalates_and_the_agent_then_stays_quiet() {
    let llm = ScriptedLlm::start([Answer::Tool("escalate_conversation", j!({}))]).await;
    let app = app_with_llm(&llm, Duration::from_secs(5)).await;
    let mut operator = app.operator_events(&app.org.operator_key).await;
    assert_eq!(operator.next().await.event, "ready");
    let mut chat = open_chat(&app).await;
    say(&app, &chat, "I want to talk to a real person").await;

    let changes = until_typing_stops(&mut chat.events).await;
    assert_eq!(
        message_of(&changes[2]).map(|m| (m.role, m.text.as_str())),
        Some((MessageRole::Assistant, ESCALATED_TEXT))
    );
    assert_eq!(
        changes[3],
        Change::Status {
            status: ConversationStatus::Escalated
        }
    );
    // The operator's console sees the escalation live (typing is not sent there
    // as anything it shows, but arrives on the same stream).
    let mut statuses = Vec::new();
    while statuses.is_empty() {
        if let Change::Status { status } = operator.next().await.live().change {
            statuses.push(status);
        }
    }
    assert_eq!(statuses, [ConversationStatus::Escalated]);

    say(&app, &chat, "Hello? Anyone?").await;
    assert_eq!(chat.events.next().await.live().change.kind(), "message");
    assert!(
        chat.events
            .next_within(Duration::from_millis(500))
            .await
            .is_none(),
        "no typing, no reply in an escalated conversation"
    );
    assert_eq!(llm.requests().len(), 1);
}

#[tokio::test]
async fn a_visitor_who_is_done_gets_the_conversation_resolved() {
    let llm = ScriptedLlm::start([Answer::Tool("resolve_conversation", j!({}))]).await;
    let app = app_with_llm(&llm, Duration::from_secs(5)).await;
    let mut chat = open_chat(&app).await;
    say(&app, &chat, "That's all, thanks, bye!").await;

    let changes = until_typing_stops(&mut chat.events).await;
    assert_eq!(message_of(&changes[2]).unwrap().text, RESOLVED_TEXT);
    assert_eq!(
        changes[3],
        Change::Status {
            status: ConversationStatus::Resolved
        }
    );
    assert_eq!(
        say(&app, &chat, "one more thing").await.status(),
        StatusCode::CONFLICT
    );
}

#[tokio::test]
async fn no_subscription_means_no_reply_and_no_model_call() {
    let llm = ScriptedLlm::start([Answer::Text("should not be sent".into())]).await;
    let app = app_with_llm(&llm, Duration::from_secs(5)).await;
    app.store
        .set_subscription(app.org.organization_id, SubscriptionStatus::Inactive)
        .await
        .unwrap();
    let mut chat = open_chat(&app).await;
    assert_eq!(
        say(&app, &chat, "Hello?").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(chat.events.next().await.live().change.kind(), "message");
    assert!(chat
        .events
        .next_within(Duration::from_millis(500))
        .await
        .is_none());
    assert!(llm.requests().is_empty());
    assert_eq!(history(&app, &chat).await.len(), 2);
}

#[tokio::test]
async fn a_failing_model_keeps_the_message_and_ends_the_typing_state() {
    let llm = ScriptedLlm::start([
        Answer::Status(500),
        Answer::Status(500),
        Answer::Status(500),
        Answer::Status(500),
    ])
    .await;
    let app = app_with_llm(&llm, Duration::from_secs(5)).await;
    let mut chat = open_chat(&app).await;
    assert_eq!(
        say(&app, &chat, "Is anyone there?").await.status(),
        StatusCode::CREATED
    );
    let changes = until_typing_stops(&mut chat.events).await;
    let kinds: Vec<&str> = changes.iter().map(Change::kind).collect();
    assert_eq!(
        kinds,
        ["message", "typing", "typing"],
        "no reply, typing ended"
    );
    assert_eq!(llm.requests().len(), 4, "one attempt and three retries");
    let stored = history(&app, &chat).await;
    assert_eq!(stored.last().unwrap().text, "Is anyone there?");
}

#[tokio::test]
async fn a_slow_model_times_out_without_blocking_the_send() {
    let slow = || Answer::Slow(Duration::from_secs(3), "too late".into());
    let llm = ScriptedLlm::start([slow(), slow(), slow(), slow()]).await;
    let app = app_with_llm(&llm, Duration::from_millis(200)).await;
    let mut chat = open_chat(&app).await;
    let started = Instant::now();
    assert_eq!(
        say(&app, &chat, "Hello").await.status(),
        StatusCode::CREATED
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    let changes = until_typing_stops(&mut chat.events).await;
    assert_eq!(changes.len(), 3, "{changes:?}");
    assert!(history(&app, &chat)
        .await
        .iter()
        .all(|m| m.text != "too late"));
}

#[tokio::test]
async fn an_operator_who_takes_over_mid_answer_wins() {
    let llm = ScriptedLlm::start([Answer::Slow(
        Duration::from_millis(700),
        "the agent's late answer".into(),
    )])
    .await;
    let app = app_with_llm(&llm, Duration::from_secs(5)).await;
    let mut chat = open_chat(&app).await;
    say(&app, &chat, "Help please").await;
    llm.wait_for_requests(1).await;
    let reply = app
        .operator_reply(
            &app.org.operator_key,
            chat.conversation,
            "Hi, I'm Sam from support.",
        )
        .await;
    assert_eq!(reply.status(), StatusCode::CREATED);
    let changes = until_typing_stops(&mut chat.events).await;
    assert!(
        changes
            .iter()
            .filter_map(message_of)
            .all(|m| m.role != MessageRole::Assistant),
        "{changes:?}"
    );
    let texts: Vec<String> = history(&app, &chat)
        .await
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert!(!texts.contains(&"the agent's late answer".to_owned()));
}

#[tokio::test]
async fn the_agent_only_searches_its_own_organizations_files() {
    let llm = ScriptedLlm::start([
        Answer::Tool("search_knowledge_base", j!({"query": "zeppelin launch"})),
        Answer::Text("I have no information about that. Shall I get a colleague?".into()),
    ])
    .await;
    let app = app_with_llm(&llm, Duration::from_secs(5)).await;
    app.upload(
        &app.org.operator_key,
        "secret.md",
        "text/markdown",
        b"Project zeppelin launches in May.".to_vec(),
    )
    .await;
    let other = app.create_org("Globex").await;
    app.store
        .set_subscription(other.organization_id, SubscriptionStatus::Active)
        .await
        .unwrap();
    let visitor = app.visitor_of(other.organization_id).await;
    let conversation = app.start_conversation(&visitor).await;
    let mut events = app
        .visitor_events(visitor.token(), conversation, None)
        .await;
    events.next().await;
    let chat = Chat {
        visitor,
        conversation,
        events,
    };
    say(&app, &chat, "When does zeppelin launch?").await;
    let mut chat = chat;
    until_typing_stops(&mut chat.events).await;
    let requests = llm.requests();
    let results = tool_results(&requests[1]);
    assert_eq!(
        results,
        ["No relevant information was found in the knowledge base."]
    );
    assert!(!requests[1].to_string().contains("May."));
}
