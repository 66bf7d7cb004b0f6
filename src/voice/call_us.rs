//! "Call us": the organization's number, written for reading, to tap
//! (`tel:`) or copy.

use echo_web::i18n::{t, Msg};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::screens::Header;
use crate::state::{Screen, WidgetState};

/// An E.164 number in groups a person reads aloud: `+1 415 555 0100`,
/// `+44 207 946 0958` (a two-digit country code assumed outside +1 and +7:
/// the commonest; the digits are the same either way).
pub fn readable(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    let code = match digits.first() {
        Some('1' | '7') => 1,
        _ => 2,
    };
    let mut out = String::from("+");
    for (i, digit) in digits.iter().enumerate() {
        // After the country code, groups of three; never a last group of one.
        let j = i.wrapping_sub(code);
        if i == code || (i > code && j % 3 == 0 && digits.len() - i >= 2) {
            out.push(' ');
        }
        out.push(*digit);
    }
    out
}

/// Selects the number and copies it: the document's copy command, since
/// the Clipboard API needs the host page's permission in a cross-origin
/// frame.
fn copy_number() -> Option<bool> {
    let document = web_sys::window()?.document()?;
    let number = document.get_element_by_id("echo-number")?;
    web_sys::window()?
        .get_selection()
        .ok()??
        .select_all_children(&number)
        .ok()?;
    document
        .dyn_into::<web_sys::HtmlDocument>()
        .ok()?
        .exec_command("copy")
        .ok()
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
    let copied = RwSignal::new(false);
    let back = move |_| state.screen.set(Screen::Selection);
    view! {
        // No arrow: the Back button below is the way back.
        <Header/>
        <div class="screen">
            <p class="intro-title">{t(Msg::CallUs)}</p>
            <p class="muted">{t(Msg::CallUsPrompt)}</p>
            <a id="echo-number" class="phone" href=format!("tel:{number}") dir="ltr">{readable(&number)}</a>
            <div class="actions">
                <button class="btn secondary" on:click=move |_| copied.set(copy_number() == Some(true))>
                    // A button whose name changes is announced where it has focus.
                    {move || t(if copied.get() { Msg::Copied } else { Msg::CopyNumber })}
                </button>
                <button class="btn secondary" on:click=back>{t(Msg::Back)}</button>
            </div>
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
