//! Plugins: Vapi's keys checked with Vapi (a stand-in of ours), sealed at
//! rest bound to their organization, never shown again; the account's
//! lists through every page; gating, Vapi down, slow or refusing, and
//! re-encrypting under a new secrets key.

use echo_protocol::plugins::{PluginInfo, PluginList, VapiAssistants, VapiPhoneNumbers};
use echo_protocol::team::OperatorRole;
use echo_protocol::ErrorCode;
use echo_server::plugins::PluginSettings;
use echo_server::store::SubscriptionStatus;
use echo_server::vault::Vault;
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::json;

use crate::helpers::{assert_error, json, spawn_app_with, TestApp};
use crate::vapi_standin::{VapiStandIn, ASSISTANTS, GOOD_KEY, PUBLIC_KEY};

pub(crate) async fn app_with(key: Option<&str>, vapi: &str) -> TestApp {
    app_with_settings(key, vapi, |_| {}).await
}

/// As [`app_with`], the plugin settings adjusted first.
pub(crate) async fn app_with_settings(
    key: Option<&str>,
    vapi: &str,
    adjust: impl FnOnce(&mut PluginSettings),
) -> TestApp {
    let mut settings = PluginSettings {
        vault: key.map(|k| Vault::new(&k.to_owned().into(), None).unwrap()),
        vapi_base_url: vapi.to_owned(),
        ..Default::default()
    };
    adjust(&mut settings);
    let app = spawn_app_with(move |c| c.plugins = settings).await;
    app.store
        .set_subscription(app.org.organization_id, SubscriptionStatus::Active)
        .await
        .unwrap();
    app
}

pub(crate) async fn connect(app: &TestApp, private: &str) -> reqwest::Response {
    app.client
        .put(app.url("/v1/operator/plugins/vapi"))
        .bearer_auth(&app.org.operator_key)
        .json(&json!({"privateApiKey": private, "publicApiKey": PUBLIC_KEY}))
        .send()
        .await
        .unwrap()
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.operator_get(&app.org.operator_key, path).await
}

#[tokio::test]
async fn vapi_is_connected_listed_and_forgotten_and_its_keys_never_shown() {
    let vapi = VapiStandIn::start().await;
    let key = Vault::generate_key();
    let app = app_with(Some(&key), &vapi.url).await;
    for bad in ["short", "has a space in it", &"x".repeat(201)] {
        let response = connect(&app, bad).await;
        let body = assert_error(response, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
        assert!(body.error.message.contains("privateApiKey"));
    }
    let refused = connect(&app, "vapi-private-wrong-key").await;
    let body = assert_error(refused, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
    assert!(
        body.error.message.contains("privateApiKey"),
        "{}",
        body.error.message
    );
    assert_eq!(app.count("plugins").await, 0);

    let connected: PluginInfo = json(connect(&app, GOOD_KEY).await, StatusCode::OK).await;
    assert_eq!(
        (
            connected.service.as_str(),
            connected.key_hint.as_str(),
            connected.broken
        ),
        ("vapi", "CRET", false)
    );
    let listed = get(&app, "/v1/operator/plugins").await;
    let text = listed.text().await.unwrap();
    assert!(
        !text.contains(GOOD_KEY) && !text.contains(PUBLIC_KEY),
        "{text}"
    );
    let listed: PluginList = serde_json::from_str(&text).unwrap();
    assert_eq!(listed.plugins, vec![connected]);
    // At rest: sealed, not the key.
    let stored = app
        .scalar_text("SELECT private_key || public_key FROM plugins")
        .await;
    assert!(
        stored.starts_with("v1.") && !stored.contains("SECRET"),
        "{stored}"
    );

    let assistants: VapiAssistants = json(
        get(&app, "/v1/operator/plugins/vapi/assistants").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(assistants.assistants.len(), ASSISTANTS, "every page");
    assert_eq!(
        assistants.assistants[0].id,
        format!("asst-{:04}", ASSISTANTS - 1)
    );
    let numbers: VapiPhoneNumbers = json(
        get(&app, "/v1/operator/plugins/vapi/phone-numbers").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(numbers.phone_numbers.len(), 3);
    assert_eq!(
        numbers.phone_numbers[0].number.as_deref(),
        Some("+14155550102")
    );

    let forgot = app
        .client
        .delete(app.url("/v1/operator/plugins/vapi"))
        .bearer_auth(&app.org.operator_key)
        .send()
        .await
        .unwrap();
    assert_eq!(forgot.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.count("plugins").await, 0);
    let gone = get(&app, "/v1/operator/plugins/vapi/assistants").await;
    assert_error(gone, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}

#[tokio::test]
async fn connecting_needs_an_admin_a_subscription_and_a_secrets_key() {
    let vapi = VapiStandIn::start().await;
    let without = app_with(None, &vapi.url).await;
    let refused = connect(&without, GOOD_KEY).await;
    assert_error(
        refused,
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::SecretsUnavailable,
    )
    .await;

    let app = app_with(Some(&Vault::generate_key()), &vapi.url).await;
    let org = app.org.organization_id;
    let agent = app
        .member(org, "agent@acme.test", OperatorRole::Agent)
        .await;
    let by_agent = app
        .as_member(
            reqwest::Method::PUT,
            "/v1/operator/plugins/vapi",
            &agent.cookie,
            Some(&json!({"privateApiKey": GOOD_KEY, "publicApiKey": PUBLIC_KEY})),
        )
        .await;
    assert_error(by_agent, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    app.store
        .set_subscription(org, SubscriptionStatus::Inactive)
        .await
        .unwrap();
    let unpaid = connect(&app, GOOD_KEY).await;
    assert_error(
        unpaid,
        StatusCode::PAYMENT_REQUIRED,
        ErrorCode::SubscriptionRequired,
    )
    .await;
    assert_eq!(app.count("plugins").await, 0);
}

#[tokio::test]
async fn vapi_down_slow_or_refusing_is_502_and_a_refused_key_marks_the_plugin_broken() {
    let vapi = VapiStandIn::start().await;
    let down = app_with(Some(&Vault::generate_key()), "http://127.0.0.1:9").await;
    let refused = connect(&down, GOOD_KEY).await;
    assert_error(
        refused,
        StatusCode::BAD_GATEWAY,
        ErrorCode::UpstreamUnavailable,
    )
    .await;

    let app = app_with(Some(&Vault::generate_key()), &vapi.url).await;
    assert_eq!(connect(&app, GOOD_KEY).await.status(), StatusCode::OK);
    vapi.revoke();
    let listed = get(&app, "/v1/operator/plugins/vapi/phone-numbers").await;
    assert_error(
        listed,
        StatusCode::BAD_GATEWAY,
        ErrorCode::UpstreamUnavailable,
    )
    .await;
    let plugins: PluginList = json(get(&app, "/v1/operator/plugins").await, StatusCode::OK).await;
    assert!(plugins.plugins[0].broken, "shown broken in the console");

    vapi.go_slow();
    let started = std::time::Instant::now();
    let slow = get(&app, "/v1/operator/plugins/vapi/assistants").await;
    assert_error(
        slow,
        StatusCode::BAD_GATEWAY,
        ErrorCode::UpstreamUnavailable,
    )
    .await;
    let waited = started.elapsed();
    assert!(
        waited >= std::time::Duration::from_secs(4) && waited < std::time::Duration::from_secs(15),
        "{waited:?}"
    );
}

#[tokio::test]
async fn sealed_keys_open_only_for_their_organization_and_move_to_a_new_key() {
    let vapi = VapiStandIn::start().await;
    let old_key = Vault::generate_key();
    let app = app_with(Some(&old_key), &vapi.url).await;
    assert_eq!(connect(&app, GOOD_KEY).await.status(), StatusCode::OK);

    // Copied to another organization, the ciphertext does not open there.
    let other = app.create_org("Other").await;
    app.store
        .set_subscription(other.organization_id, SubscriptionStatus::Active)
        .await
        .unwrap();
    let copy = format!(
        "INSERT INTO plugins (organization_id, service, private_key, public_key, key_hint, connected_at)
         SELECT '{}', service, private_key, public_key, key_hint, connected_at FROM plugins",
        other.organization_id
    );
    app.scalar_i64(&format!("{copy} RETURNING CAST(1 AS BIGINT)"))
        .await;
    let stolen = app
        .operator_get(&other.operator_key, "/v1/operator/plugins/vapi/assistants")
        .await;
    assert_error(
        stolen,
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::SecretsUnavailable,
    )
    .await;
    assert_eq!(vapi.requests(), 1, "only the connecting check reached Vapi");

    // Rotation: everything moves to the new key; the old one alone no
    // longer opens it.
    let new_key = Vault::generate_key();
    let rotated = Vault::new(&new_key.clone().into(), Some(&old_key.clone().into())).unwrap();
    let result = echo_server::plugins::re_encrypt(app.store.as_ref(), &rotated).await;
    // The copied row cannot be opened for the other organization: named.
    let error = result.unwrap_err().to_string();
    assert!(
        error.contains(&other.organization_id.to_string()),
        "{error}"
    );
    let fresh = Vault::new(&new_key.into(), None).unwrap();
    let old_only = Vault::new(&old_key.into(), None).unwrap();
    let org = app.org.organization_id;
    let plugins = app.store.plugins(org).await.unwrap();
    let opened = fresh
        .open(org, "vapi.private", &plugins[0].private_key)
        .unwrap();
    assert_eq!(opened.expose_secret(), GOOD_KEY);
    assert!(old_only
        .open(org, "vapi.private", &plugins[0].private_key)
        .is_none());
    let again = echo_server::plugins::re_encrypt(app.store.as_ref(), &rotated).await;
    assert!(again.is_err(), "the stolen copy still cannot be opened");
}

pub(crate) async fn put_voice(app: &TestApp, voice: serde_json::Value) -> reqwest::Response {
    app.client
        .put(app.url("/v1/operator/widget-settings"))
        .bearer_auth(&app.org.operator_key)
        .json(&json!({"greetMessage": "Hello!", "suggestions": [], "voice": voice}))
        .send()
        .await
        .unwrap()
}

async fn public_voice(app: &TestApp) -> serde_json::Value {
    let config: serde_json::Value = json(
        app.get(
            &format!("/v1/organizations/{}/widget", app.org.organization_id),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    config["voice"].clone()
}

#[tokio::test]
async fn voice_settings_are_checked_with_vapi_and_shown_only_when_they_can_work() {
    let vapi = VapiStandIn::start().await;
    let app = app_with(Some(&Vault::generate_key()), &vapi.url).await;
    let early = put_voice(&app, json!({"assistantId": "asst-0001"})).await;
    assert_error(early, StatusCode::CONFLICT, ErrorCode::Conflict).await;
    assert_eq!(public_voice(&app).await, serde_json::Value::Null);

    assert_eq!(connect(&app, GOOD_KEY).await.status(), StatusCode::OK);
    for (voice, field) in [
        (json!({"assistantId": "asst-9999"}), "voice.assistantId"),
        (json!({"phoneNumberId": "pn-7"}), "voice.phoneNumberId"),
    ] {
        let refused = put_voice(&app, voice).await;
        let body = assert_error(refused, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
        assert!(body.error.message.contains(field), "{}", body.error.message);
    }
    let saved: serde_json::Value = json(
        put_voice(
            &app,
            json!({"assistantId": "asst-0005", "phoneNumberId": "pn-1"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        saved["voice"],
        json!({"assistantId": "asst-0005", "phoneNumberId": "pn-1"})
    );
    assert_eq!(
        public_voice(&app).await,
        json!({"call": true, "phoneNumber": "+14155550101"})
    );

    // A number alone: "Call us" without web calls.
    put_voice(&app, json!({"phoneNumberId": "pn-2"})).await;
    assert_eq!(
        public_voice(&app).await,
        json!({"call": false, "phoneNumber": "+14155550102"})
    );

    // Not without an active subscription, nor once Vapi refuses the key,
    // nor once disconnected.
    let org = app.org.organization_id;
    app.store
        .set_subscription(org, SubscriptionStatus::Inactive)
        .await
        .unwrap();
    assert_eq!(public_voice(&app).await, serde_json::Value::Null);
    app.store
        .set_subscription(org, SubscriptionStatus::Active)
        .await
        .unwrap();
    vapi.revoke();
    get(&app, "/v1/operator/plugins/vapi/assistants").await;
    assert_eq!(public_voice(&app).await, serde_json::Value::Null);
    app.client
        .delete(app.url("/v1/operator/plugins/vapi"))
        .bearer_auth(&app.org.operator_key)
        .send()
        .await
        .unwrap();
    let settings: serde_json::Value = json(
        get(&app, "/v1/operator/widget-settings").await,
        StatusCode::OK,
    )
    .await;
    assert!(settings.get("voice").is_none(), "{settings}");
}
