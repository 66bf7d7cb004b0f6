//! The signed billing webhook: accepts a valid signature, rejects a forged,
//! a stale and a replayed event.

use echo_protocol::billing::BillingEventReceived;
use echo_protocol::{ErrorCode, OrganizationId};
use echo_server::http::billing::sign;
use echo_server::secrets::WebhookSecret;
use echo_server::store::SubscriptionStatus;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, json, spawn_app, webhook_secret, TestApp};

fn event(id: &str, org: OrganizationId, status: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"id": id, "organizationId": org, "status": status})).unwrap()
}

async fn deliver(app: &TestApp, body: &[u8], signature: Option<String>) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/v1/webhooks/billing"))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(signature) = signature {
        request = request.header("Echo-Signature", signature);
    }
    request.send().await.unwrap()
}

fn now_secs(app: &TestApp) -> i64 {
    app.clock.now().millis() / 1000
}

async fn subscription(app: &TestApp) -> SubscriptionStatus {
    app.store
        .organization(app.org.organization_id)
        .await
        .unwrap()
        .unwrap()
        .subscription
}

#[tokio::test]
async fn a_signed_event_sets_the_subscription() {
    let app = spawn_app().await;
    assert_eq!(subscription(&app).await, SubscriptionStatus::Inactive);
    let body = event("evt_1", app.org.organization_id, "active");
    let signature = sign(&webhook_secret(), now_secs(&app), &body);
    let received: BillingEventReceived =
        json(deliver(&app, &body, Some(signature)).await, StatusCode::OK).await;
    assert!(received.applied);
    assert_eq!(subscription(&app).await, SubscriptionStatus::Active);
}

#[tokio::test]
async fn forged_and_tampered_events_are_rejected() {
    let app = spawn_app().await;
    let body = event("evt_forged", app.org.organization_id, "active");
    let wrong = WebhookSecret::new("not_the_shared_secret".into()).unwrap();
    for signature in [
        None,
        Some(sign(&wrong, now_secs(&app), &body)),
        Some("t=1,v1=deadbeef".to_owned()),
        Some("garbage".to_owned()),
    ] {
        assert_error(
            deliver(&app, &body, signature).await,
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
        )
        .await;
    }
    let signed_other = sign(
        &webhook_secret(),
        now_secs(&app),
        &event("evt_forged", app.org.organization_id, "inactive"),
    );
    assert_error(
        deliver(&app, &body, Some(signed_other)).await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthorized,
    )
    .await;
    assert_eq!(subscription(&app).await, SubscriptionStatus::Inactive);
    assert_eq!(app.count("billing_events").await, 0);
}

#[tokio::test]
async fn a_stale_event_is_rejected() {
    let app = spawn_app().await;
    let body = event("evt_old", app.org.organization_id, "active");
    let signature = sign(&webhook_secret(), now_secs(&app) - 301, &body);
    assert_error(
        deliver(&app, &body, Some(signature)).await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthorized,
    )
    .await;
    // A captured request replayed later than five minutes is stale too.
    let fresh = sign(&webhook_secret(), now_secs(&app), &body);
    app.clock.advance_secs(301);
    assert_error(
        deliver(&app, &body, Some(fresh)).await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthorized,
    )
    .await;
    assert_eq!(subscription(&app).await, SubscriptionStatus::Inactive);
}

#[tokio::test]
async fn a_replayed_event_changes_nothing() {
    let app = spawn_app().await;
    let org = app.org.organization_id;
    let activate = event("evt_a", org, "active");
    let first = sign(&webhook_secret(), now_secs(&app), &activate);
    deliver(&app, &activate, Some(first.clone())).await;
    let cancel = event("evt_b", org, "inactive");
    deliver(
        &app,
        &cancel,
        Some(sign(&webhook_secret(), now_secs(&app), &cancel)),
    )
    .await;
    assert_eq!(subscription(&app).await, SubscriptionStatus::Inactive);

    // The same request again, and the same event freshly signed: no effect.
    for signature in [first, sign(&webhook_secret(), now_secs(&app), &activate)] {
        let received: BillingEventReceived = json(
            deliver(&app, &activate, Some(signature)).await,
            StatusCode::OK,
        )
        .await;
        assert!(!received.applied);
    }
    assert_eq!(subscription(&app).await, SubscriptionStatus::Inactive);
    assert_eq!(app.count("billing_events").await, 2);
}

#[tokio::test]
async fn unknown_organizations_and_bad_bodies_are_refused() {
    let app = spawn_app().await;
    let unknown = OrganizationId::parse("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap();
    let body = event("evt_x", unknown, "active");
    let signature = sign(&webhook_secret(), now_secs(&app), &body);
    assert_error(
        deliver(&app, &body, Some(signature)).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;

    let body = br#"{"id":"evt_y","status":"platinum"}"#;
    let signature = sign(&webhook_secret(), now_secs(&app), body);
    assert_error(
        deliver(&app, body, Some(signature)).await,
        StatusCode::BAD_REQUEST,
        ErrorCode::Validation,
    )
    .await;
    assert_eq!(app.count("billing_events").await, 0);
}

#[tokio::test]
async fn without_a_secret_the_webhook_is_off() {
    use echo_server::config::Config;
    use echo_server::startup::Application;
    let dir = tempfile::tempdir().unwrap();
    let app = Application::build(Config::for_tests(format!(
        "sqlite://{}",
        dir.path().join("echo.db").display()
    )))
    .await
    .unwrap();
    let url = format!("http://127.0.0.1:{}/v1/webhooks/billing", app.port());
    tokio::spawn(app.run_until(std::future::pending()));
    let response = reqwest::Client::new()
        .post(url)
        .header("Echo-Signature", "t=1,v1=00")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}
