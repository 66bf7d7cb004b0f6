//! The mail endpoints: a visitor's transcript, an operator's notification
//! setting, and the one-click unsubscribe link of notification mails
//! (RFC 8058: a `GET` only shows a button, so a mail scanner that follows
//! links unsubscribes no one; the `POST` a mail client sends does).

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use echo_protocol::conversations::TranscriptQueued;
use echo_protocol::team::NotificationSettings;
use echo_protocol::{ConversationId, ErrorCode};

use super::auth::{SignedIn, Visitor};
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiPath};
use super::ApiContext;
use crate::mail::render::escape;
use crate::secrets::{ConfirmationToken, UnsubscribeToken};
use crate::store::Reader;

/// The most messages a transcript quotes.
const TRANSCRIPT_MESSAGES: u32 = 500;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route(
            "/v1/conversations/{conversation_id}/transcript",
            post(request_transcript),
        )
        .route("/v1/auth/notifications", put(set_notifications))
        .route(
            "/v1/unsubscribe/{token}",
            get(unsubscribe_page).post(unsubscribe),
        )
        .route("/v1/mail/confirm/{token}", get(confirm_page).post(confirm))
}

fn mail_off() -> ApiError {
    ApiError::new(ErrorCode::MailUnavailable, "This server does not send mail")
}

/// Mails the whole conversation to the visitor's email. An address that
/// is neither a verified visitor's nor confirmed gets a confirmation link
/// first (at most one a day), and the transcript once it is confirmed.
#[utoipa::path(
    post,
    path = "/v1/conversations/{conversationId}/transcript",
    tag = "conversations",
    security(("contactSession" = [])),
    params(("conversationId" = String, Path)),
    responses(
        (status = 202, body = TranscriptQueued),
        (status = 404, description = "Missing or another session's (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
        (status = 409, description = "The session has no email, or it cannot be mailed (`CONFLICT`)", body = echo_protocol::ErrorBody),
        (status = 429, description = "Three transcripts of this conversation in the last day (`RATE_LIMITED`)", body = echo_protocol::ErrorBody),
        (status = 503, description = "`MAIL_UNAVAILABLE`", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(conversation_id = %id))]
pub async fn request_transcript(
    State(ctx): State<ApiContext>,
    visitor: Visitor,
    ApiPath(id): ApiPath<ConversationId>,
) -> ApiResult<(StatusCode, Json<TranscriptQueued>)> {
    let conversation = visitor.conversation(&ctx, id).await?;
    let mailer = ctx.mailer.as_ref().ok_or_else(mail_off)?;
    let email = visitor.0.email.clone();
    if email.is_empty()
        || !ctx
            .store
            .mailable(conversation.organization_id, &email)
            .await?
    {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "There is no email address to send the transcript to",
        ));
    }
    let organization = ctx
        .store
        .organization(conversation.organization_id)
        .await?
        .ok_or_else(|| ApiError::internal("a conversation without its organization"))?;
    let messages = ctx
        .store
        .messages(id, None, TRANSCRIPT_MESSAGES, Reader::Visitor)
        .await?
        .items;
    // What the visitor wrote goes only to an address that is theirs: one a
    // verified identity gave, or one that confirmed it.
    let trusted =
        visitor.0.user_id.is_some() || ctx.store.address_confirmed(organization.id, &email).await?;
    let queued = mailer
        .queue_transcript(
            organization.id,
            organization.name,
            id,
            &email,
            &messages,
            trusted,
        )
        .await?;
    if !queued {
        return Err(ApiError::new(
            ErrorCode::RateLimited,
            "This conversation was mailed three times today already",
        ));
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(TranscriptQueued {
            email,
            awaiting_confirmation: !trusted,
        }),
    ))
}

/// Turns the signed-in operator's notification mails on or off.
#[utoipa::path(
    put,
    path = "/v1/auth/notifications",
    tag = "auth",
    security(("session" = [])),
    request_body = NotificationSettings,
    responses(
        (status = 200, body = NotificationSettings),
        (status = 400, description = "`VALIDATION`", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn set_notifications(
    State(ctx): State<ApiContext>,
    signed_in: SignedIn,
    ApiJson(request): ApiJson<NotificationSettings>,
) -> ApiResult<Json<NotificationSettings>> {
    let operator = signed_in.session.operator.id;
    ctx.store
        .set_email_notifications(operator, request.email_notifications)
        .await?;
    Ok(Json(request))
}

pub(super) fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title></head>\
         <body style=\"font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem\">\
         <h1 style=\"font-size:1.4rem\">{title}</h1>{body}</body></html>",
        title = escape(title)
    );
    let mut response = (status, Html(html)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub(super) fn unknown_link() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "This link does not work",
        "<p>It may have been copied incompletely.</p>",
    )
}

/// The confirmation page behind the link in a mail.
#[utoipa::path(
    get,
    path = "/v1/unsubscribe/{token}",
    tag = "mail",
    params(("token" = String, Path)),
    responses(
        (status = 200, description = "An HTML page with the unsubscribe button", content_type = "text/html"),
        (status = 404, description = "An unknown link", content_type = "text/html"),
    )
)]
pub async fn unsubscribe_page(Path(token): Path<String>) -> Response {
    if UnsubscribeToken::parse(&token).is_none() {
        return unknown_link();
    }
    page(
        StatusCode::OK,
        "Stop these emails?",
        "<p>You will no longer get replies to your chats by email.</p>\
         <form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
         <button type=\"submit\" style=\"font:inherit;padding:.5rem 1rem\">Unsubscribe</button></form>",
    )
}

/// One-click unsubscribe (the mail client's `POST`, or the page's button).
#[utoipa::path(
    post,
    path = "/v1/unsubscribe/{token}",
    tag = "mail",
    params(("token" = String, Path)),
    responses(
        (status = 200, description = "Unsubscribed (an HTML page)", content_type = "text/html"),
        (status = 404, description = "An unknown link", content_type = "text/html"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn unsubscribe(State(ctx): State<ApiContext>, Path(token): Path<String>) -> Response {
    let Some(token) = UnsubscribeToken::parse(&token) else {
        return unknown_link();
    };
    match ctx.store.unsubscribe(&token.hash(), ctx.clock.now()).await {
        Ok(true) => page(
            StatusCode::OK,
            "You are unsubscribed",
            "<p>No more emails will be sent to you about these chats.</p>",
        ),
        Ok(false) => unknown_link(),
        Err(error) => {
            tracing::error!(error = %error, "unsubscribing failed");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "<p>Please try again in a moment.</p>",
            )
        }
    }
}

/// The page behind a confirmation mail's link: a button, so a mail
/// scanner that follows links confirms nothing.
#[utoipa::path(
    get,
    path = "/v1/mail/confirm/{token}",
    tag = "mail",
    params(("token" = String, Path)),
    responses(
        (status = 200, description = "An HTML page with the confirm button", content_type = "text/html"),
        (status = 404, description = "An unknown link", content_type = "text/html"),
    )
)]
pub async fn confirm_page(Path(token): Path<String>) -> Response {
    if ConfirmationToken::parse(&token).is_none() {
        return unknown_link();
    }
    page(
        StatusCode::OK,
        "Confirm your email address?",
        "<p>The chat's replies and transcripts you asked for will be mailed to this address.</p>\
         <form method=\"post\"><button type=\"submit\" style=\"font:inherit;padding:.5rem 1rem\">Confirm</button></form>",
    )
}

/// Confirms the address and sends what waited for it.
#[utoipa::path(
    post,
    path = "/v1/mail/confirm/{token}",
    tag = "mail",
    params(("token" = String, Path)),
    responses(
        (status = 200, description = "Confirmed (an HTML page)", content_type = "text/html"),
        (status = 404, description = "An unknown or expired link", content_type = "text/html"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn confirm(State(ctx): State<ApiContext>, Path(token): Path<String>) -> Response {
    let Some(token) = ConfirmationToken::parse(&token) else {
        return unknown_link();
    };
    let now = ctx.clock.now();
    let valid_since = crate::mail::earlier(now, crate::mail::CONFIRMATION_VALID);
    match ctx
        .store
        .confirm_address(&token.hash(), valid_since, now)
        .await
    {
        Ok(true) => page(
            StatusCode::OK,
            "Your address is confirmed",
            "<p>What you asked for is on its way.</p>",
        ),
        Ok(false) => unknown_link(),
        Err(error) => {
            tracing::error!(error = %error, "confirming an address failed");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "<p>Please try again in a moment.</p>",
            )
        }
    }
}
