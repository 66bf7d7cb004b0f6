//! The desk's calls: saved replies, notes and mentions, members, labels,
//! bulk changes, search, the visitor's context and typing.

use echo_protocol::desk::{
    AddNote, BulkChange, BulkResults, CannedReplies, CannedReply, CannedReplyId, CreateCannedReply,
    CreateLabel, Label, LabelId, Labels, Members, Mentions, ReadMentions, SearchResults, SetLabels,
    Typing, UpdateCannedReply, UpdateLabel, VisitorContext,
};
use echo_protocol::messages::Message;
use echo_protocol::team::Assignee;
use echo_protocol::{ConversationId, OperatorId};
use echo_web::http::{self, ApiError, Body};

use crate::api::OperatorApi;
use crate::model::Filter;

impl OperatorApi {
    /// A call whose answer has no body worth reading.
    async fn send(&self, method: &'static str, path: &str, body: Body) -> Result<(), ApiError> {
        http::fetch_text(self.request(method, path, body)).await?;
        Ok(())
    }

    pub async fn canned_replies(&self) -> Result<Vec<CannedReply>, ApiError> {
        let list: CannedReplies = self
            .call("GET", "/v1/operator/canned-replies", Body::Empty)
            .await?;
        Ok(list.canned_replies)
    }

    pub async fn create_canned(&self, reply: &CreateCannedReply) -> Result<CannedReply, ApiError> {
        self.call("POST", "/v1/operator/canned-replies", Body::json(reply))
            .await
    }

    pub async fn update_canned(
        &self,
        id: CannedReplyId,
        change: &UpdateCannedReply,
    ) -> Result<CannedReply, ApiError> {
        let path = format!("/v1/operator/canned-replies/{id}");
        self.call("PATCH", &path, Body::json(change)).await
    }

    pub async fn delete_canned(&self, id: CannedReplyId) -> Result<(), ApiError> {
        let path = format!("/v1/operator/canned-replies/{id}");
        self.send("DELETE", &path, Body::Empty).await
    }

    pub async fn add_note(
        &self,
        id: ConversationId,
        text: String,
        mentions: Vec<OperatorId>,
    ) -> Result<Message, ApiError> {
        let path = format!("/v1/operator/conversations/{id}/notes");
        self.call("POST", &path, Body::json(&AddNote { text, mentions }))
            .await
    }

    pub async fn members(&self) -> Result<Vec<Assignee>, ApiError> {
        let list: Members = self
            .call("GET", "/v1/operator/members", Body::Empty)
            .await?;
        Ok(list.members)
    }

    pub async fn mentions(&self) -> Result<Mentions, ApiError> {
        self.call("GET", "/v1/operator/mentions", Body::Empty).await
    }

    /// Marks the caller's mentions read: one conversation's, or all.
    pub async fn read_mentions(
        &self,
        conversation_id: Option<ConversationId>,
    ) -> Result<(), ApiError> {
        let body = Body::json(&ReadMentions { conversation_id });
        self.send("POST", "/v1/operator/mentions/read", body).await
    }

    pub async fn labels(&self) -> Result<Vec<Label>, ApiError> {
        let list: Labels = self.call("GET", "/v1/operator/labels", Body::Empty).await?;
        Ok(list.labels)
    }

    pub async fn create_label(&self, name: String, color: String) -> Result<Label, ApiError> {
        let body = Body::json(&CreateLabel { name, color });
        self.call("POST", "/v1/operator/labels", body).await
    }

    pub async fn update_label(&self, id: LabelId, change: &UpdateLabel) -> Result<Label, ApiError> {
        let path = format!("/v1/operator/labels/{id}");
        self.call("PATCH", &path, Body::json(change)).await
    }

    pub async fn delete_label(&self, id: LabelId) -> Result<(), ApiError> {
        let path = format!("/v1/operator/labels/{id}");
        self.send("DELETE", &path, Body::Empty).await
    }

    pub async fn set_labels(
        &self,
        id: ConversationId,
        label_ids: Vec<LabelId>,
    ) -> Result<Vec<Label>, ApiError> {
        let path = format!("/v1/operator/conversations/{id}/labels");
        let list: Labels = self
            .call("PUT", &path, Body::json(&SetLabels { label_ids }))
            .await?;
        Ok(list.labels)
    }

    pub async fn bulk(&self, change: &BulkChange) -> Result<BulkResults, ApiError> {
        self.call(
            "POST",
            "/v1/operator/conversations/bulk",
            Body::json(change),
        )
        .await
    }

    /// The organization's messages, notes and visitors matching `query`,
    /// under the inbox's filter.
    pub async fn search_conversations(
        &self,
        query: &str,
        filter: Filter,
    ) -> Result<SearchResults, ApiError> {
        let q = String::from(js_sys::encode_uri_component(query));
        let status = filter.tab.status().map_or(
            "all",
            echo_protocol::conversations::ConversationStatus::as_str,
        );
        let label = filter.label.map(|l| l.to_string()).unwrap_or_default();
        let path = format!(
            "/v1/operator/search?q={q}&status={status}&assignee={}&label={label}&limit=30",
            filter.owner.query()
        );
        self.call("GET", &path, Body::Empty).await
    }

    pub async fn visitor_context(&self, id: ConversationId) -> Result<VisitorContext, ApiError> {
        let path = format!("/v1/operator/conversations/{id}/visitor");
        self.call("GET", &path, Body::Empty).await
    }

    /// Tells the visitor the operator is (or stopped) typing.
    pub async fn typing(&self, id: ConversationId, active: bool) {
        let path = format!("/v1/operator/conversations/{id}/typing");
        let _ = self
            .send("POST", &path, Body::json(&Typing { active }))
            .await;
    }
}
