//! The widget's first screen, the pre-chat form, rendered into its page so
//! a visitor sees it (and can type into it) before the wasm has arrived.
//! The markup is the widget's own (`src/screens/auth.rs` and `header.rs`),
//! in the visitor's words (`echo_web::i18n`) with the greeting through the
//! widget's markdown parser; a browser test holds the two to the same
//! markup. The page's inline start-up script (`index.html`) removes it for
//! a visitor who will not see the form (a stored session, a signed-in host
//! user) and holds a Continue pressed early, then hands what was typed to
//! the widget's own form when that is drawn.

use echo_protocol::widget::{WidgetConfig, DEFAULT_ACCENT_COLOR};
use echo_web::i18n::{Msg, ENGLISH};
use echo_web::markdown::{escape_into, parse, to_html};

/// The form in `words` (a catalogue in [`Msg`] order; English for any
/// other length).
pub fn render(config: &WidgetConfig, words: &[String]) -> String {
    let whole = words.len() == ENGLISH.len();
    let word = |msg: Msg| -> &str {
        if whole {
            &words[msg as usize]
        } else {
            ENGLISH[msg as usize]
        }
    };
    let availability = &config.availability;
    // Closed: the away message (the widget adds when it is back, in the
    // visitor's own time zone, which only the browser knows).
    let subtitle = match (&availability.away_message, availability.open) {
        (Some(away), false) => away.as_str(),
        _ => word(echo_web::i18n::reply_time(availability.reply_time)),
    };
    let introduce = if availability.open {
        Msg::Introduce
    } else {
        Msg::IntroduceAway
    };
    let mut html = Html(String::with_capacity(2048));
    html.raw(r#"<main class="echo" id="echo-pre""#);
    // The brand goes on the page root through the CSSOM (the page's CSP
    // allows no style attribute): the start-up script copies it from here.
    if config.accent_color != DEFAULT_ACCENT_COLOR {
        html.raw(r#" data-accent=""#)
            .text(&config.accent_color)
            .raw(r#"" data-accent-text=""#)
            .text(&config.accent_text_color)
            .raw("\"");
    }
    html.raw(r#"><header class="header"><div class="header-text"><h1 class="title">"#)
        .text(&config.name)
        .raw(r#"</h1><p class="subtitle" dir="auto">"#)
        .text(subtitle)
        // Shown by the start-up script when the page is in the loader's frame.
        .raw(r#"</p></div><button class="icon-btn" aria-label=""#)
        .text(word(Msg::CloseChat))
        .raw(r#"" hidden><span aria-hidden="true">✕</span></button></header>"#)
        .raw(r#"<div class="screen scroll"><div class="intro"><p class="intro-title">"#)
        .text(word(Msg::HiThere))
        .raw(r#"</p><div class="md muted" dir="auto">"#)
        .markdown(&config.greet_message)
        .raw(r#"</div><p class="muted">"#)
        .text(word(introduce))
        .raw(r#"</p></div><form class="form" novalidate data-busy=""#)
        .text(word(Msg::Continuing))
        .raw(r#""><div class="field"><label for="echo-name">"#)
        .text(word(Msg::Name))
        .raw(r#"</label><input id="echo-name" type="text" autocomplete="name" placeholder=""#)
        .text(word(Msg::NamePlaceholder))
        .raw(r#"" aria-invalid="false" aria-describedby="echo-name-error">"#)
        .raw(r#"<p class="field-error" id="echo-name-error" role="alert"></p></div>"#)
        .raw(r#"<div class="field"><label for="echo-email">"#)
        .text(word(Msg::Email))
        .raw(r#"</label><input id="echo-email" type="email" autocomplete="email" inputmode="email""#)
        .raw(r#" placeholder="jane@example.com" aria-invalid="false" aria-describedby="echo-email-error">"#)
        .raw(r#"<p class="field-error" id="echo-email-error" role="alert"></p></div>"#)
        .raw(r#"<p class="form-error" role="alert"></p><button class="btn primary" type="submit">"#)
        .text(word(Msg::Continue))
        .raw("</button></form></div></main>");
    html.0
}

/// HTML written in order: markup as it is, text escaped.
struct Html(String);

impl Html {
    fn raw(&mut self, markup: &str) -> &mut Self {
        self.0.push_str(markup);
        self
    }

    fn text(&mut self, text: &str) -> &mut Self {
        escape_into(text, &mut self.0);
        self
    }

    fn markdown(&mut self, text: &str) -> &mut Self {
        to_html(&parse(text), &mut self.0);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use echo_protocol::widget::WidgetTheme;
    use echo_protocol::OrganizationId;

    fn config(name: &str, greet: &str, accent: &str) -> WidgetConfig {
        WidgetConfig {
            organization_id: OrganizationId::parse("0c6b1a52-3f43-4e43-a2cb-7e0d41a3c1f1")
                .expect("a UUID"),
            name: name.into(),
            greet_message: greet.into(),
            suggestions: Vec::new(),
            accent_color: accent.into(),
            accent_text_color: "#000000".into(),
            theme: WidgetTheme::Auto,
            transcripts: false,
            availability: Default::default(),
            allowed_origins: Vec::new(),
            launcher: Vec::new(),
            voice: None,
        }
    }

    #[test]
    fn the_organizations_words_are_text_and_the_greeting_is_markdown() {
        let html = render(
            &config(
                "<Acme & Co>",
                "Hi **there** <script>x</script>",
                DEFAULT_ACCENT_COLOR,
            ),
            &[],
        );
        assert!(html.contains(r#"<h1 class="title">&lt;Acme &amp; Co&gt;</h1>"#));
        assert!(html.contains("<p>Hi <strong>there</strong> &lt;script&gt;x&lt;/script&gt;</p>"));
        assert!(!html.contains("<script"), "{html}");
        assert!(
            !html.contains("data-accent"),
            "the default accent is the stylesheet's"
        );
        assert!(html.contains(">Continue</button>"));
    }

    #[test]
    fn a_closed_desk_shows_its_away_message_and_asks_for_the_email() {
        let mut closed = config("Acme", "Hi", DEFAULT_ACCENT_COLOR);
        closed.availability = echo_protocol::hours::Availability {
            open: false,
            reply_time: echo_protocol::hours::ReplyTime::Day,
            next_open_at: None,
            away_message: Some("Out <fishing>".into()),
        };
        let html = render(&closed, &[]);
        assert!(
            html.contains(r#"<p class="subtitle" dir="auto">Out &lt;fishing&gt;</p>"#),
            "{html}"
        );
        assert!(html.contains("leave your name and email"), "{html}");
        let mut slow = config("Acme", "Hi", DEFAULT_ACCENT_COLOR);
        slow.availability.reply_time = echo_protocol::hours::ReplyTime::Hours;
        assert!(render(&slow, &[]).contains("We typically reply in a few hours"));
    }

    #[test]
    fn a_catalogue_gives_the_words_and_a_brand_its_colours() {
        let mut words: Vec<String> = ENGLISH.iter().map(|w| w.to_string()).collect();
        words[Msg::Continue as usize] = "Continuar \"ya\"".into();
        let html = render(&config("Acme", "", "#ffcc00"), &words);
        assert!(html.contains(">Continuar &quot;ya&quot;</button>"));
        assert!(html.contains(r##"data-accent="#ffcc00" data-accent-text="#000000""##));
        let short = render(&config("Acme", "", "#ffcc00"), &words[..3]);
        assert!(
            short.contains(">Continue</button>"),
            "a short catalogue is English"
        );
    }
}
