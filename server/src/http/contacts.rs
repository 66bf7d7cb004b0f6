//! A visitor's data on request (admins): `GET /v1/operator/contacts/export`
//! answers everything stored about them in this organization as one JSON
//! document; `POST /v1/operator/contacts/erase` deletes it all, ends their
//! open streams on every replica and answers what was deleted. Both are
//! in the audit log.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use echo_protocol::trust::{AuditAction, ContactErased, ContactExport, ContactKey};
use echo_protocol::validate::{ContactEmail, UserId};
use serde::Deserialize;
use utoipa::IntoParams;

use super::audit::Audited;
use super::auth::Operator;
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiQuery};
use super::ApiContext;
use crate::revocations::Revoked;
use crate::store::erasure::ContactMatch;
use crate::store::{Cursor, Reader};

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/v1/operator/contacts/export", get(export))
        .route("/v1/operator/contacts/erase", post(erase))
}

/// The email to look for, lowercased.
fn email(raw: &str) -> ApiResult<String> {
    Ok(ContactEmail::parse(raw)?.into_inner().to_lowercase())
}

fn user_id(raw: &str) -> ApiResult<String> {
    Ok(UserId::parse(raw)?.into_inner())
}

/// `GET .../export`: by email, user ID, or both (their data under either).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// The email the visitor gave (any case).
    pub email: Option<String>,
    /// The user ID the host verified.
    #[serde(rename = "userId")]
    #[param(rename = "userId")]
    pub user_id: Option<String>,
}

/// The erase body: exactly one of `email` and `userId`, nothing else (a
/// `null` counts as given).
fn erase_key(body: &serde_json::Map<String, serde_json::Value>) -> ApiResult<ContactMatch> {
    let one = || ApiError::validation("email", "give exactly one of email and userId");
    let [(name, value)] = body.iter().collect::<Vec<_>>()[..] else {
        return Err(one());
    };
    let text = value.as_str().ok_or_else(one)?;
    match name.as_str() {
        "email" => Ok(ContactMatch {
            email: Some(email(text)?),
            user_id: None,
        }),
        "userId" => Ok(ContactMatch {
            email: None,
            user_id: Some(user_id(text)?),
        }),
        _ => Err(one()),
    }
}

/// Messages read per call while exporting a conversation.
const PAGE: u32 = 100;

/// Everything stored about one visitor: their sessions' details and their
/// conversations with every message (not the team's notes), attachments
/// as signed links. By email, user ID or both (their data under either);
/// neither matches nobody.
#[utoipa::path(
    get,
    path = "/v1/operator/contacts/export",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    params(ExportQuery),
    responses(
        (status = 200, body = ContactExport),
        (status = 400, description = "An email or user ID that is not one (`VALIDATION`)", body = echo_protocol::ErrorBody),
        (status = 403, description = "Not an admin (`FORBIDDEN`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn export(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> ApiResult<Json<ContactExport>> {
    operator.require_admin()?;
    let who = ContactMatch {
        email: query.email.as_deref().map(email).transpose()?,
        user_id: query.user_id.as_deref().map(user_id).transpose()?,
    };
    let (sessions, mut conversations) = ctx
        .store
        .contact_records(operator.organization, who.clone())
        .await?;
    let now = ctx.clock.now();
    for conversation in &mut conversations {
        let mut before: Option<Cursor> = None;
        loop {
            let mut page = ctx
                .store
                .messages(conversation.conversation_id, before, PAGE, Reader::Visitor)
                .await?;
            ctx.links.sign_all(&mut page.items, now);
            page.items.append(&mut conversation.messages);
            conversation.messages = page.items;
            match page.next_cursor {
                Some(next) => before = Some(next),
                None => break,
            }
        }
    }
    let audited = Audited::new(AuditAction::ContactExported).target(who.describe());
    operator.audit(&ctx, audited).await;
    Ok(Json(ContactExport {
        organization_id: operator.organization,
        exported_at: now,
        email: who.email,
        user_id: who.user_id,
        sessions,
        conversations,
    }))
}

/// Deletes everything stored about one visitor in this organization: their
/// sessions, conversations, messages, attachments' bytes, mail, live
/// events and search entries (the knowledge base is untouched).
/// Irreversible. Someone unknown is 200 with zero counts.
#[utoipa::path(
    post,
    path = "/v1/operator/contacts/erase",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    request_body = ContactKey,
    responses(
        (status = 200, body = ContactErased),
        (status = 400, description = "Not exactly one of `email` and `userId`, or one that is not valid (`VALIDATION`)", body = echo_protocol::ErrorBody),
        (status = 403, description = "Not an admin (`FORBIDDEN`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn erase(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiJson(body): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> ApiResult<Json<ContactErased>> {
    operator.require_admin()?;
    let who = erase_key(&body)?;
    let (erased, sessions) = ctx
        .store
        .erase_contact(operator.organization, who.clone())
        .await?;
    for hash in sessions {
        ctx.store.revoke(Revoked::ContactSession(hash)).await;
    }
    let audited = Audited::new(AuditAction::ContactErased).target(who.describe());
    operator.audit(&ctx, audited).await;
    tracing::info!(
        conversations = erased.conversations,
        "a visitor's data erased"
    );
    Ok(Json(erased))
}
