//! The widget's requests built as browser objects and written by
//! `JSON.stringify`: serde_json's serializer for them costs the wasm more
//! than these few fields. Field names and omissions follow the serde form.

use echo_protocol::contact_sessions::CreateContactSession;
use echo_protocol::conversations::CreateConversation;
use echo_protocol::messages::SendMessage;
use echo_protocol::validate::BrowserMetadata;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsValue;

use crate::http::Body;

/// A request body the browser writes.
pub trait ToJs {
    fn to_js(&self) -> JsValue;
}

impl Body {
    /// `value` as a JSON body, written by the browser.
    pub fn js(value: &impl ToJs) -> Self {
        let text = js_sys::JSON::stringify(&value.to_js())
            .ok()
            .and_then(|t| t.as_string());
        Body::Json(text.unwrap_or_default())
    }
}

/// An object filled field by field; `None` leaves a field out.
struct Fields(Object);

impl Fields {
    fn new() -> Self {
        Fields(Object::new())
    }

    fn set(self, key: &str, value: impl Into<Option<JsValue>>) -> Self {
        if let Some(value) = value.into() {
            let _ = Reflect::set(&self.0, &JsValue::from_str(key), &value);
        }
        self
    }

    fn done(self) -> JsValue {
        self.0.into()
    }
}

fn text(value: &Option<String>) -> Option<JsValue> {
    value.as_deref().map(JsValue::from_str)
}

fn number(value: Option<impl Into<f64>>) -> Option<JsValue> {
    value.map(|v| JsValue::from_f64(v.into()))
}

fn strings<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> JsValue {
    values
        .into_iter()
        .map(|v| JsValue::from_str(v.as_ref()))
        .collect::<Array>()
        .into()
}

impl ToJs for BrowserMetadata {
    fn to_js(&self) -> JsValue {
        Fields::new()
            .set("userAgent", text(&self.user_agent))
            .set("languages", strings(&self.languages))
            .set("platform", text(&self.platform))
            .set("timezone", text(&self.timezone))
            .set("timezoneOffset", number(self.timezone_offset))
            .set("screenWidth", number(self.screen_width))
            .set("screenHeight", number(self.screen_height))
            .set("viewportWidth", number(self.viewport_width))
            .set("viewportHeight", number(self.viewport_height))
            .set("referrer", text(&self.referrer))
            .set("currentUrl", text(&self.current_url))
            .set(
                "cookiesEnabled",
                self.cookies_enabled.map(JsValue::from_bool),
            )
            .done()
    }
}

impl ToJs for CreateContactSession {
    fn to_js(&self) -> JsValue {
        Fields::new()
            .set(
                "organizationId",
                JsValue::from_str(&self.organization_id.to_string()),
            )
            .set("name", JsValue::from_str(&self.name))
            .set("email", JsValue::from_str(&self.email))
            .set("metadata", self.metadata.to_js())
            .set("userId", text(&self.user_id))
            .set("userHash", text(&self.user_hash))
            .done()
    }
}

impl ToJs for CreateConversation {
    fn to_js(&self) -> JsValue {
        Fields::new()
            .set(
                "organizationId",
                JsValue::from_str(&self.organization_id.to_string()),
            )
            .done()
    }
}

impl ToJs for echo_protocol::ratings::RateConversation {
    fn to_js(&self) -> JsValue {
        Fields::new()
            .set("score", JsValue::from(self.score))
            .set("comment", text(&self.comment))
            .done()
    }
}

impl ToJs for SendMessage {
    fn to_js(&self) -> JsValue {
        let files = (!self.attachment_ids.is_empty())
            .then(|| strings(self.attachment_ids.iter().map(|id| id.to_string())));
        Fields::new()
            .set("text", JsValue::from_str(&self.text))
            .set("idempotencyKey", text(&self.idempotency_key))
            .set("attachmentIds", files)
            .done()
    }
}
