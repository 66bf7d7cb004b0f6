//! Allowed sites: with `allowedOrigins` set, only those sites may frame the
//! widget's page and start chats from it; the sites the widget was seen on
//! are recorded for the install page.

use echo_protocol::widget::WidgetConfig;
use echo_protocol::ErrorCode;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, eventually, json, spawn_app_with, TestApp};
use crate::onboarding::installation;
use crate::widget_page::built_dir;

const SHOP: &str = "https://shop.example.com";

async fn app_with_page() -> (TestApp, tempfile::TempDir) {
    let dir = built_dir();
    let path = dir.path().to_owned();
    (
        spawn_app_with(move |c| c.widget_dir = Some(path)).await,
        dir,
    )
}

async fn allow(app: &TestApp, origins: &[&str]) {
    let answer = app
        .client
        .put(app.url("/v1/operator/widget-settings"))
        .bearer_auth(&app.org.operator_key)
        .json(&json!({"greetMessage": "Hi", "suggestions": [], "allowedOrigins": origins}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
}

/// The widget page as a frame on `host_page` loads it (the browser's
/// `Referer`); its CSP.
async fn framed_page(app: &TestApp, host_page: &str) -> String {
    let org = app.org.organization_id;
    let answer = app
        .client
        .get(app.url(&format!("/?organizationId={org}&locale=en")))
        .header("referer", host_page)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    answer.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned()
}

async fn session(app: &TestApp, origin: Option<&str>, page: Option<&str>) -> reqwest::Response {
    let mut request = app.session_request(app.org.organization_id);
    request.metadata.current_url = page.map(str::to_owned);
    let mut call = app
        .client
        .post(app.url("/v1/contact-sessions"))
        .json(&request);
    if let Some(origin) = origin {
        call = call.header("origin", origin);
    }
    call.send().await.unwrap()
}

#[tokio::test]
async fn anywhere_until_sites_are_set_then_only_those() {
    let (app, _dir) = app_with_page().await;
    assert!(framed_page(&app, "https://any.example/")
        .await
        .contains("frame-ancestors *"));
    let anywhere = session(
        &app,
        Some("https://any.example"),
        Some("https://any.example/p"),
    )
    .await;
    assert_eq!(anywhere.status(), StatusCode::CREATED);

    allow(&app, &[SHOP, "http://localhost:8080"]).await;
    let csp = framed_page(&app, "https://shop.example.com/cart").await;
    assert!(
        csp.contains("frame-ancestors https://shop.example.com http://localhost:8080;")
            || csp.ends_with("frame-ancestors https://shop.example.com http://localhost:8080"),
        "{csp}"
    );
    // The loader's settings: refused to a page on another site, so the
    // launcher does not appear there; the allowed site and this server's
    // own pages (and a caller that names no site) have them.
    let config = |origin: Option<&str>| {
        let url = app.url(&format!(
            "/v1/organizations/{}/widget?locale=ar",
            app.org.organization_id
        ));
        let mut call = app.client.get(url);
        if let Some(origin) = origin {
            call = call.header("origin", origin);
        }
        call.send()
    };
    let refused = config(Some("https://evil.example")).await.unwrap();
    assert_error(refused, StatusCode::FORBIDDEN, ErrorCode::OriginNotAllowed).await;
    for origin in [Some(SHOP), Some(app.address.as_str()), None] {
        let answer = config(origin).await.unwrap();
        assert_eq!(answer.headers()["vary"], "Origin");
        let config: WidgetConfig = json(answer, StatusCode::OK).await;
        assert_eq!(config.launcher[0], "افتح الدردشة", "{origin:?}");
        assert!(
            config.allowed_origins.is_empty(),
            "the list is not published"
        );
    }

    for (origin, page) in [
        (Some("https://evil.example"), None),
        (None, Some("https://evil.example/page")),
        (Some(app.address.as_str()), Some("https://evil.example/")),
    ] {
        let refused = session(&app, origin, page).await;
        assert_error(refused, StatusCode::FORBIDDEN, ErrorCode::OriginNotAllowed).await;
    }
    let sessions = app.count("contact_sessions").await;
    for (origin, page) in [
        (
            Some(app.address.as_str()),
            Some("https://shop.example.com/cart?x=1"),
        ),
        (Some(SHOP), None),
        (None, None),
    ] {
        let allowed = session(&app, origin, page).await;
        assert_eq!(allowed.status(), StatusCode::CREATED, "{origin:?} {page:?}");
    }
    assert_eq!(app.count("contact_sessions").await, sessions + 3);
}

#[tokio::test]
async fn the_sites_the_widget_is_seen_on_are_recorded_once_a_minute() {
    let (app, _dir) = app_with_page().await;
    assert!(installation(&app).await.seen_on.is_empty());
    framed_page(&app, "https://shop.example.com/cart").await;
    framed_page(&app, &format!("{}/demo.html", app.address)).await;
    let seen = eventually(
        || async {
            let seen = installation(&app).await.seen_on;
            (!seen.is_empty()).then_some(seen)
        },
        std::time::Duration::from_secs(10),
    )
    .await
    .expect("the site is recorded");
    assert_eq!(seen.len(), 1, "not this server's own page: {seen:?}");
    assert_eq!(seen[0].origin, SHOP);
    let facts = installation(&app).await;
    assert_eq!(facts.organization_id, app.org.organization_id);
    assert_eq!(facts.script_url, format!("{}/embed.js", app.address));

    // A site the organization does not allow is not recorded (the allowed
    // one framed after it is, so its write has had its turn).
    allow(&app, &[SHOP, "http://localhost:8080"]).await;
    framed_page(&app, "https://other.example/").await;
    framed_page(&app, "http://localhost:8080/").await;
    let seen = eventually(
        || async {
            let seen = installation(&app).await.seen_on;
            (seen.len() >= 2).then_some(seen)
        },
        std::time::Duration::from_secs(10),
    )
    .await
    .expect("the allowed site is recorded");
    let origins: Vec<&str> = seen.iter().map(|s| s.origin.as_str()).collect();
    assert_eq!(origins.len(), 2, "{origins:?}");
    assert!(origins.contains(&"http://localhost:8080") && origins.contains(&SHOP));
}
