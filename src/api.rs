//! Every call the widget makes to the server, typed with the protocol crate.
//! The server is the widget's own origin unless `?server=` names another
//! (a CDN-hosted widget talking to the customer's server).

use echo_protocol::contact_sessions::{
    ContactSessionCreated, CreateContactSession, CurrentContactSession,
};
use echo_protocol::conversations::{
    ConversationCreated, ConversationPage, ConversationView, CreateConversation,
};
use echo_protocol::messages::{Message, MessagePage, SendMessage};
use echo_protocol::widget::WidgetConfig;
use echo_protocol::{ContactSessionId, ConversationId, ErrorBody, ErrorCode, OrganizationId};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Request, RequestInit, Response};

/// Messages per history page.
pub const PAGE_SIZE: u32 = 20;

#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The request never got an answer (offline, server down, aborted).
    Network,
    /// The server answered with an error body.
    Http {
        code: Option<ErrorCode>,
        message: String,
        field: Option<String>,
    },
}

impl ApiError {
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ApiError::Network => None,
            ApiError::Http { code, .. } => *code,
        }
    }

    pub fn is(&self, code: ErrorCode) -> bool {
        self.code() == Some(code)
    }

    /// The field a `VALIDATION` error names, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::Http { field, .. } => field.as_deref(),
            ApiError::Network => None,
        }
    }

    /// Words for the visitor; never a status code or a stack trace.
    pub fn describe(&self) -> String {
        match self {
            ApiError::Network => {
                "We couldn't reach the chat server. Check your connection and try again.".into()
            }
            ApiError::Http { code, message, .. } => match code {
                Some(ErrorCode::Unauthorized) => {
                    "Your chat session has expired. Please introduce yourself again.".into()
                }
                Some(ErrorCode::RateLimited) => {
                    "You're sending messages too quickly. Please wait a moment.".into()
                }
                Some(ErrorCode::Validation) => message.clone(),
                Some(ErrorCode::Conflict) => "This conversation has been resolved.".into(),
                _ => "Something went wrong on our side. Please try again.".into(),
            },
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
            None::<&()>,
            None,
        )
        .await
    }

    pub async fn create_session(
        &self,
        request: &CreateContactSession,
    ) -> Result<ContactSessionCreated, ApiError> {
        self.call("POST", "/v1/contact-sessions", None, Some(request), None)
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
            None::<&()>,
            None,
        )
        .await
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
            Some(&body),
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
            None::<&()>,
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
        self.call("GET", &path, Some(session), None::<&()>, None)
            .await
    }

    /// Sends a message; retrying with the same `key` never duplicates it.
    pub async fn send_message(
        &self,
        session: &ContactSessionId,
        id: ConversationId,
        text: String,
        key: String,
    ) -> Result<Message, ApiError> {
        let path = format!("/v1/conversations/{id}/messages");
        let body = SendMessage {
            text,
            idempotency_key: Some(key),
        };
        self.call("POST", &path, Some(session), Some(&body), None)
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
        self.call("GET", &path, Some(session), None::<&()>, abort)
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
        let path = format!("/v1/conversations/{id}/events");
        let response = self
            .send(
                "GET",
                &path,
                Some(session),
                None::<&()>,
                abort,
                after.map(|p| ("Last-Event-ID", p.to_string())),
            )
            .await
            .map_err(|_| ApiError::Network)?;
        if response.status() != 200 {
            let text = JsFuture::from(response.text().map_err(|_| ApiError::Network)?)
                .await
                .ok()
                .and_then(|t| t.as_string())
                .unwrap_or_default();
            return Err(error_from(response.status(), &text));
        }
        let body = response.body().ok_or(ApiError::Network)?;
        Ok(body.get_reader().unchecked_into())
    }

    async fn call<T: DeserializeOwned, B: Serialize>(
        &self,
        method: &str,
        path: &str,
        session: Option<&ContactSessionId>,
        body: Option<&B>,
        abort: Option<&AbortSignal>,
    ) -> Result<T, ApiError> {
        let (status, text) = self
            .fetch(method, path, session, body, abort)
            .await
            .map_err(|_| ApiError::Network)?;
        if (200..300).contains(&status) {
            return serde_json::from_str(&text).map_err(|_| ApiError::Http {
                code: None,
                message: "The server sent an unexpected answer.".into(),
                field: None,
            });
        }
        Err(error_from(status, &text))
    }

    async fn fetch<B: Serialize>(
        &self,
        method: &str,
        path: &str,
        session: Option<&ContactSessionId>,
        body: Option<&B>,
        abort: Option<&AbortSignal>,
    ) -> Result<(u16, String), JsValue> {
        let response = self.send(method, path, session, body, abort, None).await?;
        let text = JsFuture::from(response.text()?)
            .await?
            .as_string()
            .unwrap_or_default();
        Ok((response.status(), text))
    }

    async fn send<B: Serialize>(
        &self,
        method: &str,
        path: &str,
        session: Option<&ContactSessionId>,
        body: Option<&B>,
        abort: Option<&AbortSignal>,
        extra_header: Option<(&str, String)>,
    ) -> Result<Response, JsValue> {
        let init = RequestInit::new();
        init.set_method(method);
        let headers = web_sys::Headers::new()?;
        if let Some(body) = body {
            let json =
                serde_json::to_string(body).map_err(|e| JsValue::from_str(&e.to_string()))?;
            headers.set("Content-Type", "application/json")?;
            init.set_body(&JsValue::from_str(&json));
        }
        if let Some(session) = session {
            headers.set(
                "Authorization",
                &format!("Bearer {}", session.expose_secret()),
            )?;
        }
        if let Some((name, value)) = extra_header {
            headers.set(name, &value)?;
        }
        init.set_headers(&headers);
        if let Some(signal) = abort {
            init.set_signal(Some(signal));
        }
        let request = Request::new_with_str_and_init(&format!("{}{}", self.base, path), &init)?;
        let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
        JsFuture::from(window.fetch_with_request(&request))
            .await?
            .dyn_into()
    }
}

/// The error a non-2xx answer carries.
fn error_from(status: u16, text: &str) -> ApiError {
    match serde_json::from_str::<ErrorBody>(text) {
        Ok(body) => ApiError::Http {
            code: Some(body.error.code),
            message: body.error.message,
            field: body.error.field,
        },
        Err(_) if status >= 500 || status == 0 => ApiError::Network,
        Err(_) => ApiError::Http {
            code: None,
            message: format!("The server answered {status}."),
            field: None,
        },
    }
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
