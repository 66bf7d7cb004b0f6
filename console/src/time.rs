//! Times as the operator reads them: in their locale and time zone.

use echo_protocol::Timestamp;
use wasm_bindgen::JsValue;

fn date(at: Timestamp) -> js_sys::Date {
    js_sys::Date::new(&JsValue::from_f64(at.millis() as f64))
}

/// Date and time.
pub fn local_time(at: Timestamp) -> String {
    date(at)
        .to_locale_string("default", &JsValue::UNDEFINED)
        .into()
}

/// The date alone.
pub fn local_date(at: Timestamp) -> String {
    date(at)
        .to_locale_date_string("default", &JsValue::UNDEFINED)
        .into()
}
