//! The company's brand: accent colour and theme, set by admins (API and
//! CLI), validated, and returned to the widget with a readable text colour.

use echo_protocol::operator::WidgetSettings;
use echo_protocol::widget::{WidgetConfig, WidgetTheme};
use echo_protocol::ErrorCode;
use reqwest::StatusCode;

use crate::helpers::{assert_error, json, spawn_app, TestApp};

async fn put(app: &TestApp, body: serde_json::Value) -> reqwest::Response {
    app.client
        .put(app.url("/v1/operator/widget-settings"))
        .bearer_auth(&app.org.operator_key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn config(app: &TestApp) -> WidgetConfig {
    json(
        app.get(
            &format!("/v1/organizations/{}/widget", app.org.organization_id),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await
}

#[tokio::test]
async fn the_accent_and_theme_reach_the_widget_with_readable_text() {
    let app = spawn_app().await;
    let default = config(&app).await;
    assert_eq!(default.accent_color, "#4f46e5");
    assert_eq!(default.accent_text_color, "#ffffff");
    assert_eq!(default.theme, WidgetTheme::Auto);

    let saved: WidgetSettings = json(
        put(&app, serde_json::json!({"greetMessage": "Hi", "suggestions": [], "accentColor": "#FDE047", "theme": "dark"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(saved.accent_color.as_deref(), Some("#fde047"));
    let yellow = config(&app).await;
    assert_eq!(yellow.accent_color, "#fde047");
    assert_eq!(
        yellow.accent_text_color, "#000000",
        "dark text on a light accent"
    );
    assert_eq!(yellow.theme, WidgetTheme::Dark);

    // Leaving them out keeps them.
    put(
        &app,
        serde_json::json!({"greetMessage": "Hello", "suggestions": []}),
    )
    .await;
    let kept = config(&app).await;
    assert_eq!(
        (kept.accent_color.as_str(), kept.theme),
        ("#fde047", WidgetTheme::Dark)
    );
    assert_eq!(kept.greet_message, "Hello");
}

#[tokio::test]
async fn a_bad_colour_or_theme_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    for color in ["red", "#12345", "#1234567", "#gggggg", ""] {
        let refused = put(
            &app,
            serde_json::json!({"greetMessage": "Changed", "suggestions": [], "accentColor": color}),
        )
        .await;
        let body = assert_error(refused, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
        assert_eq!(body.error.field.as_deref(), Some("accentColor"), "{color}");
    }
    let theme = put(
        &app,
        serde_json::json!({"greetMessage": "Changed", "suggestions": [], "theme": "neon"}),
    )
    .await;
    assert_error(theme, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
    let unchanged = config(&app).await;
    assert_ne!(unchanged.greet_message, "Changed");
    assert_eq!(unchanged.accent_color, "#4f46e5");
}

#[tokio::test]
async fn the_cli_sets_the_brand() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("echo.db").display());
    let created = crate::helpers::cli(&db, &["org", "create", "--name", "Acme"]);
    let org: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    let id = org["organizationId"].as_str().unwrap();
    crate::helpers::cli(
        &db,
        &[
            "widget-settings",
            "set",
            id,
            "--greet",
            "Hi",
            "--accent-color",
            "#0F766E",
            "--theme",
            "light",
        ],
    );
    let bad = std::process::Command::new(crate::helpers::BIN)
        .args([
            "--database-url",
            &db,
            "widget-settings",
            "set",
            id,
            "--greet",
            "Hi",
            "--accent-color",
            "teal",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let conn = rusqlite::Connection::open(dir.path().join("echo.db")).unwrap();
    let (accent, theme): (String, String) = conn
        .query_row("SELECT accent_color, theme FROM organizations", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((accent.as_str(), theme.as_str()), ("#0f766e", "light"));
}
