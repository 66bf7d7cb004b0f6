//! Reading the push channel in tests: Server-Sent Event frames from a
//! streamed response, and opening the visitor's and operator's streams.

use echo_protocol::ConversationId;
use reqwest::{Response, StatusCode};

use crate::helpers::TestApp;

/// One Server-Sent Event frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseFrame {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
}

impl SseFrame {
    pub fn live(&self) -> echo_protocol::events::LiveEvent {
        serde_json::from_str(&self.data).unwrap_or_else(|e| panic!("{e}: {}", self.data))
    }
}

/// Reads an event stream frame by frame (comments and heartbeats skipped).
pub struct SseReader {
    response: Response,
    buffer: String,
}

impl SseReader {
    pub fn new(response: Response) -> Self {
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next frame, or `None` when the stream ends or `within` passes.
    pub async fn next_within(&mut self, within: std::time::Duration) -> Option<SseFrame> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut frame = SseFrame {
                    id: None,
                    event: "message".into(),
                    data: String::new(),
                };
                let mut has_field = false;
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        frame.id = Some(v.trim().to_owned());
                        has_field = true;
                    } else if let Some(v) = line.strip_prefix("event:") {
                        frame.event = v.trim().to_owned();
                        has_field = true;
                    } else if let Some(v) = line.strip_prefix("data:") {
                        frame.data.push_str(v.strip_prefix(' ').unwrap_or(v));
                        has_field = true;
                    }
                }
                if has_field {
                    return Some(frame);
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await;
            match chunk {
                Ok(Ok(Some(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }

    /// Whether the server ends the stream within `within` (frames before the
    /// end are skipped).
    pub async fn ends_within(&mut self, within: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Ok(Ok(Some(_))) => continue,
                Ok(Ok(None)) | Ok(Err(_)) => return true,
                Err(_) => return false,
            }
        }
    }

    /// The next frame, which must come within five seconds.
    pub async fn next(&mut self) -> SseFrame {
        self.next_within(std::time::Duration::from_secs(5))
            .await
            .expect("an event within 5 s")
    }
}

impl TestApp {
    /// Opens a visitor's event stream, resuming after `after` if given.
    pub async fn visitor_events(
        &self,
        token: &str,
        conversation: ConversationId,
        after: Option<i64>,
    ) -> SseReader {
        let mut request = self
            .client
            .get(self.url(&format!("/v1/conversations/{conversation}/events")))
            .bearer_auth(token);
        if let Some(position) = after {
            request = request.header("Last-Event-ID", position.to_string());
        }
        SseReader::new(request.send().await.expect("stream opened"))
    }

    pub async fn operator_events(&self, key: &str) -> SseReader {
        let response = self
            .client
            .get(self.url("/v1/operator/events"))
            .bearer_auth(key)
            .send()
            .await
            .expect("stream opened");
        SseReader::new(response)
    }

    /// The operator's stream, resuming after `after`.
    pub async fn operator_events_after(&self, key: &str, after: i64) -> SseReader {
        let response = self
            .client
            .get(self.url("/v1/operator/events"))
            .bearer_auth(key)
            .header("Last-Event-ID", after.to_string())
            .send()
            .await
            .expect("stream opened");
        SseReader::new(response)
    }
}
