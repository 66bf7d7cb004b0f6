//! Every call the widget makes to the server, typed with the protocol crate.
//! The server is the widget's own origin unless `?server=` names another
//! (a CDN-hosted widget talking to the customer's server).

use echo_protocol::contact_sessions::{
    ContactSessionCreated, CreateContactSession, CurrentContactSession,
};
use echo_protocol::conversations::{
    ConversationCreated, ConversationPage, ConversationView, CreateConversation, TranscriptQueued,
};
use echo_protocol::messages::{Message, MessagePage, SendMessage};
use echo_protocol::widget::WidgetConfig;
use echo_protocol::{AttachmentId, ContactSessionId, ConversationId, ErrorCode, OrganizationId};
use echo_web::http::{self, Body, Call};
use echo_web::i18n::{language, t, Msg};
use echo_web::js::FromJs;
use wasm_bindgen::JsCast;
use web_sys::AbortSignal;

/// Messages per history page.
pub const PAGE_SIZE: u32 = 20;

pub use echo_web::http::ApiError;

/// The widget's words for an error: never a status code or a stack trace.
pub trait Describe {
    fn describe(&self) -> String;
}

impl Describe for ApiError {
    fn describe(&self) -> String {
        match self {
            ApiError::Network => t(Msg::NetworkError).into(),
            ApiError::Http { code, message, .. } => t(match code {
                Some(ErrorCode::Unauthorized) => Msg::SessionExpired,
                Some(ErrorCode::RateLimited) => Msg::TooQuick,
                // The server's words are English: another language gets ours.
                Some(ErrorCode::Validation) if language() == "en" => return message.clone(),
                Some(ErrorCode::Validation) => Msg::CheckInput,
                Some(ErrorCode::Conflict) => Msg::Resolved,
                _ => Msg::ServerError,
            })
            .into(),
        }
    }
}

#[derive(Clone)]
pub struct Api {
    base: String,
}

impl Api {
    /// The server named by `?server=` (http or https only), else this origin.
    pub fn from_location() -> Self {
        let base = query_param("server")
            .filter(|s| s.starts_with("https://") || s.starts_with("http://"))
            .map(|s| s.trim_end_matches('/').to_owned())
            .unwrap_or_default();
        Self { base }
    }

    pub async fn widget_config(&self, org: OrganizationId) -> Result<WidgetConfig, ApiError> {
        self.call(
            "GET",
            &format!("/v1/organizations/{org}/widget"),
            None,
            Body::Empty,
            None,
        )
        .await
    }

    pub async fn create_session(
        &self,
        request: &CreateContactSession,
    ) -> Result<ContactSessionCreated, ApiError> {
        self.call(
            "POST",
            "/v1/contact-sessions",
            None,
            Body::js(request),
            None,
        )
        .await
    }

    pub async fn current_session(
        &self,
        session: &ContactSessionId,
    ) -> Result<CurrentContactSession, ApiError> {
        self.call(
            "GET",
            "/v1/contact-sessions/current",
            Some(session),
            Body::Empty,
            None,
        )
        .await
    }

    /// Ends the session on the server (the host signed its user out).
    pub async fn end_session(&self, session: &ContactSessionId) -> Result<(), ApiError> {
        let call = Call::new(
            "DELETE",
            format!("{}/v1/contact-sessions/current", self.base),
        )
        .bearer(Some(session.expose_secret()));
        http::send(call).await.map(|_| ())
    }

    pub async fn create_conversation(
        &self,
        session: &ContactSessionId,
        organization_id: OrganizationId,
    ) -> Result<ConversationCreated, ApiError> {
        let body = CreateConversation { organization_id };
        self.call(
            "POST",
            "/v1/conversations",
            Some(session),
            Body::js(&body),
            None,
        )
        .await
    }

    pub async fn conversation(
        &self,
        session: &ContactSessionId,
        id: ConversationId,
        abort: Option<&AbortSignal>,
    ) -> Result<ConversationView, ApiError> {
        self.call(
            "GET",
            &format!("/v1/conversations/{id}"),
            Some(session),
            Body::Empty,
            abort,
        )
        .await
    }

    pub async fn conversations(
        &self,
        session: &ContactSessionId,
        cursor: Option<&str>,
    ) -> Result<ConversationPage, ApiError> {
        let path = match cursor {
            Some(c) => format!("/v1/conversations?limit={PAGE_SIZE}&cursor={}", encode(c)),
            None => format!("/v1/conversations?limit={PAGE_SIZE}"),
        };
        self.call("GET", &path, Some(session), Body::Empty, None)
            .await
    }

    /// Rates the resolved conversation.
    pub async fn rate(
        &self,
        session: &ContactSessionId,
        id: ConversationId,
        rating: &echo_protocol::ratings::RateConversation,
    ) -> Result<(), ApiError> {
        let call = Call::new(
            "POST",
            format!("{}/v1/conversations/{id}/rating", self.base),
        )
        .bearer(Some(session.expose_secret()))
        .body(Body::js(rating));
        http::send(call).await.map(|_| ())
    }

    /// Sends a message; retrying with the same `key` never duplicates it.
    pub async fn send_message(
        &self,
        session: &ContactSessionId,
        id: ConversationId,
        text: String,
        key: String,
        attachment_ids: Vec<AttachmentId>,
    ) -> Result<Message, ApiError> {
        let path = format!("/v1/conversations/{id}/messages");
        let body = SendMessage {
            text,
            idempotency_key: Some(key),
            attachment_ids,
        };
        self.call("POST", &path, Some(session), Body::js(&body), None)
            .await
    }

    /// Tells the team the visitor is typing (the caller throttles).
    pub async fn typing(&self, session: &ContactSessionId, id: ConversationId) {
        let call = Call::new(
            "POST",
            format!("{}/v1/conversations/{id}/typing", self.base),
        )
        .bearer(Some(session.expose_secret()))
        .body(Body::Json(r#"{"active":true}"#.into()));
        let _ = http::send(call).await;
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Asks for the conversation to be mailed to the visitor.
    pub async fn transcript(
        &self,
        session: &ContactSessionId,
        id: ConversationId,
    ) -> Result<TranscriptQueued, ApiError> {
        let path = format!("/v1/conversations/{id}/transcript");
        self.call("POST", &path, Some(session), Body::Empty, None)
            .await
    }

    /// A page of history: the newest, or the one before `cursor`.
    pub async fn messages(
        &self,
        session: &ContactSessionId,
        id: ConversationId,
        cursor: Option<&str>,
        abort: Option<&AbortSignal>,
    ) -> Result<MessagePage, ApiError> {
        let mut path = format!("/v1/conversations/{id}/messages?limit={PAGE_SIZE}");
        if let Some(c) = cursor {
            path.push_str(&format!("&cursor={}", encode(c)));
        }
        self.call("GET", &path, Some(session), Body::Empty, abort)
            .await
    }

    /// Opens the conversation's event stream, resuming after `after`.
    pub async fn open_events(
        &self,
        session: &ContactSessionId,
        id: ConversationId,
        after: Option<i64>,
        abort: Option<&AbortSignal>,
    ) -> Result<echo_web::ReadableStreamDefaultReader, ApiError> {
        let call = Call::new("GET", format!("{}/v1/conversations/{id}/events", self.base))
            .bearer(Some(session.expose_secret()))
            .header("Last-Event-ID", after.map(|p| p.to_string()))
            .abort(abort);
        let response = http::check(http::send(call).await?).await?;
        let body = response.body().ok_or(ApiError::Network)?;
        Ok(body.get_reader().unchecked_into())
    }

    async fn call<T: FromJs>(
        &self,
        method: &'static str,
        path: &str,
        session: Option<&ContactSessionId>,
        body: Body,
        abort: Option<&AbortSignal>,
    ) -> Result<T, ApiError> {
        let call = Call::new(method, format!("{}{path}", self.base))
            .bearer(session.map(ContactSessionId::expose_secret))
            .body(body)
            .abort(abort);
        // Decoded by hand from the browser's parse (`echo_web::decode`).
        echo_web::js::parse(&http::fetch_text(call).await?).ok_or_else(ApiError::unexpected)
    }
}

/// A JSON data block the server put in the page (`<script
/// type="application/json" id=...>`): what the first screen needs, so it
/// need not be asked for.
pub fn embedded(id: &str) -> Option<String> {
    web_sys::window()?
        .document()?
        .get_element_by_id(id)?
        .text_content()
}

/// A query parameter of the widget's own URL.
pub fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
        .filter(|v| !v.is_empty())
}

fn encode(value: &str) -> String {
    js_sys::encode_uri_component(value).into()
}
