//! Auth: the visitor's name and email (validated with the server's own
//! rules), sent with the browser metadata to create a contact session.

use echo_protocol::contact_sessions::CreateContactSession;
use echo_protocol::validate::{Email, VisitorName};
use echo_protocol::{ErrorCode, OrganizationId};
use echo_web::i18n::{language, t, tf, Msg};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::header::Header;
use crate::api::{Api, ApiError, Describe};
use crate::host::{self, HostUser};
use crate::metadata;
use crate::state::{Screen, WidgetState};
use crate::storage;
use echo_web::markdown::Markdown;

/// A broken rule of the name or email field, as a sentence in the
/// visitor's language. The rules' own words (from the server or the
/// shared validators) are English: the common ones have their own
/// messages, the rest (control characters in a name) keep the English
/// sentence for English and a general one otherwise.
fn problem(field: &str, message: &str) -> String {
    let message = message
        .strip_prefix(field)
        .and_then(|m| m.strip_prefix(": "))
        .unwrap_or(message);
    let email = field == "email";
    let (required, too_long, max) = if email {
        (Msg::EmailRequired, Msg::EmailTooLong, Email::MAX_CHARS)
    } else {
        (Msg::NameRequired, Msg::NameTooLong, VisitorName::MAX_CHARS)
    };
    if message == "is required" {
        t(required).into()
    } else if message.starts_with("must be at most") {
        tf(too_long, &max.to_string())
    } else if email {
        t(Msg::EmailInvalid).into()
    } else if language() == "en" {
        format!("{} {message}", t(Msg::Name))
    } else {
        t(Msg::CheckInput).into()
    }
}

/// Creates the visitor's session (a verified one when the host page
/// passed its signed-in user), keeps it, and moves on to selection.
pub async fn start_session(
    api: &Api,
    state: WidgetState,
    org: OrganizationId,
    name: VisitorName,
    email: Email,
    user: Option<HostUser>,
) -> Result<(), ApiError> {
    let (user_id, user_hash) = user.map(|u| (u.user_id, u.user_hash)).unzip();
    let mut request = CreateContactSession {
        organization_id: org,
        name: name.into_inner(),
        email: email.into_inner(),
        metadata: metadata::collect(),
        user_id,
        user_hash,
    };
    let created = match api.create_session(&request).await {
        // The host's hash is missing or wrong (verification not set up
        // yet, or a stale secret): the visitor can still chat, as an
        // unverified one; the console tells the site's developer.
        Err(e) if e.is(ErrorCode::IdentityVerificationFailed) => {
            leptos::logging::warn!("Echo: user could not be verified (userHash missing or wrong)");
            host::drop_user();
            (request.user_id, request.user_hash) = (None, None);
            api.create_session(&request).await?
        }
        created => created?,
    };
    storage::save_session(org, &created.contact_session_id, request.user_id.as_deref());
    state
        .contact_session
        .try_set(Some(created.contact_session_id));
    state.screen.try_set(Screen::Selection);
    Ok(())
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
            name_error.try_set(Some(problem("name", &e.message)));
            None
        }
    };
    let check_email = move || match Email::parse(&email.try_get_untracked()?) {
        Ok(valid) => {
            email_error.try_set(None);
            Some(valid)
        }
        Err(e) => {
            email_error.try_set(Some(problem("email", &e.message)));
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
            let user = host::user();
            let made = start_session(&api, state, org, valid_name, valid_email, user).await;
            match made {
                Ok(()) => {}
                Err(e) if e.is(ErrorCode::NotFound) => state.fail(t(Msg::UnknownOrganization)),
                Err(e) if e.is(ErrorCode::Validation) => match e.field() {
                    Some("name") => {
                        name_error.try_set(Some(problem("name", e.message())));
                    }
                    Some("email") => {
                        email_error.try_set(Some(problem("email", e.message())));
                    }
                    // Another field's words are for a developer, not the
                    // visitor.
                    _ => {
                        form_error.try_set(Some(t(Msg::CheckInput).into()));
                    }
                },
                Err(e) => {
                    form_error.try_set(Some(e.describe()));
                }
            }
            pending.try_set(false);
        });
    };

    host::focus_first_field();

    let greet = move || {
        state
            .config
            .with(|c| c.as_ref().map(|c| c.greet_message.clone()))
            .unwrap_or_default()
    };

    let closed = move || {
        state
            .config
            .with(|c| c.as_ref().is_some_and(|c| !c.availability.open))
    };
    view! {
        <Header/>
        <div class="screen scroll">
            <div class="intro">
                <p class="intro-title">{t(Msg::HiThere)}</p>
                {move || view! { <Markdown text=greet() class="muted"/> }}
                <p class="muted">{move || t(if closed() { Msg::IntroduceAway } else { Msg::Introduce })}</p>
            </div>
            <form class="form" on:submit=submit novalidate=true>
                <div class="field">
                    <label for="echo-name">{t(Msg::Name)}</label>
                    <input
                        id="echo-name"
                        type="text"
                        autocomplete="name"
                        placeholder=t(Msg::NamePlaceholder)
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                        on:blur=move |_| { if name.try_with_untracked(|n| !n.is_empty()) == Some(true) { check_name(); } }
                        aria-invalid=move || name_error.get().is_some().to_string()
                        aria-describedby="echo-name-error"
                    />
                    <p id="echo-name-error" class="field-error" role="alert">{move || name_error.get()}</p>
                </div>
                <div class="field">
                    <label for="echo-email">{t(Msg::Email)}</label>
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
                    {move || t(if pending.get() { Msg::Continuing } else { Msg::Continue })}
                </button>
            </form>
        </div>
    }
}
