//! Talking to the host page's loader (`public/embed.js`) when the widget runs
//! in its iframe. Messages carry no secret; the loader checks their origin.

pub fn is_embedded() -> bool {
    web_sys::window()
        .and_then(|w| w.parent().ok().flatten().map(|p| p != w))
        .unwrap_or(false)
}

/// Asks the loader to close the widget.
pub fn request_close() {
    post(r#"{"type":"echo:close"}"#);
}

fn post(json: &str) {
    if !is_embedded() {
        return;
    }
    if let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) {
        if let Ok(value) = js_sys::JSON::parse(json) {
            let _ = parent.post_message(&value, "*");
        }
    }
}
