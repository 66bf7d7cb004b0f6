//! The push channel: ordered events, resume after a disconnect, idempotent
//! sends.

use std::time::Duration;

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::events::Change;
use echo_protocol::messages::{Message, MessagePage, SendMessage};
use echo_protocol::ErrorCode;
use reqwest::StatusCode;

use crate::helpers::{assert_error, json, spawn_app};

#[tokio::test]
async fn events_arrive_in_order() {
    let app = spawn_app().await;
    let key = &app.org.operator_key;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let mut stream = app
        .visitor_events(visitor.token(), conversation, None)
        .await;
    assert_eq!(stream.next().await.event, "ready");

    app.operator_reply(key, conversation, "first").await;
    app.operator_reply(key, conversation, "second").await;
    app.operator_set_status(key, conversation, ConversationStatus::Resolved)
        .await;

    let mut seen = Vec::new();
    for _ in 0..4 {
        let frame = stream.next().await;
        let event = frame.live();
        assert_eq!(frame.id, Some(event.position.to_string()));
        assert_eq!(frame.event, event.change.kind());
        seen.push(event);
    }
    assert!(
        seen.windows(2).all(|w| w[0].position < w[1].position),
        "{seen:?}"
    );
    let kinds: Vec<String> = seen
        .iter()
        .map(|e| match &e.change {
            Change::Message { message } => format!("message:{}", message.text),
            Change::Status { status } => format!("status:{}", status.as_str()),
            Change::Typing { active, .. } => format!("typing:{active}"),
            Change::Assignment { .. } => "assignment".into(),
            Change::Labels { .. } => "labels".into(),
            Change::Rating { .. } => "rating".into(),
            Change::VoiceCall { .. } => "voiceCall".into(),
            Change::VoiceTranscript { .. } => "voiceTranscript".into(),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "message:first",
            "status:escalated",
            "message:second",
            "status:resolved"
        ]
    );
}

#[tokio::test]
async fn resume_after_a_disconnect_returns_exactly_the_missed_events() {
    let app = spawn_app().await;
    let key = &app.org.operator_key;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;

    let mut stream = app
        .visitor_events(visitor.token(), conversation, None)
        .await;
    stream.next().await; // ready
    app.operator_reply(key, conversation, "before the drop")
        .await;
    // The client sees the message, then loses the connection before the
    // escalation that followed it.
    let last_seen = stream.next().await.live().position;
    drop(stream);

    for text in ["missed 1", "missed 2", "missed 3"] {
        app.operator_reply(key, conversation, text).await;
    }
    let mut resumed = app
        .visitor_events(visitor.token(), conversation, Some(last_seen))
        .await;
    assert_eq!(resumed.next().await.event, "ready");
    let mut replayed = Vec::new();
    for _ in 0..4 {
        replayed.push(resumed.next().await.live());
    }
    let described: Vec<String> = replayed
        .iter()
        .map(|e| match &e.change {
            Change::Message { message } => message.text.clone(),
            Change::Status { status } => status.as_str().to_owned(),
            Change::Typing { active, .. } => format!("typing:{active}"),
            Change::Assignment { .. } => "assignment".into(),
            Change::Labels { .. } => "labels".into(),
            Change::Rating { .. } => "rating".into(),
            Change::VoiceCall { .. } => "voiceCall".into(),
            Change::VoiceTranscript { .. } => "voiceTranscript".into(),
        })
        .collect();
    assert_eq!(described, ["escalated", "missed 1", "missed 2", "missed 3"]);

    // Then it is live, with nothing repeated in between.
    app.operator_reply(key, conversation, "live again").await;
    let next = resumed.next().await.live();
    assert!(matches!(&next.change, Change::Message { message } if message.text == "live again"));
    assert!(next.position > replayed.last().unwrap().position);
    assert!(resumed
        .next_within(Duration::from_millis(300))
        .await
        .is_none());
}

#[tokio::test]
async fn the_operator_stream_carries_its_organization_only() {
    let app = spawn_app().await;
    let globex = app.create_org("Globex").await;
    let mut stream = app.operator_events(&app.org.operator_key).await;
    assert_eq!(stream.next().await.event, "ready");

    let outsider = app.visitor_of(globex.organization_id).await;
    app.start_conversation(&outsider).await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let event = stream.next().await.live();
    assert_eq!(
        event.conversation_id, conversation,
        "the greeting of our own conversation"
    );
    app.post(
        &format!("/v1/conversations/{conversation}/messages"),
        &SendMessage {
            text: "Hello?".into(),
            idempotency_key: None,
            attachment_ids: Vec::new(),
        },
        Some(visitor.token()),
    )
    .await;
    let event = stream.next().await.live();
    assert!(matches!(&event.change, Change::Message { message } if message.text == "Hello?"));
    assert!(stream
        .next_within(Duration::from_millis(300))
        .await
        .is_none());
}

#[tokio::test]
async fn streams_check_the_credential_and_ownership() {
    let app = spawn_app().await;
    let owner = app.visitor().await;
    let conversation = app.start_conversation(&owner).await;
    let other = app.visitor().await;
    let path = format!("/v1/conversations/{conversation}/events");
    assert_error(
        app.get(&path, None).await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthorized,
    )
    .await;
    assert_error(
        app.get(&path, Some(other.token())).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;
    assert_error(
        app.get("/v1/operator/events", Some(owner.token())).await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthorized,
    )
    .await;
    let bad_resume = app
        .client
        .get(app.url(&path))
        .bearer_auth(owner.token())
        .header("Last-Event-ID", "yesterday")
        .send()
        .await
        .unwrap();
    assert_error(bad_resume, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
}

#[tokio::test]
async fn a_retried_send_with_the_same_idempotency_key_stores_one_message() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let path = format!("/v1/conversations/{conversation}/messages");
    let send = |key: &str| SendMessage {
        text: "Only once, please".into(),
        idempotency_key: Some(key.into()),
        attachment_ids: Vec::new(),
    };
    let first: Message = json(
        app.post(&path, &send("k-1"), Some(visitor.token())).await,
        StatusCode::CREATED,
    )
    .await;
    let retry: Message = json(
        app.post(&path, &send("k-1"), Some(visitor.token())).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(first, retry);
    let other: Message = json(
        app.post(&path, &send("k-2"), Some(visitor.token())).await,
        StatusCode::CREATED,
    )
    .await;
    assert_ne!(first.id, other.id);
    let page: MessagePage = json(app.get(&path, Some(visitor.token())).await, StatusCode::OK).await;
    assert_eq!(page.messages.len(), 3, "greeting + two distinct messages");

    let too_long = SendMessage {
        text: "x".into(),
        idempotency_key: Some("k".repeat(101)),
        attachment_ids: Vec::new(),
    };
    let error = assert_error(
        app.post(&path, &too_long, Some(visitor.token())).await,
        StatusCode::BAD_REQUEST,
        ErrorCode::Validation,
    )
    .await;
    assert_eq!(error.error.field.as_deref(), Some("idempotencyKey"));
}

#[tokio::test]
async fn concurrent_retries_of_one_key_store_one_message() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let path = format!("/v1/conversations/{conversation}/messages");
    let mut handles = Vec::new();
    for _ in 0..10 {
        let request = app
            .client
            .post(app.url(&path))
            .bearer_auth(visitor.token())
            .json(&SendMessage {
                text: "dup?".into(),
                idempotency_key: Some("same".into()),
                attachment_ids: Vec::new(),
            });
        handles.push(tokio::spawn(async move {
            request.send().await.unwrap().status()
        }));
    }
    for handle in handles {
        assert_eq!(handle.await.unwrap(), StatusCode::CREATED);
    }
    assert_eq!(app.count("messages").await, 2);
}

#[tokio::test]
async fn shutdown_ends_open_streams_and_finishes() {
    use echo_server::config::Config;
    use echo_server::startup::Application;

    let dir = tempfile::tempdir().unwrap();
    let config = Config::for_tests(format!("sqlite://{}", dir.path().join("echo.db").display()));
    let app = Application::build(config).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let org = echo_server::admin::create_organization(
        app.context().store.as_ref(),
        &echo_server::clock::Clock::system(),
        "Acme",
    )
    .await
    .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let response = reqwest::Client::new()
        .get(format!("{base}/v1/operator/events"))
        .bearer_auth(&org.operator_key)
        .send()
        .await
        .unwrap();
    let mut stream = crate::helpers::SseReader::new(response);
    assert_eq!(stream.next().await.event, "ready");

    stop.send(()).unwrap();
    assert!(
        stream.ends_within(Duration::from_secs(3)).await,
        "the stream ended"
    );
    let finished = tokio::time::timeout(Duration::from_secs(5), server).await;
    assert!(matches!(finished, Ok(Ok(Ok(())))), "{finished:?}");
}

/// Many concurrent writers in one organization: the organization's stream
/// sees every event once, in strictly increasing positions, and a replay
/// from the start returns the same sequence (no event commits "behind" one
/// already delivered).
#[tokio::test]
async fn concurrent_writes_reach_the_stream_once_in_position_order() {
    let app = spawn_app().await;
    let key = app.org.operator_key.clone();
    let mut conversations = Vec::new();
    for _ in 0..4 {
        let visitor = app.visitor().await;
        conversations.push(app.start_conversation(&visitor).await);
    }
    let mut stream = app.operator_events(&key).await;
    let ready = stream.next().await;
    assert_eq!(ready.event, "ready");
    let start: i64 = serde_json::from_str::<serde_json::Value>(&ready.data).unwrap()["position"]
        .as_i64()
        .unwrap();

    let writes = futures_util::future::join_all((0..40).map(|i| {
        let (app, key) = (&app, &key);
        let conversation = conversations[i % conversations.len()];
        async move {
            let response = app
                .operator_reply(key, conversation, &format!("reply {i}"))
                .await;
            assert_eq!(response.status(), StatusCode::CREATED);
        }
    }));
    writes.await;
    // 40 replies, plus one escalation per conversation.
    let expected = 40 + conversations.len();
    let mut live = Vec::new();
    while live.len() < expected {
        let event = stream.next().await.live();
        live.push((event.position, event.change));
    }
    assert!(
        live.windows(2).all(|w| w[0].0 < w[1].0),
        "positions strictly increase: {:?}",
        live.iter().map(|e| e.0).collect::<Vec<_>>()
    );
    assert!(
        stream
            .next_within(Duration::from_millis(300))
            .await
            .is_none(),
        "nothing more"
    );

    let mut replay = app.operator_events_after(&key, start).await;
    assert_eq!(replay.next().await.event, "ready");
    let mut replayed = Vec::new();
    while replayed.len() < expected {
        let event = replay.next().await.live();
        replayed.push((event.position, event.change));
    }
    assert_eq!(replayed, live);
}

/// Old events are pruned; a client resuming from before the pruned ones is
/// told to reload (`reset`, with the current position) instead of silently
/// missing them, and then follows live events as usual. A client resuming
/// from after them is not disturbed.
#[tokio::test]
async fn resuming_from_before_pruned_events_gets_a_reset() {
    let app = spawn_app().await;
    let key = &app.org.operator_key;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let mut stream = app
        .visitor_events(visitor.token(), conversation, None)
        .await;
    assert_eq!(stream.next().await.event, "ready");
    app.operator_reply(key, conversation, "old news").await;
    let old: i64 = stream.next().await.id.unwrap().parse().unwrap();
    stream.next().await; // escalated
    drop(stream);

    // Two hours later (the session lives on), keeping one hour of events.
    app.clock.advance_secs(2 * 3600);
    app.operator_reply(key, conversation, "recent").await;
    let cutoff = app.clock.now().millis() - 3600 * 1000;
    let deleted = app
        .store
        .prune_events(echo_protocol::Timestamp(cutoff))
        .await
        .unwrap();
    assert_eq!(deleted, 3, "greeting, old reply and escalation");

    // From before the pruned events: reset to the head, then live.
    let mut stale = app
        .visitor_events(visitor.token(), conversation, Some(old - 1))
        .await;
    assert_eq!(stale.next().await.event, "ready");
    let reset = stale.next().await;
    assert_eq!(reset.event, "reset");
    let head: i64 = serde_json::from_str::<serde_json::Value>(&reset.data).unwrap()["position"]
        .as_i64()
        .unwrap();
    app.operator_reply(key, conversation, "after the reset")
        .await;
    let next = stale.next().await;
    assert!(next.id.clone().unwrap().parse::<i64>().unwrap() > head);
    assert!(
        matches!(next.live().change, Change::Message { message } if message.text == "after the reset")
    );

    // From after them: exact replay, no reset.
    let mut fresh = app
        .visitor_events(visitor.token(), conversation, Some(old + 1))
        .await;
    assert_eq!(fresh.next().await.event, "ready");
    let replayed = fresh.next().await;
    assert_eq!(replayed.event, "message");
    assert!(
        matches!(replayed.live().change, Change::Message { message } if message.text == "recent")
    );
}
