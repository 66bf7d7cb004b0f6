//! "Call us": the organization's number, written for reading, to tap
//! (`tel:`) or copy.

use echo_web::i18n::{t, Msg};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::screens::Header;
use crate::state::{Screen, WidgetState};

/// An E.164 number in groups a person reads aloud: `+1 415 555 0100`,
/// `+44 20 7946 0958` (a two-digit country code assumed outside +1 and +7:
/// the commonest; the digits are the same either way).
pub fn readable(number: &str) -> String {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let code = match digits.as_bytes().first() {
        Some(b'1' | b'7') => 1,
        _ => 2.min(digits.len()),
    };
    let (country, rest) = digits.split_at(code);
    let mut groups = vec![format!("+{country}")];
    let mut rest = rest;
    while rest.len() > 4 {
        groups.push(rest[..3].to_owned());
        rest = &rest[3..];
    }
    if !rest.is_empty() {
        groups.push(rest.to_owned());
    }
    groups.join(" ")
}

#[component]
pub fn CallUsScreen() -> impl IntoView {
    let state = WidgetState::get();
    let number = state
        .config
        .with_untracked(|c| {
            c.as_ref()
                .and_then(|c| c.voice.as_ref()?.phone_number.clone())
        })
        .unwrap_or_default();
    let shown = readable(&number);
    let copied = RwSignal::new(false);
    let field = NodeRef::<leptos::html::Input>::new();
    // The selection and the document's copy command: the Clipboard API
    // needs the host page's permission in a cross-origin frame.
    let copy = move |_| {
        if let Some(input) = field.get_untracked() {
            input.select();
            let copied_now = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
                .is_some_and(|d| d.exec_command("copy").unwrap_or(false));
            copied.set(copied_now);
        }
    };
    view! {
        <Header on_back=Callback::new(move |()| state.screen.set(Screen::Selection))/>
        <div class="screen call-us">
            <p class="intro-title">{t(Msg::CallUs)}</p>
            <p class="muted">{t(Msg::CallUsPrompt)}</p>
            <a class="phone" href=format!("tel:{number}") dir="ltr">{shown.clone()}</a>
            <label class="sr-only" for="echo-number">{t(Msg::CallUs)}</label>
            <input id="echo-number" class="number-copy" readonly dir="ltr" node_ref=field prop:value=number.clone()/>
            <div class="actions">
                <button class="btn secondary" on:click=copy>
                    {move || t(if copied.get() { Msg::Copied } else { Msg::CopyNumber })}
                </button>
                <button class="btn secondary" on:click=move |_| state.screen.set(Screen::Selection)>
                    {t(Msg::Back)}
                </button>
            </div>
            <p class="sr-only" role="status">{move || copied.get().then(|| t(Msg::Copied))}</p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::readable;

    #[test]
    fn numbers_are_grouped_for_reading() {
        assert_eq!(readable("+14155550100"), "+1 415 555 0100");
        assert_eq!(readable("+442079460958"), "+44 207 946 0958");
        assert_eq!(readable("+4930123456"), "+49 301 234 56");
        assert_eq!(readable(""), "+");
    }
}
