use echo_protocol::widget::{WidgetConfig, DEFAULT_GREET_MESSAGE};
use echo_protocol::ErrorCode;
use echo_server::admin;
use reqwest::StatusCode;

use crate::helpers::{assert_error, json, keys, spawn_app};

#[tokio::test]
async fn widget_config_of_a_known_organization() {
    let app = spawn_app().await;
    let id = app.org.organization_id;
    let response = app
        .get(&format!("/v1/organizations/{id}/widget"), None)
        .await;
    let value: serde_json::Value = json(response, StatusCode::OK).await;
    assert_eq!(
        keys(&value),
        [
            "accentColor",
            "accentTextColor",
            "availability",
            "greetMessage",
            "launcher",
            "name",
            "organizationId",
            "suggestions",
            "theme",
            "transcripts"
        ],
        "only public settings, never a key, the identity secret or the subscription"
    );
    let config: WidgetConfig = serde_json::from_value(value).unwrap();
    assert_eq!(config.name, "Acme");
    assert_eq!(config.greet_message, DEFAULT_GREET_MESSAGE);
    assert!(!config.transcripts, "this test server has no mail");
    assert!(config.suggestions.is_empty());
    assert_eq!(
        config.launcher,
        ["Open chat", "Close chat", "Open chat, {} unread", "Chat"],
        "the loader's words, English without a locale"
    );
}

#[tokio::test]
async fn widget_config_reflects_settings() {
    let app = spawn_app().await;
    let id = app.org.organization_id;
    admin::set_widget_settings(
        app.store.as_ref(),
        id,
        "Welcome to Acme!",
        &["Pricing?".into(), "Talk to a human".into()],
    )
    .await
    .unwrap();
    let config: WidgetConfig = json(
        app.get(&format!("/v1/organizations/{id}/widget"), None)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(config.greet_message, "Welcome to Acme!");
    assert_eq!(config.suggestions, ["Pricing?", "Talk to a human"]);
}

#[tokio::test]
async fn unknown_organization_is_not_found() {
    let app = spawn_app().await;
    for id in ["67e55044-10b1-426f-9247-bb680e5fe0c8", "not-an-id", "%00"] {
        let response = app
            .get(&format!("/v1/organizations/{id}/widget"), None)
            .await;
        assert_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    }
}

#[tokio::test]
async fn settings_are_validated() {
    let app = spawn_app().await;
    let id = app.org.organization_id;
    let four: Vec<String> = (0..4).map(|i| format!("s{i}")).collect();
    assert!(
        admin::set_widget_settings(app.store.as_ref(), id, "Hi", &four)
            .await
            .is_err()
    );
    assert!(
        admin::set_widget_settings(app.store.as_ref(), id, "  ", &[])
            .await
            .is_err()
    );
}

#[tokio::test]
async fn health_and_readiness_answer_without_credentials() {
    let app = crate::helpers::spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let response = app.get(path, None).await;
        assert_eq!(response.status(), reqwest::StatusCode::OK, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["status"], "ok");
    }
}
