//! The audit log: who did what, from where, newest first, admins only,
//! append-only; and the organization's retention setting.

use echo_protocol::team::OperatorRole;
use echo_protocol::trust::{AuditAction, AuditActorKind, AuditPage};
use echo_protocol::ErrorCode;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{assert_error, json, spawn_app};
use crate::members::PASSWORD;

#[tokio::test]
async fn security_actions_are_logged_with_actor_address_and_target() {
    let app = spawn_app().await;
    let org = app.org.organization_id;
    let admin = app
        .member(org, "ana@example.com", OperatorRole::Admin)
        .await;
    let agent = app.member(org, "bo@example.com", OperatorRole::Agent).await;

    let failed = app.sign_in("bo@example.com", "not the password").await;
    assert_eq!(failed.status(), StatusCode::UNAUTHORIZED);
    let signed_in = app.sign_in("bo@example.com", PASSWORD).await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    let promoted = app
        .as_member(
            Method::PATCH,
            &format!("/v1/operator/team/{}", agent.id()),
            &admin.cookie,
            Some(&json!({"role": "admin"})),
        )
        .await;
    assert_eq!(promoted.status(), StatusCode::OK);
    let key = app
        .member_post(
            "/v1/operator/api-keys",
            &admin.cookie,
            &json!({"name": "CI"}),
        )
        .await;
    let key: serde_json::Value = json(key, StatusCode::CREATED).await;
    let deleted = app
        .as_member::<()>(
            Method::DELETE,
            &format!("/v1/operator/api-keys/{}", key["keyId"].as_str().unwrap()),
            &admin.cookie,
            None,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let retention = app
        .as_member(
            Method::PATCH,
            "/v1/operator/organization",
            &admin.cookie,
            Some(&json!({"retentionDays": 90})),
        )
        .await;
    assert_eq!(retention.status(), StatusCode::OK);
    let rotated = app
        .client
        .post(app.url("/v1/operator/identity-secret"))
        .bearer_auth(&app.org.operator_key)
        .send()
        .await
        .unwrap();
    assert_eq!(rotated.status(), StatusCode::OK);

    let page: AuditPage = json(
        app.member_get("/v1/operator/audit-log", &admin.cookie)
            .await,
        StatusCode::OK,
    )
    .await;
    let actions: Vec<AuditAction> = page.entries.iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        [
            AuditAction::IdentitySecretRotated,
            AuditAction::RetentionChanged,
            AuditAction::ApiKeyDeleted,
            AuditAction::ApiKeyCreated,
            AuditAction::RoleChanged,
            AuditAction::SignIn,
            AuditAction::SignInFailed,
            AuditAction::InvitationAccepted,
            AuditAction::InvitationAccepted,
        ],
        "newest first: {page:?}"
    );
    let by_key = &page.entries[0];
    assert_eq!(by_key.actor.kind, AuditActorKind::ApiKey);
    let failed = &page.entries[6];
    assert_eq!(failed.target.as_deref(), Some("bo@example.com"));
    assert_eq!(failed.address.as_deref(), Some("127.0.0.1"));
    let role = &page.entries[4];
    assert_eq!(role.actor.name.as_deref(), Some("ana"));
    assert_eq!(role.target, Some(agent.id().to_string()));
    assert_eq!(page.entries[1].fields, ["retentionDays"]);

    let first: AuditPage = json(
        app.member_get("/v1/operator/audit-log?limit=4", &admin.cookie)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(first.entries, page.entries[..4]);
    let cursor = first.next_cursor.expect("more pages");
    let second: AuditPage = json(
        app.member_get(
            &format!("/v1/operator/audit-log?limit=4&cursor={cursor}"),
            &admin.cookie,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(second.entries, page.entries[4..8]);

    let other = app.create_org("Other").await;
    let elsewhere: AuditPage = json(
        app.operator_get(&other.operator_key, "/v1/operator/audit-log")
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(elsewhere.entries.is_empty(), "another organization's log");
    let bad = app
        .member_get("/v1/operator/audit-log?cursor=x", &admin.cookie)
        .await;
    assert_error(bad, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
    for method in [Method::DELETE, Method::PUT, Method::POST] {
        let refused = app
            .as_member::<()>(method, "/v1/operator/audit-log", &admin.cookie, None)
            .await;
        assert_eq!(
            refused.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "append-only"
        );
    }
}

#[tokio::test]
async fn only_admins_read_the_log_and_retention_is_checked() {
    let app = spawn_app().await;
    let org = app.org.organization_id;
    let admin = app
        .member(org, "ana@example.com", OperatorRole::Admin)
        .await;
    let agent = app.member(org, "bo@example.com", OperatorRole::Agent).await;
    let refused = app
        .member_get("/v1/operator/audit-log", &agent.cookie)
        .await;
    assert_error(refused, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;

    for days in [json!(29), json!(3651), json!(-1), json!("90")] {
        let bad = app
            .as_member(
                Method::PATCH,
                "/v1/operator/organization",
                &admin.cookie,
                Some(&json!({"retentionDays": days})),
            )
            .await;
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST, "{days}");
    }
    for (days, expected) in [(json!(30), json!(30)), (json!(null), json!(null))] {
        let set = app
            .as_member(
                Method::PATCH,
                "/v1/operator/organization",
                &admin.cookie,
                Some(&json!({"retentionDays": days})),
            )
            .await;
        let info: serde_json::Value = json(set, StatusCode::OK).await;
        assert_eq!(info["retentionDays"], expected);
    }
    let untouched = app
        .as_member(
            Method::PATCH,
            "/v1/operator/organization",
            &admin.cookie,
            Some(&json!({})),
        )
        .await;
    let info: serde_json::Value = json(untouched, StatusCode::OK).await;
    assert_eq!(info["retentionDays"], json!(null));
    assert_eq!(info["requireTwoFactor"], json!(false));
}
