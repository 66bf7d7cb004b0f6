use echo_protocol::contact_sessions::CurrentContactSession;
use echo_protocol::conversations::CreateConversation;
use echo_protocol::messages::SendMessage;
use echo_protocol::{ErrorCode, OrganizationId};
use reqwest::StatusCode;

use crate::helpers::{assert_error, json, keys, spawn_app, START};

#[tokio::test]
async fn create_session_returns_only_the_id_and_expiry() {
    let app = spawn_app().await;
    let request = app.session_request(app.org.organization_id);
    let response = app.post("/v1/contact-sessions", &request, None).await;
    let value: serde_json::Value = json(response, StatusCode::CREATED).await;
    assert_eq!(keys(&value), ["contactSessionId", "expiresAt"]);
    let id = value["contactSessionId"].as_str().unwrap();
    assert!(
        id.starts_with("cs_") && id.len() == 46,
        "256-bit secret: {id}"
    );
    assert_eq!(value["expiresAt"], START.plus_secs(86_400).millis());
}

#[tokio::test]
async fn current_session_describes_the_visitor() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let response = app
        .get("/v1/contact-sessions/current", Some(visitor.token()))
        .await;
    let value: serde_json::Value = json(response, StatusCode::OK).await;
    assert_eq!(
        keys(&value),
        ["email", "expiresAt", "name", "organizationId"]
    );
    let current: CurrentContactSession = serde_json::from_value(value).unwrap();
    assert_eq!(current.name, "Ada Lovelace");
    assert_eq!(current.email, "ada@example.com");
    assert_eq!(current.organization_id, app.org.organization_id);
    assert_eq!(current.expires_at, visitor.expires_at);
}

#[tokio::test]
async fn unknown_organization_cannot_get_a_session() {
    let app = spawn_app().await;
    let unknown = OrganizationId::parse("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap();
    let response = app
        .post("/v1/contact-sessions", &app.session_request(unknown), None)
        .await;
    assert_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    assert_eq!(app.count("contact_sessions").await, 0);
}

#[tokio::test]
async fn missing_malformed_and_unknown_sessions_are_unauthorized() {
    let app = spawn_app().await;
    let unknown = format!("cs_{}", "A".repeat(43));
    let headers: [Option<&str>; 4] = [None, Some(""), Some("garbage"), Some(&unknown)];
    for bearer in headers {
        let response = app.get("/v1/contact-sessions/current", bearer).await;
        assert_error(response, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    }
    // A non-Bearer scheme is not a session either.
    let visitor = app.visitor().await;
    let response = app
        .client
        .get(app.url("/v1/contact-sessions/current"))
        .header("Authorization", format!("Basic {}", visitor.token()))
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
}

#[tokio::test]
async fn expired_session_is_unauthorized_everywhere_and_stays_expired() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    app.clock.advance_secs(86_400);

    let token = Some(visitor.token());
    let paths = [
        "/v1/contact-sessions/current".to_owned(),
        "/v1/conversations".to_owned(),
        format!("/v1/conversations/{conversation}"),
        format!("/v1/conversations/{conversation}/messages"),
    ];
    for path in &paths {
        assert_error(
            app.get(path, token).await,
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
        )
        .await;
    }
    let create = CreateConversation {
        organization_id: visitor.organization_id,
    };
    assert_error(
        app.post("/v1/conversations", &create, token).await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthorized,
    )
    .await;
    let send = SendMessage {
        text: "still there?".into(),
        idempotency_key: None,
        attachment_ids: Vec::new(),
    };
    assert_error(
        app.post(
            &format!("/v1/conversations/{conversation}/messages"),
            &send,
            token,
        )
        .await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthorized,
    )
    .await;

    // Activity after expiry did not resurrect it.
    let stored = app
        .scalar_i64("SELECT expires_at FROM contact_sessions")
        .await;
    assert_eq!(stored, visitor.expires_at.millis());
    assert_eq!(app.count("conversations").await, 1);
    assert_eq!(app.count("messages").await, 1, "only the greeting");
}

#[tokio::test]
async fn the_store_refuses_to_refresh_an_expired_session() {
    // The handler checks expiry first; this pins that the write itself
    // re-checks, so a session expiring between the two is not revived.
    use echo_server::secrets::SecretHash;
    use echo_server::store::{StoreError, VisitorActivity};
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let activity = VisitorActivity {
        session: SecretHash::of(visitor.token()),
        now: visitor.expires_at,
        policy: Default::default(),
    };
    let result = app
        .store
        .create_conversation(
            echo_protocol::ConversationId::from_uuid(uuid::Uuid::new_v4()),
            echo_protocol::MessageId::from_uuid(uuid::Uuid::new_v4()),
            activity,
        )
        .await;
    assert!(
        matches!(result, Err(StoreError::SessionExpired)),
        "{result:?}"
    );
}

async fn current_expiry(app: &crate::helpers::TestApp, token: &str) -> i64 {
    let current: CurrentContactSession = json(
        app.get("/v1/contact-sessions/current", Some(token)).await,
        StatusCode::OK,
    )
    .await;
    current.expires_at.millis()
}

#[tokio::test]
async fn creating_a_conversation_refreshes_a_session_near_expiry() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;

    app.clock.advance_secs(3600); // 23 h left: above the 4 h threshold
    app.start_conversation(&visitor).await;
    assert_eq!(
        current_expiry(&app, visitor.token()).await,
        visitor.expires_at.millis()
    );

    app.clock.advance_secs(19 * 3600 + 1); // 3 h 59 m 59 s left
    app.start_conversation(&visitor).await;
    assert_eq!(
        current_expiry(&app, visitor.token()).await,
        app.clock.now().plus_secs(86_400).millis()
    );
}

#[tokio::test]
async fn sending_a_message_refreshes_a_session_near_expiry() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let path = format!("/v1/conversations/{conversation}/messages");
    let send = SendMessage {
        text: "hello".into(),
        idempotency_key: None,
        attachment_ids: Vec::new(),
    };

    app.clock.advance_secs(20 * 3600); // exactly 4 h left: not below the threshold
    assert_eq!(
        app.post(&path, &send, Some(visitor.token())).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        current_expiry(&app, visitor.token()).await,
        visitor.expires_at.millis()
    );

    app.clock.advance_secs(1);
    assert_eq!(
        app.post(&path, &send, Some(visitor.token())).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        current_expiry(&app, visitor.token()).await,
        app.clock.now().plus_secs(86_400).millis()
    );
}
