//! Auth: the visitor's name and email (validated with the server's own
//! rules), sent with the browser metadata to create a contact session.

use echo_protocol::contact_sessions::CreateContactSession;
use echo_protocol::validate::{Email, ValidationError, VisitorName};
use echo_protocol::ErrorCode;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::header::Header;
use super::UNKNOWN_ORGANIZATION;
use crate::api::{Api, Describe};
use crate::metadata;
use crate::state::{Screen, WidgetState};
use crate::storage;
use echo_web::markdown::Markdown;

/// "Name is required" from the rule's "is required".
fn sentence(label: &str, error: &ValidationError) -> String {
    format!("{label} {}", error.message)
}

/// A server message ("email: must be ...") as a sentence about the field.
fn server_sentence(label: &str, field: &str, message: &str) -> String {
    let rest = message
        .strip_prefix(field)
        .and_then(|m| m.strip_prefix(": "))
        .unwrap_or(message);
    format!("{label} {rest}")
}

#[component]
pub fn AuthScreen() -> impl IntoView {
    let state = WidgetState::get();
    let api = expect_context::<Api>();
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let name_error = RwSignal::new(None::<String>);
    let email_error = RwSignal::new(None::<String>);
    let form_error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);

    // The checks also run on blur, which fires when the focused field is
    // removed with its screen (pressing Enter moves on): by then the
    // signals may be gone, so every access is a `try_`.
    let check_name = move || match VisitorName::parse(&name.try_get_untracked()?) {
        Ok(valid) => {
            name_error.try_set(None);
            Some(valid)
        }
        Err(e) => {
            name_error.try_set(Some(sentence("Name", &e)));
            None
        }
    };
    let check_email = move || match Email::parse(&email.try_get_untracked()?) {
        Ok(valid) => {
            email_error.try_set(None);
            Some(valid)
        }
        Err(e) => {
            email_error.try_set(Some(sentence("Email", &e)));
            None
        }
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let (valid_name, valid_email) = (check_name(), check_email());
        let (Some(valid_name), Some(valid_email)) = (valid_name, valid_email) else {
            return;
        };
        let Some(org) = state.organization_id.get_untracked() else {
            return state.screen.set(Screen::Loading);
        };
        form_error.set(None);
        pending.set(true);
        let api = api.clone();
        spawn_local(async move {
            let request = CreateContactSession {
                organization_id: org,
                name: valid_name.into_inner(),
                email: valid_email.into_inner(),
                metadata: metadata::collect(),
                user_id: None,
                user_hash: None,
            };
            match api.create_session(&request).await {
                Ok(created) => {
                    storage::save_session(org, &created.contact_session_id);
                    state
                        .contact_session
                        .try_set(Some(created.contact_session_id));
                    state.screen.try_set(Screen::Selection);
                }
                Err(e) if e.is(ErrorCode::NotFound) => state.fail(UNKNOWN_ORGANIZATION),
                Err(e) if e.is(ErrorCode::Validation) => {
                    let message = e.describe();
                    match e.field() {
                        Some("name") => {
                            name_error.try_set(Some(server_sentence("Name", "name", &message)));
                        }
                        Some("email") => {
                            email_error.try_set(Some(server_sentence("Email", "email", &message)));
                        }
                        _ => {
                            form_error.try_set(Some(message));
                        }
                    }
                }
                Err(e) => {
                    form_error.try_set(Some(e.describe()));
                }
            }
            pending.try_set(false);
        });
    };

    let greet = move || {
        state
            .config
            .with(|c| c.as_ref().map(|c| c.greet_message.clone()))
            .unwrap_or_default()
    };

    view! {
        <Header subtitle="We typically reply in a few minutes"/>
        <div class="screen scroll">
            <div class="intro">
                <p class="intro-title">"Hi there!"</p>
                {move || view! { <Markdown text=greet() class="muted"/> }}
                <p class="muted">"Let us know who you are to start chatting."</p>
            </div>
            <form class="form" on:submit=submit novalidate=true>
                <div class="field">
                    <label for="echo-name">"Name"</label>
                    <input
                        id="echo-name"
                        type="text"
                        autocomplete="name"
                        placeholder="Jane Doe"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                        on:blur=move |_| { if name.try_with_untracked(|n| !n.is_empty()) == Some(true) { check_name(); } }
                        aria-invalid=move || name_error.get().is_some().to_string()
                        aria-describedby="echo-name-error"
                    />
                    <p id="echo-name-error" class="field-error" role="alert">{move || name_error.get()}</p>
                </div>
                <div class="field">
                    <label for="echo-email">"Email"</label>
                    <input
                        id="echo-email"
                        type="email"
                        autocomplete="email"
                        inputmode="email"
                        placeholder="jane@example.com"
                        prop:value=move || email.get()
                        on:input=move |ev| email.set(event_target_value(&ev))
                        on:blur=move |_| { if email.try_with_untracked(|e| !e.is_empty()) == Some(true) { check_email(); } }
                        aria-invalid=move || email_error.get().is_some().to_string()
                        aria-describedby="echo-email-error"
                    />
                    <p id="echo-email-error" class="field-error" role="alert">{move || email_error.get()}</p>
                </div>
                <p class="form-error" role="alert">{move || form_error.get()}</p>
                <button class="btn primary" type="submit" disabled=move || pending.get()>
                    {move || if pending.get() { "Continuing..." } else { "Continue" }}
                </button>
            </form>
        </div>
    }
}
