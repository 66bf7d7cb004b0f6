//! A visitor's data exported and erased, and retention: after an erasure
//! no API, search, stream resume, export or attachment link returns any of
//! it, and another visitor's data is untouched.

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::desk::SearchResults;
use echo_protocol::team::OperatorRole;
use echo_protocol::trust::{ContactErased, ContactExport};
use echo_protocol::{ConversationId, ErrorCode};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::attachments::uploaded;
use crate::fixtures::png;
use crate::helpers::{assert_error, json, TestApp, TestVisitor};

impl TestApp {
    async fn visitor_named(&self, name: &str, email: &str) -> TestVisitor {
        let mut request = self.session_request(self.org.organization_id);
        request.name = name.into();
        request.email = email.into();
        self.visitor_with(request).await
    }

    async fn say(&self, visitor: &TestVisitor, conversation: ConversationId, text: &str) {
        let sent = self
            .post(
                &format!("/v1/conversations/{conversation}/messages"),
                &json!({"text": text}),
                Some(visitor.token()),
            )
            .await;
        assert_eq!(sent.status(), StatusCode::CREATED);
    }

    async fn searched(&self, words: &str) -> SearchResults {
        let path = format!("/v1/operator/search?q={words}");
        json(
            self.key_call(Method::GET, &path, None).await,
            StatusCode::OK,
        )
        .await
    }

    async fn export(&self, query: &str) -> ContactExport {
        let path = format!("/v1/operator/contacts/export?{query}");
        json(
            self.key_call(Method::GET, &path, None).await,
            StatusCode::OK,
        )
        .await
    }

    async fn erase(&self, body: serde_json::Value) -> reqwest::Response {
        self.key_call(Method::POST, "/v1/operator/contacts/erase", Some(body))
            .await
    }
}

#[tokio::test]
async fn a_visitor_is_exported_then_erased_and_nothing_of_theirs_remains() {
    let app = crate::helpers::spawn_app().await;
    let ann = app.visitor_named("Ann Example", "Ann@Example.com").await;
    let chat = app.start_conversation(&ann).await;
    app.say(&ann, chat, "my order zebra4471 never came").await;
    let file = uploaded(app.visitor_attach(&ann, chat, "shot.png", png(4, 4)).await).await;
    let sent = app
        .send_files(&ann, chat, "photo", vec![file.attachment_id])
        .await;
    let sent: echo_protocol::messages::Message = json(sent, StatusCode::CREATED).await;
    let link = sent.attachments[0].url.clone();
    let admin = app
        .member(
            app.org.organization_id,
            "ops@example.com",
            OperatorRole::Admin,
        )
        .await;
    app.note(&admin, chat, "internal zebra4471 note", json!([]))
        .await;
    app.operator_reply(&app.org.operator_key, chat, "On it")
        .await;
    let bob = app.visitor_named("Bob Other", "bob@example.com").await;
    let kept = app.start_conversation(&bob).await;
    app.say(&bob, kept, "zebra4471 is my order too").await;

    let export = app.export("email=ann%40example.com").await;
    assert_eq!(export.email.as_deref(), Some("ann@example.com"));
    assert_eq!(export.sessions.len(), 1);
    assert_eq!(export.sessions[0].name, "Ann Example");
    assert_eq!(export.conversations.len(), 1);
    let texts: Vec<&str> = export.conversations[0]
        .messages
        .iter()
        .map(|m| m.text.as_str())
        .collect();
    assert!(texts.contains(&"my order zebra4471 never came") && texts.contains(&"On it"));
    assert!(
        !texts.iter().any(|t| t.contains("internal")),
        "notes are the team's: {texts:?}"
    );
    let exported_link = &export.conversations[0]
        .messages
        .iter()
        .find(|m| m.text == "photo")
        .unwrap()
        .attachments[0]
        .url;
    assert_eq!(
        app.client.get(exported_link).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(app.searched("zebra4471").await.hits.len(), 3);

    for bad in [
        json!({}),
        json!({"email": "a@b.co", "userId": "u1"}),
        json!({"email": "ann@example.com", "userId": null}),
        json!({"email": "  "}),
        json!({"email": "ann@example.com", "other": 1}),
    ] {
        let refused = app.erase(bad.clone()).await;
        assert_error(refused, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
    }
    let agent = app
        .member(
            app.org.organization_id,
            "agent@example.com",
            OperatorRole::Agent,
        )
        .await;
    let by_agent = app
        .member_call(
            &agent,
            Method::POST,
            "/v1/operator/contacts/erase",
            Some(json!({"email": "ann@example.com"})),
        )
        .await;
    assert_error(by_agent, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;

    let nobody = app.export("").await;
    assert!(nobody.sessions.is_empty() && nobody.conversations.is_empty());
    let bad = app
        .key_call(Method::GET, "/v1/operator/contacts/export?email=%20", None)
        .await;
    assert_error(bad, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
    let not_an_address = app.export("email=nope").await;
    assert!(not_an_address.conversations.is_empty(), "matches nobody");
    let erased: ContactErased = json(
        app.erase(json!({"email": "ANN@example.com"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (erased.sessions, erased.conversations, erased.attachments),
        (1, 1, 1)
    );
    assert!(
        erased.messages >= 5,
        "greeting, two visitor messages, a note, a reply: {erased:?}"
    );

    // Nothing of Ann's is left anywhere.
    let hits = app.searched("zebra4471").await.hits;
    assert_eq!(hits.len(), 1, "only Bob's message");
    assert_eq!(hits[0].conversation_id, kept);
    let gone = app
        .operator_get(
            &app.org.operator_key,
            &format!("/v1/operator/conversations/{chat}"),
        )
        .await;
    assert_error(gone, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let session = app
        .get(
            &format!("/v1/conversations/{chat}/messages"),
            Some(ann.token()),
        )
        .await;
    assert_error(session, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    assert_eq!(
        app.client.get(&link).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let again = app.export("email=ann%40example.com").await;
    assert!(again.sessions.is_empty() && again.conversations.is_empty());
    for table in [
        "messages",
        "events",
        "attachments",
        "mentions",
        "mail_outbox",
    ] {
        let left = app
            .scalar_i64(&format!(
                "SELECT COUNT(*) FROM {table} WHERE conversation_id = '{chat}'"
            ))
            .await;
        assert_eq!(left, 0, "{table}");
    }
    // A stream resumed from the start replays Bob's events, none of Ann's.
    let mut stream = app.operator_events_after(&app.org.operator_key, 0).await;
    app.say(&bob, kept, "still waiting").await;
    loop {
        let frame = stream.next().await;
        assert!(!frame.data.contains(&chat.to_string()), "{}", frame.data);
        if frame.data.contains("still waiting") {
            break;
        }
    }
    let bobs = app.export("email=bob%40example.com").await;
    assert_eq!(bobs.conversations.len(), 1);

    let unknown: ContactErased =
        json(app.erase(json!({"userId": "nobody"})).await, StatusCode::OK).await;
    assert_eq!(unknown, ContactErased::default());
}

#[tokio::test]
async fn a_verified_user_is_found_by_user_id_across_sessions() {
    let app = crate::helpers::spawn_app().await;
    let secret = app
        .store
        .identity_secret(app.org.organization_id)
        .await
        .unwrap()
        .unwrap();
    let mut chats = Vec::new();
    for email in ["one@example.com", "two@example.com"] {
        let mut request = app.session_request(app.org.organization_id);
        request.email = email.into();
        request.user_id = Some("user-42".into());
        request.user_hash = Some(crate::identity::sign(&secret, "user-42"));
        let visitor = app.visitor_with(request).await;
        chats.push(app.start_conversation(&visitor).await);
    }
    let export = app.export("userId=user-42").await;
    assert_eq!(export.sessions.len(), 2);
    assert_eq!(export.conversations.len(), 2);
    // Both: their data under either.
    let mut other = app.session_request(app.org.organization_id);
    other.email = "three@example.com".into();
    let third = app.visitor_with(other).await;
    app.start_conversation(&third).await;
    let both = app.export("userId=user-42&email=three%40example.com").await;
    assert_eq!((both.sessions.len(), both.conversations.len()), (3, 3));
    let erased: ContactErased = json(
        app.erase(json!({"userId": "user-42"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!((erased.sessions, erased.conversations), (2, 2));
    assert_eq!(app.count("conversations").await, 1, "three@'s stays");
}

#[tokio::test]
async fn retention_deletes_resolved_conversations_past_their_days_only() {
    let app = crate::helpers::spawn_app().await;
    let set = app
        .key_call(
            Method::PATCH,
            "/v1/operator/organization",
            Some(json!({"retentionDays": 30})),
        )
        .await;
    assert_eq!(set.status(), StatusCode::OK);
    let old = app.visitor_named("Old", "old@example.com").await;
    let resolved = app.start_conversation(&old).await;
    app.say(&old, resolved, "ancient words").await;
    app.operator_set_status(
        &app.org.operator_key,
        resolved,
        ConversationStatus::Resolved,
    )
    .await;
    let open = app.start_conversation(&old).await;
    app.clock.advance_secs(31 * 86_400);
    let recent = app.start_conversation(&app.visitor().await).await;
    app.operator_set_status(&app.org.operator_key, recent, ConversationStatus::Resolved)
        .await;
    let other = app.create_org("Keeps everything").await;
    let visitor = app.visitor_of(other.organization_id).await;
    let elsewhere = app.start_conversation(&visitor).await;
    app.operator_set_status(&other.operator_key, elsewhere, ConversationStatus::Resolved)
        .await;
    app.clock.advance_secs(60);

    let deleted = echo_server::retention::run_once(app.store.as_ref(), &app.clock)
        .await
        .unwrap();
    assert_eq!(deleted, 1, "only the old resolved one");
    let gone = app
        .operator_get(
            &app.org.operator_key,
            &format!("/v1/operator/conversations/{resolved}"),
        )
        .await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    for kept in [open, recent] {
        let found = app
            .operator_get(
                &app.org.operator_key,
                &format!("/v1/operator/conversations/{kept}"),
            )
            .await;
        assert_eq!(found.status(), StatusCode::OK);
    }
    assert_eq!(app.searched("ancient").await.hits.len(), 0);
    let again = echo_server::retention::run_once(app.store.as_ref(), &app.clock)
        .await
        .unwrap();
    assert_eq!(again, 0);
}

#[tokio::test]
async fn concurrent_retention_runs_delete_each_conversation_once() {
    let app = crate::helpers::spawn_app_with(|config| {
        config.limits = echo_server::limits::LimitSettings::off();
    })
    .await;
    let set = app
        .key_call(
            Method::PATCH,
            "/v1/operator/organization",
            Some(json!({"retentionDays": 30})),
        )
        .await;
    assert_eq!(set.status(), StatusCode::OK);
    let visitor = app.visitor().await;
    const OLD: u64 = 120;
    for _ in 0..OLD {
        let id = app.start_conversation(&visitor).await;
        app.operator_set_status(&app.org.operator_key, id, ConversationStatus::Resolved)
            .await;
    }
    app.clock.advance_secs(31 * 86_400);
    // As two replicas would: on PostgreSQL each batch skips the rows the
    // other holds; on SQLite the writer runs them one after the other.
    let (one, two) = tokio::join!(
        echo_server::retention::run_once(app.store.as_ref(), &app.clock),
        echo_server::retention::run_once(app.store.as_ref(), &app.clock),
    );
    assert_eq!(one.unwrap() + two.unwrap(), OLD);
    assert_eq!(app.count("conversations").await, 0);
    assert_eq!(
        app.count("contact_sessions").await,
        0,
        "the expired session went with them"
    );
}
