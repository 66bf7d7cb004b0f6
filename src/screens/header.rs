//! The header every screen but loading and error shows: the organization's
//! name, how soon the team answers (or, while the desk is closed, its away
//! message and when it is back, in the visitor's own time zone), an
//! optional back button, and a close button when embedded.

use echo_protocol::Timestamp;
use echo_web::i18n::{reply_time, t, Msg};
use leptos::prelude::*;
use wasm_bindgen::JsValue;

use crate::host;
use crate::state::WidgetState;

#[component]
pub fn Header(
    /// Shown under the name instead of the desk's availability.
    #[prop(optional)]
    subtitle: Option<Msg>,
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
    let availability = move || {
        state
            .config
            .with(|c| c.as_ref().map(|c| c.availability.clone()))
            .unwrap_or_default()
    };
    let fixed = subtitle;
    let subtitle = move || {
        if let Some(fixed) = fixed {
            return t(fixed).to_owned();
        }
        let now = availability();
        now.away_message
            .filter(|_| !now.open)
            .unwrap_or_else(|| t(reply_time(now.reply_time)).into())
    };
    let back = move || {
        let now = availability();
        (fixed.is_none() && !now.open)
            .then_some(now.next_open_at)
            .flatten()
            .map(back_at)
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
                <p class="subtitle" dir="auto">{subtitle}</p>
                {move || back().map(|when| view! { <p class="subtitle">{when}</p> })}
            </div>
            {host::is_embedded().then(|| view! {
                <button class="icon-btn" aria-label=t(Msg::CloseChat) on:click=|_| host::request_close()>
                    <span aria-hidden="true">"\u{2715}"</span>
                </button>
            })}
        </header>
    }
}

/// "Back Monday at 9:00", the weekday and time in the visitor's language
/// and time zone (the browser's Intl).
fn back_at(at: Timestamp) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(at.millis() as f64));
    let language = echo_web::i18n::language();
    let options = |pairs: &[(&str, &str)]| {
        let object = js_sys::Object::new();
        for (key, value) in pairs {
            let _ = js_sys::Reflect::set(&object, &(*key).into(), &(*value).into());
        }
        object.into()
    };
    let weekday: String = date
        .to_locale_date_string(language, &options(&[("weekday", "long")]))
        .into();
    let time: String = date
        .to_locale_time_string_with_options(
            language,
            &options(&[("hour", "numeric"), ("minute", "2-digit")]),
        )
        .into();
    t(Msg::BackAt)
        .replacen("{}", &weekday, 1)
        .replacen("{}", &time, 1)
}
