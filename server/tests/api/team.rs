//! Operator accounts: invitations, joining a second organization, roles,
//! the last-admin rule and what agents may not do (sessions: `sessions.rs`).

use echo_protocol::team::{Account, OperatorRole, Team};
use echo_protocol::ErrorCode;
use reqwest::{Method, StatusCode};

use crate::helpers::{assert_error, json, spawn_app};
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
