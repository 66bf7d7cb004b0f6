//! Security headers every answer gets: `Referrer-Policy` everywhere, a
//! strict `Content-Security-Policy` on the widget page and (with
//! `frame-ancestors 'none'`) on the console, `Cache-Control: no-store` on
//! API answers to a credentialed request, and HSTS when the public URL is
//! https.

use std::path::Path;

use axum::extract::{Request, State};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_SECURITY_POLICY, COOKIE, REFERRER_POLICY,
    STRICT_TRANSPORT_SECURITY, X_FRAME_OPTIONS,
};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// What the middleware adds, decided once when the router is built.
#[derive(Clone)]
pub struct SecurityHeaders {
    console_csp: HeaderValue,
    widget_csp: HeaderValue,
    hsts: bool,
}

impl SecurityHeaders {
    /// `widget_dir` is read for the pages' inline start-up scripts (Trunk
    /// writes one in each), which the policies then allow by hash only.
    /// `voice_socket`: the origin of Vapi's call sockets, which the widget
    /// page may then connect to (when this server can make calls).
    pub fn new(widget_dir: Option<&Path>, https: bool, voice_socket: Option<&str>) -> Self {
        let hashes = |page: &str| {
            let html = widget_dir
                .and_then(|dir| std::fs::read_to_string(dir.join(page)).ok())
                .unwrap_or_default();
            inline_script_hashes(&html)
        };
        let header =
            |csp: String| HeaderValue::from_str(&csp).expect("a CSP is a valid header value");
        Self {
            console_csp: header(console_csp(&hashes("console/index.html"))),
            widget_csp: header(widget_csp(&hashes("index.html"), voice_socket)),
            hsts: https,
        }
    }
}

/// `'sha256-...'` of each inline `<script>` of an HTML page.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        rest = &rest[start..];
        let Some(open_end) = rest.find('>') else {
            break;
        };
        let tag = &rest[..open_end];
        let body_start = open_end + 1;
        let Some(close) = rest[body_start..].find("</script>") else {
            break;
        };
        let body = &rest[body_start..body_start + close];
        if !tag.contains(" src=") && !body.is_empty() {
            hashes.push(format!(
                "'sha256-{}'",
                STANDARD.encode(Sha256::digest(body))
            ));
        }
        rest = &rest[body_start + close..];
    }
    hashes
}

/// Only the page's own origin, no inline code but its start-up script by
/// hash (styles come from the stylesheet and the CSSOM only), then
/// `framing`.
fn page_csp(script_hashes: &[String], connect: &str, framing: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{}{}; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'{connect}; object-src 'none'; base-uri 'none'; \
         form-action 'self'; {framing}",
        if script_hashes.is_empty() { "" } else { " " },
        script_hashes.join(" ")
    )
}

/// The console's policy: framed by no one.
pub fn console_csp(script_hashes: &[String]) -> String {
    page_csp(script_hashes, "", "frame-ancestors 'none'")
}

/// The widget page's policy: it lives in an iframe on the company's site,
/// so any site may frame it; it may connect to Vapi's call sockets (and
/// nothing else outside its origin).
pub fn widget_csp(script_hashes: &[String], voice_socket: Option<&str>) -> String {
    let connect = voice_socket.map(|o| format!(" {o}")).unwrap_or_default();
    page_csp(script_hashes, &connect, "frame-ancestors *")
}

pub async fn security_headers(
    State(settings): State<SecurityHeaders>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let credentialed =
        request.headers().contains_key(AUTHORIZATION) || request.headers().contains_key(COOKIE);
    let mut response = next.run(request).await;
    // Only the organization's sites may frame its widget.
    let framed_by = response
        .extensions_mut()
        .remove::<super::widget_page::FrameAncestors>();
    let headers = response.headers_mut();
    headers.insert(
        REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    if path == "/console" || path.starts_with("/console/") {
        headers.insert(CONTENT_SECURITY_POLICY, settings.console_csp.clone());
        headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    } else if path == "/" || path == "/index.html" {
        let csp = match framed_by {
            Some(super::widget_page::FrameAncestors(sites)) => {
                let framing = format!("frame-ancestors {}", sites.join(" "));
                HeaderValue::from_str(
                    &settings
                        .widget_csp
                        .to_str()
                        .unwrap_or_default()
                        .replace("frame-ancestors *", &framing),
                )
                .unwrap_or_else(|_| settings.widget_csp.clone())
            }
            None => settings.widget_csp.clone(),
        };
        headers.insert(CONTENT_SECURITY_POLICY, csp);
    }
    if credentialed && path.starts_with("/v1/") {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if settings.hsts {
        headers.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_skipped() {
        let page = r#"<head><script type="module">init();</script>
            <script src="/a.js"></script><script>x</script></head>"#;
        let hashes = inline_script_hashes(page);
        assert_eq!(hashes.len(), 2);
        assert_eq!(
            hashes[0],
            format!("'sha256-{}'", STANDARD.encode(Sha256::digest("init();")))
        );
        let csp = console_csp(&hashes);
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"));
        let widget = widget_csp(&hashes, None);
        assert!(widget.contains("frame-ancestors *") && widget.contains(&hashes[0]));
        assert!(widget.contains("connect-src 'self';"));
        let voice = widget_csp(&hashes, Some("wss://api.vapi.ai"));
        assert!(
            voice.contains("connect-src 'self' wss://api.vapi.ai;"),
            "{voice}"
        );
        assert!(!widget.contains("unsafe-inline") && !widget.contains("'unsafe-eval'"));
        assert!(inline_script_hashes("<script").is_empty());
        assert!(inline_script_hashes("<script>never closed").is_empty());
    }
}
