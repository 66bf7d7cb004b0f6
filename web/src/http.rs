//! The one way both apps call the server: [`send`] builds and sends a
//! request, [`fetch_text`] reads its answer or the error body, and
//! [`decode`] turns text into a typed value. The async part is not generic,
//! so it is compiled once however many response types the app reads.

use echo_protocol::ErrorCode;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, FormData, RequestInit, Response};

/// Why a call failed.
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

    /// The server's own words, or what a lost connection means.
    pub fn message(&self) -> &str {
        match self {
            ApiError::Network => "The server could not be reached. Check the connection.",
            ApiError::Http { message, .. } => message,
        }
    }

    pub fn unexpected() -> Self {
        ApiError::Http {
            code: None,
            message: "The server sent an unexpected answer.".into(),
            field: None,
        }
    }

    /// The error a non-2xx answer carries.
    pub(crate) fn from_answer(status: u16, text: &str) -> Self {
        // Read by hand: both apps decode it, and a derived decoder for
        // it (with every code's name) costs each of them.
        let error = js_sys::JSON::parse(text).map(|v| crate::js::field(&v, "error"));
        let code = error
            .as_ref()
            .ok()
            .and_then(|e| crate::js::string(e, "code"));
        match (error, code.as_deref().and_then(ErrorCode::parse)) {
            (Ok(error), Some(code)) => ApiError::Http {
                code: Some(code),
                message: crate::js::string(&error, "message").unwrap_or_default(),
                field: crate::js::string(&error, "field"),
            },
            _ if status >= 500 || status == 0 => ApiError::Network,
            _ => ApiError::Http {
                code: None,
                message: format!("The server answered {status}."),
                field: None,
            },
        }
    }
}

/// What a request carries.
pub enum Body {
    Empty,
    Json(String),
    /// Multipart; the browser sets the content type with its boundary.
    Form(FormData),
}

impl Body {
    /// `value` as a JSON body.
    pub fn json(value: &impl serde::Serialize) -> Self {
        // Our own request types always encode.
        Body::Json(serde_json::to_string(value).unwrap_or_default())
    }
}

/// One request to the server.
pub struct Call<'a> {
    pub method: &'static str,
    pub url: String,
    pub bearer: Option<&'a str>,
    pub body: Body,
    /// An extra header (the event streams' `Last-Event-ID`).
    pub header: Option<(&'static str, String)>,
    pub abort: Option<&'a AbortSignal>,
}

impl<'a> Call<'a> {
    pub fn new(method: &'static str, url: String) -> Self {
        Self {
            method,
            url,
            bearer: None,
            body: Body::Empty,
            header: None,
            abort: None,
        }
    }

    pub fn bearer(mut self, token: Option<&'a str>) -> Self {
        self.bearer = token;
        self
    }

    pub fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    pub fn header(mut self, name: &'static str, value: Option<String>) -> Self {
        self.header = value.map(|v| (name, v));
        self
    }

    pub fn abort(mut self, signal: Option<&'a AbortSignal>) -> Self {
        self.abort = signal;
        self
    }
}

/// Sends the request; the answer may be any status.
pub async fn send(call: Call<'_>) -> Result<Response, ApiError> {
    send_js(call).await.map_err(|_| ApiError::Network)
}

async fn send_js(call: Call<'_>) -> Result<Response, JsValue> {
    let init = RequestInit::new();
    init.set_method(call.method);
    let headers = web_sys::Headers::new()?;
    match call.body {
        Body::Empty => {}
        Body::Json(json) => {
            headers.set("Content-Type", "application/json")?;
            init.set_body(&JsValue::from_str(&json));
        }
        Body::Form(form) => init.set_body(&form),
    }
    if let Some(token) = call.bearer {
        headers.set("Authorization", &format!("Bearer {token}"))?;
    }
    if let Some((name, value)) = &call.header {
        headers.set(name, value)?;
    }
    init.set_headers(&headers);
    if let Some(signal) = call.abort {
        init.set_signal(Some(signal));
    }
    let request = web_sys::Request::new_with_str_and_init(&call.url, &init)?;
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    JsFuture::from(window.fetch_with_request(&request))
        .await?
        .dyn_into()
}

/// The answer's body as text (empty when it has none).
async fn text_of(response: &Response) -> Result<String, ApiError> {
    let promise = response.text().map_err(|_| ApiError::Network)?;
    let text = JsFuture::from(promise)
        .await
        .map_err(|_| ApiError::Network)?;
    Ok(text.as_string().unwrap_or_default())
}

/// `Ok` for a 2xx answer, else the error its body carries.
pub async fn check(response: Response) -> Result<Response, ApiError> {
    if response.ok() {
        return Ok(response);
    }
    let text = text_of(&response).await.unwrap_or_default();
    Err(ApiError::from_answer(response.status(), &text))
}

/// Sends the request and reads a 2xx answer's text, or the error.
pub async fn fetch_text(call: Call<'_>) -> Result<String, ApiError> {
    let response = check(send(call).await?).await?;
    text_of(&response).await
}

/// A JSON answer as `T`.
pub fn decode<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    parse_json(text).ok_or_else(ApiError::unexpected)
}

/// JSON text as `T`, parsed by the browser's `JSON.parse` and read with
/// serde-wasm-bindgen (the console's path: serde_json's own parser,
/// instantiated for every type, cost about 5 KB more; the widget reads
/// field by field, see [`crate::js`]).
pub fn parse_json<T: DeserializeOwned>(text: &str) -> Option<T> {
    let value = js_sys::JSON::parse(text).ok()?;
    serde_wasm_bindgen::from_value(value).ok()
}
