//! What the auth screen reports about the visitor's browser.

use echo_protocol::validate::BrowserMetadata;
use wasm_bindgen::JsValue;

use crate::host;

pub fn collect() -> BrowserMetadata {
    let Some(window) = web_sys::window() else {
        return BrowserMetadata::default();
    };
    let navigator = window.navigator();
    let document = window.document();
    let screen = window.screen().ok();
    let languages = navigator
        .languages()
        .iter()
        .filter_map(|l| l.as_string())
        .collect();
    let timezone = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
        .resolved_options();
    let timezone = js_sys::Reflect::get(&timezone, &JsValue::from_str("timeZone"))
        .ok()
        .and_then(|v| v.as_string());
    let px = |v: Result<JsValue, JsValue>| v.ok().and_then(|v| v.as_f64()).map(|v| v as u32);
    let referrer = document
        .as_ref()
        .map(|d| d.referrer())
        .filter(|r| !r.is_empty());
    // Inside the loader's iframe the page the visitor is on is the referrer.
    let current_url = if host::is_embedded() {
        referrer.clone()
    } else {
        window.location().href().ok()
    };
    BrowserMetadata {
        user_agent: navigator.user_agent().ok(),
        languages,
        platform: navigator.platform().ok().filter(|p| !p.is_empty()),
        timezone,
        timezone_offset: Some(js_sys::Date::new_0().get_timezone_offset() as i32),
        screen_width: screen
            .as_ref()
            .and_then(|s| s.width().ok())
            .map(|v| v as u32),
        screen_height: screen
            .as_ref()
            .and_then(|s| s.height().ok())
            .map(|v| v as u32),
        viewport_width: px(window.inner_width()),
        viewport_height: px(window.inner_height()),
        referrer,
        current_url,
        cookies_enabled: js_sys::Reflect::get(&navigator, &JsValue::from_str("cookieEnabled"))
            .ok()
            .and_then(|v| v.as_bool()),
    }
    .truncated()
}
