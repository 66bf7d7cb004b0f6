use echo_protocol::conversations::{ConversationStatus, ConversationView};
use echo_protocol::messages::{Message, MessagePage, MessageRole, SendMessage};
use echo_protocol::ErrorCode;
use echo_server::store::new_message;
use reqwest::StatusCode;

use crate::helpers::{assert_error, json, keys, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_sent_message_is_stored_and_listed() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let path = format!("/v1/conversations/{conversation}/messages");
    let value: serde_json::Value = json(
        app.post(
            &path,
            &SendMessage {
                text: "  Hello **there**\n".into(),
                idempotency_key: None,
                attachment_ids: Vec::new(),
            },
            Some(visitor.token()),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(keys(&value), ["createdAt", "id", "role", "text"]);
    let sent: Message = serde_json::from_value(value).unwrap();
    assert_eq!(sent.text, "Hello **there**", "trimmed");
    assert_eq!(sent.role, MessageRole::Visitor);

    let page: MessagePage = json(app.get(&path, Some(visitor.token())).await, StatusCode::OK).await;
    assert_eq!(page.messages.len(), 2);
    assert_eq!(page.messages[1], sent);
    assert_eq!(page.next_cursor, None);
}

#[tokio::test]
async fn messages_from_others_show_up_in_the_history() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let path = format!("/v1/conversations/{conversation}/messages");
    let first: MessagePage =
        json(app.get(&path, Some(visitor.token())).await, StatusCode::OK).await;
    let greeting = first.messages[0].id;

    let reply = new_message(
        MessageRole::Operator,
        "An operator here".into(),
        app.clock.now(),
    );
    app.store
        .add_message_unscoped(conversation, reply.clone())
        .await
        .unwrap();

    let newer: MessagePage = json(
        app.get(&format!("{path}?after={greeting}"), Some(visitor.token()))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(newer.messages, [reply]);
}

#[tokio::test]
async fn a_resolved_conversation_takes_no_message() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    app.store
        .set_status_unscoped(conversation, ConversationStatus::Resolved, app.clock.now())
        .await
        .unwrap();
    let view: ConversationView = json(
        app.get(
            &format!("/v1/conversations/{conversation}"),
            Some(visitor.token()),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(view.status, ConversationStatus::Resolved);

    let response = app
        .post(
            &format!("/v1/conversations/{conversation}/messages"),
            &SendMessage {
                text: "one more thing".into(),
                idempotency_key: None,
                attachment_ids: Vec::new(),
            },
            Some(visitor.token()),
        )
        .await;
    assert_error(response, StatusCode::CONFLICT, ErrorCode::Conflict).await;
    assert_eq!(app.count("messages").await, 1, "only the greeting");
}

#[tokio::test]
async fn history_pages_backwards_with_a_cursor() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let path = format!("/v1/conversations/{conversation}/messages");
    for i in 0..24 {
        let send = SendMessage {
            text: format!("message {i}"),
            idempotency_key: None,
            attachment_ids: Vec::new(),
        };
        assert_eq!(
            app.post(&path, &send, Some(visitor.token())).await.status(),
            StatusCode::CREATED
        );
    }
    let mut texts: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let url = match &cursor {
            None => format!("{path}?limit=10"),
            Some(c) => format!("{path}?limit=10&cursor={c}"),
        };
        let page: MessagePage =
            json(app.get(&url, Some(visitor.token())).await, StatusCode::OK).await;
        pages += 1;
        let mut older: Vec<String> = page.messages.into_iter().map(|m| m.text).collect();
        older.append(&mut texts);
        texts = older;
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(texts.len(), 25);
    assert_eq!(texts[1], "message 0");
    assert_eq!(texts[24], "message 23");
}

#[tokio::test]
async fn concurrent_sends_all_land_once() {
    // 100 messages at once is volume: the abuse limits are off.
    let app = spawn_app_with(|c| c.limits = echo_server::limits::LimitSettings::off()).await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let path = format!("/v1/conversations/{conversation}/messages");
    let sends = (0..100).map(|i| {
        let request = app
            .client
            .post(app.url(&path))
            .bearer_auth(visitor.token())
            .json(&SendMessage {
                text: format!("burst {i}"),
                idempotency_key: None,
                attachment_ids: Vec::new(),
            });
        async move { request.send().await.unwrap().status() }
    });
    let statuses = futures_join_all(sends).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::CREATED),
        "{statuses:?}"
    );
    assert_eq!(app.count("messages").await, 101);
}

#[tokio::test]
async fn visitors_writing_at_once_have_each_message_stored_once_in_their_order() {
    // Many conversations written at once: on PostgreSQL their messages
    // share statements (one per conversation in each), on SQLite commits.
    let app = spawn_app_with(|c| {
        c.limits = echo_server::limits::LimitSettings::off();
        c.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let mut writers = Vec::new();
    for v in 0..20 {
        let visitor = app.visitor().await;
        let conversation = app.start_conversation(&visitor).await;
        let (client, url) = (app.client.clone(), app.url(""));
        writers.push(async move {
            let path = format!("{url}/v1/conversations/{conversation}/messages");
            for i in 0..5 {
                let send = SendMessage {
                    text: format!("visitor {v} message {i}"),
                    idempotency_key: Some(format!("key-{v}-{i}")),
                    attachment_ids: Vec::new(),
                };
                let sent = client.post(&path).bearer_auth(visitor.token()).json(&send);
                assert_eq!(sent.send().await.unwrap().status(), StatusCode::CREATED);
            }
            let page = client
                .get(&path)
                .bearer_auth(visitor.token())
                .send()
                .await
                .unwrap();
            let page: MessagePage = page.json().await.unwrap();
            let texts: Vec<String> = page.messages.into_iter().skip(1).map(|m| m.text).collect();
            let expected: Vec<String> =
                (0..5).map(|i| format!("visitor {v} message {i}")).collect();
            assert_eq!(texts, expected, "after the greeting, in the order sent");
        });
    }
    futures_join_all(writers.into_iter()).await;
    assert_eq!(app.count("messages").await, 20 * 6);
    if !app.database_url.starts_with("sqlite") {
        let metrics = app.metrics_address.clone().unwrap();
        let text = app
            .client
            .get(format!("{metrics}/metrics"))
            .send()
            .await
            .unwrap();
        let text = text.text().await.unwrap();
        let counter = |name: &str| -> u64 {
            let line = text
                .lines()
                .find(|l| l.starts_with(name))
                .unwrap_or_else(|| panic!("{name} in {text}"));
            line.rsplit(' ').next().unwrap().parse().unwrap()
        };
        let (statements, messages) = (
            counter("echo_postgres_message_statements_total"),
            counter("echo_postgres_batched_messages_total"),
        );
        assert!(
            messages >= 100,
            "every visitor's message went through the batches: {messages}"
        );
        assert!(
            (1..=messages).contains(&statements),
            "{statements} statements"
        );
    }
}

/// Runs futures concurrently without pulling in the futures crate.
async fn futures_join_all<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}
