//! Echo's operator console: operators sign in with email and password (or
//! accept an invitation link; an API key still works for scripts), pick an
//! organization when they have several, and work an inbox with status and
//! assignee filters that updates live, a conversation view with the
//! visitor's details, assignment, replies, and resolve / escalate / reopen.
//! Admins manage the team and API keys. Errors appear as toasts.
//!
//! # Layout
//!
//! - `main.rs`: mounts the app: sign-in or the workspace, and the toasts.
//! - [`state`]: the console's state ([`state::Console`]) and what changes it.
//! - [`sign_in`]: the sign-in form, the invitation's accept page and the
//!   organization chooser.
//! - [`topbar`]: the top bar (pages, organization switcher, sign-out).
//! - [`team`]: the team page (invite, roles, remove) and the API keys page.
//! - [`inbox`]: the workspace and its live inbox.
//! - [`conversation`]: the open conversation and the reply box.
//! - [`knowledge`]: the knowledge base page (files, upload, search).
//! - [`api`]: every call to the operator API and its event stream.

mod api;
mod conversation;
mod inbox;
mod knowledge;
mod notifications;
mod settings;
mod sign_in;
mod state;
mod team;
mod topbar;

use leptos::prelude::*;

use inbox::Workspace;
use sign_in::{invitation_token, AcceptInvitation, ChooseOrganization, SignIn};
use state::{Auth, Console};

fn main() {
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    let console = Console::new();
    provide_context(console);
    // An invitation link (`#token=...`) opens the accept page first.
    let invitation = RwSignal::new(invitation_token());
    // A link pasted into an open console's address bar changes only the hash.
    let _ = window_event_listener(leptos::ev::hashchange, move |_| {
        if let Some(token) = invitation_token() {
            invitation.set(Some(token));
        }
        if matches!(
            console.auth.get_untracked(),
            Auth::Session(_) | Auth::Key(_)
        ) {
            console.open_linked();
        }
    });
    if console.auth.get_untracked() == Auth::Checking {
        console.check_session();
    }
    // Which screen: only a change of screen (or of the organization acted
    // in) rebuilds it, not every change to the account.
    let screen = Memo::new(move |_| {
        if invitation.get().is_some() {
            return (3, None);
        }
        console.auth.with(|auth| match auth {
            Auth::Checking => (0, None),
            Auth::SignedOut => (1, None),
            Auth::Session(a) if a.active_organization_id.is_none() => (2, None),
            Auth::Session(a) => (4, a.active_organization_id),
            Auth::Key(_) => (4, None),
        })
    });
    view! {
        {move || match screen.get().0 {
            0 => view! { <p class="muted empty">"Loading..."</p> }.into_any(),
            1 => view! { <SignIn/> }.into_any(),
            2 => view! { <ChooseOrganization/> }.into_any(),
            3 => view! { <AcceptInvitation token=invitation/> }.into_any(),
            _ => view! { <Workspace/> }.into_any(),
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
