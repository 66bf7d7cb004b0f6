//! The root component: provides the shared state and the API client, and
//! shows the screen the state machine is on.

use leptos::prelude::*;

use crate::api::Api;
use crate::host;
use crate::later;
use crate::screens::{AuthScreen, ErrorScreen, LoadingScreen};
use crate::state::{Screen, WidgetState};

#[component]
pub fn App() -> impl IntoView {
    let state = WidgetState::provide();
    let api = Api::from_location();
    provide_context(api.clone());
    // Key events inside the iframe never reach the host page, so the widget
    // forwards Escape to the loader itself.
    let escape = window_event_listener(leptos::ev::keydown, |ev| {
        if ev.key() == "Escape" {
            host::request_close();
        }
    });
    on_cleanup(move || escape.remove());
    host::start(state, api);
    // The later screens' module, fetched while the visitor reads the first
    // screen, so going on need not wait for it.
    #[cfg(feature = "split")]
    later::prefetch();

    view! {
        // One `main` landmark holds every screen (axe: landmark-one-main, region).
        <main class="echo">
            {move || match state.screen.get() {
                Screen::Loading => view! { <LoadingScreen/> }.into_any(),
                Screen::Error => view! { <ErrorScreen/> }.into_any(),
                Screen::Auth => view! { <AuthScreen/> }.into_any(),
                Screen::Selection => later::selection(),
                Screen::Chat(id) => later::chat(id),
                Screen::Inbox => later::inbox(),
                Screen::CallUs => later::call_us(),
            }}
        </main>
    }
}
