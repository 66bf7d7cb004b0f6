//! Uploading a file with progress: `fetch` cannot report how much of a
//! request body was sent, so this one call uses `XMLHttpRequest`. The
//! returned request can be aborted (the cancel button).

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{FormData, ProgressEvent, XmlHttpRequest};

use crate::http::ApiError;

/// Posts `file` as the multipart part `file` to `url`. `progress` gets the
/// fraction sent (0 to 1); `done` gets the answer's text or the error,
/// once (not at all after [`XmlHttpRequest::abort`]).
pub fn upload(
    url: &str,
    bearer: Option<&str>,
    file: &web_sys::File,
    progress: impl Fn(f64) + 'static,
    done: impl FnOnce(Result<String, ApiError>) + 'static,
) -> Option<XmlHttpRequest> {
    let xhr = XmlHttpRequest::new().ok()?;
    xhr.open("POST", url).ok()?;
    if let Some(token) = bearer {
        xhr.set_request_header("Authorization", &format!("Bearer {token}"))
            .ok()?;
    }
    let form = FormData::new().ok()?;
    form.append_with_blob_and_filename("file", file, &file.name())
        .ok()?;
    let on_progress = Closure::<dyn Fn(ProgressEvent)>::new(move |event: ProgressEvent| {
        if event.length_computable() && event.total() > 0.0 {
            progress(event.loaded() / event.total());
        }
    });
    xhr.upload()
        .ok()?
        .set_onprogress(Some(on_progress.into_js_value().unchecked_ref()));
    // `load` and `error` share one completion; whichever fires first runs it.
    let done = Rc::new(Cell::new(Some(done)));
    let finish = {
        let xhr = xhr.clone();
        let done = done.clone();
        move |network: bool| {
            let Some(done) = done.take() else { return };
            let text = xhr.response_text().ok().flatten().unwrap_or_default();
            let status = xhr.status().unwrap_or(0);
            done(match (network, status) {
                (true, _) | (_, 0) => Err(ApiError::Network),
                (_, 200..=299) => Ok(text),
                (_, status) => Err(ApiError::from_answer(status, &text)),
            });
        }
    };
    let on_load = {
        let finish = finish.clone();
        Closure::<dyn Fn()>::new(move || finish(false))
    };
    let on_error = Closure::<dyn Fn()>::new(move || finish(true));
    xhr.set_onload(Some(on_load.into_js_value().unchecked_ref()));
    xhr.set_onerror(Some(on_error.into_js_value().unchecked_ref()));
    xhr.send_with_opt_form_data(Some(&form)).ok()?;
    Some(xhr)
}
