//! Vapi's REST API, as our server calls it with an organization's private
//! key (<https://docs.vapi.ai/api-reference>): `GET /assistant` and
//! `GET /phone-number`, arrays newest first, paged with `limit` and
//! `createdAtLt` (the oldest `createdAt` seen). The base URL is a setting
//! (`ECHO_VAPI_BASE_URL`), so tests and proxies stand in for it.

use std::time::Duration;

use echo_protocol::plugins::{VapiAssistant, VapiPhoneNumber};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Vapi's base URL unless set otherwise.
pub const DEFAULT_BASE_URL: &str = "https://api.vapi.ai";
/// Every call answers within this, or counts as Vapi unavailable.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// Items per page asked for (Vapi allows up to 1,000).
const PAGE: usize = 100;
/// At most this many pages of a list (10,000 items).
const MAX_PAGES: usize = 100;

/// Why a call to Vapi failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VapiError {
    /// Vapi refused the key (401 or 403).
    Rejected,
    /// Vapi did not answer in time, failed, or answered something else.
    Unavailable(String),
}

#[derive(Clone)]
pub struct Vapi {
    base: String,
    client: reqwest::Client,
}

impl std::fmt::Debug for Vapi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Vapi({})", self.base)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    number: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
}

impl Vapi {
    pub fn new(base: &str) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            client,
        })
    }

    /// One page of `path`, items older than `before` when given.
    async fn page(
        &self,
        key: &SecretString,
        path: &str,
        limit: usize,
        before: Option<&str>,
    ) -> Result<Vec<Item>, VapiError> {
        let mut url = format!("{}{path}?limit={limit}", self.base);
        if let Some(before) = before {
            url.push_str("&createdAtLt=");
            url.push_str(&urlencoding(before));
        }
        json_answer(self.client.get(&url).bearer_auth(key.expose_secret())).await
    }

    /// Every item of `path`, page by page.
    async fn all(&self, key: &SecretString, path: &str) -> Result<Vec<Item>, VapiError> {
        let mut items: Vec<Item> = Vec::new();
        for _ in 0..MAX_PAGES {
            let before = items.last().and_then(|i| i.created_at.clone());
            if !items.is_empty() && before.is_none() {
                break;
            }
            let page = self.page(key, path, PAGE, before.as_deref()).await?;
            let full = page.len() == PAGE;
            // A page that repeats what was seen ends the walk (a server
            // that ignores `createdAtLt` cannot loop us).
            let fresh: Vec<Item> = page
                .into_iter()
                .filter(|i| !items.iter().any(|seen| seen.id == i.id))
                .collect();
            let progressed = !fresh.is_empty();
            items.extend(fresh);
            if !full || !progressed {
                break;
            }
        }
        Ok(items)
    }

    /// Whether Vapi takes the key (one small list).
    pub async fn check(&self, key: &SecretString) -> Result<(), VapiError> {
        self.page(key, "/assistant", 1, None).await.map(|_| ())
    }

    pub async fn assistants(&self, key: &SecretString) -> Result<Vec<VapiAssistant>, VapiError> {
        Ok(self
            .all(key, "/assistant")
            .await?
            .into_iter()
            .map(|i| VapiAssistant {
                id: i.id,
                name: i.name,
            })
            .collect())
    }

    pub async fn phone_numbers(
        &self,
        key: &SecretString,
    ) -> Result<Vec<VapiPhoneNumber>, VapiError> {
        Ok(self
            .all(key, "/phone-number")
            .await?
            .into_iter()
            .map(|i| VapiPhoneNumber {
                id: i.id,
                number: i.number,
                name: i.name,
            })
            .collect())
    }
}

/// What our server asks of Vapi for a web call.
#[derive(Debug, Clone)]
pub struct CallRequest<'a> {
    pub assistant_id: &'a str,
    /// Our webhook, and the secret Vapi sends back with each server message.
    pub webhook_url: &'a str,
    pub webhook_secret: &'a str,
    pub max_duration_seconds: u64,
    pub sample_rate: u32,
    /// Kept on the call (what it belongs to, for people reading Vapi's logs).
    pub metadata: serde_json::Value,
}

/// A call Vapi made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MadeCall {
    pub id: String,
    pub socket_url: String,
    pub control_url: Option<String>,
}

/// The server messages our webhook asks for.
pub const SERVER_MESSAGES: [&str; 4] = [
    "transcript",
    "speech-update",
    "status-update",
    "end-of-call-report",
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CallAnswer {
    id: String,
    #[serde(default)]
    transport: Option<TransportAnswer>,
    #[serde(default)]
    monitor: Option<MonitorAnswer>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TransportAnswer {
    #[serde(default)]
    websocket_call_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MonitorAnswer {
    #[serde(default)]
    control_url: Option<String>,
}

impl Vapi {
    /// `POST /call` with the WebSocket transport
    /// (<https://docs.vapi.ai/calls/websocket-transport>): raw 16-bit PCM,
    /// our webhook and secret on the assistant's `server`.
    pub async fn create_call(
        &self,
        key: &SecretString,
        call: CallRequest<'_>,
    ) -> Result<MadeCall, VapiError> {
        let body = serde_json::json!({
            "assistantId": call.assistant_id,
            "assistantOverrides": {
                "server": { "url": call.webhook_url, "secret": call.webhook_secret },
                "serverMessages": SERVER_MESSAGES,
                "maxDurationSeconds": call.max_duration_seconds,
            },
            "metadata": call.metadata,
            "transport": {
                "provider": "vapi.websocket",
                "audioFormat": {
                    "format": "pcm_s16le",
                    "container": "raw",
                    "sampleRate": call.sample_rate,
                },
            },
        });
        let request = self
            .client
            .post(format!("{}/call", self.base))
            .bearer_auth(key.expose_secret())
            .json(&body);
        let answer: CallAnswer = json_answer(request).await?;
        let socket_url = answer
            .transport
            .and_then(|t| t.websocket_call_url)
            .ok_or_else(|| VapiError::Unavailable("Vapi named no call socket".into()))?;
        Ok(MadeCall {
            id: answer.id,
            socket_url,
            control_url: answer.monitor.and_then(|m| m.control_url),
        })
    }

    /// Ends a live call through its control URL
    /// (<https://docs.vapi.ai/calls/call-features>: `{"type": "end-call"}`).
    pub async fn end_call(&self, control_url: &str) -> Result<(), VapiError> {
        let response = self
            .client
            .post(control_url)
            .json(&serde_json::json!({ "type": "end-call" }))
            .send()
            .await
            .map_err(|e| VapiError::Unavailable(without_url(e)))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(VapiError::Unavailable(format!(
                "Vapi answered {}",
                response.status().as_u16()
            )))
        }
    }

    /// The origin (`wss://host[:port]`) of call sockets at this Vapi: the
    /// base URL's host, `https` as `wss` (`http` as `ws` for a local
    /// stand-in).
    pub fn socket_origin(&self) -> String {
        socket_origin_of(&self.base)
    }
}

/// Sends a request made with the organization's key and reads its JSON
/// answer: a refused key is `Rejected`, anything else that is not a
/// success `Unavailable`.
async fn json_answer<T: serde::de::DeserializeOwned>(
    request: reqwest::RequestBuilder,
) -> Result<T, VapiError> {
    let response = request
        .send()
        .await
        .map_err(|e| VapiError::Unavailable(without_url(e)))?;
    match response.status().as_u16() {
        200..=299 => {}
        401 | 403 => return Err(VapiError::Rejected),
        status => return Err(VapiError::Unavailable(format!("Vapi answered {status}"))),
    }
    response
        .json()
        .await
        .map_err(|e| VapiError::Unavailable(without_url(e)))
}

/// See [`Vapi::socket_origin`].
pub fn socket_origin_of(base: &str) -> String {
    let (scheme, rest) = match base.split_once("://") {
        Some(("http", rest)) => ("ws", rest),
        Some((_, rest)) => ("wss", rest),
        None => ("wss", base),
    };
    let host = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{host}")
}

/// A request error's words without its URL (which holds nothing secret,
/// but the key is never in it either way: it is a header).
fn without_url(error: reqwest::Error) -> String {
    if error.is_timeout() {
        return "Vapi did not answer within 5 seconds".into();
    }
    error.without_url().to_string()
}

fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
