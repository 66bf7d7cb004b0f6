//! Rating a resolved conversation: five labelled radio buttons (the
//! browser's own, so arrows and Space work as everywhere), an optional
//! comment, and a thank-you.
//!
//! The radios are one string of markup (our own catalogue's words,
//! escaped) read through one `change` listener: five `view!` labels cost
//! the widget several kilobytes of generated code.

use echo_web::i18n::{t, Msg};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::controller::Chat;

const LABELS: [Msg; 5] = [
    Msg::Score1,
    Msg::Score2,
    Msg::Score3,
    Msg::Score4,
    Msg::Score5,
];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

/// The legend and the five radios.
fn choices() -> String {
    let mut html = format!(
        "<legend>{}</legend><div class=\"scores\">",
        escape(t(Msg::RateHow))
    );
    for (i, label) in LABELS.iter().enumerate() {
        let n = i + 1;
        html.push_str(&format!(
            "<label class=\"score\"><input type=\"radio\" name=\"echo-score\" value=\"{n}\" \
             aria-label=\"{n} \u{b7} {}\"><span aria-hidden=\"true\">{n}</span></label>",
            escape(t(*label))
        ));
    }
    html + "</div>"
}

#[component]
pub fn Rating(chat: Chat) -> impl IntoView {
    let score = RwSignal::new(0u8);
    let comment = RwSignal::new(String::new());
    let can_rate = chat.can_rate;
    let rated = chat.rated;
    let on_change = move |ev: leptos::ev::Event| {
        let input = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        if let Some(n) = input.and_then(|i| i.value().parse::<u8>().ok()) {
            score.set(n);
        }
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if score.get_untracked() > 0 {
            chat.rate(score.get_untracked(), comment.get_untracked());
        }
    };
    let chosen = move || {
        let n = score.get() as usize;
        if n == 0 {
            ""
        } else {
            t(LABELS[n - 1])
        }
    };
    view! {
        <Show when=move || rated.get()>
            <p class="resolved" role="status">{t(Msg::RateThanks)}</p>
        </Show>
        <form class="rating" class:hidden=move || !can_rate.get() on:submit=on_submit>
            <fieldset on:change=on_change inner_html=choices()></fieldset>
            <p class="score-label muted" aria-hidden="true">{chosen}</p>
            <label for="echo-rating-comment" class="muted">{t(Msg::RateComment)}</label>
            <textarea id="echo-rating-comment" rows="2" maxlength="1000"
                on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
            <button type="submit" class="btn primary" disabled=move || score.get() == 0>{t(Msg::RateSend)}</button>
        </form>
    }
}
