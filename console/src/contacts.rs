//! A visitor's data on request (admins, on the Security page): export
//! everything stored about them as a JSON file, or erase it, which asks to
//! type the email or user ID again since it cannot be undone.

use echo_protocol::trust::ContactKey;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::state::Console;

fn key(by_user: bool, value: &str) -> ContactKey {
    let value = value.trim().to_owned();
    if by_user {
        ContactKey {
            user_id: Some(value),
            ..Default::default()
        }
    } else {
        ContactKey {
            email: Some(value),
            ..Default::default()
        }
    }
}

/// Saves `text` (of `content_type`) as a file the browser downloads.
pub(crate) fn download(name: &str, text: &str, content_type: &str) -> Option<()> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(content_type);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
    let document = web_sys::window()?.document()?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a").ok()?.dyn_into().ok()?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Some(())
}

#[component]
pub fn VisitorData(console: Console) -> impl IntoView {
    let by_user = RwSignal::new(false);
    let value = RwSignal::new(String::new());
    let confirming = RwSignal::new(false);
    let typed = RwSignal::new(String::new());
    let result = RwSignal::new(None::<String>);
    let export = move |_| {
        let Some(api) = console.api() else { return };
        let (user, text) = (by_user.get_untracked(), value.get_untracked());
        if text.trim().is_empty() {
            return;
        }
        spawn_local(async move {
            match api.export_contact(&key(user, &text)).await {
                Ok(json) => {
                    download("visitor-data.json", &json, "application/json");
                    result.set(Some("Exported: the file is in your downloads.".into()));
                }
                Err(e) => console.fail(e),
            }
        });
    };
    let erase = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(api) = console.api() else { return };
        let (user, text) = (by_user.get_untracked(), value.get_untracked());
        spawn_local(async move {
            match api.erase_contact(&key(user, &text)).await {
                Ok(erased) => {
                    result.set(Some(format!(
                        "Erased {} conversations, {} messages, {} attachments, {} mails and {} sessions.",
                        erased.conversations, erased.messages, erased.attachments, erased.mails, erased.sessions
                    )));
                    confirming.set(false);
                    typed.set(String::new());
                }
                Err(e) => console.fail(e),
            }
        });
    };
    let matches = move || {
        let wanted = value.get();
        !wanted.trim().is_empty() && typed.get().trim() == wanted.trim()
    };
    view! {
        <h3 id="visitor-data-title">"A visitor's data"</h3>
        <p class="muted">"Answer a visitor's request to see or delete what you hold about them: their sessions, conversations, messages and files in this organization."</p>
        <div class="visitor-data" role="group" aria-labelledby="visitor-data-title">
            <label for="visitor-by">"Find by"</label>
            <select id="visitor-by" class="retention" on:change=move |ev| by_user.set(event_target_value(&ev) == "user")>
                <option value="email">"Email"</option>
                <option value="user">"User ID (signed-in visitors)"</option>
            </select>
            <label for="visitor-value">{move || if by_user.get() { "User ID" } else { "Email" }}</label>
            <input id="visitor-value" prop:value=move || value.get()
                on:input=move |ev| { value.set(event_target_value(&ev)); confirming.set(false); } />
            <div class="actions-row">
                <button on:click=export disabled=move || value.get().trim().is_empty()>"Export"</button>
                <button class="danger" on:click=move |_| confirming.set(true) disabled=move || value.get().trim().is_empty()>"Erase..."</button>
            </div>
            <Show when=move || confirming.get()>
                <form class="confirm-erase" on:submit=erase>
                    <label for="erase-confirm">{move || format!("This deletes everything about {} and cannot be undone. Type it again to confirm.", value.get().trim())}</label>
                    <input id="erase-confirm" autocomplete="off" prop:value=move || typed.get()
                        on:input=move |ev| typed.set(event_target_value(&ev)) />
                    <button class="danger" type="submit" disabled=move || !matches()>"Erase everything"</button>
                </form>
            </Show>
            <p class="muted" role="status">{move || result.get()}</p>
        </div>
    }
}
