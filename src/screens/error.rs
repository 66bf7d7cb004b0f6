//! Error: what went wrong, in words, and a way to try again.

use echo_web::i18n::{t, Msg};
use leptos::prelude::*;

use crate::state::{Screen, WidgetState};

#[component]
pub fn ErrorScreen() -> impl IntoView {
    let state = WidgetState::get();
    let retry = move |_| {
        state.error_message.set(None);
        state.screen.set(Screen::Loading);
    };
    view! {
        <div class="screen center" role="alert">
            <div class="error-icon" aria-hidden="true">"!"</div>
            <h1 class="error-title">{t(Msg::SomethingWrong)}</h1>
            <p class="error-message">
                {move || state.error_message.get().unwrap_or_default()}
            </p>
            <button class="btn primary" on:click=retry>{t(Msg::TryAgain)}</button>
        </div>
    }
}
