//! Helpers for the desk's tests: calls with the organization's API key or
//! a member's cookie, with JSON bodies.

use echo_protocol::messages::{Message, MessagePage};
use echo_protocol::ConversationId;
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;

use crate::helpers::{json, TestApp, TestVisitor};
use crate::members::Member;

impl TestApp {
    /// A call with the organization's API key.
    pub async fn key_call(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(&self.org.operator_key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    /// A member's call with a JSON body (or none).
    pub async fn member_call(
        &self,
        member: &Member,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        self.as_member(method, path, &member.cookie, body.as_ref())
            .await
    }

    /// A member's note on the conversation, stored.
    pub async fn note(
        &self,
        member: &Member,
        conversation: ConversationId,
        text: &str,
        mentions: Value,
    ) -> Message {
        json(
            self.member_call(
                member,
                Method::POST,
                &format!("/v1/operator/conversations/{conversation}/notes"),
                Some(serde_json::json!({"text": text, "mentions": mentions})),
            )
            .await,
            StatusCode::CREATED,
        )
        .await
    }

    /// The conversation's messages as its visitor reads them.
    pub async fn visitor_messages(
        &self,
        visitor: &TestVisitor,
        conversation: ConversationId,
    ) -> Vec<Message> {
        let page: MessagePage = json(
            self.get(
                &format!("/v1/conversations/{conversation}/messages"),
                Some(visitor.token()),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        page.messages
    }

    /// The conversation's messages as the team reads them.
    pub async fn team_messages(&self, conversation: ConversationId) -> Vec<Message> {
        let page: MessagePage = json(
            self.key_call(
                Method::GET,
                &format!("/v1/operator/conversations/{conversation}/messages"),
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        page.messages
    }
}
