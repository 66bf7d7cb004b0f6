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
        Ok(config) => state.config.set(Some(config)),
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
