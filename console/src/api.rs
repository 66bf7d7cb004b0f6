//! Every call the console makes: the operator API, with the organization's
//! operator key as the bearer credential, and its event stream.

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::knowledge::{KnowledgeFile, KnowledgeFileList, SearchResults};
use echo_protocol::messages::{Message, MessagePage, SendMessage};
use echo_protocol::operator::{
    Enhance, OperatorConversation, OperatorConversationPage, OrganizationInfo, UpdateConversation,
    WidgetSettings,
};
use echo_protocol::{ConversationId, ErrorBody, ErrorCode, FileId};
use echo_web::ReadableStreamDefaultReader;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Request, RequestInit, Response};

#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// `None` when the server could not be reached.
    pub code: Option<ErrorCode>,
    pub message: String,
}

impl Failure {
    fn network() -> Self {
        Self {
            code: None,
            message: "The server could not be reached. Check the connection.".into(),
        }
    }

    pub fn is(&self, code: ErrorCode) -> bool {
        self.code == Some(code)
    }
}

/// What a request carries.
enum Body {
    Empty,
    Json(String),
    Form(web_sys::FormData),
}

#[derive(Clone)]
pub struct OperatorApi {
    key: String,
}

impl OperatorApi {
    pub fn new(key: String) -> Self {
        Self { key }
    }

    pub async fn widget_settings(&self) -> Result<WidgetSettings, Failure> {
        self.call("GET", "/v1/operator/widget-settings", None::<&()>)
            .await
    }

    pub async fn organization(&self) -> Result<OrganizationInfo, Failure> {
        self.call("GET", "/v1/operator/organization", None::<&()>)
            .await
    }

    /// The draft rewritten by the model (a pro feature).
    pub async fn enhance(&self, text: String) -> Result<String, Failure> {
        let enhanced: Enhance = self
            .call("POST", "/v1/operator/enhance", Some(&Enhance { text }))
            .await?;
        Ok(enhanced.text)
    }

    pub async fn knowledge_files(&self) -> Result<Vec<KnowledgeFile>, Failure> {
        let list: KnowledgeFileList = self
            .call("GET", "/v1/operator/knowledge-base/files", None::<&()>)
            .await?;
        Ok(list.files)
    }

    pub async fn delete_file(&self, id: FileId) -> Result<(), Failure> {
        let path = format!("/v1/operator/knowledge-base/files/{id}");
        let response = self
            .send("DELETE", &path, Body::Empty, None, None)
            .await
            .map_err(|_| Failure::network())?;
        if !response.ok() {
            return Err(failure(&response).await);
        }
        Ok(())
    }

    pub async fn search(&self, query: &str) -> Result<SearchResults, Failure> {
        let q = String::from(js_sys::encode_uri_component(query));
        let path = format!("/v1/operator/knowledge-base/search?q={q}");
        self.call("GET", &path, None::<&()>).await
    }

    /// Uploads a file picked by the operator (a pro feature).
    pub async fn upload(&self, file: &web_sys::File) -> Result<KnowledgeFile, Failure> {
        let form = web_sys::FormData::new().map_err(|_| Failure::network())?;
        form.append_with_blob_and_filename("file", file, &file.name())
            .map_err(|_| Failure::network())?;
        self.fetch_json(
            "POST",
            "/v1/operator/knowledge-base/files",
            Body::Form(form),
        )
        .await
    }

    pub async fn conversations(
        &self,
        status: Option<ConversationStatus>,
    ) -> Result<OperatorConversationPage, Failure> {
        let filter = status.map_or("all", ConversationStatus::as_str);
        let path = format!("/v1/operator/conversations?status={filter}&limit=50");
        self.call("GET", &path, None::<&()>).await
    }

    pub async fn conversation(&self, id: ConversationId) -> Result<OperatorConversation, Failure> {
        self.call(
            "GET",
            &format!("/v1/operator/conversations/{id}"),
            None::<&()>,
        )
        .await
    }

    pub async fn messages(&self, id: ConversationId) -> Result<MessagePage, Failure> {
        let path = format!("/v1/operator/conversations/{id}/messages?limit=100");
        self.call("GET", &path, None::<&()>).await
    }

    pub async fn reply(&self, id: ConversationId, text: String) -> Result<Message, Failure> {
        let body = SendMessage {
            text,
            idempotency_key: None,
        };
        let path = format!("/v1/operator/conversations/{id}/messages");
        self.call("POST", &path, Some(&body)).await
    }

    pub async fn set_status(
        &self,
        id: ConversationId,
        status: ConversationStatus,
    ) -> Result<OperatorConversation, Failure> {
        let path = format!("/v1/operator/conversations/{id}");
        self.call("PATCH", &path, Some(&UpdateConversation { status }))
            .await
    }

    /// The organization's event stream, resuming after `after`.
    pub async fn open_events(
        &self,
        after: Option<i64>,
        abort: &AbortSignal,
    ) -> Result<ReadableStreamDefaultReader, Failure> {
        let resume = after.map(|p| p.to_string());
        let response = self
            .send(
                "GET",
                "/v1/operator/events",
                Body::Empty,
                resume.as_deref(),
                Some(abort),
            )
            .await
            .map_err(|_| Failure::network())?;
        if response.status() != 200 {
            return Err(failure(&response).await);
        }
        Ok(response
            .body()
            .ok_or_else(Failure::network)?
            .get_reader()
            .unchecked_into())
    }

    async fn call<T: DeserializeOwned, B: Serialize>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, Failure> {
        let body = match body {
            Some(body) => Body::Json(serde_json::to_string(body).map_err(|e| Failure {
                code: None,
                message: e.to_string(),
            })?),
            None => Body::Empty,
        };
        self.fetch_json(method, path, body).await
    }

    /// Sends the request and reads the JSON answer (or the error body).
    async fn fetch_json<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Body,
    ) -> Result<T, Failure> {
        let response = self
            .send(method, path, body, None, None)
            .await
            .map_err(|_| Failure::network())?;
        if !response.ok() {
            return Err(failure(&response).await);
        }
        let text = text_of(&response).await.ok_or_else(Failure::network)?;
        serde_json::from_str(&text).map_err(|_| Failure {
            code: None,
            message: "The server sent an unexpected answer.".into(),
        })
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Body,
        last_event_id: Option<&str>,
        abort: Option<&AbortSignal>,
    ) -> Result<Response, JsValue> {
        let init = RequestInit::new();
        init.set_method(method);
        let headers = web_sys::Headers::new()?;
        headers.set("Authorization", &format!("Bearer {}", self.key))?;
        match body {
            Body::Empty => {}
            Body::Json(json) => {
                headers.set("Content-Type", "application/json")?;
                init.set_body(&JsValue::from_str(&json));
            }
            // The browser sets the multipart content type with its boundary.
            Body::Form(form) => init.set_body(&form),
        }
        if let Some(id) = last_event_id {
            headers.set("Last-Event-ID", id)?;
        }
        init.set_headers(&headers);
        if let Some(signal) = abort {
            init.set_signal(Some(signal));
        }
        let request = Request::new_with_str_and_init(path, &init)?;
        let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
        JsFuture::from(window.fetch_with_request(&request))
            .await?
            .dyn_into()
    }
}

async fn text_of(response: &Response) -> Option<String> {
    JsFuture::from(response.text().ok()?)
        .await
        .ok()?
        .as_string()
}

async fn failure(response: &Response) -> Failure {
    let text = text_of(response).await.unwrap_or_default();
    match serde_json::from_str::<ErrorBody>(&text) {
        Ok(body) => Failure {
            code: Some(body.error.code),
            message: body.error.message,
        },
        Err(_) => Failure {
            code: None,
            message: format!("The server answered {}.", response.status()),
        },
    }
}
