//! Security headers: the console's and the widget page's CSP, Referrer-Policy on every page,
//! no-store on credentialed API answers, Vary on precompressed files, HSTS
//! behind an https public URL.

use reqwest::StatusCode;
use sha2::Digest;

use crate::helpers::spawn_app_with;

/// A stand-in for Trunk's `dist/`: a console page with an inline start-up
/// script and a file with a precompressed sibling.
fn built_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("console")).unwrap();
    std::fs::write(
        dir.path().join("console/index.html"),
        "<html><head><script type=\"module\">start();</script></head></html>",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<html><head><script type=\"module\">widget();</script></head></html>",
    )
    .unwrap();
    std::fs::write(dir.path().join("app.js"), "console.log(1)").unwrap();
    std::fs::write(
        dir.path().join("app.js.br"),
        b"\x0b\x06\x80console.log(1)\x03",
    )
    .unwrap();
    dir
}

#[tokio::test]
async fn pages_and_answers_carry_their_security_headers() {
    let dir = built_dir();
    let path = dir.path().to_owned();
    let app = spawn_app_with(move |config| config.widget_dir = Some(path)).await;

    let console = app.get("/console/", None).await;
    assert_eq!(console.status(), StatusCode::OK);
    let csp = console.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let hash = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        sha2::Sha256::digest("start();"),
    );
    assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"),
        "{csp}"
    );
    assert_eq!(console.headers()["x-frame-options"], "DENY");
    assert_eq!(
        console.headers()["referrer-policy"],
        "strict-origin-when-cross-origin"
    );

    let widget = app.get("/", None).await;
    assert_eq!(
        widget.headers()["referrer-policy"],
        "strict-origin-when-cross-origin"
    );
    assert!(
        !widget.headers().contains_key("x-frame-options"),
        "the widget is framed by hosts"
    );
    let widget_csp = widget.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let widget_hash = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        sha2::Sha256::digest("widget();"),
    );
    assert!(
        widget_csp.contains(&format!("'sha256-{widget_hash}'")),
        "{widget_csp}"
    );
    assert!(widget_csp.contains("style-src 'self'") && widget_csp.contains("frame-ancestors *"));
    assert!(
        !widget_csp.contains("unsafe-inline") && !widget_csp.contains("'unsafe-eval'"),
        "{widget_csp}"
    );

    let compressed = app
        .client
        .get(app.url("/app.js"))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(compressed.headers()["content-encoding"], "br");
    assert_eq!(compressed.headers()["vary"], "accept-encoding");

    let inbox = app
        .operator_get(&app.org.operator_key, "/v1/operator/conversations")
        .await;
    assert_eq!(inbox.headers()["cache-control"], "no-store");
    let visitor = app.visitor().await;
    let mine = app.get("/v1/conversations", Some(visitor.token())).await;
    assert_eq!(mine.headers()["cache-control"], "no-store");
    let public = app
        .get(
            &format!("/v1/organizations/{}/widget", app.org.organization_id),
            None,
        )
        .await;
    assert_ne!(
        public
            .headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
    assert!(!public.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn an_https_public_url_sends_hsts() {
    let app = spawn_app_with(|config| {
        config.public_url =
            Some(echo_server::accounts::PublicUrl::parse("https://chat.example.com").unwrap());
    })
    .await;
    let health = app.get("/v1/openapi.json", None).await;
    assert!(health.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
}
