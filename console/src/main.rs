//! Echo's operator console: sign in with the organization's operator key
//! (kept in sessionStorage), an inbox with status tabs that updates live, a
//! conversation view with the visitor's details, replies, and resolve /
//! escalate / reopen. Errors appear as toasts.
//!
//! # Layout
//!
//! - `main.rs`: mounts the app: sign-in or the workspace, and the toasts.
//! - [`state`]: the console's state ([`state::Console`]) and what changes it.
//! - [`sign_in`]: the sign-in form.
//! - [`inbox`]: the workspace and its live inbox.
//! - [`conversation`]: the open conversation and the reply box.
//! - [`knowledge`]: the knowledge base page (files, upload, search).
//! - [`api`]: every call to the operator API and its event stream.

mod api;
mod conversation;
mod inbox;
mod knowledge;
mod sign_in;
mod state;

use leptos::prelude::*;

use inbox::Workspace;
use sign_in::SignIn;
use state::{session_storage, Console, Tab, KEY_STORAGE};

fn main() {
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    let console = Console {
        knowledge: RwSignal::new(false),
        key: RwSignal::new(session_storage().and_then(|s| s.get_item(KEY_STORAGE).ok().flatten())),
        tab: RwSignal::new(Tab::Unresolved),
        conversations: RwSignal::new(Vec::new()),
        inbox_version: RwSignal::new(0),
        selected: RwSignal::new(None),
        detail: RwSignal::new(None),
        messages: RwSignal::new(Vec::new()),
        live: RwSignal::new(false),
        toasts: RwSignal::new(Vec::new()),
        plan: RwSignal::new(None),
        assistant_typing: RwSignal::new(false),
    };
    provide_context(console);
    view! {
        {move || if console.key.get().is_some() {
            view! { <Workspace/> }.into_any()
        } else {
            view! { <SignIn/> }.into_any()
        }}
        <div class="toasts" role="status" aria-live="polite">
            <For
                each=move || console.toasts.get()
                key=|(id, _)| *id
                children=|(_, text)| view! { <div class="toast">{text}</div> }
            />
        </div>
    }
}
