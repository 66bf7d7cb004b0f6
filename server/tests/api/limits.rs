//! Abuse limits: sessions per address (with and without a trusted proxy),
//! conversations and messages per session, open streams, and the
//! assistant's daily replies. Each answers 429 `RATE_LIMITED` with
//! `Retry-After` and stores nothing.

use std::time::Duration;

use echo_protocol::conversations::{ConversationStatus, CreateConversation};
use echo_protocol::messages::SendMessage;
use echo_protocol::operator::OrganizationInfo;
use echo_protocol::ErrorCode;
use echo_server::limits::LimitSettings;
use echo_server::proxies::TrustedProxies;
use reqwest::{Response, StatusCode};

use crate::helpers::{assert_error, json, spawn_app, spawn_app_with, TestApp};
use crate::pro::app_with_llm_configured;
use crate::scripted_llm::{Answer, ScriptedLlm};

async fn new_session(app: &TestApp, forwarded_for: Option<&str>) -> Response {
    let mut request = app
        .client
        .post(app.url("/v1/contact-sessions"))
        .json(&app.session_request(app.org.organization_id));
    if let Some(address) = forwarded_for {
        request = request.header("x-forwarded-for", address);
    }
    request.send().await.unwrap()
}

async fn assert_limited(response: Response) {
    let retry = response.headers().get("retry-after").cloned();
    assert_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
    )
    .await;
    let secs: u64 = retry
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(secs >= 1, "{secs}");
}

#[tokio::test]
async fn the_21st_session_in_a_minute_from_one_address_is_refused() {
    let app = spawn_app().await;
    for _ in 0..20 {
        // An untrusted client's X-Forwarded-For changes nothing.
        let created = new_session(&app, Some(&format!("198.51.100.{}", rand_octet()))).await;
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    assert_limited(new_session(&app, Some("203.0.113.1")).await).await;
    assert_eq!(app.count("contact_sessions").await, 20);
}

fn rand_octet() -> u8 {
    (uuid::Uuid::new_v4().as_u128() % 250) as u8 + 1
}

#[tokio::test]
async fn a_trusted_proxys_forwarded_address_is_the_client() {
    let app = spawn_app_with(|config| {
        config.trusted_proxies = TrustedProxies::parse(&["127.0.0.1".into()]).unwrap();
    })
    .await;
    for _ in 0..20 {
        let created = new_session(&app, Some("198.51.100.7, 127.0.0.1")).await;
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    assert_limited(new_session(&app, Some("198.51.100.7")).await).await;
    let another = new_session(&app, Some("198.51.100.8")).await;
    assert_eq!(
        another.status(),
        StatusCode::CREATED,
        "another client behind the proxy"
    );
}

#[tokio::test]
async fn conversations_and_messages_are_limited_per_session() {
    let app = spawn_app_with(|config| {
        config.limits = LimitSettings {
            conversations_per_hour: 3,
            messages_per_minute: 5,
            ..LimitSettings::default()
        };
    })
    .await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    app.start_conversation(&visitor).await;
    app.start_conversation(&visitor).await;
    let fourth = app
        .post(
            "/v1/conversations",
            &CreateConversation {
                organization_id: visitor.organization_id,
            },
            Some(visitor.token()),
        )
        .await;
    assert_limited(fourth).await;
    assert_eq!(app.count("conversations").await, 3);

    let path = format!("/v1/conversations/{conversation}/messages");
    let send = |i: usize| SendMessage {
        text: format!("message {i}"),
        idempotency_key: None,
        attachment_ids: Vec::new(),
    };
    for i in 0..5 {
        let sent = app.post(&path, &send(i), Some(visitor.token())).await;
        assert_eq!(sent.status(), StatusCode::CREATED);
    }
    let messages = app.count("messages").await;
    assert_limited(app.post(&path, &send(5), Some(visitor.token())).await).await;
    assert_eq!(app.count("messages").await, messages, "nothing stored");
    // Another visitor is not slowed down.
    let other = app.visitor().await;
    let theirs = app.start_conversation(&other).await;
    let sent = app
        .post(
            &format!("/v1/conversations/{theirs}/messages"),
            &send(0),
            Some(other.token()),
        )
        .await;
    assert_eq!(sent.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_session_holds_at_most_five_open_streams() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let mut open = Vec::new();
    for _ in 0..5 {
        let mut stream = app
            .visitor_events(visitor.token(), conversation, None)
            .await;
        assert_eq!(stream.next().await.event, "ready");
        open.push(stream);
    }
    let sixth = app
        .client
        .get(app.url(&format!("/v1/conversations/{conversation}/events")))
        .bearer_auth(visitor.token())
        .send()
        .await
        .unwrap();
    assert_limited(sixth).await;
    // Closing one frees its place (the server notices the drop).
    drop(open.pop());
    let reopened = crate::helpers::eventually(
        || async {
            let response = app
                .client
                .get(app.url(&format!("/v1/conversations/{conversation}/events")))
                .bearer_auth(visitor.token())
                .send()
                .await
                .unwrap();
            (response.status() == StatusCode::OK).then_some(response)
        },
        Duration::from_secs(10),
    )
    .await;
    assert!(reopened.is_some(), "a place came back");
}

#[tokio::test]
async fn after_its_daily_replies_the_assistant_hands_over_to_people() {
    let llm = ScriptedLlm::start([Answer::Text("Happy to help!".into())]).await;
    let app = app_with_llm_configured(&llm, |config| {
        config.limits = LimitSettings {
            ai_daily_limit: 1,
            ..LimitSettings::default()
        };
    })
    .await;
    let first = app.visitor().await;
    let answered = app.start_conversation(&first).await;
    let say = |id| format!("/v1/conversations/{id}/messages");
    let hello = SendMessage {
        text: "Hello?".into(),
        idempotency_key: None,
        attachment_ids: Vec::new(),
    };
    app.post(&say(answered), &hello, Some(first.token())).await;
    llm.wait_for_requests(1).await;

    let second = app.visitor().await;
    let waiting = app.start_conversation(&second).await;
    app.post(&say(waiting), &hello, Some(second.token())).await;
    let escalated = crate::helpers::eventually(
        || async {
            let detail: echo_protocol::operator::OperatorConversation = json(
                app.operator_get(
                    &app.org.operator_key,
                    &format!("/v1/operator/conversations/{waiting}"),
                )
                .await,
                StatusCode::OK,
            )
            .await;
            (detail.status == ConversationStatus::Escalated).then_some(())
        },
        Duration::from_secs(10),
    )
    .await;
    assert!(escalated.is_some(), "the conversation waits for a person");
    assert_eq!(llm.requests().len(), 1, "no second model call");
    let info: OrganizationInfo = json(
        app.operator_get(&app.org.operator_key, "/v1/operator/organization")
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(info.ai_limit_reached, "the console can say why");
}
