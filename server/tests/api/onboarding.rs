//! Onboarding: sign-up and its mailed email check, what an unconfirmed
//! account may not do, the first admin of an empty server, more
//! organizations, the install page's facts and the billing page's.

use echo_protocol::onboarding::{Installation, SetupStatus, SignUpAnswer};
use echo_protocol::operator::OrganizationInfo;
use echo_protocol::team::{Account, OperatorRole};
use echo_protocol::ErrorCode;
use reqwest::{Response, StatusCode};
use serde_json::json;

use crate::helpers::{assert_error, json, spawn_app, spawn_app_with, TestApp, BIN};
use crate::members::{cookie_of, PASSWORD};
use crate::smtp::{Mail, SmtpSink};

async fn sign_up_app(sink: &SmtpSink) -> TestApp {
    let mail = sink.config(60, 60);
    spawn_app_with(move |c| {
        c.mail = Some(mail);
        c.onboarding.sign_up = true;
        c.onboarding.organizations_per_account = 2;
    })
    .await
}

impl TestApp {
    async fn sign_up(&self, email: &str, organization: &str) -> Response {
        self.client
            .post(self.url("/v1/auth/sign-up"))
            .header("origin", &self.address)
            .json(
                &json!({"name": "Ann Lee", "email": email, "password": PASSWORD,
                          "organizationName": organization}),
            )
            .send()
            .await
            .unwrap()
    }

    async fn verify(&self, token: &str) -> Response {
        self.client
            .post(self.url("/v1/auth/verify-email"))
            .json(&json!({ "token": token }))
            .send()
            .await
            .unwrap()
    }

    async fn setup(&self, token: &str, email: &str) -> Response {
        self.client
            .post(self.url("/v1/auth/setup"))
            .header("origin", &self.address)
            .json(&json!({"token": token, "name": "Root", "email": email,
                          "password": PASSWORD, "organizationName": "First Co"}))
            .send()
            .await
            .unwrap()
    }
}

/// The token of the check mailed to `to` (the `#verify=` fragment).
async fn mailed_token(sink: &SmtpSink, to: &str, nth: usize) -> (Mail, String) {
    let mail = sink.wait_for_to(to, nth).await.remove(nth - 1);
    let token = mail
        .text
        .split_whitespace()
        .find_map(|word| word.split_once("#verify=").map(|(_, t)| t.to_owned()))
        .expect("a verification link");
    (mail, token)
}

#[tokio::test]
async fn sign_up_is_closed_unless_the_server_opens_it() {
    let app = spawn_app().await;
    let closed = app.sign_up("ann@example.com", "Ann Co").await;
    assert_error(closed, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    assert_eq!(app.count("operators").await, 0);
}

#[tokio::test]
async fn a_sign_up_makes_the_account_and_organization_and_the_mailed_link_confirms_it() {
    let sink = SmtpSink::start();
    let app = sign_up_app(&sink).await;
    let orgs_before = app.count("organizations").await;

    let answer = app.sign_up("Ann@Example.com", "Ann's Shop").await;
    let cookie = cookie_of(&answer);
    assert_eq!(answer.headers()["cache-control"], "no-store");
    let body: SignUpAnswer = json(answer, StatusCode::CREATED).await;
    assert_eq!(body.email, "ann@example.com");
    assert!(body.verification_sent);
    assert_eq!(app.count("organizations").await, orgs_before + 1);

    let me: Account = json(app.member_get("/v1/auth/me", &cookie).await, StatusCode::OK).await;
    assert!(!me.email_verified);
    assert_eq!(me.organizations.len(), 1);
    assert_eq!(me.organizations[0].role, OperatorRole::Admin);
    assert_eq!(me.organizations[0].name, "Ann's Shop");
    assert_eq!(
        me.active_organization_id,
        Some(me.organizations[0].organization_id)
    );

    // The console works; what reaches other people waits.
    let inbox = app.member_get("/v1/operator/conversations", &cookie).await;
    assert_eq!(inbox.status(), StatusCode::OK);
    let invite = app
        .member_post(
            "/v1/operator/invitations",
            &cookie,
            &json!({"email": "bo@example.com", "role": "agent"}),
        )
        .await;
    assert_error(invite, StatusCode::FORBIDDEN, ErrorCode::EmailNotVerified).await;
    let key = app
        .member_post("/v1/operator/api-keys", &cookie, &json!({"name": "CI"}))
        .await;
    assert_error(key, StatusCode::FORBIDDEN, ErrorCode::EmailNotVerified).await;

    let (mail, token) = mailed_token(&sink, "ann@example.com", 1).await;
    assert!(mail
        .header("subject")
        .starts_with("Confirm your email address"));
    assert!(mail
        .text
        .contains(&format!("{}/console/#verify=ev_", app.address)));
    let stored = app
        .scalar_text("SELECT token_hash FROM email_verifications")
        .await;
    assert_ne!(stored, token, "stored as a hash only");

    for wrong in ["", "ev_nope", "nonsense", &token.replace("ev_", "xx_")] {
        let refused = app.verify(wrong).await;
        assert_error(refused, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    }
    assert_eq!(app.verify(&token).await.status(), StatusCode::NO_CONTENT);
    let reused = app.verify(&token).await;
    assert_error(reused, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;

    let me: Account = json(app.member_get("/v1/auth/me", &cookie).await, StatusCode::OK).await;
    assert!(me.email_verified);
    let invite = app
        .member_post(
            "/v1/operator/invitations",
            &cookie,
            &json!({"email": "bo@example.com", "role": "agent"}),
        )
        .await;
    assert_eq!(invite.status(), StatusCode::CREATED);
    let again = app
        .member_post("/v1/auth/verify-email/resend", &cookie, &json!({}))
        .await;
    assert_error(again, StatusCode::CONFLICT, ErrorCode::Conflict).await;
}

#[tokio::test]
async fn an_address_with_an_account_gets_the_same_answer_and_a_mail_instead() {
    let sink = SmtpSink::start();
    let app = sign_up_app(&sink).await;
    app.member(
        app.org.organization_id,
        "taken@example.com",
        OperatorRole::Agent,
    )
    .await;
    let (operators, orgs) = (
        app.count("operators").await,
        app.count("organizations").await,
    );

    let answer = app.sign_up("Taken@example.com", "Squatters").await;
    assert!(
        answer.headers().get("set-cookie").is_none(),
        "not signed in"
    );
    let body: SignUpAnswer = json(answer, StatusCode::CREATED).await;
    let fresh: SignUpAnswer = json(
        app.sign_up("new@example.com", "New").await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        serde_json::to_value(&body)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        serde_json::to_value(&fresh)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>()
    );
    assert_eq!(body.email, "taken@example.com");
    assert!(body.verification_sent);
    assert_eq!(
        app.count("operators").await,
        operators + 1,
        "only the new one"
    );
    assert_eq!(app.count("organizations").await, orgs + 1);

    let told = sink.wait_for_to("taken@example.com", 1).await.remove(0);
    assert!(
        told.header("subject").contains("tried to sign up"),
        "{:?}",
        told.headers
    );
    assert!(!told.text.contains("#verify="));
    // The account is untouched: its password still signs in.
    let signed_in = app.sign_in("taken@example.com", PASSWORD).await;
    assert_eq!(signed_in.status(), StatusCode::OK);
}

#[tokio::test]
async fn sign_up_input_is_checked_and_changes_nothing_when_bad() {
    let sink = SmtpSink::start();
    let app = sign_up_app(&sink).await;
    let operators = app.count("operators").await;
    let cases = [
        (
            json!({"name": "Ann", "email": "ann@example.com", "password": PASSWORD, "organizationName": "\u{200b}\u{2060} "}),
            "organizationName",
        ),
        (
            json!({"name": "Ann", "email": "not-an-email", "password": PASSWORD, "organizationName": "Co"}),
            "email",
        ),
        (
            json!({"name": "Ann", "email": "ann@example.com", "password": "short", "organizationName": "Co"}),
            "password",
        ),
        (
            json!({"name": "", "email": "ann@example.com", "password": PASSWORD, "organizationName": "Co"}),
            "name",
        ),
    ];
    for (body, field) in cases {
        let answer = app
            .client
            .post(app.url("/v1/auth/sign-up"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let error = assert_error(answer, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
        assert_eq!(error.error.field.as_deref(), Some(field));
    }
    let foreign = app
        .client
        .post(app.url("/v1/auth/sign-up"))
        .header("origin", "https://evil.example")
        .json(&json!({"name": "Ann", "email": "ann@example.com", "password": PASSWORD, "organizationName": "Co"}))
        .send()
        .await
        .unwrap();
    assert_error(foreign, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    assert_eq!(app.count("operators").await, operators);
}

#[tokio::test]
async fn sign_ups_and_links_are_rate_limited_and_links_expire() {
    let sink = SmtpSink::start();
    let app = sign_up_app(&sink).await;
    // Three sign-ups naming one address an hour (the first makes the
    // account, the others mail its owner).
    for _ in 0..3 {
        assert_eq!(
            app.sign_up("rate@example.com", "Co").await.status(),
            StatusCode::CREATED
        );
    }
    let limited = app.sign_up("rate@example.com", "Co").await;
    assert_error(
        limited,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
    )
    .await;

    let answer = app.sign_up("late@example.com", "Late Co").await;
    let cookie = cookie_of(&answer);
    let (_, first) = mailed_token(&sink, "late@example.com", 1).await;
    // "Send again": two more this hour, then wait.
    for _ in 0..2 {
        let resent = app
            .member_post("/v1/auth/verify-email/resend", &cookie, &json!({}))
            .await;
        assert_eq!(resent.status(), StatusCode::ACCEPTED);
    }
    let resent = app
        .member_post("/v1/auth/verify-email/resend", &cookie, &json!({}))
        .await;
    assert_error(
        resent,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
    )
    .await;
    let (_, third) = mailed_token(&sink, "late@example.com", 3).await;
    assert_ne!(first, third);

    app.clock.advance_secs(24 * 3600 + 1);
    let expired = app.verify(&third).await;
    assert_error(expired, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
}

#[tokio::test]
async fn the_first_admin_needs_the_logged_setup_token_and_only_once() {
    let app = spawn_app().await;
    let status: SetupStatus = json(app.get("/v1/auth/setup", None).await, StatusCode::OK).await;
    assert!(status.needed && !status.sign_up);
    let token = app
        .scalar_text("SELECT value FROM server_keys WHERE name = 'setup_token'")
        .await;
    assert!(token.starts_with("setup_"));

    let wrong = app
        .setup(
            "setup_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "root@example.com",
        )
        .await;
    assert_error(wrong, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    assert_eq!(app.count("operators").await, 0);

    let made = app.setup(&token, "Root@Example.com").await;
    let cookie = cookie_of(&made);
    let account: Account = json(made, StatusCode::OK).await;
    assert!(
        account.email_verified,
        "whoever reads the server's log is trusted"
    );
    assert_eq!(account.organizations[0].role, OperatorRole::Admin);
    let key = app
        .member_post("/v1/operator/api-keys", &cookie, &json!({"name": "CI"}))
        .await;
    assert_eq!(key.status(), StatusCode::CREATED);

    let reused = app.setup(&token, "second@example.com").await;
    assert_error(reused, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    assert_eq!(app.count("operators").await, 1);
    let status: SetupStatus = json(app.get("/v1/auth/setup", None).await, StatusCode::OK).await;
    assert!(!status.needed);
}

#[tokio::test]
async fn an_operator_makes_more_organizations_up_to_the_limit() {
    let sink = SmtpSink::start();
    let app = sign_up_app(&sink).await;
    let member = app
        .member(
            app.org.organization_id,
            "multi@example.com",
            OperatorRole::Agent,
        )
        .await;
    let invisible = app
        .member_post(
            "/v1/auth/organizations",
            &member.cookie,
            &json!({"name": "\u{200b}"}),
        )
        .await;
    let error = assert_error(invisible, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
    assert_eq!(error.error.field.as_deref(), Some("name"));

    let made = app
        .member_post(
            "/v1/auth/organizations",
            &member.cookie,
            &json!({"name": "Side Project"}),
        )
        .await;
    let account: Account = json(made, StatusCode::CREATED).await;
    assert_eq!(account.organizations.len(), 2);
    let new = account
        .organizations
        .iter()
        .find(|m| m.name == "Side Project")
        .expect("the new one");
    assert_eq!(new.role, OperatorRole::Admin);
    assert_eq!(account.active_organization_id, Some(new.organization_id));
    let me: Account = json(
        app.member_get("/v1/auth/me", &member.cookie).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        me.active_organization_id,
        Some(new.organization_id),
        "the session acts there"
    );

    let third = app
        .member_post(
            "/v1/auth/organizations",
            &member.cookie,
            &json!({"name": "Third"}),
        )
        .await;
    assert_error(third, StatusCode::CONFLICT, ErrorCode::Conflict).await;
    let anonymous = app
        .client
        .post(app.url("/v1/auth/organizations"))
        .json(&json!({"name": "Nobody's"}))
        .send()
        .await
        .unwrap();
    assert_error(anonymous, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
}

#[tokio::test]
async fn the_billing_page_shows_the_plan_and_the_checkout_link() {
    let app = spawn_app_with(|c| {
        c.onboarding.billing_checkout_url = Some("https://pay.example.com/checkout?ref=".into())
    })
    .await;
    let org = app.org.organization_id;
    let info: OrganizationInfo = json(
        app.operator_get(&app.org.operator_key, "/v1/operator/organization")
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(info.subscription_status, "inactive");
    assert_eq!(
        info.checkout_url.as_deref(),
        Some(format!("https://pay.example.com/checkout?ref={org}").as_str())
    );
    let plain = spawn_app().await;
    let info: OrganizationInfo = json(
        plain
            .operator_get(&plain.org.operator_key, "/v1/operator/organization")
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(info.checkout_url, None);
}

#[test]
fn sign_up_without_mail_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("echo.db").display());
    let output = std::process::Command::new(BIN)
        .args(["--database-url", &url, "serve", "--bind", "127.0.0.1:0"])
        .env("ECHO_SIGNUP", "open")
        .env_remove("ECHO_SMTP_URL")
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ECHO_SIGNUP=open needs mail"), "{stderr}");
}

pub async fn installation(app: &TestApp) -> Installation {
    json(
        app.operator_get(&app.org.operator_key, "/v1/operator/installation")
            .await,
        StatusCode::OK,
    )
    .await
}
