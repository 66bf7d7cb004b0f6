//! Two-factor sign-in: setting up with a code from the app, the challenge
//! a right password gets, codes accepted once, recovery codes used once,
//! the five-minute challenge, the lockout, turning it off, and an
//! organization that requires it.

use echo_protocol::team::{Account, OperatorRole};
use echo_protocol::trust::{RecoveryCodes, TwoFactorChallenge, TwoFactorSetup};
use echo_protocol::ErrorCode;
use echo_server::two_factor::code_at;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{assert_error, json, TestApp};
use crate::members::{cookie_of, Member, PASSWORD};

impl TestApp {
    fn code(&self, secret: &str) -> String {
        code_at(secret, (self.clock.now().millis() / 1000) as u64).unwrap()
    }

    /// Sets up and turns on two-factor sign-in; the secret and the
    /// recovery codes.
    pub async fn enable_two_factor(&self, member: &Member) -> (String, Vec<String>) {
        let setup = self
            .member_post("/v1/auth/two-factor/setup", &member.cookie, &json!({}))
            .await;
        let setup: TwoFactorSetup = json(setup, StatusCode::OK).await;
        let enabled = self
            .member_post(
                "/v1/auth/two-factor/enable",
                &member.cookie,
                &json!({"code": self.code(&setup.secret)}),
            )
            .await;
        let codes: RecoveryCodes = json(enabled, StatusCode::OK).await;
        // The code just used cannot sign in again: move to the next step.
        self.clock.advance_secs(30);
        (setup.secret, codes.recovery_codes)
    }

    async fn challenge(&self, email: &str) -> String {
        let answer = self.sign_in(email, PASSWORD).await;
        assert!(
            answer.headers().get("set-cookie").is_none(),
            "no session yet"
        );
        let challenge: TwoFactorChallenge = json(answer, StatusCode::OK).await;
        assert!(challenge.two_factor_required);
        challenge.challenge
    }

    async fn complete(&self, body: serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url("/v1/auth/two-factor"))
            .json(&body)
            .send()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn a_second_factor_is_set_up_with_a_code_and_then_asked_at_sign_in() {
    let app = crate::helpers::spawn_app().await;
    let ana = app
        .member(
            app.org.organization_id,
            "ana@example.com",
            OperatorRole::Admin,
        )
        .await;

    let setup = app
        .member_post("/v1/auth/two-factor/setup", &ana.cookie, &json!({}))
        .await;
    let setup: TwoFactorSetup = json(setup, StatusCode::OK).await;
    assert!(setup
        .otpauth_uri
        .starts_with("otpauth://totp/Echo:ana%40example.com?"));
    assert!(setup.otpauth_uri.contains(&setup.secret));
    assert!(setup.qr_svg.starts_with("<?xml") && setup.qr_svg.contains("<svg"));
    let pending = app.sign_in("ana@example.com", PASSWORD).await;
    let _: Account = json(pending, StatusCode::OK).await;

    let wrong = app
        .member_post(
            "/v1/auth/two-factor/enable",
            &ana.cookie,
            &json!({"code": "000000"}),
        )
        .await;
    assert_error(wrong, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    let enabled = app
        .member_post(
            "/v1/auth/two-factor/enable",
            &ana.cookie,
            &json!({"code": app.code(&setup.secret)}),
        )
        .await;
    let codes: RecoveryCodes = json(enabled, StatusCode::OK).await;
    assert_eq!(codes.recovery_codes.len(), 10);
    let stored = app
        .scalar_text("SELECT code_hash FROM recovery_codes LIMIT 1")
        .await;
    assert!(codes
        .recovery_codes
        .iter()
        .all(|c| !stored.contains(c.as_str())));
    let again = app
        .member_post("/v1/auth/two-factor/setup", &ana.cookie, &json!({}))
        .await;
    assert_error(again, StatusCode::CONFLICT, ErrorCode::Conflict).await;
    let me: Account = json(
        app.member_get("/v1/auth/me", &ana.cookie).await,
        StatusCode::OK,
    )
    .await;
    assert!(me.two_factor_enabled);

    // The code that turned it on is spent: the same step is refused.
    let challenge = app.challenge("ana@example.com").await;
    let replay = app
        .complete(json!({"challenge": challenge, "code": app.code(&setup.secret)}))
        .await;
    assert_error(replay, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;

    app.clock.advance_secs(30);
    let code = app.code(&setup.secret);
    let signed_in = app
        .complete(json!({"challenge": challenge, "code": code}))
        .await;
    let cookie = cookie_of(&signed_in);
    let account: Account = json(signed_in, StatusCode::OK).await;
    assert_eq!(account.operator.email, "ana@example.com");
    let inbox = app.member_get("/v1/operator/conversations", &cookie).await;
    assert_eq!(inbox.status(), StatusCode::OK);

    // The challenge completed once; the code is spent for a fresh one too.
    let used = app
        .complete(json!({"challenge": challenge, "code": code}))
        .await;
    assert_error(used, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    let fresh = app.challenge("ana@example.com").await;
    let replay = app
        .complete(json!({"challenge": fresh, "code": code}))
        .await;
    assert_error(replay, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
}

#[tokio::test]
async fn recovery_codes_work_once_and_challenges_expire() {
    let app = crate::helpers::spawn_app().await;
    let ana = app
        .member(
            app.org.organization_id,
            "ana@example.com",
            OperatorRole::Admin,
        )
        .await;
    let (secret, recovery) = app.enable_two_factor(&ana).await;

    let challenge = app.challenge("ana@example.com").await;
    let typed = recovery[0].to_uppercase().replace('-', " ");
    let recovered = app
        .complete(json!({"challenge": challenge, "recoveryCode": typed}))
        .await;
    let _: Account = json(recovered, StatusCode::OK).await;
    let challenge = app.challenge("ana@example.com").await;
    let reused = app
        .complete(json!({"challenge": challenge, "recoveryCode": recovery[0]}))
        .await;
    assert_error(reused, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;

    // Neither or both is no code at all: the same 401.
    let neither = app.complete(json!({"challenge": challenge})).await;
    assert_error(neither, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    let both = app
        .complete(json!({"challenge": challenge, "code": "123456", "recoveryCode": recovery[1]}))
        .await;
    assert_error(both, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;

    app.clock.advance_secs(5 * 60 + 1);
    let expired = app
        .complete(json!({"challenge": challenge, "code": app.code(&secret)}))
        .await;
    let expired = assert_error(expired, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    let unknown = app
        .complete(json!({"challenge": "tfc_nonsense", "code": app.code(&secret)}))
        .await;
    let unknown = assert_error(unknown, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    assert_eq!(
        expired.error.message, unknown.error.message,
        "no hint which"
    );
}

#[tokio::test]
async fn five_wrong_codes_lock_sign_in_and_turning_off_needs_password_and_code() {
    let app = crate::helpers::spawn_app().await;
    let ana = app
        .member(
            app.org.organization_id,
            "ana@example.com",
            OperatorRole::Admin,
        )
        .await;
    let (secret, recovery) = app.enable_two_factor(&ana).await;

    let challenge = app.challenge("ana@example.com").await;
    for _ in 0..5 {
        let wrong = app
            .complete(json!({"challenge": challenge, "code": "000000"}))
            .await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    }
    let locked = app
        .complete(json!({"challenge": challenge, "code": app.code(&secret)}))
        .await;
    assert_error(
        locked,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
    )
    .await;
    // A right password does not reset the count of wrong codes.
    let password = app.sign_in("ana@example.com", PASSWORD).await;
    assert_eq!(password.status(), StatusCode::TOO_MANY_REQUESTS);

    app.clock.advance_secs(15 * 60 + 1);
    let wrong_password = app
        .member_post(
            "/v1/auth/two-factor/disable",
            &ana.cookie,
            &json!({"password": "not the password", "code": app.code(&secret)}),
        )
        .await;
    assert_error(
        wrong_password,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthorized,
    )
    .await;
    let off = app
        .member_post(
            "/v1/auth/two-factor/disable",
            &ana.cookie,
            &json!({"password": PASSWORD, "code": recovery[3]}),
        )
        .await;
    assert_eq!(off.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.count("recovery_codes").await, 0);
    let plain = app.sign_in("ana@example.com", PASSWORD).await;
    let _: Account = json(plain, StatusCode::OK).await;
}

#[tokio::test]
async fn an_organization_that_requires_it_sends_members_to_set_it_up() {
    let app = crate::helpers::spawn_app().await;
    let org = app.org.organization_id;
    let admin = app
        .member(org, "ana@example.com", OperatorRole::Admin)
        .await;
    let agent = app.member(org, "bo@example.com", OperatorRole::Agent).await;

    let by_agent = app
        .as_member(
            Method::PATCH,
            "/v1/operator/organization",
            &agent.cookie,
            Some(&json!({"requireTwoFactor": true})),
        )
        .await;
    assert_error(by_agent, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    let required = app
        .as_member(
            Method::PATCH,
            "/v1/operator/organization",
            &admin.cookie,
            Some(&json!({"requireTwoFactor": true})),
        )
        .await;
    let info: serde_json::Value = json(required, StatusCode::OK).await;
    assert_eq!(info["requireTwoFactor"], true);

    for member in [&admin, &agent] {
        let blocked = app
            .member_get("/v1/operator/conversations", &member.cookie)
            .await;
        assert_error(blocked, StatusCode::FORBIDDEN, ErrorCode::TwoFactorRequired).await;
        let me: Account = json(
            app.member_get("/v1/auth/me", &member.cookie).await,
            StatusCode::OK,
        )
        .await;
        assert!(me.two_factor_required);
    }
    // API keys are not people: unaffected.
    let by_key = app
        .operator_get(&app.org.operator_key, "/v1/operator/conversations")
        .await;
    assert_eq!(by_key.status(), StatusCode::OK);

    app.enable_two_factor(&agent).await;
    let allowed = app
        .member_get("/v1/operator/conversations", &agent.cookie)
        .await;
    assert_eq!(allowed.status(), StatusCode::OK);
    let me: Account = json(
        app.member_get("/v1/auth/me", &agent.cookie).await,
        StatusCode::OK,
    )
    .await;
    assert!(!me.two_factor_required && me.two_factor_enabled);
}
