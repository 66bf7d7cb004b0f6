use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

pub(crate) async fn promise_to_void_future(promise: Promise) -> Result<(), JsValue> {
    let js_value = JsFuture::from(promise).await?;
    debug_assert!(js_value.is_undefined());
    let _ = js_value;
    Ok(())
}

pub(crate) fn clamp_to_u32(value: usize) -> u32 {
    let wrapped = value as u32;
    let overflow = value != (wrapped as usize);
    if overflow {
        u32::MAX
    } else {
        wrapped
    }
}

pub(crate) fn clamp_to_usize(value: u32) -> usize {
    let wrapped = value as usize;
    let overflow = value != (wrapped as u32);
    if overflow {
        usize::MAX
    } else {
        wrapped
    }
}

pub(crate) fn checked_cast_to_u32(value: usize) -> u32 {
    let wrapped = value as u32;
    debug_assert_eq!(value, wrapped as usize);
    wrapped
}

pub(crate) fn checked_cast_to_usize(value: u32) -> usize {
    let wrapped = value as usize;
    debug_assert_eq!(value, wrapped as u32);
    wrapped
}

pub(crate) fn js_to_io_error(js_value: JsValue) -> std::io::Error {
    let message = js_to_string(&js_value).unwrap_or_else(|| "Unknown error".to_string());
    std::io::Error::other(message)
}

fn js_to_string(js_value: &JsValue) -> Option<String> {
    js_value.as_string().or_else(|| {
        js_sys::Object::try_from(js_value)
            .map(|js_object| js_object.to_string().as_string().unwrap_throw())
    })
}

/// A plain JS object whose methods are closures. The crate's underlying
/// sources and sink are built this way instead of as `#[wasm_bindgen]`
/// structs: wasm-bindgen exports every method of such a struct from any
/// wasm that links the crate, used or not, and an app that never builds a
/// stream from Rust (server_fn links this crate into every Leptos app)
/// still carried them and their JS classes. Closures exist only when made.
pub(crate) struct JsObject(js_sys::Object);

impl JsObject {
    pub(crate) fn new() -> Self {
        JsObject(js_sys::Object::new())
    }

    pub(crate) fn set(self, name: &str, value: &wasm_bindgen::JsValue) -> Self {
        // Setting a property of a plain object cannot fail.
        let _ = js_sys::Reflect::set(&self.0, &name.into(), value);
        self
    }

    /// `f` as the method `name`, owned by JS from now on (freed with it).
    pub(crate) fn method<F>(self, name: &str, f: wasm_bindgen::closure::Closure<F>) -> Self
    where
        F: ?Sized + wasm_bindgen::closure::WasmClosure,
    {
        self.set(name, &f.into_js_value())
    }

    pub(crate) fn into_js(self) -> wasm_bindgen::JsValue {
        self.0.into()
    }
}
