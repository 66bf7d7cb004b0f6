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
    if let Ok(value) = js_sys::JSON::parse(json) {
        post_value(&value);
    }
}

fn post_value(value: &wasm_bindgen::JsValue) {
    if !is_embedded() {
        return;
    }
    if let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) {
        let _ = parent.post_message(value, "*");
    }
}

thread_local! {
    static VISIBLE: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
    static UNREAD: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Follows the loader's `echo:visibility` messages, so replies that arrive
/// while the panel is closed are counted on the launcher.
pub fn track_visibility() {
    if !is_embedded() {
        return;
    }
    let parent = web_sys::window().and_then(|w| w.parent().ok().flatten());
    let listener = leptos::prelude::window_event_listener(leptos::ev::message, move |event| {
        let from_parent = match (&parent, event.source()) {
            (Some(parent), Some(source)) => {
                let source: wasm_bindgen::JsValue = source.into();
                wasm_bindgen::JsValue::from(parent.clone()) == source
            }
            _ => false,
        };
        if !from_parent {
            return;
        }
        let data = event.data();
        let field = |name: &str| js_sys::Reflect::get(&data, &name.into()).ok();
        if field("type").and_then(|t| t.as_string()).as_deref() == Some("echo:visibility") {
            let open = field("open").and_then(|o| o.as_bool()).unwrap_or(true);
            VISIBLE.with(|v| v.set(open));
            if open {
                set_unread(0);
            }
        }
    });
    // Lives as long as the page.
    std::mem::forget(listener);
}

/// A message from the assistant or an operator arrived live: the host
/// page's `message` listeners hear who wrote it and what (built as an
/// object, so the text needs no escaping), and a closed panel counts it.
pub fn note_incoming(author: &str, text: &str) {
    if !is_embedded() {
        return;
    }
    let event = js_sys::Object::new();
    let set = |key: &str, value: &str| {
        let _ = js_sys::Reflect::set(&event, &key.into(), &value.into());
    };
    set("type", "echo:message");
    set("authorName", author);
    set("text", text);
    post_value(&event);
    if !VISIBLE.with(|v| v.get()) {
        set_unread(UNREAD.with(|u| u.get()) + 1);
    }
}

fn set_unread(count: u32) {
    UNREAD.with(|u| u.set(count));
    post(&format!(r#"{{"type":"echo:unread","count":{count}}}"#));
}
