//! Reading what the browser's `JSON.parse` made, field by field. The widget
//! decodes its answers this way ([`FromJs`]): serde's derived decoders,
//! with serde-wasm-bindgen's, cost its wasm several times more. Anything
//! missing or of the wrong type is `None`, never a panic.

use js_sys::{Array, Reflect};
use wasm_bindgen::JsValue;

/// A value decoded from parsed JSON.
pub trait FromJs: Sized {
    fn from_js(value: &JsValue) -> Option<Self>;
}

/// `text` parsed by the browser, then decoded.
pub fn parse<T: FromJs>(text: &str) -> Option<T> {
    T::from_js(&js_sys::JSON::parse(text).ok()?)
}

/// The field `key` (undefined when absent or `value` is no object).
pub fn field(value: &JsValue, key: &str) -> JsValue {
    if !value.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

pub fn string(value: &JsValue, key: &str) -> Option<String> {
    field(value, key).as_string()
}

/// A whole number (JSON's numbers are doubles; anything else is refused).
pub fn integer(value: &JsValue, key: &str) -> Option<i64> {
    let number = field(value, key).as_f64()?;
    (number.fract() == 0.0 && number.abs() < 9.0e15).then_some(number as i64)
}

/// `Some(None)` when the field is absent or null; `None` when it is there
/// but undecodable.
pub fn optional<T: FromJs>(value: &JsValue, key: &str) -> Option<Option<T>> {
    let inner = field(value, key);
    if inner.is_null() || inner.is_undefined() {
        return Some(None);
    }
    T::from_js(&inner).map(Some)
}

/// A list field; absent is empty.
pub fn list<T: FromJs>(value: &JsValue, key: &str) -> Option<Vec<T>> {
    let inner = field(value, key);
    if inner.is_undefined() {
        return Some(Vec::new());
    }
    Vec::from_js(&inner)
}

impl<T: FromJs> FromJs for Vec<T> {
    fn from_js(value: &JsValue) -> Option<Self> {
        if !Array::is_array(value) {
            return None;
        }
        Array::from(value)
            .iter()
            .map(|item| T::from_js(&item))
            .collect()
    }
}

impl FromJs for String {
    fn from_js(value: &JsValue) -> Option<Self> {
        value.as_string()
    }
}
