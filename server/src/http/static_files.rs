//! The built widget (Trunk's `dist/`: `index.html`, the hashed wasm/js/css
//! and the split build's later screens, `embed.js`, `demo.html`) served
//! next to the API, so widget and API share an origin. Precompressed
//! `.br` / `.gz` siblings are served when present.

use std::path::Path;

use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, VARY, X_CONTENT_TYPE_OPTIONS};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use tower_http::services::ServeDir;

pub fn router(dir: &Path) -> Router {
    let files = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(true)
        .not_found_service(axum::routing::any(super::unknown_route));
    Router::new()
        .fallback_service(files)
        .layer(middleware::from_fn(cache_headers))
}

/// Trunk names build outputs `name-<hex>.ext` (a 64-bit hash in hex, without
/// leading zeros: 16 digits, or fewer now and then): those never change and
/// may be cached for a year. Everything else (`index.html`, `embed.js` that host
/// pages reference by a fixed name) is revalidated on each use.
fn is_hashed(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file.split('.').next().unwrap_or(file);
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(_, hash)| {
        (12..=16).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

async fn cache_headers(request: Request, next: Next) -> Response {
    let hashed = is_hashed(request.uri().path());
    let mut response = next.run(request).await;
    if response.status().is_success() {
        let policy = if hashed {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        let headers = response.headers_mut();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(policy));
        headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        // The body depends on Accept-Encoding (a precompressed sibling may
        // be sent), so shared caches must key on it.
        headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn trunk_hashes_are_recognised() {
        assert!(is_hashed("/echo-widget-b3a8300b711b76a5_bg.wasm"));
        assert!(is_hashed("/echo-widget-b3a8300b711b76a5.js"));
        assert!(is_hashed("/widget-9528790d5a2e74b6.css"));
        // A hash with a leading zero is one digit shorter.
        assert!(is_hashed("/echo-widget-30f0cca469b3a93.js"));
        // The split build's later screens and its module loader.
        assert!(is_hashed("/echo-later-d23d7fac0b8b3ea0.wasm"));
        assert!(is_hashed("/echo-split-b9bad111f1c67689.js"));
        assert!(!is_hashed("/embed.js"));
        assert!(!is_hashed("/"));
        assert!(!is_hashed("/demo.html"));
    }
}
