//! Operator accounts: invitations, sign-in, sessions, organizations,
//! roles, the last-admin rule and the sign-in lockout.

use echo_protocol::team::{Account, OperatorRole, Team};
use echo_protocol::ErrorCode;
use reqwest::{Method, StatusCode};

use crate::helpers::{assert_error, json, spawn_app, START};
use crate::members::{cookie_of, token_of, PASSWORD};

#[tokio::test]
async fn an_invitation_creates_the_account_and_signs_in_once() {
    let app = spawn_app().await;
    let org = app.org.organization_id;
    let url = app
        .invite(org, "Grace@Example.com", OperatorRole::Admin)
        .await;
    assert!(
        url.starts_with(&format!("{}/console/#token=inv_", app.address)),
        "{url}"
    );
    assert_eq!(app.count("invitations").await, 1, "stored, as a hash only");
    let stored = app.scalar_text("SELECT token_hash FROM invitations").await;
    assert!(!stored.contains(&token_of(&url)));

    let short = app.accept(&url, "Grace", "too short").await;
    let body = assert_error(short, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
    assert_eq!(body.error.field.as_deref(), Some("password"));
    assert_eq!(app.count("operators").await, 0, "nothing stored");

    let accepted = app.accept(&url, "Grace Hopper", PASSWORD).await;
    let set_cookie = accepted.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(flag), "{set_cookie}");
    }
    assert!(
        !set_cookie.contains("Secure"),
        "http public URL: {set_cookie}"
    );
    assert_eq!(accepted.headers()["cache-control"], "no-store");
    let cookie = cookie_of(&accepted);
    let account: Account = json(accepted, StatusCode::OK).await;
    assert_eq!(account.operator.email, "grace@example.com");
    assert_eq!(account.operator.name, "Grace Hopper");
    assert_eq!(account.organizations.len(), 1);
    assert_eq!(account.organizations[0].role, OperatorRole::Admin);
    assert_eq!(account.active_organization_id, Some(org));
    let hash = app.scalar_text("SELECT password_hash FROM operators").await;
    assert!(hash.starts_with("$argon2id$"), "{hash}");

    let me: Account = json(app.member_get("/v1/auth/me", &cookie).await, StatusCode::OK).await;
    assert_eq!(me, account);

    let reused = app.accept(&url, "Mallory", PASSWORD).await;
    assert_error(reused, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    assert_eq!(app.count("operators").await, 1);

    let signed_out = app
        .member_post("/v1/auth/sign-out", &cookie, &serde_json::json!({}))
        .await;
    assert_eq!(signed_out.status(), StatusCode::NO_CONTENT);
    let after = app.member_get("/v1/auth/me", &cookie).await;
    assert_error(after, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    let inbox = app.member_get("/v1/operator/conversations", &cookie).await;
    assert_error(inbox, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
}

#[tokio::test]
async fn an_invitation_expires_after_72_hours() {
    let app = spawn_app().await;
    let url = app
        .invite(
            app.org.organization_id,
            "late@example.com",
            OperatorRole::Agent,
        )
        .await;
    app.clock.advance_secs(72 * 3600 + 1);
    let late = app.accept(&url, "Late", PASSWORD).await;
    assert_error(late, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let forged = app
        .accept(&format!("x#token=inv_{}", "A".repeat(43)), "X", PASSWORD)
        .await;
    assert_error(forged, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    assert_eq!(app.count("operators").await, 0);
}

#[tokio::test]
async fn an_existing_account_joins_a_second_organization_with_its_password() {
    let app = spawn_app().await;
    let first = app.org.organization_id;
    let second = app.create_org("Globex").await.organization_id;
    let ada = app
        .member(first, "ada@example.com", OperatorRole::Admin)
        .await;
    let url = app
        .invite(second, "ada@example.com", OperatorRole::Agent)
        .await;

    let wrong = app.accept(&url, "", "not the password").await;
    assert_error(wrong, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    let joined = app.accept(&url, "", PASSWORD).await;
    let account: Account = json(joined, StatusCode::OK).await;
    assert_eq!(account.operator.id, ada.id());
    assert_eq!(account.organizations.len(), 2);
    assert_eq!(account.active_organization_id, Some(second));
    assert_eq!(app.count("operators").await, 1);

    // Signing in with two memberships chooses none: operator calls say so.
    let signed_in = app.sign_in("ada@example.com", PASSWORD).await;
    let cookie = cookie_of(&signed_in);
    let account: Account = json(signed_in, StatusCode::OK).await;
    assert_eq!(account.active_organization_id, None);
    let unchosen = app.member_get("/v1/operator/conversations", &cookie).await;
    assert_error(unchosen, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;

    let stranger = app.create_org("Initech").await.organization_id;
    let refused = app
        .member_post(
            "/v1/auth/organization",
            &cookie,
            &serde_json::json!({"organizationId": stranger}),
        )
        .await;
    assert_error(refused, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    let chosen = app
        .member_post(
            "/v1/auth/organization",
            &cookie,
            &serde_json::json!({"organizationId": second}),
        )
        .await;
    let account: Account = json(chosen, StatusCode::OK).await;
    assert_eq!(account.active_organization_id, Some(second));
    let inbox = app.member_get("/v1/operator/conversations", &cookie).await;
    assert_eq!(inbox.status(), StatusCode::OK);
    // An agent in the second organization: its admin calls are refused.
    let team = app.member_get("/v1/operator/team", &cookie).await;
    assert_error(team, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
}

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
async fn the_last_admin_can_be_neither_demoted_nor_removed() {
    let app = spawn_app().await;
    let org = app.org.organization_id;
    let owner = app
        .member(org, "owner@example.com", OperatorRole::Admin)
        .await;
    let agent = app
        .member(org, "agent@example.com", OperatorRole::Agent)
        .await;
    let path = |id: echo_protocol::OperatorId| format!("/v1/operator/team/{id}");
    let demote = serde_json::json!({"role": "agent"});
    let promote = serde_json::json!({"role": "admin"});

    let alone = app
        .as_member(
            Method::PATCH,
            &path(owner.id()),
            &owner.cookie,
            Some(&demote),
        )
        .await;
    assert_error(alone, StatusCode::CONFLICT, ErrorCode::Conflict).await;
    let removed = app
        .as_member::<()>(Method::DELETE, &path(owner.id()), &owner.cookie, None)
        .await;
    assert_error(removed, StatusCode::CONFLICT, ErrorCode::Conflict).await;

    let promoted = app
        .as_member(
            Method::PATCH,
            &path(agent.id()),
            &owner.cookie,
            Some(&promote),
        )
        .await;
    assert_eq!(promoted.status(), StatusCode::OK);
    let demoted = app
        .as_member(
            Method::PATCH,
            &path(owner.id()),
            &owner.cookie,
            Some(&demote),
        )
        .await;
    assert_eq!(demoted.status(), StatusCode::OK);
    // Now an agent, the former owner is refused the team.
    let team = app.member_get("/v1/operator/team", &owner.cookie).await;
    assert_error(team, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    let team: Team = json(
        app.member_get("/v1/operator/team", &agent.cookie).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(team.members.len(), 2);

    let gone = app
        .as_member::<()>(Method::DELETE, &path(owner.id()), &agent.cookie, None)
        .await;
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    let outside = app
        .member_get("/v1/operator/conversations", &owner.cookie)
        .await;
    assert_error(outside, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    let stranger = app
        .as_member::<()>(Method::DELETE, &path(owner.id()), &agent.cookie, None)
        .await;
    assert_error(stranger, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}

#[tokio::test]
async fn agents_are_refused_every_admin_call() {
    let app = spawn_app().await;
    let org = app.org.organization_id;
    let admin = app
        .member(org, "admin@example.com", OperatorRole::Admin)
        .await;
    let agent = app
        .member(org, "agent@example.com", OperatorRole::Agent)
        .await;
    let file = uuid::Uuid::new_v4();
    let key = uuid::Uuid::new_v4();
    let member = admin.id();
    let settings = serde_json::json!({"greetMessage": "Hi", "suggestions": []});
    let calls: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (Method::GET, "/v1/operator/team".into(), None),
        (
            Method::PATCH,
            format!("/v1/operator/team/{member}"),
            Some(serde_json::json!({"role": "agent"})),
        ),
        (Method::DELETE, format!("/v1/operator/team/{member}"), None),
        (
            Method::POST,
            "/v1/operator/invitations".into(),
            Some(serde_json::json!({"email": "e@example.com", "role": "admin"})),
        ),
        (Method::GET, "/v1/operator/api-keys".into(), None),
        (
            Method::POST,
            "/v1/operator/api-keys".into(),
            Some(serde_json::json!({"name": "ci"})),
        ),
        (Method::DELETE, format!("/v1/operator/api-keys/{key}"), None),
        (Method::GET, "/v1/operator/widget-settings".into(), None),
        (
            Method::PUT,
            "/v1/operator/widget-settings".into(),
            Some(settings),
        ),
        (
            Method::GET,
            "/v1/operator/knowledge-base/files".into(),
            None,
        ),
        (
            Method::DELETE,
            format!("/v1/operator/knowledge-base/files/{file}"),
            None,
        ),
        (
            Method::GET,
            "/v1/operator/knowledge-base/search?q=refund".into(),
            None,
        ),
    ];
    for (method, path, body) in calls {
        let refused = app
            .as_member(method.clone(), &path, &agent.cookie, body.as_ref())
            .await;
        let status = refused.status();
        let text = refused.text().await.unwrap();
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {text}");
        assert!(text.contains("FORBIDDEN"), "{text}");
    }
    let upload = app
        .client
        .post(app.url("/v1/operator/knowledge-base/files"))
        .header("cookie", &agent.cookie)
        .header("origin", &app.address)
        .multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(b"refunds".to_vec()).file_name("a.txt"),
        ))
        .send()
        .await
        .unwrap();
    assert_error(upload, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    assert_eq!(app.count("memberships").await, 2, "nothing changed");
    assert_eq!(app.count("api_keys").await, 1);
    // Conversations are the agent's work.
    let inbox = app
        .member_get("/v1/operator/conversations", &agent.cookie)
        .await;
    assert_eq!(inbox.status(), StatusCode::OK);
    let info = app
        .member_get("/v1/operator/organization", &agent.cookie)
        .await;
    assert_eq!(info.status(), StatusCode::OK);
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
