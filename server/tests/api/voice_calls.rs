//! Voice calls: a visitor's call made with Vapi (our stand-in) with the
//! organization's key, our webhook and its secret; transcript lines as the
//! conversation's voice messages, once each; the end recorded once; the
//! webhook's secret, unknown calls and bad bodies; the limits (one live
//! call per session, five an hour, the organization's cap), gating, Vapi
//! refusing, and the server ending a call past its maximum duration.

use std::time::Duration;

use echo_protocol::messages::{MessagePage, MessageRole};
use echo_protocol::voice::{LiveVoiceCalls, VoiceCallList, VoiceCallStarted};
use echo_protocol::{ConversationId, ErrorCode};
use echo_server::store::SubscriptionStatus;
use echo_server::vault::Vault;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, eventually, json, TestApp, TestVisitor};
use crate::plugins::{app_with_settings, connect, put_voice};
use crate::vapi_standin::{VapiStandIn, GOOD_KEY};

/// An app whose organization has Vapi connected and an assistant chosen.
async fn voice_app(
    vapi: &VapiStandIn,
    adjust: impl FnOnce(&mut echo_server::plugins::PluginSettings),
) -> TestApp {
    let key = Vault::generate_key();
    let app = app_with_settings(Some(&key), &vapi.url, adjust).await;
    assert_eq!(connect(&app, GOOD_KEY).await.status(), StatusCode::OK);
    let saved = put_voice(&app, json!({"assistantId": "asst-0007"})).await;
    assert_eq!(saved.status(), StatusCode::OK);
    app
}

async fn start(app: &TestApp, visitor: &TestVisitor, id: ConversationId) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/v1/conversations/{id}/voice-calls")))
        .bearer_auth(visitor.token())
        .send()
        .await
        .unwrap()
}

async fn hang_up(
    app: &TestApp,
    visitor: &TestVisitor,
    id: ConversationId,
    call: &str,
) -> reqwest::Response {
    app.client
        .delete(app.url(&format!("/v1/conversations/{id}/voice-calls/{call}")))
        .bearer_auth(visitor.token())
        .send()
        .await
        .unwrap()
}

async fn messages(app: &TestApp, visitor: &TestVisitor, id: ConversationId) -> MessagePage {
    let response = app
        .get(
            &format!("/v1/conversations/{id}/messages"),
            Some(visitor.token()),
        )
        .await;
    json(response, StatusCode::OK).await
}

fn line(role: &str, kind: &str, text: &str, at: i64) -> serde_json::Value {
    json!({"type": "transcript", "role": role, "transcriptType": kind,
           "transcript": text, "timestamp": at})
}

#[tokio::test]
async fn a_visitors_call_lands_in_the_conversation_once() {
    let vapi = VapiStandIn::start().await;
    let app = voice_app(&vapi, |_| {}).await;
    let visitor = app.visitor().await;
    let id = app.start_conversation(&visitor).await;

    let started: VoiceCallStarted =
        json(start(&app, &visitor, id).await, StatusCode::CREATED).await;
    assert_eq!(started.sample_rate, 16_000);
    let socket = vapi.url.replacen("http://", "ws://", 1);
    assert_eq!(
        started.socket_url,
        format!("{socket}/{}/transport", started.call_id)
    );
    // What Vapi was asked: the WebSocket transport with raw 16-bit PCM, the
    // chosen assistant, our webhook with a secret, the conversation.
    let asked = &vapi.calls()[0];
    assert_eq!(asked["assistantId"], "asst-0007");
    assert_eq!(asked["transport"]["provider"], "vapi.websocket");
    assert_eq!(
        asked["transport"]["audioFormat"],
        json!({"format": "pcm_s16le", "container": "raw", "sampleRate": 16000})
    );
    let server = &asked["assistantOverrides"]["server"];
    assert_eq!(server["url"], app.url("/v1/webhooks/vapi"));
    assert_eq!(server["secret"].as_str().map(str::len), Some(64));
    assert_eq!(asked["assistantOverrides"]["maxDurationSeconds"], 900);
    assert_eq!(asked["metadata"]["echoConversationId"], id.to_string());
    let text = asked.to_string();
    assert!(
        !text.contains(GOOD_KEY),
        "the key is a header, never the body"
    );

    let live: LiveVoiceCalls = json(
        app.operator_get(&app.org.operator_key, "/v1/operator/voice-calls")
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(live.calls.len(), 1);
    assert_eq!(live.calls[0].conversation_id, id);

    let call = &started.call_id;
    let said = [
        line("user", "partial", "I need", 1),
        line("user", "final", "I need help with my order.", 2),
        line(
            "assistant",
            "final",
            "Of course, what is the order number?",
            3,
        ),
        // Vapi delivering the same line again.
        line("user", "final", "I need help with my order.", 2),
        line("user", "final", "  \u{200b} ", 4),
        json!({"type": "speech-update", "status": "started", "role": "assistant", "turn": 1}),
    ];
    for message in said {
        let taken = vapi.post(call, message, None).await;
        assert_eq!(taken.status(), StatusCode::NO_CONTENT);
    }
    let page = messages(&app, &visitor, id).await;
    let voice: Vec<_> = page.messages.iter().filter(|m| m.voice).collect();
    assert_eq!(voice.len(), 2, "{:?}", page.messages);
    assert_eq!(
        (voice[0].role, voice[0].text.as_str()),
        (MessageRole::Visitor, "I need help with my order.")
    );
    assert_eq!(voice[1].role, MessageRole::Assistant);
    assert!(page.messages.iter().all(|m| m.voice || m.text != "I need"));

    // The visitor hangs up: Vapi is told, then reports the end (twice).
    assert_eq!(
        hang_up(&app, &visitor, id, call).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(vapi.ended(), std::slice::from_ref(call));
    let path = format!("/v1/operator/conversations/{id}/voice-calls");
    let ended = eventually(
        || async {
            let list: VoiceCallList = json(
                app.operator_get(&app.org.operator_key, &path).await,
                StatusCode::OK,
            )
            .await;
            list.calls
                .into_iter()
                .next()
                .filter(|c| c.duration_seconds.is_some())
        },
        Duration::from_secs(10),
    )
    .await
    .expect("the end-of-call report is recorded");
    assert_eq!(ended.duration_seconds, Some(42));
    assert_eq!(ended.ended_reason.as_deref(), Some("call.ended-by-api"));
    let again = json!({"type": "end-of-call-report", "endedReason": "other", "durationSeconds": 7});
    assert_eq!(
        vapi.post(call, again, None).await.status(),
        StatusCode::NO_CONTENT
    );
    let list: VoiceCallList = json(
        app.operator_get(&app.org.operator_key, &path).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(list.calls, [ended], "a repeated report changes nothing");
    let live: LiveVoiceCalls = json(
        app.operator_get(&app.org.operator_key, "/v1/operator/voice-calls")
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(live.calls.is_empty());
    // Hanging up again is no error.
    assert_eq!(
        hang_up(&app, &visitor, id, call).await.status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn the_webhook_takes_only_the_organizations_secret_for_its_own_calls() {
    let vapi = VapiStandIn::start().await;
    let app = voice_app(&vapi, |_| {}).await;
    let visitor = app.visitor().await;
    let id = app.start_conversation(&visitor).await;
    let started: VoiceCallStarted =
        json(start(&app, &visitor, id).await, StatusCode::CREATED).await;
    let call = &started.call_id;
    let said = line("user", "final", "Let me in", 1);
    for secret in ["", "wrong", &"0".repeat(64)] {
        let refused = vapi.post(call, said.clone(), Some(secret)).await;
        assert_error(refused, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    }
    // Another organization's secret (a call of its own) opens nothing here.
    let other = app.create_org("Globex").await;
    app.store
        .set_subscription(other.organization_id, SubscriptionStatus::Active)
        .await
        .unwrap();
    let theirs = vapi.calls()[0]["assistantOverrides"]["server"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(theirs.len() == 64);
    let unknown = reqwest::Client::new()
        .post(app.url("/v1/webhooks/vapi"))
        .header("x-vapi-secret", &theirs)
        .json(&json!({"message": {"type": "transcript", "call": {"id": "call-999"}}}))
        .send()
        .await
        .unwrap();
    assert_error(unknown, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    for body in ["not json", "{}", r#"{"message": {"type": "transcript"}}"#] {
        let bad = reqwest::Client::new()
            .post(app.url("/v1/webhooks/vapi"))
            .header("x-vapi-secret", &theirs)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_error(bad, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
    }
    let page = messages(&app, &visitor, id).await;
    assert!(page.messages.iter().all(|m| !m.voice));
}

#[tokio::test]
async fn calls_are_limited_and_gated() {
    let vapi = VapiStandIn::start().await;
    let app = voice_app(&vapi, |s| s.voice.max_calls = 2).await;
    let visitor = app.visitor().await;
    let id = app.start_conversation(&visitor).await;

    // Another visitor's conversation is not found; a resolved one refused.
    let stranger = app.visitor().await;
    let refused = start(&app, &stranger, id).await;
    assert_error(refused, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;

    // One live call per session; five an hour.
    for n in 0..5 {
        let started: VoiceCallStarted =
            json(start(&app, &visitor, id).await, StatusCode::CREATED).await;
        if n == 0 {
            let second = start(&app, &visitor, id).await;
            assert_error(second, StatusCode::CONFLICT, ErrorCode::Conflict).await;
        }
        let ended = hang_up(&app, &visitor, id, &started.call_id).await;
        assert_eq!(ended.status(), StatusCode::NO_CONTENT);
    }
    let sixth = start(&app, &visitor, id).await;
    assert_eq!(sixth.headers()["retry-after"], "3600");
    assert_error(sixth, StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited).await;
    assert_eq!(vapi.calls().len(), 5, "nothing refused reached Vapi");

    // The organization's cap on live calls (2 here).
    let mut callers = Vec::new();
    for _ in 0..2 {
        let caller = app.visitor().await;
        let conversation = app.start_conversation(&caller).await;
        assert_eq!(
            start(&app, &caller, conversation).await.status(),
            StatusCode::CREATED
        );
        callers.push(caller);
    }
    let third = app.visitor().await;
    let conversation = app.start_conversation(&third).await;
    let busy = start(&app, &third, conversation).await;
    assert_error(busy, StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited).await;

    // Without an active subscription, voice is not offered.
    app.store
        .set_subscription(app.org.organization_id, SubscriptionStatus::Inactive)
        .await
        .unwrap();
    let gated = start(&app, &third, conversation).await;
    assert_error(gated, StatusCode::CONFLICT, ErrorCode::Conflict).await;
}

#[tokio::test]
async fn a_refused_key_makes_no_call_and_marks_the_plugin_broken() {
    let vapi = VapiStandIn::start().await;
    let app = voice_app(&vapi, |_| {}).await;
    let visitor = app.visitor().await;
    let id = app.start_conversation(&visitor).await;
    vapi.revoke();
    let refused = start(&app, &visitor, id).await;
    assert_error(
        refused,
        StatusCode::BAD_GATEWAY,
        ErrorCode::UpstreamUnavailable,
    )
    .await;
    let plugins: serde_json::Value = json(
        app.operator_get(&app.org.operator_key, "/v1/operator/plugins")
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(plugins["plugins"][0]["broken"], true);
    assert_eq!(app.count("voice_calls").await, 0, "the reservation is gone");
}

#[tokio::test]
async fn the_server_ends_a_call_past_its_maximum_duration() {
    let vapi = VapiStandIn::start().await;
    let app = voice_app(&vapi, |s| s.voice.max_duration = Duration::from_secs(60)).await;
    let visitor = app.visitor().await;
    let id = app.start_conversation(&visitor).await;
    let started: VoiceCallStarted =
        json(start(&app, &visitor, id).await, StatusCode::CREATED).await;
    assert_eq!(
        vapi.calls()[0]["assistantOverrides"]["maxDurationSeconds"],
        60
    );
    app.clock.advance_secs(61);
    let ended = eventually(
        || async { (!vapi.ended().is_empty()).then(|| vapi.ended()) },
        Duration::from_secs(10),
    )
    .await
    .expect("the server ends the call");
    assert_eq!(ended, [started.call_id]);
}

#[tokio::test]
async fn vapi_down_makes_no_call_and_no_live_one_is_left() {
    let vapi = VapiStandIn::start().await;
    let app = voice_app(&vapi, |_| {}).await;
    let visitor = app.visitor().await;
    let id = app.start_conversation(&visitor).await;
    vapi.go_slow();
    let down = start(&app, &visitor, id).await;
    let body = assert_error(
        down,
        StatusCode::BAD_GATEWAY,
        ErrorCode::UpstreamUnavailable,
    )
    .await;
    assert!(
        body.error.message.contains("5 seconds"),
        "{}",
        body.error.message
    );
    assert_eq!(
        app.count("voice_calls").await,
        0,
        "the session may call again"
    );
}
