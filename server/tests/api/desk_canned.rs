//! Saved replies: the team's (admins manage them) and each operator's own
//! (nobody else sees them), shortcuts unique per scope, text validated as
//! a message's.

use echo_protocol::desk::{CannedReplies, CannedReply, CannedScope};
use echo_protocol::team::OperatorRole;
use echo_protocol::ErrorCode;
use reqwest::{Method, StatusCode};
use serde_json::json as body;

use crate::helpers::{assert_error, json, spawn_app, TestApp};
use crate::members::Member;

/// The titles of the saved replies a member sees, in order.
async fn titles(app: &TestApp, member: &Member) -> Vec<String> {
    let replies: CannedReplies = json(
        app.member_call(member, Method::GET, "/v1/operator/canned-replies", None)
            .await,
        StatusCode::OK,
    )
    .await;
    replies
        .canned_replies
        .into_iter()
        .map(|r| r.title)
        .collect()
}

#[tokio::test]
async fn team_replies_are_admins_and_personal_ones_their_owners() {
    let app = spawn_app().await;
    let org = app.org.organization_id;
    let ada = app.member(org, "ada@acme.test", OperatorRole::Admin).await;
    let bob = app.member(org, "bob@acme.test", OperatorRole::Agent).await;
    let eve = app.member(org, "eve@acme.test", OperatorRole::Agent).await;
    let path = "/v1/operator/canned-replies";
    let team_reply = body!({
        "shortcut": "refund", "title": "Refund policy",
        "text": "Hi {{visitor.name}}, refunds take **5 days**.", "scope": "team"
    });

    // An agent may not write the team's replies; an admin may.
    let refused = app
        .member_call(&bob, Method::POST, path, Some(team_reply.clone()))
        .await;
    assert_error(refused, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    let team: CannedReply = json(
        app.member_call(&ada, Method::POST, path, Some(team_reply.clone()))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(team.scope, CannedScope::Team);
    assert_eq!(team.text, "Hi {{visitor.name}}, refunds take **5 days**.");
    let taken = app
        .member_call(&ada, Method::POST, path, Some(team_reply))
        .await;
    assert_error(taken, StatusCode::CONFLICT, ErrorCode::Conflict).await;

    // The same shortcut is free in bob's own scope.
    let mine: CannedReply = json(
        app.member_call(
            &bob,
            Method::POST,
            path,
            Some(body!({"shortcut": "refund", "title": "My refund", "text": "Mine", "scope": "personal"})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(titles(&app, &bob).await, ["Refund policy", "My refund"]);
    assert_eq!(titles(&app, &eve).await, ["Refund policy"]);

    // Someone else's personal reply does not exist for them; the team's
    // is an admin's to change.
    let mine_path = format!("{path}/{}", mine.id);
    for method in [Method::PATCH, Method::DELETE] {
        let hidden = app
            .member_call(&eve, method, &mine_path, Some(body!({"title": "x"})))
            .await;
        assert_error(hidden, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    }
    let team_path = format!("{path}/{}", team.id);
    let agent_edit = app
        .member_call(&bob, Method::PATCH, &team_path, Some(body!({"title": "x"})))
        .await;
    assert_error(agent_edit, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    let renamed: CannedReply = json(
        app.member_call(
            &ada,
            Method::PATCH,
            &team_path,
            Some(body!({"shortcut": "refunds"})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(renamed.shortcut, "refunds");
    assert_eq!(renamed.title, "Refund policy");
    let edited: CannedReply = json(
        app.member_call(
            &bob,
            Method::PATCH,
            &mine_path,
            Some(body!({"text": "Edited"})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(edited.text, "Edited");

    // An API key acts for the team: it has no personal replies.
    let keyed = app
        .key_call(
            Method::POST,
            path,
            Some(body!({"shortcut": "k", "title": "K", "text": "K", "scope": "personal"})),
        )
        .await;
    assert_error(keyed, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;

    // Another organization sees none of them.
    let other = app.create_org("Globex").await;
    let foreign = app
        .client
        .patch(app.url(&team_path))
        .bearer_auth(&other.operator_key)
        .json(&body!({"title": "mine now"}))
        .send()
        .await
        .unwrap();
    assert_error(foreign, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;

    let deleted = app
        .member_call(&bob, Method::DELETE, &mine_path, None)
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(titles(&app, &bob).await, ["Refund policy"]);
}

#[tokio::test]
async fn bad_replies_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let path = "/v1/operator/canned-replies";
    let long = "x".repeat(4001);
    let cases = [
        body!({"shortcut": "Bad!", "title": "t", "text": "t", "scope": "team"}),
        body!({"shortcut": "", "title": "t", "text": "t", "scope": "team"}),
        body!({"shortcut": "a".repeat(33), "title": "t", "text": "t", "scope": "team"}),
        body!({"shortcut": "ok", "title": "t", "text": "\u{200b}\u{2060} ", "scope": "team"}),
        body!({"shortcut": "ok", "title": "t", "text": long, "scope": "team"}),
        body!({"shortcut": "ok", "title": "evil\u{202e}", "text": "t", "scope": "team"}),
        body!({"shortcut": "ok", "title": "a\u{0007}", "text": "t", "scope": "team"}),
        body!({"shortcut": "ok", "title": "t", "text": "t", "scope": "everyone"}),
    ];
    for case in cases {
        let response = app.key_call(Method::POST, path, Some(case.clone())).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{case}");
    }
    assert_eq!(app.count("canned_replies").await, 0);
    let missing = app
        .key_call(
            Method::PATCH,
            &format!("{path}/{}", uuid::Uuid::new_v4()),
            Some(body!({"title": "x"})),
        )
        .await;
    assert_error(missing, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}
