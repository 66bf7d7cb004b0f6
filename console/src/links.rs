//! The links mails and the server's log give: a token in the address
//! bar's fragment (never sent to the server in a request line), read once
//! and then taken out of the address bar.

/// The value of `#name=value` in the address bar (an invitation's
/// `token`, a mailed check's `verify`, the first admin's `setup`).
pub fn link_value(name: &str) -> Option<String> {
    let hash = web_sys::window()?.location().hash().ok()?;
    let prefix = format!("{name}=");
    let value = hash
        .trim_start_matches('#')
        .split('&')
        .find_map(|pair| pair.strip_prefix(prefix.as_str()))?;
    (!value.is_empty()).then(|| value.to_owned())
}

/// Takes a link's token out of the address bar (and so out of history).
pub fn forget_link() {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/console/"));
    }
}
