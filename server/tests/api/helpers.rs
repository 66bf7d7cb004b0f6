use std::path::PathBuf;
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

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub clock: Clock,
    pub db_path: PathBuf,
    /// An organization every test can use.
    pub org: CreatedOrganization,
    _dir: tempfile::TempDir,
}

/// A fixed start time, so tests can reason about expiry exactly.
pub const START: Timestamp = Timestamp(1_800_000_000_000);

pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let db_path = dir.path().join("echo.db");
    let clock = Clock::manual(START);
    let mut config = Config::for_tests(format!("sqlite://{}", db_path.display()));
    config.clock = clock.clone();
    let app = Application::build(config).await.expect("server builds");
    let address = format!("http://127.0.0.1:{}", app.port());
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
        db_path,
        org,
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
        }
    }

    pub async fn visitor_of(&self, org: OrganizationId) -> TestVisitor {
        let response = self
            .post("/v1/contact-sessions", &self.session_request(org), None)
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let created: ContactSessionCreated = response.json().await.unwrap();
        TestVisitor {
            session: created.contact_session_id,
            expires_at: created.expires_at,
            organization_id: org,
        }
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

    /// Counts rows straight from the database file, to prove a rejected
    /// request stored nothing.
    pub fn count(&self, table: &str) -> i64 {
        let conn = rusqlite::Connection::open(&self.db_path).unwrap();
        conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
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
