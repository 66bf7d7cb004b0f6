//! The widget's page (`/` and `/index.html` of the built widget), served
//! with what its first screen needs already inside: the organization's
//! public settings and, for a visitor who reads another language, its
//! catalogue, as JSON data blocks (`<script type="application/json">`,
//! never executed, so the page's strict CSP stays as it is). The widget
//! reads them instead of asking, so nothing waits on a round trip after
//! the wasm starts. An unknown organization gets the plain page: the
//! widget then asks, and shows the usual error.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LINK, X_CONTENT_TYPE_OPTIONS};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use echo_protocol::OrganizationId;
use serde::Deserialize;

use super::widget::public_config;
use super::ApiContext;

/// The built page, read once at start-up, as the CSP's hashes of its
/// inline script are (a rebuilt widget needs a restart either way): the
/// page split where the data blocks go, its wasm preload header, and each
/// catalogue in `locales/` as a ready data block, by language.
pub struct WidgetPage {
    head: String,
    tail: String,
    preload: Option<HeaderValue>,
    catalogues: HashMap<String, String>,
}

impl WidgetPage {
    /// `None` without an `index.html` (the files router then answers 404).
    pub fn load(dir: &Path) -> Option<Self> {
        let page = std::fs::read_to_string(dir.join("index.html")).ok()?;
        let at = page.find("</head>").unwrap_or(page.len());
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
                let words = std::fs::read_to_string(&path).ok()?;
                let block = data_block(&format!("echo-words-{language}"), words.trim());
                Some((language, block))
            })
            .collect();
        Some(Self {
            preload: wasm_preload(&page).and_then(|l| HeaderValue::from_str(&l).ok()),
            head: page[..at].to_owned(),
            tail: page[at..].to_owned(),
            catalogues,
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageQuery {
    organization_id: Option<String>,
    locale: Option<String>,
}

pub async fn widget_page(
    page: Arc<WidgetPage>,
    State(ctx): State<ApiContext>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let mut html = page.head.clone();
    let org = query
        .organization_id
        .as_deref()
        .and_then(OrganizationId::parse);
    if let Some(org) = org {
        // A store error just leaves the settings out: the widget asks.
        if let Ok(Some(config)) = public_config(&ctx, org).await {
            if let Ok(json) = serde_json::to_string(&config) {
                html.push_str(&data_block("echo-config", &json));
            }
        }
    }
    // English has no catalogue; an unknown language has none either.
    if let Some(words) = query.locale.and_then(|l| page.catalogues.get(&l)) {
        html.push_str(words);
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
    response
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
