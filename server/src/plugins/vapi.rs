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
        let response = self
            .client
            .get(&url)
            .bearer_auth(key.expose_secret())
            .send()
            .await
            .map_err(|e| VapiError::Unavailable(without_url(e)))?;
        match response.status().as_u16() {
            200..=299 => {}
            401 | 403 => return Err(VapiError::Rejected),
            status => return Err(VapiError::Unavailable(format!("Vapi answered {status}"))),
        }
        response
            .json::<Vec<Item>>()
            .await
            .map_err(|e| VapiError::Unavailable(without_url(e)))
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
