//! The widget's page (`/` and `/index.html` of the built widget), served
//! with its first screen already inside: the organization's public
//! settings and, for a visitor who reads another language, its catalogue,
//! as JSON data blocks (`<script type="application/json">`, never
//! executed, so the page's strict CSP stays as it is), which the widget
//! reads instead of asking; and, when the loader names the language, the
//! pre-chat form itself ([`first_screen`]), in the body for the page's
//! start-up script. An unknown organization gets the plain page: the
//! widget then asks, and shows the usual error.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LINK, REFERER, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use echo_protocol::widget::WidgetConfig;
use echo_protocol::OrganizationId;
use serde::Deserialize;

use echo_web::i18n;

use super::first_screen;
use super::widget::public_config;
use super::ApiContext;

/// The built page, read once at start-up, as the CSP's hashes of its
/// inline script are (a rebuilt widget needs a restart either way): the
/// page split where the language, the data blocks and the first screen
/// go, its wasm preload header, and each catalogue in `locales/` as a
/// ready data block and as words, by language.
pub struct WidgetPage {
    /// Up to `<html`, whose attributes are the visitor's.
    doctype: String,
    /// After `<html ...>`, up to `</head>`.
    head: String,
    /// `</head>` up to and with `<body...>`.
    middle: String,
    tail: String,
    preload: Option<HeaderValue>,
    catalogues: HashMap<String, Catalogue>,
}

struct Catalogue {
    block: String,
    words: Vec<String>,
}

impl WidgetPage {
    /// `None` without an `index.html` (the files router then answers 404).
    pub fn load(dir: &Path) -> Option<Self> {
        let page = std::fs::read_to_string(dir.join("index.html")).ok()?;
        let catalogues = std::fs::read_dir(dir.join("locales"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let path = entry.path();
                let language = path
                    .file_name()?
                    .to_str()?
                    .strip_suffix(".json")?
                    .to_owned();
                let text = std::fs::read_to_string(&path).ok()?;
                let catalogue = Catalogue {
                    block: data_block(&format!("echo-words-{language}"), text.trim()),
                    words: serde_json::from_str(&text).ok()?,
                };
                Some((language, catalogue))
            })
            .collect();
        let (doctype, head, middle, tail) = split(&page)?;
        Some(Self {
            preload: wasm_preload(&page).and_then(|l| HeaderValue::from_str(&l).ok()),
            doctype: doctype.to_owned(),
            head: head.to_owned(),
            middle: middle.to_owned(),
            tail: tail.to_owned(),
            catalogues,
        })
    }
}

/// The page around `<html ...>`, `</head>` and `<body ...>`.
fn split(page: &str) -> Option<(&str, &str, &str, &str)> {
    let html = page.find("<html")?;
    let head = html + page[html..].find('>')? + 1;
    let middle = head + page[head..].find("</head>")?;
    let body = middle + page[middle..].find("<body")?;
    let tail = body + page[body..].find('>')? + 1;
    Some((
        &page[..html],
        &page[head..middle],
        &page[middle..tail],
        &page[tail..],
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageQuery {
    organization_id: Option<String>,
    locale: Option<String>,
}

/// The sites a widget page may be framed by, for the security headers'
/// CSP (`frame-ancestors`); absent: any.
#[derive(Debug, Clone)]
pub struct FrameAncestors(pub Vec<String>);

pub async fn widget_page(
    page: Arc<WidgetPage>,
    State(ctx): State<ApiContext>,
    headers: HeaderMap,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    // The widget's own choice (`src/language.rs`) when the loader names a
    // language; without one the widget asks the browser, so the page
    // cannot know the words of its first screen.
    let language = query.locale.as_deref().map(|l| i18n::choose([l]));
    let catalogue = language.and_then(|l| page.catalogues.get(l));
    let org = query
        .organization_id
        .as_deref()
        .and_then(OrganizationId::parse);
    // A store error just leaves the settings out: the widget asks.
    let config = match org {
        Some(org) => public_config(&ctx, org).await.ok().flatten(),
        None => None,
    };
    if let Some(config) = &config {
        seen_on(&ctx, config, &headers);
    }
    let mut html = page.doctype.clone();
    let language_tag = language.unwrap_or("en");
    html.push_str(&format!(r#"<html lang="{language_tag}""#));
    if i18n::is_rtl(language_tag) {
        html.push_str(r#" dir="rtl""#);
    }
    if let Some(config) = &config {
        html.push_str(&format!(r#" data-theme="{}""#, config.theme.as_str()));
    }
    html.push('>');
    html.push_str(&page.head);
    if let Some(json) = config.as_ref().and_then(|c| serde_json::to_string(c).ok()) {
        html.push_str(&data_block("echo-config", &json));
    }
    // English has no catalogue; an unknown language has none either.
    if let Some(catalogue) = catalogue {
        html.push_str(&catalogue.block);
    }
    html.push_str(&page.middle);
    if let (Some(config), Some(_)) = (&config, language) {
        let words = catalogue.map(|c| c.words.as_slice()).unwrap_or_default();
        html.push_str(&first_screen::render(config, words));
    }
    html.push_str(&page.tail);
    let mut response = html.into_response();
    let headers = response.headers_mut();
    // The wasm is the longest download: the header starts it as soon as
    // the answer's head arrives, before the page is parsed.
    if let Some(link) = &page.preload {
        headers.insert(LINK, link.clone());
    }
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Some(config) = config.filter(|c| !c.allowed_origins.is_empty()) {
        response
            .extensions_mut()
            .insert(FrameAncestors(config.allowed_origins));
    }
    response
}

/// Records the host page's site (its `Referer`, which browsers send as the
/// origin at least) in the background, at most once a minute per site;
/// not this server's own pages, nor a site the organization does not allow.
fn seen_on(ctx: &ApiContext, config: &WidgetConfig, headers: &HeaderMap) {
    let Some(origin) = headers
        .get(REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(echo_protocol::origin::origin_of)
    else {
        return;
    };
    if origin == ctx.public.origin()
        || !super::sites::allows(ctx, &config.allowed_origins, &origin)
        || !ctx
            .onboarding
            .should_record(config.organization_id, &origin)
    {
        return;
    }
    let (store, now, org) = (ctx.store.clone(), ctx.clock.now(), config.organization_id);
    tokio::spawn(async move {
        if let Err(error) = store.record_widget_origin(org, origin, now).await {
            tracing::warn!(%error, "recording the widget's host site failed");
        }
    });
}

/// A `Link` header for the page's own wasm preload (Trunk writes
/// `<link rel="preload" href="/…_bg.wasm" … as="fetch" type="application/wasm">`).
fn wasm_preload(page: &str) -> Option<String> {
    let end = page.find("_bg.wasm\"")? + "_bg.wasm".len();
    let start = page[..end].rfind("href=\"")? + "href=\"".len();
    let href = &page[start..end];
    href.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b))
        .then(|| format!("<{href}>; rel=preload; as=fetch; type=\"application/wasm\"; crossorigin"))
}

/// JSON inside a `<script>` element: `<` escaped, so no text in it (an
/// organization's greeting with `</script>` in it) can end the element.
fn data_block(id: &str, json: &str) -> String {
    format!(
        r#"<script type="application/json" id="{id}">{}</script>"#,
        json.replace('<', "\\u003c")
    )
}

#[cfg(test)]
mod tests {
    use super::{data_block, wasm_preload};

    #[test]
    fn the_wasm_preload_becomes_a_link_header() {
        let page = r#"<link rel="modulepreload" href="/w-1.js"><link rel="preload" href="/echo-widget-0123_bg.wasm" crossorigin="anonymous" as="fetch" type="application/wasm">"#;
        assert_eq!(
            wasm_preload(page).as_deref(),
            Some(
                r#"</echo-widget-0123_bg.wasm>; rel=preload; as=fetch; type="application/wasm"; crossorigin"#
            )
        );
        assert_eq!(wasm_preload("<html></html>"), None);
        assert_eq!(
            wasm_preload(r#"href="/a>b_bg.wasm""#),
            None,
            "nothing odd reaches a header"
        );
    }

    #[test]
    fn nothing_in_the_json_can_close_the_element() {
        let block = data_block(
            "echo-config",
            r#"{"greetMessage":"</script><script>alert(1)</script>"}"#,
        );
        assert_eq!(block.matches("</script>").count(), 1);
        assert!(block.ends_with("</script>"));
        let inner = &block[block.find('>').unwrap() + 1..block.len() - "</script>".len()];
        let value: serde_json::Value = serde_json::from_str(inner).unwrap();
        assert_eq!(value["greetMessage"], "</script><script>alert(1)</script>");
    }
}
