//! Pro features: gated by subscription on the server, backed by an
//! OpenAI-compatible model (here a scripted one over real HTTP).

use std::time::Duration;

use echo_protocol::operator::Enhance;
use echo_protocol::ErrorCode;
use echo_server::llm::LlmConfig;
use echo_server::store::SubscriptionStatus;
use reqwest::StatusCode;

use crate::helpers::{assert_error, json, spawn_app, spawn_app_with, TestApp};
use crate::scripted_llm::{Answer, ScriptedLlm};

pub async fn app_with_llm(llm: &ScriptedLlm, timeout: Duration) -> TestApp {
    app_with_timeout_and(llm, timeout, |_| {}).await
}

/// As [`app_with_llm`] (5 s timeout), with the configuration adjusted too.
pub async fn app_with_llm_configured(
    llm: &ScriptedLlm,
    configure: impl FnOnce(&mut echo_server::config::Config),
) -> TestApp {
    app_with_timeout_and(llm, Duration::from_secs(5), configure).await
}

async fn app_with_timeout_and(
    llm: &ScriptedLlm,
    timeout: Duration,
    configure: impl FnOnce(&mut echo_server::config::Config),
) -> TestApp {
    let base_url = llm.base_url.clone();
    let app = spawn_app_with(move |config| {
        config.llm = Some(LlmConfig {
            base_url,
            api_key: Some("sk-test-not-a-real-key".into()),
            model: "scripted-model".into(),
            timeout,
        });
        configure(config);
    })
    .await;
    app.store
        .set_subscription(app.org.organization_id, SubscriptionStatus::Active)
        .await
        .unwrap();
    app
}

async fn enhance(app: &TestApp, text: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/operator/enhance"))
        .bearer_auth(&app.org.operator_key)
        .json(&Enhance { text: text.into() })
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn enhance_rewrites_a_draft_through_the_model() {
    let llm = ScriptedLlm::start([Answer::Text(
        "  Thank you for waiting! Your order ships today.  ".into(),
    )])
    .await;
    let app = app_with_llm(&llm, Duration::from_secs(5)).await;
    let enhanced: Enhance = json(enhance(&app, "order ships today ok").await, StatusCode::OK).await;
    assert_eq!(
        enhanced.text,
        "Thank you for waiting! Your order ships today."
    );

    let requests = llm.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["model"], "scripted-model");
    let messages = requests[0]["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "system");
    assert!(messages[0]["content"]
        .as_str()
        .unwrap()
        .contains("same meaning"));
    assert_eq!(messages[1]["role"], "user");
    assert_eq!(messages[1]["content"], "order ships today ok");
}

#[tokio::test]
async fn the_console_learns_which_pro_features_it_has() {
    let app = spawn_app().await;
    let info = |app: &TestApp| {
        let request = app
            .client
            .get(app.url("/v1/operator/organization"))
            .bearer_auth(&app.org.operator_key)
            .send();
        async move {
            json::<echo_protocol::operator::OrganizationInfo>(
                request.await.unwrap(),
                StatusCode::OK,
            )
            .await
        }
    };
    let before = info(&app).await;
    assert_eq!(
        (
            before.name.as_str(),
            before.subscription_active,
            before.ai_available
        ),
        ("Acme", false, false)
    );
    app.store
        .set_subscription(app.org.organization_id, SubscriptionStatus::Active)
        .await
        .unwrap();
    assert!(info(&app).await.subscription_active);
    let llm = ScriptedLlm::start([]).await;
    assert!(
        info(&app_with_llm(&llm, Duration::from_secs(1)).await)
            .await
            .ai_available
    );
}

#[tokio::test]
async fn enhance_needs_an_active_subscription() {
    let llm = ScriptedLlm::start([Answer::Text("never used".into())]).await;
    let app = app_with_llm(&llm, Duration::from_secs(5)).await;
    app.store
        .set_subscription(app.org.organization_id, SubscriptionStatus::Inactive)
        .await
        .unwrap();
    assert_error(
        enhance(&app, "hello").await,
        StatusCode::PAYMENT_REQUIRED,
        ErrorCode::SubscriptionRequired,
    )
    .await;
    assert!(llm.requests().is_empty(), "the model was not called");
}

#[tokio::test]
async fn without_a_model_enhance_is_unavailable() {
    let app = spawn_app().await;
    app.store
        .set_subscription(app.org.organization_id, SubscriptionStatus::Active)
        .await
        .unwrap();
    assert_error(
        enhance(&app, "hello").await,
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::AiUnavailable,
    )
    .await;
    assert_error(
        enhance(&app, "  ").await,
        StatusCode::BAD_REQUEST,
        ErrorCode::Validation,
    )
    .await;
}

#[tokio::test]
async fn server_errors_and_rate_limits_are_retried() {
    let llm = ScriptedLlm::start([
        Answer::Status(500),
        Answer::Status(429),
        Answer::Text("Third time lucky.".into()),
    ])
    .await;
    let app = app_with_llm(&llm, Duration::from_secs(5)).await;
    let enhanced: Enhance = json(enhance(&app, "draft").await, StatusCode::OK).await;
    assert_eq!(enhanced.text, "Third time lucky.");
    assert_eq!(llm.requests().len(), 3);
}

#[tokio::test]
async fn a_failing_model_gives_up_after_three_retries() {
    let llm = ScriptedLlm::start([
        Answer::Status(500),
        Answer::Status(502),
        Answer::Status(503),
        Answer::Status(500),
        Answer::Text("never reached".into()),
    ])
    .await;
    let app = app_with_llm(&llm, Duration::from_secs(5)).await;
    assert_error(
        enhance(&app, "draft").await,
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::AiUnavailable,
    )
    .await;
    assert_eq!(llm.requests().len(), 4, "one attempt and three retries");
}

#[tokio::test]
async fn a_client_error_is_not_retried() {
    let llm = ScriptedLlm::start([Answer::Status(400), Answer::Text("unused".into())]).await;
    let app = app_with_llm(&llm, Duration::from_secs(5)).await;
    assert_error(
        enhance(&app, "draft").await,
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::AiUnavailable,
    )
    .await;
    assert_eq!(llm.requests().len(), 1);
}

#[tokio::test]
async fn a_slow_model_times_out() {
    let slow = || Answer::Slow(Duration::from_secs(10), "too late".into());
    let llm = ScriptedLlm::start([slow(), slow(), slow(), slow()]).await;
    let app = app_with_llm(&llm, Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    assert_error(
        enhance(&app, "draft").await,
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::AiUnavailable,
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
