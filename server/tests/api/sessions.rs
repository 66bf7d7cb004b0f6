//! Operator sessions: sign-in answers and lockouts, password changes, idle
//! expiry, the origin rule for cookie changes, streams that end with their
//! credential, and the Secure flag behind https.

use echo_protocol::team::{Account, OperatorRole};
use echo_protocol::ErrorCode;
use reqwest::{Method, StatusCode};

use crate::helpers::{assert_error, json, spawn_app, START};
use crate::members::{cookie_of, token_of, PASSWORD};

#[tokio::test]
async fn wrong_passwords_and_unknown_emails_get_the_same_answer() {
    let app = spawn_app().await;
    app.member(
        app.org.organization_id,
        "ada@example.com",
        OperatorRole::Admin,
    )
    .await;
    let wrong = app.sign_in("ada@example.com", "wrong password!").await;
    let wrong = assert_error(wrong, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    let unknown = app.sign_in("nobody@example.com", PASSWORD).await;
    let unknown = assert_error(unknown, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    assert_eq!(wrong, unknown);
    let right = app.sign_in(" ADA@example.com ", PASSWORD).await;
    let account: Account = json(right, StatusCode::OK).await;
    assert_eq!(
        account.active_organization_id,
        Some(app.org.organization_id)
    );
}

#[tokio::test]
async fn five_failures_lock_the_email_for_fifteen_minutes() {
    let app = spawn_app().await;
    app.member(
        app.org.organization_id,
        "ada@example.com",
        OperatorRole::Admin,
    )
    .await;
    for _ in 0..5 {
        let failed = app.sign_in("ada@example.com", "wrong password!").await;
        assert_eq!(failed.status(), StatusCode::UNAUTHORIZED);
    }
    let locked = app.sign_in("ada@example.com", PASSWORD).await;
    let retry: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    assert_error(
        locked,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
    )
    .await;
    app.clock.advance_secs(15 * 60);
    let open = app.sign_in("ada@example.com", PASSWORD).await;
    assert_eq!(open.status(), StatusCode::OK);
}

#[tokio::test]
async fn twenty_failures_from_one_address_lock_it() {
    let app = spawn_app().await;
    for i in 0..20 {
        let failed = app
            .sign_in(&format!("guess{i}@example.com"), "wrong password!")
            .await;
        assert_eq!(failed.status(), StatusCode::UNAUTHORIZED);
    }
    let locked = app.sign_in("someone@example.com", PASSWORD).await;
    assert!(locked.headers().contains_key("retry-after"));
    assert_error(
        locked,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
    )
    .await;
}

#[tokio::test]
async fn a_password_change_ends_every_session() {
    let app = spawn_app().await;
    let ada = app
        .member(
            app.org.organization_id,
            "ada@example.com",
            OperatorRole::Admin,
        )
        .await;
    let laptop = cookie_of(&app.sign_in("ada@example.com", PASSWORD).await);
    let change = |current: &'static str, new: &'static str| serde_json::json!({"currentPassword": current, "newPassword": new});
    let wrong = app
        .member_post(
            "/v1/auth/password",
            &ada.cookie,
            &change("nope nope nope", "a new passphrase"),
        )
        .await;
    assert_error(wrong, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
    let short = app
        .member_post("/v1/auth/password", &ada.cookie, &change(PASSWORD, "short"))
        .await;
    assert_error(short, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;

    let changed = app
        .member_post(
            "/v1/auth/password",
            &ada.cookie,
            &change(PASSWORD, "a new passphrase"),
        )
        .await;
    let fresh = cookie_of(&changed);
    assert_eq!(changed.status(), StatusCode::OK);
    for old in [&ada.cookie, &laptop] {
        let gone = app.member_get("/v1/auth/me", old).await;
        assert_error(gone, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    }
    assert_eq!(
        app.member_get("/v1/auth/me", &fresh).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.sign_in("ada@example.com", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.sign_in("ada@example.com", "a new passphrase")
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_session_ends_after_fourteen_idle_days_and_use_keeps_it() {
    let app = spawn_app().await;
    let ada = app
        .member(
            app.org.organization_id,
            "ada@example.com",
            OperatorRole::Admin,
        )
        .await;
    app.clock.advance_secs(13 * 24 * 3600);
    assert_eq!(
        app.member_get("/v1/auth/me", &ada.cookie).await.status(),
        StatusCode::OK
    );
    app.clock.advance_secs(13 * 24 * 3600);
    assert_eq!(
        app.member_get("/v1/auth/me", &ada.cookie).await.status(),
        StatusCode::OK
    );
    app.clock.advance_secs(14 * 24 * 3600 + 1);
    let idle = app.member_get("/v1/auth/me", &ada.cookie).await;
    assert_error(idle, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    assert!(app.clock.now().millis() > START.millis());
}

#[tokio::test]
async fn cookie_changes_from_another_origin_are_refused() {
    let app = spawn_app().await;
    let ada = app
        .member(
            app.org.organization_id,
            "ada@example.com",
            OperatorRole::Admin,
        )
        .await;
    let body = serde_json::json!({"email": "x@example.com", "role": "agent"});
    for origin in [None, Some("https://evil.example"), Some("null")] {
        let mut request = app
            .client
            .post(app.url("/v1/operator/invitations"))
            .header("cookie", &ada.cookie)
            .json(&body);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let refused = request.send().await.unwrap();
        assert_error(refused, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    }
    assert_eq!(app.count("invitations").await, 1, "only ada's own");
    let foreign_sign_in = app
        .client
        .post(app.url("/v1/auth/sign-in"))
        .header("origin", "https://evil.example")
        .json(&serde_json::json!({"email": "ada@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_error(foreign_sign_in, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    let same_origin = app
        .member_post("/v1/operator/invitations", &ada.cookie, &body)
        .await;
    assert_eq!(same_origin.status(), StatusCode::CREATED);
    // Reads need no Origin; CORS never lets another site send the cookie.
    let read = app
        .client
        .get(app.url("/v1/operator/team"))
        .header("cookie", &ada.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    let preflight = app
        .client
        .request(Method::OPTIONS, app.url("/v1/operator/team"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "DELETE")
        .send()
        .await
        .unwrap();
    assert!(!preflight
        .headers()
        .contains_key("access-control-allow-credentials"));
}

#[tokio::test]
async fn open_streams_end_when_the_session_or_the_key_ends() {
    let app = spawn_app().await;
    let ada = app
        .member(
            app.org.organization_id,
            "ada@example.com",
            OperatorRole::Admin,
        )
        .await;
    let opened = app
        .client
        .get(app.url("/v1/operator/events"))
        .header("cookie", &ada.cookie)
        .send()
        .await
        .unwrap();
    let mut by_cookie = crate::helpers::SseReader::new(opened);
    assert_eq!(by_cookie.next().await.event, "ready");
    let key: echo_protocol::team::ApiKeyCreated = json(
        app.member_post(
            "/v1/operator/api-keys",
            &ada.cookie,
            &serde_json::json!({"name": "stream"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let mut by_key = app.operator_events(&key.key).await;
    assert_eq!(by_key.next().await.event, "ready");

    let deleted = app
        .as_member::<()>(
            Method::DELETE,
            &format!("/v1/operator/api-keys/{}", key.key_id),
            &ada.cookie,
            None,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let within = std::time::Duration::from_secs(12);
    assert!(by_key.ends_within(within).await, "the key's stream ended");
    app.member_post("/v1/auth/sign-out", &ada.cookie, &serde_json::json!({}))
        .await;
    assert!(
        by_cookie.ends_within(within).await,
        "the session's stream ended"
    );
}

#[tokio::test]
async fn an_https_public_url_makes_the_cookie_secure() {
    let public = "https://chat.example.com";
    let app = crate::helpers::spawn_app_with(|config| {
        config.public_url = Some(echo_server::accounts::PublicUrl::parse(public).unwrap());
    })
    .await;
    let url = echo_server::admin::invite_operator(
        app.store.as_ref(),
        &app.clock,
        &echo_server::accounts::PublicUrl::parse(public).unwrap(),
        app.org.organization_id,
        "ada@example.com",
        OperatorRole::Admin,
    )
    .await
    .unwrap()
    .url;
    assert!(url.starts_with("https://chat.example.com/console/#token="));
    let accepted = app
        .client
        .post(app.url("/v1/auth/invitations/accept"))
        .header("origin", public)
        .json(&serde_json::json!({"token": token_of(&url), "name": "Ada", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let set_cookie = accepted.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(accepted.status(), StatusCode::OK);
    assert!(set_cookie.contains("; Secure"), "{set_cookie}");
    // The loopback address is not the public origin: a change from it is refused.
    let cookie = cookie_of(&accepted);
    let refused = app
        .member_post(
            "/v1/operator/api-keys",
            &cookie,
            &serde_json::json!({"name": "x"}),
        )
        .await;
    assert_error(refused, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
}
