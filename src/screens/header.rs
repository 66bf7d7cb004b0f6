//! The header every screen but loading and error shows: the organization's
//! name, an optional back button, and a close button when embedded.

use echo_web::i18n::{t, Msg};
use leptos::prelude::*;

use crate::host;
use crate::state::WidgetState;

#[component]
pub fn Header(
    /// Shown under the organization's name.
    subtitle: Msg,
    /// When set, a back button runs it.
    #[prop(optional)]
    on_back: Option<Callback<()>>,
) -> impl IntoView {
    let state = WidgetState::get();
    let title = move || {
        state
            .config
            .with(|c| c.as_ref().map(|c| c.name.clone()))
            .unwrap_or_else(|| t(Msg::Support).into())
    };
    view! {
        <header class="header">
            {on_back.map(|back| view! {
                <button class="icon-btn" aria-label=t(Msg::Back) on:click=move |_| back.run(())>
                    <span aria-hidden="true">"\u{2190}"</span>
                </button>
            })}
            <div class="header-text">
                <h1 class="title">{title}</h1>
                <p class="subtitle">{t(subtitle)}</p>
            </div>
            {host::is_embedded().then(|| view! {
                <button class="icon-btn" aria-label=t(Msg::CloseChat) on:click=|_| host::request_close()>
                    <span aria-hidden="true">"\u{2715}"</span>
                </button>
            })}
        </header>
    }
}
