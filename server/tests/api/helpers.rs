use std::sync::Arc;

use echo_protocol::contact_sessions::{ContactSessionCreated, CreateContactSession};
use echo_protocol::conversations::{ConversationCreated, CreateConversation};
use echo_protocol::validate::BrowserMetadata;
use echo_protocol::{
    ContactSessionId, ConversationId, ErrorBody, ErrorCode, OrganizationId, Timestamp,
};
use echo_server::admin::{self, CreatedOrganization};
use echo_server::clock::Clock;
use echo_server::config::Config;
use echo_server::startup::Application;
use echo_server::store::Store;
use reqwest::{Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use crate::sse::{SseFrame, SseReader};

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub clock: Clock,
    /// `sqlite://...` or, when `ECHO_TEST_DATABASE_URL` is set, a fresh
    /// PostgreSQL database of its own on that server.
    pub database_url: String,
    pub(crate) postgres: Option<ThrowawayDatabase>,
    /// An organization every test can use.
    pub org: CreatedOrganization,
    /// `http://127.0.0.1:PORT` of `/metrics`, when the test asked for it.
    pub metrics_address: Option<String>,
    _dir: tempfile::TempDir,
}

/// The billing webhook secret every test server shares.
pub fn webhook_secret() -> echo_server::secrets::WebhookSecret {
    echo_server::secrets::WebhookSecret::new("whsec_integration_tests_only".into()).unwrap()
}

/// A fixed start time, so tests can reason about expiry exactly.
pub const START: Timestamp = Timestamp(1_800_000_000_000);

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// As [`spawn_app`], with the configuration adjusted first.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let postgres = match postgres_server() {
        Some(server) => Some(ThrowawayDatabase::create(&server).await),
        None => None,
    };
    let database_url = match &postgres {
        Some(db) => db.url.clone(),
        None => format!("sqlite://{}", dir.path().join("echo.db").display()),
    };
    let clock = Clock::manual(START);
    let mut config = Config::for_tests(database_url.clone());
    // The test binary cannot be the parser process; the server's can.
    config.sandbox.exe = BIN.into();
    config.clock = clock.clone();
    config.billing_webhook_secret = Some(webhook_secret());
    configure(&mut config);
    let app = Application::build(config).await.expect("server builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app
        .metrics_port()
        .map(|port| format!("http://127.0.0.1:{port}"));
    let store = app.context().store.clone();
    tokio::spawn(app.run_until(std::future::pending()));
    let org = admin::create_organization(store.as_ref(), &clock, "Acme")
        .await
        .expect("org created");
    TestApp {
        address,
        client: reqwest::Client::new(),
        store,
        clock,
        database_url,
        postgres,
        org,
        metrics_address,
        _dir: dir,
    }
}

/// A visitor with a live session.
pub struct TestVisitor {
    pub session: ContactSessionId,
    pub expires_at: Timestamp,
    pub organization_id: OrganizationId,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str, bearer: Option<&str>) -> Response {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request sent")
    }

    pub async fn post<T: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &T,
        bearer: Option<&str>,
    ) -> Response {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request sent")
    }

    pub async fn create_org(&self, name: &str) -> CreatedOrganization {
        admin::create_organization(self.store.as_ref(), &self.clock, name)
            .await
            .expect("org created")
    }

    pub fn session_request(&self, org: OrganizationId) -> CreateContactSession {
        CreateContactSession {
            organization_id: org,
            name: "Ada Lovelace".into(),
            email: "ada@example.com".into(),
            metadata: BrowserMetadata {
                user_agent: Some("Mozilla/5.0 test".into()),
                languages: vec!["en-GB".into(), "en".into()],
                timezone: Some("Europe/London".into()),
                timezone_offset: Some(0),
                screen_width: Some(1920),
                screen_height: Some(1080),
                cookies_enabled: Some(true),
                ..Default::default()
            },
            user_id: None,
            user_hash: None,
        }
    }

    pub async fn visitor_of(&self, org: OrganizationId) -> TestVisitor {
        self.visitor_with(self.session_request(org)).await
    }

    /// A visitor whose session is made from `request`.
    pub async fn visitor_with(&self, request: CreateContactSession) -> TestVisitor {
        let org = request.organization_id;
        let response = self.post("/v1/contact-sessions", &request, None).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let created: ContactSessionCreated = response.json().await.unwrap();
        TestVisitor {
            session: created.contact_session_id,
            expires_at: created.expires_at,
            organization_id: org,
        }
    }

    /// A visitor whose `user_id` the host's server signed with the
    /// organization's identity secret (their address counts as theirs).
    pub async fn verified_visitor(&self, user_id: &str) -> TestVisitor {
        use hmac::{Hmac, Mac};
        let secret: echo_protocol::operator::IdentitySecret = json(
            self.operator_get(&self.org.operator_key, "/v1/operator/identity-secret")
                .await,
            StatusCode::OK,
        )
        .await;
        let mut mac =
            Hmac::<sha2::Sha256>::new_from_slice(secret.identity_secret.as_bytes()).unwrap();
        mac.update(user_id.as_bytes());
        self.visitor_with(CreateContactSession {
            user_id: Some(user_id.into()),
            user_hash: Some(hex::encode(mac.finalize().into_bytes())),
            ..self.session_request(self.org.organization_id)
        })
        .await
    }

    pub async fn visitor(&self) -> TestVisitor {
        self.visitor_of(self.org.organization_id).await
    }

    pub async fn start_conversation(&self, visitor: &TestVisitor) -> ConversationId {
        let response = self
            .post(
                "/v1/conversations",
                &CreateConversation {
                    organization_id: visitor.organization_id,
                },
                Some(visitor.token()),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let created: ConversationCreated = response.json().await.unwrap();
        created.conversation_id
    }
}

impl TestVisitor {
    pub fn token(&self) -> &str {
        self.session.expose_secret()
    }
}

/// Asserts the status and the error code, and returns the error body.
pub async fn assert_error(response: Response, status: StatusCode, code: ErrorCode) -> ErrorBody {
    let actual = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(actual, status, "body: {text}");
    let body: ErrorBody = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(body.error.code, code, "body: {text}");
    assert!(!body.error.message.is_empty());
    body
}

pub async fn json<T: DeserializeOwned>(response: Response, status: StatusCode) -> T {
    let actual = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(actual, status, "body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The object's keys, sorted: to pin exactly what a response exposes.
pub fn keys(value: &serde_json::Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

impl TestApp {
    pub async fn operator_reply(
        &self,
        key: &str,
        conversation: ConversationId,
        text: &str,
    ) -> Response {
        self.client
            .post(self.url(&format!(
                "/v1/operator/conversations/{conversation}/messages"
            )))
            .bearer_auth(key)
            .json(&echo_protocol::messages::SendMessage {
                text: text.into(),
                idempotency_key: None,
                attachment_ids: Vec::new(),
            })
            .send()
            .await
            .expect("request sent")
    }

    pub async fn operator_set_status(
        &self,
        key: &str,
        conversation: ConversationId,
        status: echo_protocol::conversations::ConversationStatus,
    ) -> Response {
        self.client
            .patch(self.url(&format!("/v1/operator/conversations/{conversation}")))
            .bearer_auth(key)
            .json(&echo_protocol::operator::UpdateConversation {
                status: Some(status),
                assignee_id: None,
            })
            .send()
            .await
            .expect("request sent")
    }

    pub async fn operator_get(&self, key: &str, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(key)
            .send()
            .await
            .expect("request sent")
    }
}

impl TestApp {
    /// Uploads a knowledge-base file as an operator of the organization.
    pub async fn upload(
        &self,
        key: &str,
        name: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Response {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str(content_type)
            .expect("valid content type");
        self.client
            .post(self.url("/v1/operator/knowledge-base/files"))
            .bearer_auth(key)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .expect("request sent")
    }

    /// Searches the organization's knowledge base as its operator.
    pub async fn search(&self, key: &str, query: &str) -> echo_protocol::knowledge::SearchResults {
        let response = self
            .client
            .get(self.url("/v1/operator/knowledge-base/search"))
            .query(&[("q", query)])
            .bearer_auth(key)
            .send()
            .await
            .expect("request sent");
        json(response, StatusCode::OK).await
    }
}

/// The PostgreSQL server the suite runs against, if any.
pub fn postgres_server() -> Option<String> {
    std::env::var("ECHO_TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// A database of its own for one test on the PostgreSQL server, dropped
/// afterwards.
pub struct ThrowawayDatabase {
    server: String,
    name: String,
    pub url: String,
    /// For reading the database directly; connects on first use.
    pub pool: sqlx::PgPool,
}

fn with_database(server: &str, name: &str) -> String {
    let (base, _) = server
        .rsplit_once('/')
        .expect("a postgres:// URL with a database");
    let query = server
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    format!("{base}/{name}{query}")
}

impl ThrowawayDatabase {
    pub async fn create(server: &str) -> Self {
        let name = format!("echo_test_{}", uuid::Uuid::new_v4().simple());
        let admin = sqlx::PgPool::connect(server)
            .await
            .expect("PostgreSQL reachable");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .expect("database created");
        admin.close().await;
        let url = with_database(server, &name);
        Self {
            server: server.to_owned(),
            pool: sqlx::PgPool::connect_lazy(&url).expect("a valid URL"),
            url,
            name,
        }
    }
}

impl Drop for ThrowawayDatabase {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // Drop runs inside the test's runtime; a thread of its own can block.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                runtime.block_on(async {
                    if let Ok(admin) = sqlx::PgPool::connect(&server).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .execute(&admin)
                        .await;
                    }
                });
            }
        })
        .join();
    }
}

/// The real server binary, for tests that run it as a process.
pub const BIN: &str = env!("CARGO_BIN_EXE_echo-server");

/// Runs an administration command of the binary against `database_url`,
/// which must succeed; its output.
pub fn cli(database_url: &str, args: &[&str]) -> std::process::Output {
    let output = std::process::Command::new(BIN)
        .args(["--database-url", database_url])
        .args(args)
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "echo-server {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// `echo-server org create` on the database: the organization's operator
/// key and its ID.
pub fn cli_organization(database_url: &str) -> (String, OrganizationId) {
    let created = cli(database_url, &["org", "create", "--name", "Acme"]);
    let org: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    let key = org["operatorKey"].as_str().unwrap().to_owned();
    let id = OrganizationId::parse(org["organizationId"].as_str().unwrap()).unwrap();
    (key, id)
}

/// A visitor with a session and one conversation, made over HTTP against a
/// server process at `base`: the session token and the conversation.
pub async fn visitor_over_http(
    client: &reqwest::Client,
    base: &str,
    organization_id: OrganizationId,
) -> (String, ConversationId) {
    let session: ContactSessionCreated = client
        .post(format!("{base}/v1/contact-sessions"))
        .json(&CreateContactSession {
            organization_id,
            name: "Ada".into(),
            email: "ada@example.com".into(),
            metadata: BrowserMetadata::default(),
            user_id: None,
            user_hash: None,
        })
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = session.contact_session_id.expose_secret().to_owned();
    let conversation: ConversationCreated = client
        .post(format!("{base}/v1/conversations"))
        .bearer_auth(&token)
        .json(&CreateConversation { organization_id })
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (token, conversation.conversation_id)
}

/// Polls `check` until it gives a value or `within` passes.
pub async fn eventually<T, F, Fut>(mut check: F, within: std::time::Duration) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if tokio::time::Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
