//! Every call the console makes: the account calls (`/v1/auth/...`), and
//! the operator API with the session cookie (the browser sends it on these
//! same-origin calls) or an API key as the bearer credential, and its event
//! stream.

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::knowledge::{KnowledgeFile, KnowledgeFileList, SearchResults};
use echo_protocol::messages::{Message, MessagePage, SendMessage};
use echo_protocol::operator::{
    Enhance, IdentitySecret, OperatorConversation, OperatorConversationPage, OrganizationInfo,
    UpdateConversation, WidgetSettings,
};
use echo_protocol::team::{
    AcceptInvitation, ApiKey, ApiKeyCreated, ApiKeys, ChooseOrganization, CreateApiKey,
    CreateInvitation, InvitationCreated, OperatorRole, Team, TeamMember, UpdateMember,
};
use echo_protocol::team::{Account, NotificationSettings};
use echo_protocol::voice::{LiveVoiceCalls, VoiceCallList};
use echo_protocol::{ApiKeyId, AttachmentId, ConversationId, FileId, OperatorId, OrganizationId};
use echo_web::http::{self, ApiError, Body, Call};
use echo_web::ReadableStreamDefaultReader;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use web_sys::AbortSignal;

use crate::model::Filter;

/// The operator API as the signed-in operator (`key` `None`: the cookie)
/// or with an API key.
#[derive(Clone)]
pub struct OperatorApi {
    key: Option<String>,
}

/// A `POST` with no credential but the cookie (the account calls), its
/// answer decoded.
pub(crate) async fn post<T: DeserializeOwned>(path: &str, body: Body) -> Result<T, ApiError> {
    http::decode(&http::fetch_text(Call::new("POST", path.to_owned()).body(body)).await?)
}

/// The account calls: no credential but the cookie.
pub mod auth {
    use super::*;

    async fn account(path: &str, body: Body) -> Result<Account, ApiError> {
        post(path, body).await
    }

    pub async fn me() -> Result<Account, ApiError> {
        http::decode(&http::fetch_text(Call::new("GET", "/v1/auth/me".into())).await?)
    }

    pub async fn accept(
        token: String,
        name: String,
        password: String,
    ) -> Result<Account, ApiError> {
        let body = AcceptInvitation {
            token,
            name,
            password,
        };
        account("/v1/auth/invitations/accept", Body::json(&body)).await
    }

    pub async fn choose(organization_id: OrganizationId) -> Result<Account, ApiError> {
        let body = ChooseOrganization { organization_id };
        account("/v1/auth/organization", Body::json(&body)).await
    }

    pub async fn set_notifications(on: bool) -> Result<NotificationSettings, ApiError> {
        let body = NotificationSettings {
            email_notifications: on,
        };
        let call = Call::new("PUT", "/v1/auth/notifications".into()).body(Body::json(&body));
        http::decode(&http::fetch_text(call).await?)
    }

    pub async fn sign_out() -> Result<(), ApiError> {
        http::fetch_text(Call::new("POST", "/v1/auth/sign-out".into())).await?;
        Ok(())
    }
}

impl OperatorApi {
    pub fn with_key(key: String) -> Self {
        Self { key: Some(key) }
    }

    pub fn signed_in() -> Self {
        Self { key: None }
    }

    pub async fn team(&self) -> Result<Vec<TeamMember>, ApiError> {
        let team: Team = self.call("GET", "/v1/operator/team", Body::Empty).await?;
        Ok(team.members)
    }

    pub async fn set_role(
        &self,
        id: OperatorId,
        role: OperatorRole,
    ) -> Result<TeamMember, ApiError> {
        let path = format!("/v1/operator/team/{id}");
        self.call("PATCH", &path, Body::json(&UpdateMember { role }))
            .await
    }

    pub async fn remove_member(&self, id: OperatorId) -> Result<(), ApiError> {
        let path = format!("/v1/operator/team/{id}");
        http::fetch_text(self.request("DELETE", &path, Body::Empty)).await?;
        Ok(())
    }

    pub async fn invite(
        &self,
        email: String,
        role: OperatorRole,
    ) -> Result<InvitationCreated, ApiError> {
        let body = CreateInvitation { email, role };
        self.call("POST", "/v1/operator/invitations", Body::json(&body))
            .await
    }

    pub async fn api_keys(&self) -> Result<Vec<ApiKey>, ApiError> {
        let keys: ApiKeys = self
            .call("GET", "/v1/operator/api-keys", Body::Empty)
            .await?;
        Ok(keys.api_keys)
    }

    pub async fn create_api_key(&self, name: String) -> Result<ApiKeyCreated, ApiError> {
        self.call(
            "POST",
            "/v1/operator/api-keys",
            Body::json(&CreateApiKey { name }),
        )
        .await
    }

    pub async fn delete_api_key(&self, id: ApiKeyId) -> Result<(), ApiError> {
        let path = format!("/v1/operator/api-keys/{id}");
        http::fetch_text(self.request("DELETE", &path, Body::Empty)).await?;
        Ok(())
    }

    pub async fn assign(
        &self,
        id: ConversationId,
        assignee: Option<OperatorId>,
    ) -> Result<OperatorConversation, ApiError> {
        let path = format!("/v1/operator/conversations/{id}");
        let body = UpdateConversation {
            status: None,
            assignee_id: Some(assignee),
        };
        self.call("PATCH", &path, Body::json(&body)).await
    }

    pub async fn widget_settings(&self) -> Result<WidgetSettings, ApiError> {
        self.call("GET", "/v1/operator/widget-settings", Body::Empty)
            .await
    }

    pub async fn set_widget_settings(
        &self,
        settings: &WidgetSettings,
    ) -> Result<WidgetSettings, ApiError> {
        self.call("PUT", "/v1/operator/widget-settings", Body::json(settings))
            .await
    }

    pub async fn identity_secret(&self) -> Result<String, ApiError> {
        let secret: IdentitySecret = self
            .call("GET", "/v1/operator/identity-secret", Body::Empty)
            .await?;
        Ok(secret.identity_secret)
    }

    pub async fn rotate_identity_secret(&self) -> Result<String, ApiError> {
        let secret: IdentitySecret = self
            .call("POST", "/v1/operator/identity-secret", Body::Empty)
            .await?;
        Ok(secret.identity_secret)
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
        filter: Filter,
    ) -> Result<OperatorConversationPage, ApiError> {
        let status = filter
            .tab
            .status()
            .map_or("all", ConversationStatus::as_str);
        let assignee = filter.owner.query();
        let label = filter.label.map(|l| l.to_string()).unwrap_or_default();
        let path = format!(
            "/v1/operator/conversations?status={status}&assignee={assignee}&label={label}&limit=50"
        );
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

    /// The organization's calls in progress.
    pub async fn live_voice_calls(&self) -> Result<LiveVoiceCalls, ApiError> {
        self.call("GET", "/v1/operator/voice-calls", Body::Empty)
            .await
    }

    /// A conversation's voice calls, in progress or ended.
    pub async fn voice_calls(&self, id: ConversationId) -> Result<VoiceCallList, ApiError> {
        let path = format!("/v1/operator/conversations/{id}/voice-calls");
        self.call("GET", &path, Body::Empty).await
    }

    pub async fn messages(&self, id: ConversationId) -> Result<MessagePage, ApiError> {
        let path = format!("/v1/operator/conversations/{id}/messages?limit=100");
        self.call("GET", &path, Body::Empty).await
    }

    pub async fn reply(
        &self,
        id: ConversationId,
        text: String,
        attachment_ids: Vec<AttachmentId>,
    ) -> Result<Message, ApiError> {
        let body = SendMessage {
            text,
            idempotency_key: None,
            attachment_ids,
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
        let body = UpdateConversation {
            status: Some(status),
            assignee_id: None,
        };
        self.call("PATCH", &path, Body::json(&body)).await
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

    /// Where this conversation's uploads go, and the bearer they carry
    /// (none for the cookie).
    pub fn upload_target(&self, id: ConversationId) -> (String, Option<&str>) {
        (
            format!("/v1/operator/conversations/{id}/attachments"),
            self.key.as_deref(),
        )
    }

    pub(crate) fn request(&self, method: &'static str, path: &str, body: Body) -> Call<'_> {
        Call::new(method, path.to_owned())
            .bearer(self.key.as_deref())
            .body(body)
    }

    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: &'static str,
        path: &str,
        body: Body,
    ) -> Result<T, ApiError> {
        http::decode(&http::fetch_text(self.request(method, path, body)).await?)
    }
}
