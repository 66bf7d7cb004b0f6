//! A scripted OpenAI-compatible chat-completions server for tests: real HTTP
//! on a random port, answers taken from a script in order, every request
//! recorded.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub enum Answer {
    /// A normal completion with this text.
    Text(String),
    /// An error status with an OpenAI-style error body.
    Status(u16),
    /// The text, after a delay (to trip timeouts).
    Slow(Duration, String),
    /// A call of the named tool with these JSON arguments.
    Tool(&'static str, Value),
}

#[derive(Default)]
struct Script {
    answers: VecDeque<Answer>,
    requests: Vec<Value>,
}

#[derive(Clone)]
pub struct ScriptedLlm {
    script: Arc<Mutex<Script>>,
    pub base_url: String,
}

impl ScriptedLlm {
    pub async fn start(answers: impl IntoIterator<Item = Answer>) -> Self {
        let script = Arc::new(Mutex::new(Script {
            answers: answers.into_iter().collect(),
            requests: Vec::new(),
        }));
        let app = Router::new()
            .route("/v1/chat/completions", post(complete))
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { script, base_url }
    }

    /// Waits (polling, with a deadline) until `n` requests have arrived.
    pub async fn wait_for_requests(&self, n: usize) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let requests = self.requests();
            if requests.len() >= n {
                return requests;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "expected {n} model requests, got {}",
                requests.len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The bodies of the requests received so far.
    pub fn requests(&self) -> Vec<Value> {
        self.script.lock().unwrap().requests.clone()
    }
}

async fn complete(State(script): State<Arc<Mutex<Script>>>, Json(body): Json<Value>) -> Response {
    let answer = {
        let mut script = script.lock().unwrap();
        script.requests.push(body);
        script.answers.pop_front().unwrap_or(Answer::Status(500))
    };
    let message = match answer {
        Answer::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap();
            let error = json!({"error": {"message": "scripted failure", "type": "server_error", "param": null, "code": null}});
            return (status, Json(error)).into_response();
        }
        Answer::Slow(delay, text) => {
            tokio::time::sleep(delay).await;
            json!({"role": "assistant", "content": text, "refusal": null})
        }
        Answer::Text(text) => json!({"role": "assistant", "content": text, "refusal": null}),
        Answer::Tool(name, arguments) => json!({
            "role": "assistant",
            "content": null,
            "refusal": null,
            "tool_calls": [{
                "id": format!("call_{name}"),
                "type": "function",
                "function": {"name": name, "arguments": arguments.to_string()}
            }]
        }),
    };
    Json(json!({
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": 1,
        "model": "scripted-model",
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": "stop"
        }],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    }))
    .into_response()
}
