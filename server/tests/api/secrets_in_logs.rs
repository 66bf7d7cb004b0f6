//! Runs the real binary with debug logging through a whole scenario, stops it
//! with SIGTERM, and checks that no secret reached its log.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use echo_protocol::messages::SendMessage;
use echo_protocol::OrganizationId;
use echo_server::secrets::SecretHash;

use crate::helpers::{cli, visitor_over_http, BIN};

const LLM_KEY: &str = "sk-test-0123456789abcdefSECRET";
const OWNER_PASSWORD: &str = "owner-passphrase-SECRET";
const NEW_PASSWORD: &str = "changed-passphrase-SECRET";

/// The owner accepts their invitation, signs in again with a wrong and then
/// the right password, uses the cookie, turns two-factor sign-in on,
/// changes the password, signs out, and signs in again with a recovery
/// code. Returns the two session cookies it had and the second factor's
/// secrets (the TOTP secret, recovery codes, the challenge, the last
/// cookie).
async fn operator_session_scenario(
    client: &reqwest::Client,
    base: &str,
    invitation: &str,
) -> (String, String, Vec<String>) {
    let token = invitation.split_once("#token=").unwrap().1;
    let cookie_of = |response: &reqwest::Response| {
        let header = response.headers()["set-cookie"].to_str().unwrap();
        header.split(';').next().unwrap().to_owned()
    };
    let post = |path: &str| client.post(format!("{base}{path}")).header("origin", base);
    let accepted = post("/v1/auth/invitations/accept")
        .json(&serde_json::json!({"token": token, "name": "Owner", "password": OWNER_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    let wrong = post("/v1/auth/sign-in")
        .json(&serde_json::json!({"email": "owner@example.com", "password": NEW_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let signed_in = post("/v1/auth/sign-in")
        .json(&serde_json::json!({"email": "owner@example.com", "password": OWNER_PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = cookie_of(&signed_in);
    let inbox = client
        .get(format!("{base}/v1/operator/conversations"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(inbox.status(), 200);
    let setup: serde_json::Value = post("/v1/auth/two-factor/setup")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let totp = setup["secret"].as_str().unwrap().to_owned();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code = echo_server::two_factor::code_at(&totp, now).unwrap();
    let enabled: serde_json::Value = post("/v1/auth/two-factor/enable")
        .header("cookie", &cookie)
        .json(&serde_json::json!({"code": code}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut secrets: Vec<String> = enabled["recoveryCodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(secrets.len(), 10);
    let changed = post("/v1/auth/password")
        .header("cookie", &cookie)
        .json(&serde_json::json!({"currentPassword": OWNER_PASSWORD, "newPassword": NEW_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    let after = cookie_of(&changed);
    let out = post("/v1/auth/sign-out")
        .header("cookie", &after)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    let challenge: serde_json::Value = post("/v1/auth/sign-in")
        .json(&serde_json::json!({"email": "owner@example.com", "password": NEW_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let challenge = challenge["challenge"].as_str().unwrap().to_owned();
    let completed = post("/v1/auth/two-factor")
        .json(&serde_json::json!({"challenge": challenge, "recoveryCode": secrets[0]}))
        .send()
        .await
        .unwrap();
    assert_eq!(completed.status(), 200);
    let last = cookie_of(&completed);
    // (The six-digit code is left out: any six digits may be in a log
    // line's timestamp.)
    secrets.extend([
        totp,
        SecretHash::of(&challenge).as_str().to_owned(),
        challenge,
        last.split_once('=').unwrap().1.to_owned(),
    ]);
    (cookie, after, secrets)
}

#[tokio::test]
async fn secrets_never_reach_the_log_and_sigterm_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("echo.db").display());

    let created = Command::new(BIN)
        .args(["--database-url", &db, "org", "create", "--name", "Acme"])
        .args(["--owner-email", "owner@example.com"])
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let org: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    let operator_key = org["operatorKey"].as_str().unwrap().to_owned();
    let org_id = OrganizationId::parse(org["organizationId"].as_str().unwrap()).unwrap();
    let owner_url = org["ownerInvitationUrl"].as_str().unwrap().to_owned();
    let mut log = String::from_utf8_lossy(&created.stderr).into_owned();
    cli(&db, &["subscription", "set", &org_id.to_string(), "active"]);
    let invited = Command::new(BIN)
        .args([
            "--database-url",
            &db,
            "operator",
            "invite",
            &org_id.to_string(),
        ])
        .args(["--email", "agent@example.com", "--role", "agent"])
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert!(invited.status.success());
    let agent_url = String::from_utf8(invited.stdout).unwrap().trim().to_owned();
    assert!(
        agent_url.starts_with("http://127.0.0.1:8787/console/#token=inv_"),
        "{agent_url}"
    );
    log.push_str(&String::from_utf8_lossy(&invited.stderr));

    let vapi = crate::vapi_standin::VapiStandIn::start().await;
    let secrets_key = echo_server::vault::Vault::generate_key();
    let mut server = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url", &db])
        .env("RUST_LOG", "debug")
        // A model that cannot be reached: the agent and enhance try it (and
        // fail), so its key is handled on every path.
        .env("ECHO_LLM_BASE_URL", "http://127.0.0.1:9/v1")
        .env("ECHO_LLM_API_KEY", LLM_KEY)
        .env("ECHO_LLM_TIMEOUT_SECS", "1")
        // Vapi's keys are checked, sealed and opened on every path.
        .env("ECHO_SECRETS_KEY", &secrets_key)
        .env("ECHO_VAPI_BASE_URL", &vapi.url)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(server.stderr.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    let port = loop {
        assert!(Instant::now() < deadline, "server did not report its port");
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "server exited: {log}"
        );
        log.push_str(&line);
        if let Some(rest) = line.split("listening on http://127.0.0.1:").nth(1) {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            break digits.parse::<u16>().unwrap();
        }
    };
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let (cookie, cookie_after_change, second_factor) =
        operator_session_scenario(&client, &base, &owner_url).await;

    let (token, conversation) = visitor_over_http(&client, &base, org_id).await;
    let messages = format!("{base}/v1/conversations/{conversation}/messages");
    let sent = client
        .post(&messages)
        .bearer_auth(&token)
        .json(&SendMessage {
            text: "hello".into(),
            idempotency_key: None,
            attachment_ids: Vec::new(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 201);
    let _ = client
        .get(&messages)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let _ = client
        .get(format!("{base}/v1/contact-sessions/current"))
        .bearer_auth(&operator_key)
        .send()
        .await;
    let enhanced = client
        .post(format!("{base}/v1/operator/enhance"))
        .bearer_auth(&operator_key)
        .json(&serde_json::json!({"text": "draft"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        enhanced.status(),
        503,
        "the unreachable model is unavailable"
    );
    let connected = client
        .put(format!("{base}/v1/operator/plugins/vapi"))
        .bearer_auth(&operator_key)
        .json(&serde_json::json!({
            "privateApiKey": crate::vapi_standin::GOOD_KEY,
            "publicApiKey": crate::vapi_standin::PUBLIC_KEY,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(connected.status(), 200);
    let listed = client
        .get(format!("{base}/v1/operator/plugins/vapi/assistants"))
        .bearer_auth(&operator_key)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    // A voice call: Vapi is given the organization's webhook secret, which
    // comes back with a transcript line; then the visitor hangs up.
    let voice = client
        .put(format!("{base}/v1/operator/widget-settings"))
        .bearer_auth(&operator_key)
        .json(&serde_json::json!({"greetMessage": "Hi", "suggestions": [], "voice": {"assistantId": "asst-0001"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(voice.status(), 200);
    let calls = format!("{base}/v1/conversations/{conversation}/voice-calls");
    let started = client
        .post(&calls)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 201);
    let started: serde_json::Value = started.json().await.unwrap();
    let call_id = started["callId"].as_str().unwrap().to_owned();
    let line = serde_json::json!({"type": "transcript", "role": "user", "transcriptType": "final",
                                  "transcript": "hello by voice", "timestamp": 1});
    assert_eq!(vapi.post(&call_id, line, None).await.status(), 204);
    let hung_up = client
        .delete(format!("{calls}/{call_id}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(hung_up.status(), 204);
    let webhook_secret = vapi.calls()[0]["assistantOverrides"]["server"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let sealed = {
        let conn = rusqlite::Connection::open(dir.path().join("echo.db")).unwrap();
        conn.query_row("SELECT private_key, public_key FROM plugins", [], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .unwrap()
    };

    let kill = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = server.wait().unwrap();
    stderr.read_to_string(&mut log).unwrap();
    assert!(status.success(), "exit after SIGTERM: {status:?}\n{log}");
    assert!(log.contains("shutdown signal received"), "{log}");
    assert!(
        log.contains("/v1/conversations"),
        "the log did record the requests: {log}"
    );

    let token_of = |url: &str| url.split_once("#token=").unwrap().1.to_owned();
    let session_token = |cookie: &str| cookie.split_once('=').unwrap().1.to_owned();
    let password_hash = {
        let conn = rusqlite::Connection::open(dir.path().join("echo.db")).unwrap();
        conn.query_row("SELECT password_hash FROM operators", [], |r| {
            r.get::<_, String>(0)
        })
        .unwrap()
    };
    for secret in [
        OWNER_PASSWORD.to_owned(),
        NEW_PASSWORD.to_owned(),
        token_of(&owner_url),
        SecretHash::of(&token_of(&owner_url)).as_str().to_owned(),
        token_of(&agent_url),
        SecretHash::of(&token_of(&agent_url)).as_str().to_owned(),
        session_token(&cookie),
        SecretHash::of(&session_token(&cookie)).as_str().to_owned(),
        session_token(&cookie_after_change),
        SecretHash::of(&session_token(&cookie_after_change))
            .as_str()
            .to_owned(),
        password_hash,
        token.clone(),
        token[3..].to_owned(),
        SecretHash::of(&token).as_str().to_owned(),
        operator_key.clone(),
        operator_key[3..].to_owned(),
        SecretHash::of(&operator_key).as_str().to_owned(),
        LLM_KEY.to_owned(),
        crate::vapi_standin::GOOD_KEY.to_owned(),
        crate::vapi_standin::PUBLIC_KEY.to_owned(),
        secrets_key.clone(),
        webhook_secret.clone(),
        sealed.0.clone(),
        sealed.1.clone(),
    ]
    .into_iter()
    .chain(second_factor)
    {
        assert!(!log.contains(&secret), "a secret leaked into the log");
    }
}
