//! Labels (the organization's, a conversation's) and bulk changes.

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::desk::{BulkResults, Label, Labels};
use echo_protocol::events::Change;
use echo_protocol::operator::{OperatorConversation, OperatorConversationPage};
use echo_protocol::team::OperatorRole;
use echo_protocol::{ConversationId, ErrorCode};
use reqwest::{Method, StatusCode};
use serde_json::json as body;

use crate::helpers::{assert_error, json, spawn_app, SseReader, TestApp};

async fn label(app: &TestApp, name: &str, color: &str) -> Label {
    json(
        app.key_call(
            Method::POST,
            "/v1/operator/labels",
            Some(body!({"name": name, "color": color})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await
}

async fn inbox(app: &TestApp, query: &str) -> OperatorConversationPage {
    json(
        app.key_call(
            Method::GET,
            &format!("/v1/operator/conversations?{query}"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await
}

/// The next `labels` event on an operator stream (others skipped).
async fn next_labels(stream: &mut SseReader) -> (ConversationId, Vec<Label>) {
    loop {
        let frame = stream.next().await;
        if frame.event == "labels" {
            let live = frame.live();
            match live.change {
                Change::Labels { labels } => return (live.conversation_id, labels),
                other => panic!("{other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn labels_are_admins_to_define_and_anyones_to_set() {
    let app = spawn_app().await;
    let org = app.org.organization_id;
    let agent = app.member(org, "bob@acme.test", OperatorRole::Agent).await;
    let billing = label(&app, "Billing", "#FF0000").await;
    assert_eq!(billing.color, "#ff0000");
    let vip = label(&app, "VIP", "#00aa00").await;
    let dup = app
        .key_call(
            Method::POST,
            "/v1/operator/labels",
            Some(body!({"name": "billing", "color": "#000000"})),
        )
        .await;
    assert_error(dup, StatusCode::CONFLICT, ErrorCode::Conflict).await;
    let by_agent = app
        .member_call(
            &agent,
            Method::POST,
            "/v1/operator/labels",
            Some(body!({"name": "Mine", "color": "#000000"})),
        )
        .await;
    assert_error(by_agent, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    for bad in [
        body!({"name": "x", "color": "red"}),
        body!({"name": "", "color": "#000000"}),
        body!({"name": "a\u{202e}b", "color": "#000000"}),
        body!({"name": "n".repeat(51), "color": "#000000"}),
    ] {
        let response = app
            .key_call(Method::POST, "/v1/operator/labels", Some(bad.clone()))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
    }

    let visitor = app.visitor().await;
    let first = app.start_conversation(&visitor).await;
    let second = app.start_conversation(&visitor).await;
    let mut stream = app.operator_events(&app.org.operator_key).await;
    assert_eq!(stream.next().await.event, "ready");
    let mut widget = app.visitor_events(visitor.token(), first, None).await;
    assert_eq!(widget.next().await.event, "ready");

    // Any member sets them; the team hears of it, the visitor does not.
    let path = format!("/v1/operator/conversations/{first}/labels");
    let set: Labels = json(
        app.member_call(
            &agent,
            Method::PUT,
            &path,
            Some(body!({"labelIds": [vip.id, billing.id, vip.id]})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let names: Vec<&str> = set.labels.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["Billing", "VIP"]);
    assert_eq!(next_labels(&mut stream).await, (first, set.labels.clone()));

    // The inbox shows and filters them; the conversation carries them.
    let filtered = inbox(&app, &format!("label={}", vip.id)).await;
    let ids: Vec<ConversationId> = filtered
        .conversations
        .iter()
        .map(|c| c.conversation_id)
        .collect();
    assert_eq!(ids, [first]);
    assert_eq!(filtered.conversations[0].labels, set.labels);
    let all = inbox(&app, "").await;
    assert!(all
        .conversations
        .iter()
        .any(|c| c.conversation_id == second && c.labels.is_empty()));
    let detail: OperatorConversation = json(
        app.key_call(
            Method::GET,
            &format!("/v1/operator/conversations/{first}"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(detail.labels, set.labels);

    // Unknown labels and other organizations' conversations are 404s.
    let unknown = app
        .key_call(
            Method::PUT,
            &path,
            Some(body!({"labelIds": [uuid::Uuid::new_v4()]})),
        )
        .await;
    assert_error(unknown, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let other = app.create_org("Globex").await;
    let foreign = app
        .client
        .put(app.url(&path))
        .bearer_auth(&other.operator_key)
        .json(&body!({"labelIds": []}))
        .send()
        .await
        .unwrap();
    assert_error(foreign, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;

    // Renaming keeps it on; deleting takes it off everywhere.
    let renamed: Label = json(
        app.key_call(
            Method::PATCH,
            &format!("/v1/operator/labels/{}", billing.id),
            Some(body!({"name": "Invoices"})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(renamed.color, "#ff0000");
    let deleted = app
        .key_call(
            Method::DELETE,
            &format!("/v1/operator/labels/{}", vip.id),
            None,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let (conversation, left) = next_labels(&mut stream).await;
    assert_eq!(conversation, first);
    assert_eq!(left, [renamed]);
    assert!(inbox(&app, &format!("label={}", vip.id))
        .await
        .conversations
        .is_empty());

    // The widget's stream never carried a labels event: the next thing it
    // sees is this reply.
    app.operator_reply(&app.org.operator_key, first, "Marker")
        .await;
    loop {
        let frame = widget.next().await;
        assert_ne!(frame.event, "labels");
        if frame.event == "message" {
            break;
        }
    }
}

#[tokio::test]
async fn a_bulk_change_reports_each_conversation() {
    let app = spawn_app().await;
    let org = app.org.organization_id;
    let ada = app.member(org, "ada@acme.test", OperatorRole::Agent).await;
    let urgent = label(&app, "Urgent", "#ff8800").await;
    let visitor = app.visitor().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(app.start_conversation(&visitor).await);
    }
    let other = app.create_org("Globex").await;
    let stranger = app.visitor_of(other.organization_id).await;
    let foreign = app.start_conversation(&stranger).await;
    let missing = ConversationId::from_uuid(uuid::Uuid::new_v4());

    let mut named = ids.clone();
    named.extend([foreign, missing]);
    let results: BulkResults = json(
        app.member_call(
            &ada,
            Method::POST,
            "/v1/operator/conversations/bulk",
            Some(body!({
                "conversationIds": named,
                "status": "resolved",
                "assigneeId": ada.id(),
                "addLabelIds": [urgent.id],
            })),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let outcome: Vec<(ConversationId, bool, Option<ErrorCode>)> = results
        .results
        .iter()
        .map(|r| (r.conversation_id, r.ok, r.error))
        .collect();
    assert_eq!(
        outcome,
        [
            (ids[0], true, None),
            (ids[1], true, None),
            (ids[2], true, None),
            (foreign, false, Some(ErrorCode::NotFound)),
            (missing, false, Some(ErrorCode::NotFound)),
        ]
    );
    let resolved = inbox(&app, &format!("status=resolved&label={}", urgent.id)).await;
    assert_eq!(resolved.conversations.len(), 3);
    assert!(resolved
        .conversations
        .iter()
        .all(|c| c.assignee.as_ref().map(|a| a.operator_id) == Some(ada.id())));
    // The other organization's conversation was not touched.
    let theirs: OperatorConversation = json(
        app.client
            .get(app.url(&format!("/v1/operator/conversations/{foreign}")))
            .bearer_auth(&other.operator_key)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(theirs.status, ConversationStatus::Unresolved);
    assert!(theirs.labels.is_empty());

    let too_many: Vec<ConversationId> = (0..101)
        .map(|_| ConversationId::from_uuid(uuid::Uuid::new_v4()))
        .collect();
    for bad in [
        body!({"conversationIds": [], "status": "resolved"}),
        body!({"conversationIds": too_many, "status": "resolved"}),
        body!({"conversationIds": [ids[0]], "status": "closed"}),
    ] {
        let response = app
            .key_call(Method::POST, "/v1/operator/conversations/bulk", Some(bad))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }
    // Naming nothing to change only looks them up.
    let looked: BulkResults = json(
        app.key_call(
            Method::POST,
            "/v1/operator/conversations/bulk",
            Some(body!({"conversationIds": [ids[0], foreign]})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let found: Vec<bool> = looked.results.iter().map(|r| r.ok).collect();
    assert_eq!(found, [true, false]);
    for unknown in [
        body!({"conversationIds": [ids[0]], "assigneeId": uuid::Uuid::new_v4()}),
        body!({"conversationIds": [ids[0]], "addLabelIds": [uuid::Uuid::new_v4()]}),
    ] {
        let response = app
            .key_call(
                Method::POST,
                "/v1/operator/conversations/bulk",
                Some(unknown),
            )
            .await;
        assert_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    }
}
