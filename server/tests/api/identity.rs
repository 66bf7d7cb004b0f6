//! Signed-in visitors: the host passes its user's ID with an HMAC of it
//! under the organization's identity secret. A verified user's sessions, in
//! any browser, share their conversations; nothing else reaches them.

use echo_protocol::contact_sessions::{ContactSessionCreated, CreateContactSession};
use echo_protocol::conversations::ConversationPage;
use echo_protocol::operator::IdentitySecret;
use echo_protocol::team::OperatorRole;
use echo_protocol::{ErrorCode, OrganizationId};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use sha2::Sha256;

use crate::helpers::{assert_error, json, spawn_app, TestApp, TestVisitor};

pub(crate) fn sign(secret: &str, user_id: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(user_id.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The hash with its last digit changed.
fn altered(hash: &str) -> String {
    let last = if hash.ends_with('0') { '1' } else { '0' };
    format!("{}{last}", &hash[..hash.len() - 1])
}

async fn secret_of(app: &TestApp, org: OrganizationId) -> String {
    echo_server::admin::identity_secret(app.store.as_ref(), org, false)
        .await
        .unwrap()
}

fn signed_in(app: &TestApp, org: OrganizationId, user: &str, hash: &str) -> CreateContactSession {
    CreateContactSession {
        user_id: Some(user.into()),
        user_hash: Some(hash.into()),
        ..app.session_request(org)
    }
}

async fn session(app: &TestApp, request: &CreateContactSession) -> reqwest::Response {
    app.post("/v1/contact-sessions", request, None).await
}

pub async fn verified(app: &TestApp, org: OrganizationId, user: &str) -> TestVisitor {
    let hash = sign(&secret_of(app, org).await, user);
    let created: ContactSessionCreated = json(
        session(app, &signed_in(app, org, user, &hash)).await,
        StatusCode::CREATED,
    )
    .await;
    TestVisitor {
        session: created.contact_session_id,
        expires_at: created.expires_at,
        organization_id: org,
    }
}

async fn conversations(app: &TestApp, visitor: &TestVisitor) -> Vec<echo_protocol::ConversationId> {
    let page: ConversationPage = json(
        app.get("/v1/conversations", Some(visitor.token())).await,
        StatusCode::OK,
    )
    .await;
    page.conversations
        .iter()
        .map(|c| c.conversation_id)
        .collect()
}

#[tokio::test]
async fn only_a_hash_made_with_the_organizations_secret_for_that_user_verifies() {
    let app = spawn_app().await;
    let org = app.org.organization_id;
    let secret = secret_of(&app, org).await;
    assert_eq!(secret.len(), 64);
    let other = app.create_org("Globex").await.organization_id;
    let others_secret = secret_of(&app, other).await;
    assert_ne!(secret, others_secret);

    let good = session(
        &app,
        &signed_in(&app, org, "user-42", &sign(&secret, "user-42")),
    )
    .await;
    assert_eq!(good.status(), StatusCode::CREATED);
    for (hash, why) in [
        ("0".repeat(64), "a wrong hash"),
        (sign(&secret, "user-43"), "a hash for another user"),
        (
            sign(&others_secret, "user-42"),
            "another organization's secret",
        ),
        (altered(&sign(&secret, "user-42")), "an altered hash"),
    ] {
        let refused = session(&app, &signed_in(&app, org, "user-42", &hash)).await;
        let body = assert_error(
            refused,
            StatusCode::FORBIDDEN,
            ErrorCode::IdentityVerificationFailed,
        )
        .await;
        assert!(!body.error.message.contains(&secret), "{why}");
    }
    // A host page that names its user before it has set up verification:
    // a missing or malformed hash is answered as a wrong one, so the
    // widget carries on with an unverified visitor.
    for user_hash in [None, Some("zz".to_owned()), Some(String::new())] {
        let unsigned = CreateContactSession {
            user_id: Some("user-42".into()),
            user_hash,
            ..app.session_request(org)
        };
        assert_error(
            session(&app, &unsigned).await,
            StatusCode::FORBIDDEN,
            ErrorCode::IdentityVerificationFailed,
        )
        .await;
    }
    let no_user = CreateContactSession {
        user_hash: Some(sign(&secret, "user-42")),
        ..app.session_request(org)
    };
    assert_error(
        session(&app, &no_user).await,
        StatusCode::BAD_REQUEST,
        ErrorCode::Validation,
    )
    .await;
    assert_eq!(
        app.count("contact_sessions").await,
        1,
        "only the verified one"
    );
}

#[tokio::test]
async fn a_rotated_secret_stops_old_hashes_at_once() {
    let app = spawn_app().await;
    let org = app.org.organization_id;
    let old = secret_of(&app, org).await;
    let ada = app
        .member(org, "ada@example.com", OperatorRole::Admin)
        .await;
    let agent = app
        .member(org, "bob@example.com", OperatorRole::Agent)
        .await;
    let seen: IdentitySecret = json(
        app.member_get("/v1/operator/identity-secret", &ada.cookie)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(seen.identity_secret, old);
    let refused = app
        .member_get("/v1/operator/identity-secret", &agent.cookie)
        .await;
    assert_error(refused, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;

    let rotated: IdentitySecret = json(
        app.member_post(
            "/v1/operator/identity-secret",
            &ada.cookie,
            &serde_json::json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_ne!(rotated.identity_secret, old);
    let stale = session(&app, &signed_in(&app, org, "u1", &sign(&old, "u1"))).await;
    assert_error(
        stale,
        StatusCode::FORBIDDEN,
        ErrorCode::IdentityVerificationFailed,
    )
    .await;
    let fresh = session(
        &app,
        &signed_in(&app, org, "u1", &sign(&rotated.identity_secret, "u1")),
    )
    .await;
    assert_eq!(fresh.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_verified_users_sessions_share_conversations_and_nobody_else_does() {
    let app = spawn_app().await;
    let org = app.org.organization_id;
    let laptop = verified(&app, org, "user-7").await;
    let started = app.start_conversation(&laptop).await;
    let phone = verified(&app, org, "user-7").await;
    assert_eq!(conversations(&app, &phone).await, [started]);

    // The phone reads and writes the laptop's conversation, and follows it.
    let path = format!("/v1/conversations/{started}/messages");
    let sent = app
        .post(
            &path,
            &serde_json::json!({"text": "from my phone"}),
            Some(phone.token()),
        )
        .await;
    assert_eq!(sent.status(), StatusCode::CREATED);
    let history = app
        .get(&path, Some(laptop.token()))
        .await
        .text()
        .await
        .unwrap();
    assert!(history.contains("from my phone"));
    let mut stream = app.visitor_events(phone.token(), started, None).await;
    assert_eq!(stream.next().await.event, "ready");

    // Another verified user, an unverified visitor, and the same user in
    // another organization see nothing of it.
    let stranger = verified(&app, org, "user-8").await;
    let anonymous = app.visitor().await;
    let other_org = app.create_org("Globex").await.organization_id;
    let elsewhere = verified(&app, other_org, "user-7").await;
    for outsider in [&stranger, &anonymous, &elsewhere] {
        assert!(conversations(&app, outsider).await.is_empty());
        let hidden = app
            .get(
                &format!("/v1/conversations/{started}"),
                Some(outsider.token()),
            )
            .await;
        assert_error(hidden, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
        let write = app
            .post(
                &path,
                &serde_json::json!({"text": "hi"}),
                Some(outsider.token()),
            )
            .await;
        assert_error(write, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    }
}

/// `EchoWidget.reset()`: the host signed its user out. That session ends
/// for good; the user's other sessions and conversations stay.
#[tokio::test]
async fn ending_a_session_stops_it_and_only_it() {
    let app = spawn_app().await;
    let org = app.org.organization_id;
    let laptop = verified(&app, org, "user-9").await;
    let started = app.start_conversation(&laptop).await;
    let phone = verified(&app, org, "user-9").await;

    let end = |token: String| {
        let request = app
            .client
            .delete(app.url("/v1/contact-sessions/current"))
            .bearer_auth(token);
        async move { request.send().await.unwrap() }
    };
    assert_eq!(
        end(laptop.token().to_owned()).await.status(),
        StatusCode::NO_CONTENT
    );
    let current = app
        .get("/v1/contact-sessions/current", Some(laptop.token()))
        .await;
    assert_error(current, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    let listed = app.get("/v1/conversations", Some(laptop.token())).await;
    assert_error(listed, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    // Ending it again, or with no session, is the usual 401.
    let again = end(laptop.token().to_owned()).await;
    assert_error(again, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    let forged = end("cs_not-a-session".to_owned()).await;
    assert_error(forged, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;

    assert_eq!(conversations(&app, &phone).await, [started]);
}

#[tokio::test]
async fn the_cli_prints_and_rotates_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("echo.db").display());
    let created = crate::helpers::cli(&db, &["org", "create", "--name", "Acme"]);
    let org: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    let id = org["organizationId"].as_str().unwrap();
    let print = |args: &[&str]| {
        String::from_utf8(crate::helpers::cli(&db, args).stdout)
            .unwrap()
            .trim()
            .to_owned()
    };
    let first = print(&["org", "identity-secret", id]);
    assert_eq!(first.len(), 64);
    assert_eq!(print(&["org", "identity-secret", id]), first);
    let rotated = print(&["org", "identity-secret", id, "--rotate"]);
    assert_ne!(rotated, first);
    assert_eq!(print(&["org", "identity-secret", id]), rotated);
}
