//! Loading: verifies the organization, then the stored session, and moves
//! to auth, selection or error.

use echo_protocol::{ErrorCode, OrganizationId};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::UNKNOWN_ORGANIZATION;
use crate::api::{query_param, Api, Describe};
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
            <p class="muted">{move || state.loading_message.get().unwrap_or_else(|| "Loading...".into())}</p>
        </div>
    }
}

async fn load(state: WidgetState, api: Api) {
    let Some(raw) = query_param("organizationId") else {
        return state.fail("Organization ID is required");
    };
    let Some(org) = OrganizationId::parse(&raw) else {
        return state.fail(UNKNOWN_ORGANIZATION);
    };
    state.organization_id.set(Some(org));

    state
        .loading_message
        .set(Some("Verifying organization...".into()));
    match api.widget_config(org).await {
        Ok(config) => {
            apply_brand(&config);
            state.config.set(Some(config))
        }
        Err(e) if e.is(ErrorCode::NotFound) => return state.fail(UNKNOWN_ORGANIZATION),
        Err(e) => return state.fail(e.describe()),
    }

    state
        .loading_message
        .set(Some("Validating session...".into()));
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
