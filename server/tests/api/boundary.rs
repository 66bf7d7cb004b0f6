//! Input at the boundary: every rejection is a clear 4xx in the standard
//! body, names the field, stores nothing, and nothing makes the server 500.

use echo_protocol::messages::SendMessage;
use echo_protocol::ErrorCode;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn invalid_session_requests_name_the_field_and_store_nothing() {
    let app = spawn_app().await;
    let org = app.org.organization_id.to_string();
    let long_name = "n".repeat(101);
    let long_email = format!("{}@example.com", "e".repeat(243));
    let long_ua = "u".repeat(513);
    let cases = [
        (
            json!({"organizationId": org, "name": "", "email": "a@b.co"}),
            "name",
        ),
        (
            json!({"organizationId": org, "name": "   ", "email": "a@b.co"}),
            "name",
        ),
        (
            json!({"organizationId": org, "name": long_name, "email": "a@b.co"}),
            "name",
        ),
        (
            json!({"organizationId": org, "name": "Ada", "email": "not-an-email"}),
            "email",
        ),
        (
            json!({"organizationId": org, "name": "Ada", "email": long_email}),
            "email",
        ),
        (json!({"organizationId": org, "name": "Ada"}), "email"),
        (
            json!({"organizationId": "nope", "name": "Ada", "email": "a@b.co"}),
            "organizationId",
        ),
        (
            json!({"organizationId": org, "name": "Ada", "email": "a@b.co", "metadata": {"userAgent": long_ua}}),
            "metadata.userAgent",
        ),
        (
            json!({"organizationId": org, "name": "Ada", "email": "a@b.co", "metadata": {"screenWidth": -1}}),
            "metadata.screenWidth",
        ),
        (
            json!({"organizationId": org, "name": "Ada", "email": "a@b.co", "metadata": {"screenWidth": 99999999999u64}}),
            "metadata.screenWidth",
        ),
        (
            json!({"organizationId": org, "name": "Ada", "email": "a@b.co", "metadata": {"languages": "en"}}),
            "metadata.languages",
        ),
        (
            json!({"organizationId": org, "name": 5, "email": "a@b.co"}),
            "name",
        ),
    ];
    for (body, field) in cases {
        let response = app.post("/v1/contact-sessions", &body, None).await;
        let error = assert_error(response, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
        assert_eq!(
            error.error.field.as_deref(),
            Some(field),
            "{body}: {error:?}"
        );
    }
    assert_eq!(app.count("contact_sessions").await, 0);
}

#[tokio::test]
async fn unknown_metadata_fields_are_dropped() {
    let app = spawn_app().await;
    let body = json!({
        "organizationId": app.org.organization_id,
        "name": "Ada",
        "email": "ada@example.com",
        "metadata": {"userAgent": "UA", "secretTracker": "xyz"},
        "isAdmin": true
    });
    let response = app.post("/v1/contact-sessions", &body, None).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let stored = app
        .scalar_text("SELECT metadata FROM contact_sessions")
        .await;
    assert!(stored.contains("\"userAgent\":\"UA\""));
    assert!(!stored.contains("secretTracker"));
}

#[tokio::test]
async fn invalid_message_text_is_rejected_and_not_stored() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let path = format!("/v1/conversations/{conversation}/messages");
    for text in [String::new(), " \n\t ".into(), "x".repeat(4001)] {
        let response = app
            .post(
                &path,
                &SendMessage {
                    text,
                    idempotency_key: None,
                    attachment_ids: Vec::new(),
                },
                Some(visitor.token()),
            )
            .await;
        let error = assert_error(response, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
        assert_eq!(error.error.field.as_deref(), Some("text"));
    }
    let response = app
        .post(&path, &json!({"text": null}), Some(visitor.token()))
        .await;
    assert_error(response, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
    assert_eq!(app.count("messages").await, 1, "only the greeting");
    let ok = app
        .post(
            &path,
            &SendMessage {
                text: "x".repeat(4000),
                idempotency_key: None,
                attachment_ids: Vec::new(),
            },
            Some(visitor.token()),
        )
        .await;
    assert_eq!(ok.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn malformed_bodies_get_the_standard_error_body() {
    let app = spawn_app().await;
    let url = app.url("/v1/contact-sessions");

    let syntax = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_error(syntax, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;

    let wrong_type = app
        .client
        .post(&url)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_error(
        wrong_type,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::UnsupportedMediaType,
    )
    .await;

    let huge = json!({"organizationId": app.org.organization_id, "name": "x".repeat(70 * 1024), "email": "a@b.co"});
    let too_large = app.post("/v1/contact-sessions", &huge, None).await;
    assert_error(
        too_large,
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
    )
    .await;
    assert_eq!(app.count("contact_sessions").await, 0);
}

#[tokio::test]
async fn unknown_routes_and_methods_get_the_standard_error_body() {
    let app = spawn_app().await;
    assert_error(
        app.get("/v1/nope", None).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;
    assert_error(
        app.get("/", None).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;
    let delete = app
        .client
        .delete(app.url("/v1/contact-sessions"))
        .send()
        .await
        .unwrap();
    assert_error(
        delete,
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
    )
    .await;
}

#[tokio::test]
async fn hostile_query_strings_and_paths_never_fail_the_server() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let token = Some(visitor.token());
    let bad_queries = [
        "/v1/conversations?limit=0",
        "/v1/conversations?limit=101",
        "/v1/conversations?limit=-1",
        "/v1/conversations?limit=abc",
        "/v1/conversations?cursor=abc",
        "/v1/conversations?cursor=-5",
        "/v1/conversations?cursor=99999999999999999999999",
    ];
    for path in bad_queries {
        assert_error(
            app.get(path, token).await,
            StatusCode::BAD_REQUEST,
            ErrorCode::Validation,
        )
        .await;
    }
    let after_bad = format!("/v1/conversations/{conversation}/messages?after=zzz");
    assert_error(
        app.get(&after_bad, token).await,
        StatusCode::BAD_REQUEST,
        ErrorCode::Validation,
    )
    .await;
    for path in [
        "/v1/conversations/%00",
        "/v1/conversations/..%2F..%2Fetc",
        "/v1/conversations/' OR 1=1 --",
        "/v1/organizations/%F0%9F%92%A9/widget",
    ] {
        let status = app.get(path, token).await.status();
        assert!(status.is_client_error(), "{path}: {status}");
    }
    let weird_bodies = [
        json!(null),
        json!([]),
        json!("text"),
        json!({"text": {"nested": true}}),
        json!({"text": "\u{0000}\u{FFFF}\u{202E}"}),
    ];
    for body in weird_bodies {
        let status = app
            .post(
                &format!("/v1/conversations/{conversation}/messages"),
                &body,
                token,
            )
            .await
            .status();
        assert!(
            status.is_client_error() || status == StatusCode::CREATED,
            "{body}: {status}"
        );
    }
}

#[tokio::test]
async fn openapi_document_describes_the_public_api() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app
        .get("/v1/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/v1/organizations/{organizationId}/widget",
        "/v1/contact-sessions",
        "/v1/contact-sessions/current",
        "/v1/conversations",
        "/v1/conversations/{conversationId}",
        "/v1/conversations/{conversationId}/messages",
    ] {
        assert!(paths.contains_key(path), "missing {path}");
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    assert!(doc["components"]["securitySchemes"]["contactSession"].is_object());
}

#[tokio::test]
async fn cors_lets_the_widget_call_from_another_origin() {
    let app = spawn_app().await;
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/v1/conversations"))
        .header("Origin", "https://shop.example")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let allowed = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"));

    let id = app.org.organization_id;
    let response = app
        .client
        .get(app.url(&format!("/v1/organizations/{id}/widget")))
        .header("Origin", "https://shop.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
}
