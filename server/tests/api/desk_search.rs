//! Search: the database's own full-text engine over messages, notes and
//! visitors; accents, case, prefixes and phrases; the caller's
//! organization only; whatever is typed is text, never engine syntax.

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::desk::{SearchField, SearchHit, SearchResults};
use echo_protocol::messages::SendMessage;
use echo_protocol::team::OperatorRole;
use echo_protocol::{ConversationId, ErrorCode};
use reqwest::{Method, StatusCode};
use serde_json::json as body;

use crate::helpers::{assert_error, json, spawn_app, TestApp, TestVisitor};

async fn say(app: &TestApp, visitor: &TestVisitor, id: ConversationId, text: &str) {
    let response = app
        .post(
            &format!("/v1/conversations/{id}/messages"),
            &SendMessage {
                text: text.into(),
                idempotency_key: None,
                attachment_ids: Vec::new(),
            },
            Some(visitor.token()),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

async fn search(app: &TestApp, query: &str) -> SearchResults {
    let path = format!("/v1/operator/search?{query}");
    json(app.key_call(Method::GET, &path, None).await, StatusCode::OK).await
}

fn q(text: &str) -> String {
    format!("q={}", urlencode(text))
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What each hit's ranges mark in its snippet.
fn marked(hit: &SearchHit) -> Vec<String> {
    hit.ranges
        .iter()
        .map(|r| {
            hit.snippet
                .chars()
                .skip(r.start as usize)
                .take((r.end - r.start) as usize)
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn search_folds_accents_prefixes_and_phrases_within_the_organization() {
    let app = spawn_app().await;
    let org = app.org.organization_id;
    let ada = app.member(org, "ada@acme.test", OperatorRole::Agent).await;
    let mut zoe = app.session_request(org);
    zoe.name = "Zoë Ångström".into();
    zoe.email = "zoe@example.com".into();
    let zoe = app.visitor_with(zoe).await;
    let first = app.start_conversation(&zoe).await;
    say(&app, &zoe, first, "Is the Café open on Sunday?").await;
    app.operator_reply(&app.org.operator_key, first, "Your refund is on its way")
        .await;
    app.note(&ada, first, "internal: refund policy exception", body!([]))
        .await;
    let visitor = app.visitor().await;
    let second = app.start_conversation(&visitor).await;
    say(&app, &visitor, second, "I want a refund for order 123").await;
    let other = app.create_org("Globex").await;
    let stranger = app.visitor_of(other.organization_id).await;
    let theirs = app.start_conversation(&stranger).await;
    say(&app, &stranger, theirs, "refund refund refund Café").await;

    let cafe = search(&app, &q("cafe")).await;
    assert_eq!(cafe.hits.len(), 1, "{cafe:?}");
    assert_eq!(cafe.hits[0].conversation_id, first);
    assert_eq!(cafe.hits[0].field, SearchField::Message);
    assert_eq!(marked(&cafe.hits[0]), ["Café"]);

    let refunds = search(&app, &q("REFU")).await;
    let mut found: Vec<String> = refunds
        .hits
        .iter()
        .map(|h| h.conversation_id.to_string())
        .collect();
    found.sort();
    let mut expected = vec![first.to_string(), first.to_string(), second.to_string()];
    expected.sort();
    assert_eq!(found, expected, "the note counts; Globex's do not");
    assert!(refunds.hits.iter().all(|h| marked(h) == ["refund"]));

    let phrase = search(&app, &q("\"refund policy\"")).await;
    assert_eq!(phrase.hits.len(), 1);
    assert_eq!(marked(&phrase.hits[0]), ["refund policy"]);

    let by_name = search(&app, &q("angstr")).await;
    assert_eq!(by_name.hits.len(), 1);
    assert_eq!(by_name.hits[0].field, SearchField::Visitor);
    assert_eq!(by_name.hits[0].visitor_name, "Zoë Ångström");
    assert_eq!(marked(&by_name.hits[0]), ["Ångström"]);
    let by_email = search(&app, &q("zoe@example")).await;
    assert_eq!(by_email.hits[0].conversation_id, first);

    // The inbox's filters apply.
    app.operator_set_status(&app.org.operator_key, second, ConversationStatus::Resolved)
        .await;
    let resolved = search(&app, &format!("{}&status=resolved", q("refund"))).await;
    assert_eq!(resolved.hits.len(), 1);
    assert_eq!(resolved.hits[0].conversation_id, second);
    assert_eq!(resolved.hits[0].status, ConversationStatus::Resolved);

    // A page at a time.
    let one = search(&app, &format!("{}&limit=1", q("refund"))).await;
    assert_eq!(one.hits.len(), 1);
    let next = one.next_cursor.expect("more hits");
    let two = search(&app, &format!("{}&limit=1&cursor={next}", q("refund"))).await;
    assert_ne!(two.hits[0], one.hits[0]);
}

#[tokio::test]
async fn what_is_typed_is_text_never_engine_syntax() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let id = app.start_conversation(&visitor).await;
    say(
        &app,
        &visitor,
        id,
        "refund near the col: a* \"quoted\" -minus",
    )
    .await;
    for typed in [
        "\"",
        "*",
        "NEAR",
        "NEAR(refund",
        "-refund",
        "refund:",
        "col:refund",
        "a OR b",
        "\"unclosed",
        "refund*",
        "(",
        ")",
        "^refund",
        "'",
        "refund & col",
        "!!",
        "near/2",
        "body:refund",
        "scope:x",
        "{body}: refund",
        "\u{0}",
        "ref\u{202e}und",
    ] {
        let response = app
            .key_call(
                Method::GET,
                &format!("/v1/operator/search?{}", q(typed)),
                None,
            )
            .await;
        let status = response.status();
        assert!(
            status == StatusCode::OK || status == StatusCode::BAD_REQUEST,
            "{typed:?} gave {status}"
        );
    }
    for typed in ["-refund", "refund:", "col:refund", "NEAR(refund"] {
        let found = search(&app, &q(typed)).await;
        assert_eq!(
            found.hits.len(),
            1,
            "{typed:?} should find the message as text"
        );
    }
    let nothing = search(&app, &q("  \" * : - ")).await;
    assert!(nothing.hits.is_empty(), "punctuation alone matches nothing");
    for bad in [
        String::new(),
        "q=".into(),
        q(&"a".repeat(500)),
        q(&"a".repeat(201)),
    ] {
        let response = app
            .key_call(Method::GET, &format!("/v1/operator/search?{bad}"), None)
            .await;
        assert_error(response, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
    }
}

/// Rows written before search existed are indexed by the server after it
/// starts: on PostgreSQL those whose tsvector is missing, on SQLite those
/// the migration left to it (`search_backfill`).
#[tokio::test]
async fn older_rows_are_indexed_after_the_server_starts() {
    let dir = tempfile::tempdir().unwrap();
    let postgres = match crate::helpers::postgres_server() {
        Some(server) => Some(crate::helpers::ThrowawayDatabase::create(&server).await),
        None => None,
    };
    let url = match &postgres {
        Some(database) => database.url.clone(),
        None => format!("sqlite://{}", dir.path().join("echo.db").display()),
    };
    let (key, org_id) = crate::helpers::cli_organization(&url);
    let client = reqwest::Client::new();
    {
        let first = crate::server_process::start_server(&url, &[]);
        let (token, conversation) =
            crate::helpers::visitor_over_http(&client, &first.base, org_id).await;
        let sent = client
            .post(format!(
                "{}/v1/conversations/{conversation}/messages",
                first.base
            ))
            .bearer_auth(&token)
            .json(&SendMessage {
                text: "Mon colis est arrivé abîmé".into(),
                idempotency_key: None,
                attachment_ids: Vec::new(),
            })
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), StatusCode::CREATED);
    }
    // The server stopped; its rows now look as if written before search.
    match &postgres {
        Some(database) => {
            for table in ["messages", "conversations"] {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE {table} SET search = NULL"
                )))
                .execute(&database.pool)
                .await
                .unwrap();
            }
        }
        None => {
            let conn = rusqlite::Connection::open(dir.path().join("echo.db")).unwrap();
            conn.execute_batch(
                "DELETE FROM search_index;
                 UPDATE search_backfill SET
                     messages_through = (SELECT MAX(seq) FROM messages),
                     conversations_through = (SELECT MAX(seq) FROM conversations);",
            )
            .unwrap();
        }
    }
    let second = crate::server_process::start_server(&url, &[]);
    let found = |query: &'static str| {
        let (client, base, key) = (client.clone(), second.base.clone(), key.clone());
        move || {
            let (client, base, key) = (client.clone(), base.clone(), key.clone());
            async move {
                let results: SearchResults = client
                    .get(format!("{base}/v1/operator/search?q={query}"))
                    .bearer_auth(&key)
                    .send()
                    .await
                    .ok()?
                    .json()
                    .await
                    .ok()?;
                (!results.hits.is_empty()).then_some(results)
            }
        }
    };
    let within = std::time::Duration::from_secs(10);
    assert!(crate::helpers::eventually(found("abime"), within)
        .await
        .is_some());
    assert!(crate::helpers::eventually(found("ada"), within)
        .await
        .is_some());
}
