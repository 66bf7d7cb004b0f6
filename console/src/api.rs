//! Every call the console makes: the operator API, with the organization's
//! operator key as the bearer credential, and its event stream.

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::knowledge::{KnowledgeFile, KnowledgeFileList, SearchResults};
use echo_protocol::messages::{Message, MessagePage, SendMessage};
use echo_protocol::operator::{
    Enhance, OperatorConversation, OperatorConversationPage, OrganizationInfo, UpdateConversation,
    WidgetSettings,
};
use echo_protocol::{ConversationId, FileId};
use echo_web::http::{self, ApiError, Body, Call};
use echo_web::ReadableStreamDefaultReader;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use web_sys::AbortSignal;

#[derive(Clone)]
pub struct OperatorApi {
    key: String,
}

impl OperatorApi {
    pub fn new(key: String) -> Self {
        Self { key }
    }

    pub async fn widget_settings(&self) -> Result<WidgetSettings, ApiError> {
        self.call("GET", "/v1/operator/widget-settings", Body::Empty)
            .await
    }

    pub async fn organization(&self) -> Result<OrganizationInfo, ApiError> {
        self.call("GET", "/v1/operator/organization", Body::Empty)
            .await
    }

    /// The draft rewritten by the model (a pro feature).
    pub async fn enhance(&self, text: String) -> Result<String, ApiError> {
        let enhanced: Enhance = self
            .call(
                "POST",
                "/v1/operator/enhance",
                Body::json(&Enhance { text }),
            )
            .await?;
        Ok(enhanced.text)
    }

    pub async fn knowledge_files(&self) -> Result<Vec<KnowledgeFile>, ApiError> {
        let list: KnowledgeFileList = self
            .call("GET", "/v1/operator/knowledge-base/files", Body::Empty)
            .await?;
        Ok(list.files)
    }

    pub async fn delete_file(&self, id: FileId) -> Result<(), ApiError> {
        let path = format!("/v1/operator/knowledge-base/files/{id}");
        http::fetch_text(self.request("DELETE", &path, Body::Empty)).await?;
        Ok(())
    }

    pub async fn search(&self, query: &str) -> Result<SearchResults, ApiError> {
        let q = String::from(js_sys::encode_uri_component(query));
        let path = format!("/v1/operator/knowledge-base/search?q={q}");
        self.call("GET", &path, Body::Empty).await
    }

    /// Uploads a file picked by the operator (a pro feature).
    pub async fn upload(&self, file: &web_sys::File) -> Result<KnowledgeFile, ApiError> {
        let form = web_sys::FormData::new().map_err(|_| ApiError::Network)?;
        form.append_with_blob_and_filename("file", file, &file.name())
            .map_err(|_| ApiError::Network)?;
        self.call(
            "POST",
            "/v1/operator/knowledge-base/files",
            Body::Form(form),
        )
        .await
    }

    pub async fn conversations(
        &self,
        status: Option<ConversationStatus>,
    ) -> Result<OperatorConversationPage, ApiError> {
        let filter = status.map_or("all", ConversationStatus::as_str);
        let path = format!("/v1/operator/conversations?status={filter}&limit=50");
        self.call("GET", &path, Body::Empty).await
    }

    pub async fn conversation(&self, id: ConversationId) -> Result<OperatorConversation, ApiError> {
        self.call(
            "GET",
            &format!("/v1/operator/conversations/{id}"),
            Body::Empty,
        )
        .await
    }

    pub async fn messages(&self, id: ConversationId) -> Result<MessagePage, ApiError> {
        let path = format!("/v1/operator/conversations/{id}/messages?limit=100");
        self.call("GET", &path, Body::Empty).await
    }

    pub async fn reply(&self, id: ConversationId, text: String) -> Result<Message, ApiError> {
        let body = SendMessage {
            text,
            idempotency_key: None,
        };
        let path = format!("/v1/operator/conversations/{id}/messages");
        self.call("POST", &path, Body::json(&body)).await
    }

    pub async fn set_status(
        &self,
        id: ConversationId,
        status: ConversationStatus,
    ) -> Result<OperatorConversation, ApiError> {
        let path = format!("/v1/operator/conversations/{id}");
        self.call("PATCH", &path, Body::json(&UpdateConversation { status }))
            .await
    }

    /// The organization's event stream, resuming after `after`.
    pub async fn open_events(
        &self,
        after: Option<i64>,
        abort: &AbortSignal,
    ) -> Result<ReadableStreamDefaultReader, ApiError> {
        let call = self
            .request("GET", "/v1/operator/events", Body::Empty)
            .header("Last-Event-ID", after.map(|p| p.to_string()))
            .abort(Some(abort));
        let response = http::check(http::send(call).await?).await?;
        Ok(response
            .body()
            .ok_or(ApiError::Network)?
            .get_reader()
            .unchecked_into())
    }

    fn request(&self, method: &'static str, path: &str, body: Body) -> Call<'_> {
        Call::new(method, path.to_owned())
            .bearer(Some(&self.key))
            .body(body)
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: &'static str,
        path: &str,
        body: Body,
    ) -> Result<T, ApiError> {
        http::decode(&http::fetch_text(self.request(method, path, body)).await?)
    }
}
