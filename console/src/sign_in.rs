//! Signing in with the organization's operator key (kept in sessionStorage).

use echo_protocol::ErrorCode;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::OperatorApi;
use crate::state::{session_storage, Console, KEY_STORAGE};

#[component]
pub fn SignIn() -> impl IntoView {
    let console = expect_context::<Console>();
    let key = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let candidate = key.get_untracked().trim().to_owned();
        if candidate.is_empty() {
            error.set(Some("Enter your organization's operator key.".into()));
            return;
        }
        pending.set(true);
        spawn_local(async move {
            match OperatorApi::new(candidate.clone()).widget_settings().await {
                Ok(_) => {
                    if let Some(storage) = session_storage() {
                        let _ = storage.set_item(KEY_STORAGE, &candidate);
                    }
                    console.key.set(Some(candidate));
                }
                Err(e) if e.is(ErrorCode::Unauthorized) => {
                    error.set(Some("That key was not accepted.".into()))
                }
                Err(e) => console.toast(e.message()),
            }
            pending.set(false);
        });
    };
    view! {
        <main class="sign-in">
            <form class="card" on:submit=submit>
                <h1>"Echo console"</h1>
                <p class="muted">"Sign in with your organization's operator key."</p>
                <label for="operator-key">"Operator key"</label>
                <input
                    id="operator-key"
                    type="password"
                    autocomplete="off"
                    placeholder="ok_..."
                    prop:value=move || key.get()
                    on:input=move |ev| key.set(event_target_value(&ev))
                    aria-invalid=move || error.get().is_some().to_string()
                    aria-describedby="operator-key-error"
                />
                <p id="operator-key-error" class="error" role="alert">{move || error.get()}</p>
                <button class="primary" type="submit" disabled=move || pending.get()>
                    {move || if pending.get() { "Signing in..." } else { "Sign in" }}
                </button>
            </form>
        </main>
    }
}
