//! Picks the visitor's language and installs its catalogue, once per page:
//! the loader's choice (`?locale=`, from `data-locale` or the host page's
//! browser), else this browser's languages, else English. The page's `lang`
//! and `dir` follow, so right-to-left languages mirror the layout.

use echo_web::http::{fetch_text, Call};
use echo_web::i18n;

use crate::api::{embedded, query_param};

thread_local! {
    static DONE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

pub async fn load() {
    if DONE.with(|d| d.replace(true)) {
        return;
    }
    let wanted: Vec<String> = match query_param("locale") {
        Some(locale) => vec![locale],
        None => web_sys::window()
            .map(|w| w.navigator().languages())
            .map(|list| list.iter().filter_map(|l| l.as_string()).collect())
            .unwrap_or_default(),
    };
    let language = i18n::choose(wanted.iter().map(String::as_str));
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("lang", language);
        if i18n::is_rtl(language) {
            let _ = root.set_attribute("dir", "rtl");
        }
    }
    // Relative to the widget's page: the catalogues ship with the widget,
    // which may be served apart from the API (`?server=`).
    let catalogue = if language == "en" {
        Vec::new()
    } else {
        match embedded(&format!("echo-words-{language}")) {
            Some(json) => parse(&json),
            None => words(&format!("locales/{language}.json")).await,
        }
    };
    i18n::install(language, catalogue);
}

/// The catalogue's strings (the page may carry them: the server embeds
/// the one `?locale=` names), read with the browser's JSON parser.
async fn words(url: &str) -> Vec<String> {
    match fetch_text(Call::new("GET", url.to_owned())).await {
        Ok(text) => parse(&text),
        Err(_) => Vec::new(),
    }
}

fn parse(text: &str) -> Vec<String> {
    echo_web::js::parse(text).unwrap_or_default()
}
