//! Echo's operator console: operators sign in with email and password (or
//! accept an invitation link; an API key still works for scripts), pick an
//! organization when they have several, and work an inbox with status and
//! assignee filters that updates live, a conversation view with the
//! visitor's details, assignment, replies, and resolve / escalate / reopen.
//! The desk: saved replies, private notes with mentions, labels, bulk
//! changes, search, the visitor's context, typing both ways and keyboard
//! shortcuts. Admins manage the team and API keys. Errors appear as
//! toasts.
//!
//! # Layout
//!
//! - `main.rs`: mounts the app: sign-in or the workspace, and the toasts.
//!   It makes the one [`state::Console`] and hands it to every view.
//! - [`model`]: the pure part: the page (the inbox's carries its open
//!   conversation), the inbox's filters, how an event changes its rows.
//! - [`state`]: the console's state and what changes it; [`live`] follows
//!   the push stream into it.
//! - [`sign_in`]: the sign-in form, the invitation's accept page and the
//!   organization chooser.
//! - [`shell`]: the workspace's frame: the [`topbar`] and the page shown.
//! - [`inbox`]: the inbox page: search, filters, live rows (ticked for
//!   the [`bulk`] bar), the open conversation.
//! - [`conversation`]: the open conversation; [`composer`]: its reply
//!   box (replies, notes, saved replies, mentions); [`context`]: who the
//!   visitor is. [`suggest`]: what the reply box offers, pure.
//! - [`desk_state`] and [`desk_api`]: the desk's state and calls;
//!   [`search`], [`labels`], [`mentions`], [`saved_replies`]: its parts
//!   and pages; [`keys`]: the keyboard shortcuts.
//! - [`team`]: the team page (invite, roles, remove) and the API keys page.
//! - [`two_factor`]: the sign-in code step, the operator's own two-factor
//!   page and the set-up screen an organization can require; [`audit`]:
//!   the organization's security settings and audit log; [`contacts`]: a
//!   visitor's data exported or erased; [`trust_api`]:
//!   their calls.
//! - [`sign_up`]: sign-up, the first admin of an empty server, the mailed
//!   email check and its banner; [`install`]: the Install and Plan pages;
//!   [`onboarding_api`]: their calls.
//! - [`hours`]: the Business hours page and its calls.
//! - [`knowledge`], [`settings`], [`notifications`]: the other pages.
//! - [`api`]: every call to the operator API and its event stream.
//!
//! Imports run one way: views -> state -> api -> model.

mod api;
mod audit;
mod bulk;
mod composer;
mod contacts;
mod context;
mod conversation;
mod desk_api;
mod desk_state;
mod hours;
mod inbox;
mod install;
mod keys;
mod knowledge;
mod labels;
mod links;
mod live;
mod mentions;
mod model;
mod notifications;
mod onboarding_api;
mod plugins;
mod ratings;
mod report_chart;
mod reports;
mod saved_replies;
mod search;
mod settings;
mod shell;
mod sign_in;
mod sign_up;
mod state;
mod suggest;
mod team;
mod time;
mod topbar;
mod trust_api;
mod two_factor;
mod voice;

use leptos::prelude::*;

use links::link_value;
use shell::Workspace;
use sign_in::{AcceptInvitation, ChooseOrganization, SignIn};
use state::{Auth, Console};

fn main() {
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    let console = Console::new();
    // An invitation link (`#token=...`) opens the accept page first.
    let invitation = RwSignal::new(link_value("token"));
    // A link pasted into an open console's address bar changes only the hash.
    sign_up::verify_from_link(console);
    let _ = window_event_listener(leptos::ev::hashchange, move |_| {
        sign_up::verify_from_link(console);
        if let Some(token) = link_value("token") {
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
            Auth::Session(a) if a.two_factor_required => (5, a.active_organization_id),
            Auth::Session(a) => (4, a.active_organization_id),
            Auth::Key(_) => (4, None),
        })
    });
    view! {
        {move || match screen.get().0 {
            0 => view! { <p class="muted empty">"Loading..."</p> }.into_any(),
            1 => view! { <SignIn console/> }.into_any(),
            2 => view! { <ChooseOrganization console/> }.into_any(),
            3 => view! { <AcceptInvitation console token=invitation/> }.into_any(),
            5 => view! { <two_factor::RequiredScreen console/> }.into_any(),
            _ => view! { <Workspace console/> }.into_any(),
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
