//! The knowledge base: uploads of every accepted kind, checks by content,
//! gating (upload only), isolation between organizations, and an index that
//! follows changes made elsewhere (another replica).

use echo_protocol::knowledge::{KnowledgeFile, KnowledgeFileList, MAX_FILE_BYTES};
use echo_protocol::{ErrorCode, FileId};
use echo_server::store::{NewKnowledgeFile, SubscriptionStatus};
use reqwest::StatusCode;

use crate::fixtures::pdf_with_text;
use crate::helpers::{assert_error, cli, json, spawn_app, TestApp};

async fn subscribed_app() -> TestApp {
    let app = spawn_app().await;
    app.store
        .set_subscription(app.org.organization_id, SubscriptionStatus::Active)
        .await
        .unwrap();
    app
}

async fn list(app: &TestApp, key: &str) -> Vec<KnowledgeFile> {
    let response = app
        .operator_get(key, "/v1/operator/knowledge-base/files")
        .await;
    json::<KnowledgeFileList>(response, StatusCode::OK)
        .await
        .files
}

async fn delete(app: &TestApp, key: &str, id: FileId) -> reqwest::Response {
    app.client
        .delete(app.url(&format!("/v1/operator/knowledge-base/files/{id}")))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn text_markdown_html_and_pdf_are_uploaded_listed_and_searchable() {
    let app = subscribed_app().await;
    let key = &app.org.operator_key;
    let uploads = [
        ("hours.txt", "text/plain", b"We are open Monday to Friday, 9 to 5.".to_vec(), "text/plain"),
        ("refunds.md", "text/markdown", b"# Refunds\n\nRefunds are paid within **14 days**.".to_vec(), "text/markdown"),
        (
            "shipping.html",
            "text/html",
            b"<html><body><script>var hidden = 'xylophone';</script><h1>Shipping</h1><p>Parcels travel by courier &amp; arrive in 3 days.</p></body></html>".to_vec(),
            "text/html",
        ),
        ("warranty.pdf", "application/pdf", pdf_with_text("The warranty lasts two years"), "application/pdf"),
    ];
    for (name, declared, bytes, expected) in uploads {
        let size = bytes.len() as u64;
        let file: KnowledgeFile = json(
            app.upload(key, name, declared, bytes).await,
            StatusCode::CREATED,
        )
        .await;
        assert_eq!(file.name, name);
        assert_eq!(file.content_type, expected, "{name}");
        assert_eq!(file.size_bytes, size);
        assert!(file.text_chars > 0);
    }
    let files = list(&app, key).await;
    assert_eq!(files.len(), 4);
    assert_eq!(files[0].name, "warranty.pdf", "newest first");

    for (query, name) in [
        ("opening hours friday", "hours.txt"),
        ("refund", "refunds.md"),
        ("courier parcels", "shipping.html"),
        ("warranty", "warranty.pdf"),
    ] {
        let results = app.search(key, query).await;
        assert_eq!(
            results.hits.first().map(|h| h.name.as_str()),
            Some(name),
            "{query}"
        );
    }
    assert!(
        app.search(key, "xylophone").await.hits.is_empty(),
        "scripts are not text"
    );
    let hit = &app.search(key, "courier").await.hits[0];
    assert!(hit.snippet.contains("courier & arrive"), "{}", hit.snippet);
}

#[tokio::test]
async fn bad_uploads_are_refused_and_store_nothing() {
    let app = subscribed_app().await;
    let key = &app.org.operator_key;
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01".to_vec();
    assert_error(
        app.upload(key, "logo.txt", "text/plain", png).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::UnsupportedMediaType,
    )
    .await;
    assert_error(
        app.upload(key, "fake.pdf", "application/pdf", b"not a pdf".to_vec())
            .await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::UnsupportedMediaType,
    )
    .await;
    assert_error(
        app.upload(key, "blank.txt", "text/plain", b" \n\n ".to_vec())
            .await,
        StatusCode::BAD_REQUEST,
        ErrorCode::Validation,
    )
    .await;
    assert_error(
        app.upload(
            key,
            "broken.pdf",
            "application/pdf",
            b"%PDF-1.7 truncated".to_vec(),
        )
        .await,
        StatusCode::BAD_REQUEST,
        ErrorCode::Validation,
    )
    .await;
    assert_error(
        app.upload(key, "big.txt", "text/plain", vec![b'a'; MAX_FILE_BYTES + 1])
            .await,
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
    )
    .await;
    let not_multipart = app
        .client
        .post(app.url("/v1/operator/knowledge-base/files"))
        .bearer_auth(key)
        .body("plain body")
        .send()
        .await
        .unwrap();
    assert_error(
        not_multipart,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::UnsupportedMediaType,
    )
    .await;
    let wrong_part = app
        .client
        .post(app.url("/v1/operator/knowledge-base/files"))
        .bearer_auth(key)
        .multipart(reqwest::multipart::Form::new().text("other", "hello"))
        .send()
        .await
        .unwrap();
    assert_error(wrong_part, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
    assert_error(
        app.upload("ok_wrong", "a.txt", "text/plain", b"hello".to_vec())
            .await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthorized,
    )
    .await;
    assert_eq!(app.count("knowledge_files").await, 0);
    assert!(list(&app, key).await.is_empty());
}

#[tokio::test]
async fn upload_needs_a_subscription_but_list_search_and_delete_never_do() {
    let app = subscribed_app().await;
    let key = &app.org.operator_key;
    let file: KnowledgeFile = json(
        app.upload(
            key,
            "faq.md",
            "text/markdown",
            b"Passwords reset by email.".to_vec(),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    app.store
        .set_subscription(app.org.organization_id, SubscriptionStatus::Inactive)
        .await
        .unwrap();

    assert_error(
        app.upload(key, "more.md", "text/markdown", b"More text.".to_vec())
            .await,
        StatusCode::PAYMENT_REQUIRED,
        ErrorCode::SubscriptionRequired,
    )
    .await;
    assert_eq!(list(&app, key).await.len(), 1);
    assert_eq!(app.search(key, "password").await.hits.len(), 1);
    assert_eq!(
        delete(&app, key, file.file_id).await.status(),
        StatusCode::NO_CONTENT
    );
    assert!(list(&app, key).await.is_empty());
    assert!(
        app.search(key, "password").await.hits.is_empty(),
        "deleted from the index"
    );
    assert_error(
        delete(&app, key, file.file_id).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;
}

#[tokio::test]
async fn organizations_never_see_each_others_files() {
    let app = subscribed_app().await;
    let other = app.create_org("Globex").await;
    app.store
        .set_subscription(other.organization_id, SubscriptionStatus::Active)
        .await
        .unwrap();
    let a_key = &app.org.operator_key;
    let b_key = &other.operator_key;
    let a_file: KnowledgeFile = json(
        app.upload(
            a_key,
            "secret.md",
            "text/markdown",
            b"Project zeppelin launches in May.".to_vec(),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    app.upload(
        b_key,
        "b.md",
        "text/markdown",
        b"Globex sells widgets.".to_vec(),
    )
    .await;

    assert_eq!(app.search(a_key, "zeppelin").await.hits.len(), 1);
    assert!(app.search(b_key, "zeppelin").await.hits.is_empty());
    assert!(app.search(a_key, "globex widgets").await.hits.is_empty());
    let b_files = list(&app, b_key).await;
    assert_eq!(b_files.len(), 1);
    assert_eq!(b_files[0].name, "b.md");
    assert_error(
        delete(&app, b_key, a_file.file_id).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;
    assert_eq!(
        app.search(a_key, "zeppelin").await.hits.len(),
        1,
        "still there"
    );
}

#[tokio::test]
async fn search_follows_changes_made_by_another_replica() {
    let app = subscribed_app().await;
    let key = &app.org.operator_key;
    assert!(
        app.search(key, "aurora").await.hits.is_empty(),
        "index built"
    );
    // Written straight to the store, as another server process would.
    app.store
        .add_knowledge_file(NewKnowledgeFile {
            id: FileId::from_uuid(uuid::Uuid::new_v4()),
            organization_id: app.org.organization_id,
            name: "aurora.txt".into(),
            content_type: "text/plain".into(),
            size_bytes: 30,
            text: "The aurora plan includes SSO.".into(),
            created_at: app.clock.now(),
        })
        .await
        .unwrap();
    assert_eq!(app.search(key, "aurora").await.hits.len(), 1);
}

#[tokio::test]
async fn search_queries_are_validated() {
    let app = spawn_app().await;
    let key = &app.org.operator_key;
    for query in ["", "   ", &"a".repeat(501)] {
        let response = app
            .client
            .get(app.url("/v1/operator/knowledge-base/search"))
            .query(&[("q", query)])
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
    }
    // Query syntax never fails.
    assert!(app.search(key, "\"unclosed AND (").await.hits.is_empty());
}

/// `echo-server knowledge add` imports files from another process (no
/// subscription needed); the running server's search finds them.
#[tokio::test]
async fn the_admin_command_imports_files_the_server_then_finds() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("warranty.md");
    std::fs::write(&path, "# Warranty\n\nBoots carry a two-year warranty.").unwrap();
    let key = &app.org.operator_key;
    assert!(app.search(key, "warranty").await.hits.is_empty());
    let output = cli(
        &app.database_url,
        &[
            "knowledge",
            "add",
            &app.org.organization_id.to_string(),
            path.to_str().unwrap(),
        ],
    );
    let added: KnowledgeFile = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(added.name, "warranty.md");
    assert_eq!(added.content_type, "text/markdown");
    let hits = app.search(key, "boots warranty").await.hits;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].file_id, added.file_id);
}

/// A multi-file import reports each file and goes on past a bad one: the
/// good files are added, the bad one is named, and the command fails.
#[tokio::test]
async fn an_import_goes_on_past_a_bad_file_and_says_which() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("shipping.html");
    std::fs::write(&first, "<p>We ship in two days.</p><é").unwrap();
    let bad = dir.path().join("photo.txt");
    std::fs::write(&bad, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    let last = dir.path().join("returns.md");
    std::fs::write(&last, "Returns are free for 30 days.").unwrap();
    let output = std::process::Command::new(crate::helpers::BIN)
        .args(["--database-url", &app.database_url, "knowledge", "add"])
        .arg(app.org.organization_id.to_string())
        .args([&first, &bad, &last])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("photo.txt: not added"), "{stderr}");
    let added: Vec<KnowledgeFile> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let names: Vec<&str> = added.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["shipping.html", "returns.md"]);
    let key = &app.org.operator_key;
    assert_eq!(app.search(key, "ship").await.hits.len(), 1);
}
