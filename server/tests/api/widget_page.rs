//! The widget's page carries what its first screen needs: the
//! organization's public settings and the visitor's catalogue, as JSON
//! data blocks that no text can break out of.

use echo_protocol::widget::WidgetConfig;
use reqwest::StatusCode;

use crate::helpers::{spawn_app_with, TestApp};

/// A stand-in for the widget's `dist/`: its page and one catalogue.
pub fn built_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<html><head><title>Chat</title><script type=\"module\">widget();</script></head><body></body></html>",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("locales")).unwrap();
    std::fs::write(dir.path().join("locales/es.json"), "[\"Abrir chat\"]\n").unwrap();
    dir
}

/// The text of the data block `id`, if the page has it.
fn block<'a>(page: &'a str, id: &str) -> Option<&'a str> {
    let open = format!(r#"<script type="application/json" id="{id}">"#);
    let start = page.find(&open)? + open.len();
    Some(&page[start..start + page[start..].find("</script>")?])
}

async fn page(app: &TestApp, query: &str) -> (reqwest::header::HeaderMap, String) {
    let answer = app.get(&format!("/{query}"), None).await;
    assert_eq!(answer.status(), StatusCode::OK);
    (answer.headers().clone(), answer.text().await.unwrap())
}

#[tokio::test]
async fn the_page_carries_the_settings_and_the_catalogue_it_needs() {
    let dir = built_dir();
    let path = dir.path().to_owned();
    let app = spawn_app_with(move |config| config.widget_dir = Some(path)).await;
    let org = app.org.organization_id;
    // A greeting that tries to end the data block and run a script.
    let settings = app
        .client
        .put(app.url("/v1/operator/widget-settings"))
        .bearer_auth(&app.org.operator_key)
        .json(&serde_json::json!({"greetMessage": "Hi </script><script>alert(1)</script>", "suggestions": ["A < B"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(settings.status(), StatusCode::OK);

    let (headers, html) = page(&app, &format!("?organizationId={org}&locale=es")).await;
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(headers["cache-control"], "no-cache");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let config: WidgetConfig = serde_json::from_str(block(&html, "echo-config").unwrap()).unwrap();
    let answer = app
        .get(&format!("/v1/organizations/{org}/widget"), None)
        .await;
    // The launcher asks on every host page: browsers may keep it a minute.
    assert_eq!(answer.headers()["cache-control"], "public, max-age=60");
    let mut api: WidgetConfig = answer.json().await.unwrap();
    assert_eq!(api.launcher[0], "Open chat");
    assert!(
        config.launcher.is_empty(),
        "the loader's words are the loader's"
    );
    api.launcher.clear();
    assert_eq!(config, api, "the same settings as the API's");
    assert_eq!(
        html.matches("</script>").count(),
        3,
        "the module and two data blocks: {html}"
    );
    assert!(!html.contains("<script>alert"), "{html}");
    assert_eq!(block(&html, "echo-words-es"), Some("[\"Abrir chat\"]"));
    assert!(html.find("echo-config").unwrap() < html.find("</head>").unwrap());
    // The first screen in the body, the greeting as text; a catalogue of
    // the wrong length leaves it English.
    let body = &html[html.find("<body>").unwrap()..];
    assert!(
        body.starts_with(r#"<body><main class="echo" id="echo-pre">"#),
        "{body}"
    );
    assert!(
        body.contains("Hi &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{body}"
    );
    assert!(body.contains(">Continue</button>"), "{body}");

    // English, an unknown language, a path for a language, an unknown or
    // malformed organization: the plain page (the widget then asks).
    for query in [
        format!("?organizationId={org}"),
        format!("?organizationId={org}&locale=xx"),
        format!("?organizationId={org}&locale=../index"),
    ] {
        let (_, html) = page(&app, &query).await;
        assert!(block(&html, "echo-config").is_some(), "{query}");
        assert!(!html.contains("echo-words"), "{query}: {html}");
        // A language the widget reads as English gets the form in English;
        // without one the widget asks the browser, so the page cannot know.
        assert_eq!(
            html.contains("echo-pre"),
            query.contains("locale"),
            "{query}: {html}"
        );
    }
    let (_, html) = page(&app, &format!("?organizationId={org}&locale=es-MX")).await;
    assert!(
        block(&html, "echo-words-es").is_some(),
        "a region reads its language"
    );
    for query in [
        "?locale=en",
        "?organizationId=org_unknown&locale=en",
        "?organizationId=%ZZ&locale=en",
        "?organizationId=00000000-0000-0000-0000-000000000000&locale=en",
    ] {
        let (_, html) = page(&app, query).await;
        assert!(block(&html, "echo-config").is_none(), "{query}: {html}");
        assert!(
            !html.contains("echo-pre"),
            "no form for no organization: {html}"
        );
    }
    let (_, same) = page(&app, "index.html").await;
    assert!(same.contains("widget();"));

    // Made per request, compressed per request for a browser that takes it.
    let url = app.url(&format!("/?organizationId={org}&locale=es"));
    for encoding in ["br", "gzip"] {
        let answer = app
            .client
            .get(&url)
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(answer.headers()["content-encoding"], encoding);
        assert_eq!(answer.headers()["vary"], "accept-encoding");
        let compressed = answer.bytes().await.unwrap();
        assert!(
            compressed.len() < html.len(),
            "{encoding}: {} bytes",
            compressed.len()
        );
    }
}
