//! The widget's end of the push channel: Server-Sent Events read from a
//! streamed `fetch` (so the session stays in the `Authorization` header),
//! parsed frame by frame by `echo_protocol::sse`.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::ReadableStreamDefaultReader;

/// The next chunk of the body, or `None` at its end (or on an error).
pub async fn read_chunk(reader: &ReadableStreamDefaultReader) -> Option<Vec<u8>> {
    let result = JsFuture::from(reader.read()).await.ok()?;
    let done = js_sys::Reflect::get(&result, &JsValue::from_str("done"))
        .ok()?
        .as_bool()
        .unwrap_or(true);
    if done {
        return None;
    }
    let value = js_sys::Reflect::get(&result, &JsValue::from_str("value")).ok()?;
    Some(value.dyn_into::<js_sys::Uint8Array>().ok()?.to_vec())
}

/// Waits `ms` milliseconds.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// A fresh idempotency key for a message (not a secret, just unique).
pub fn new_key() -> String {
    let random = || (js_sys::Math::random() * 4_294_967_296.0) as u32;
    format!(
        "{:x}-{:08x}{:08x}{:08x}",
        js_sys::Date::now() as u64,
        random(),
        random(),
        random()
    )
}
