//! The operator's own Notifications page: whether new visitor messages are
//! mailed to them while their console is closed.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::auth;
use crate::state::{Auth, Console};

#[component]
pub fn NotificationsView(console: Console) -> impl IntoView {
    let saving = RwSignal::new(false);
    let on = move || console.email_notifications().unwrap_or(false);
    let toggle = move |ev: leptos::ev::Event| {
        let wanted = event_target_checked(&ev);
        saving.set(true);
        spawn_local(async move {
            match auth::set_notifications(wanted).await {
                Ok(saved) => {
                    console.auth.update(|auth| {
                        if let Auth::Session(account) = auth {
                            account.email_notifications = saved.email_notifications;
                        }
                    });
                    console.toast(if saved.email_notifications {
                        "Notification emails are on."
                    } else {
                        "Notification emails are off."
                    });
                }
                Err(e) => console.fail(e),
            }
            saving.set(false);
        });
    };
    view! {
        <main class="page">
            <h2>"Notifications"</h2>
            <label class="toggle">
                <input
                    type="checkbox"
                    prop:checked=on
                    prop:disabled=move || saving.get()
                    on:change=toggle
                />
                " Email me when a visitor writes while my console is closed"
            </label>
            <p class="muted">
                "New conversations, and new messages in conversations a person handles, are mailed to their assignee (or to the whole team while unassigned) once the console has been closed for a while (two minutes unless the server sets otherwise), batched to at most one mail per conversation every ten minutes."
            </p>
        </main>
    }
}
