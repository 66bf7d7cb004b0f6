//! Loading: verifies the organization, then the stored session, and moves
//! to auth, selection or error.

use echo_protocol::validate::{Email, VisitorName};
use echo_protocol::widget::WidgetConfig;
use echo_protocol::{ErrorCode, OrganizationId};
use echo_web::i18n::{t, Msg};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::auth::start_session;
use crate::api::{embedded, query_param, Api, ApiError, Describe};
use crate::host;
use crate::language;
use crate::state::{Screen, WidgetState};
use crate::storage;

#[component]
pub fn LoadingScreen() -> impl IntoView {
    let state = WidgetState::get();
    let api = expect_context::<Api>();
    spawn_local(load(state, api));
    view! {
        <div class="screen center" role="status" aria-live="polite">
            <div class="spinner" aria-hidden="true"></div>
            <p class="muted">{move || state.loading_message.get()}</p>
        </div>
    }
}

async fn load(state: WidgetState, api: Api) {
    let org = query_param("organizationId").map(|raw| OrganizationId::parse(&raw));
    // The catalogue and the settings travel together: neither waits on
    // the other.
    let config = async {
        match org {
            Some(Some(org)) => match embedded("echo-config")
                .and_then(|json| echo_web::js::parse::<WidgetConfig>(&json))
                .filter(|c| c.organization_id == org)
            {
                Some(config) => Ok(config),
                None => api.widget_config(org).await,
            },
            // Not asked: the organization's problem is reported below.
            _ => Err(ApiError::Network),
        }
    };
    // Nor does the loader's word on who the visitor is.
    let ((), config, ()) = futures::future::join3(language::load(), config, host::heard()).await;
    let org = match org {
        None => return state.fail(t(Msg::OrganizationRequired)),
        Some(None) => return state.fail(t(Msg::UnknownOrganization)),
        Some(Some(org)) => org,
    };
    state.organization_id.set(Some(org));
    match config {
        Ok(config) => {
            apply_brand(&config);
            state.config.set(Some(config))
        }
        Err(e) if e.is(ErrorCode::NotFound) => return state.fail(t(Msg::UnknownOrganization)),
        Err(e) => return state.fail(e.describe()),
    }

    state.loading_message.set(Some(t(Msg::Validating).into()));
    let user = host::user();
    if storage::load_user(org) != user.as_ref().map(|u| u.user_id.clone()) {
        // Someone else: another signed-in user, a visitor who has just
        // signed in, or the host has signed its user out.
        storage::forget_session(org);
        let known = user.as_ref().and_then(|u| {
            Some((
                VisitorName::parse(&u.name).ok()?,
                Email::parse(&u.email).ok()?,
            ))
        });
        // A signed-in user with a name and email skips the form.
        if let Some((name, email)) = known {
            match start_session(&api, state, org, name, email, user).await {
                Ok(()) => return,
                Err(e) if e.is(ErrorCode::NotFound) => {
                    return state.fail(t(Msg::UnknownOrganization))
                }
                Err(e) if !e.is(ErrorCode::Validation) => return state.fail(e.describe()),
                Err(_) => {}
            }
        }
        return state.screen.set(Screen::Auth);
    }
    let Some(session) = storage::load_session(org) else {
        return state.screen.set(Screen::Auth);
    };
    match api.current_session(&session).await {
        Ok(current) if current.organization_id == org => {
            state.contact_session.set(Some(session));
            state.screen.set(Screen::Selection);
        }
        Ok(_) => state.session_lost(),
        Err(e) if e.is(ErrorCode::Unauthorized) => state.session_lost(),
        Err(e) => state.fail(e.describe()),
    }
}

/// The organization's accent (unless it kept the default, whose dark-mode
/// variant the stylesheet tunes) and theme, on the page's root element.
/// Through the CSSOM, which a strict `style-src` allows.
fn apply_brand(config: &echo_protocol::widget::WidgetConfig) {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    else {
        return;
    };
    let _ = root.set_attribute("data-theme", config.theme.as_str());
    if config.accent_color != echo_protocol::widget::DEFAULT_ACCENT_COLOR {
        if let Some(root) = wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlElement>(&root) {
            let style = root.style();
            let _ = style.set_property("--accent", &config.accent_color);
            let _ = style.set_property("--accent-text", &config.accent_text_color);
        }
    }
}
