//! Satisfaction ratings: the visitor rates a resolved conversation in the
//! widget, or through the resolution mail's page (a `GET` only shows the
//! form, so a mail scanner following the links rates nothing; its `POST`
//! records, once).

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use echo_protocol::ratings::{parse_rating, ConversationRating, RateConversation};
use echo_protocol::ConversationId;
use serde::Deserialize;

use super::auth::Visitor;
use super::error::ApiResult;
use super::extract::{ApiJson, ApiPath};
use super::mail::{page, unknown_link};
use super::ApiContext;
use crate::mail::render::{escape, RATING_LABELS};
use crate::secrets::RatingToken;
use crate::store::ratings::RateBy;
use crate::store::StoreError;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route(
            "/v1/conversations/{conversation_id}/rating",
            post(rate_conversation),
        )
        .route("/v1/ratings/{token}", get(rating_page).post(rate_by_link))
}

/// Rates a resolved conversation: 1 (very dissatisfied) to 5 (very
/// satisfied) and an optional comment. Once per resolution: a reopened and
/// re-resolved conversation may be rated again (the last rating counts;
/// each is kept). The team sees it on the conversation, its inbox row and
/// as a `rating` event.
#[utoipa::path(
    post,
    path = "/v1/conversations/{conversationId}/rating",
    tag = "conversations",
    security(("contactSession" = [])),
    params(("conversationId" = String, Path)),
    request_body = RateConversation,
    responses(
        (status = 201, body = ConversationRating),
        (status = 400, description = "A score outside 1 to 5 or a comment over 1,000 characters (`VALIDATION`)", body = echo_protocol::ErrorBody),
        (status = 404, description = "Missing or another session's (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
        (status = 409, description = "Not resolved, nobody answered, already rated, or the organization does not ask for ratings (`CONFLICT`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(conversation_id = %id))]
pub async fn rate_conversation(
    State(ctx): State<ApiContext>,
    visitor: Visitor,
    ApiPath(id): ApiPath<ConversationId>,
    ApiJson(request): ApiJson<RateConversation>,
) -> ApiResult<(StatusCode, Json<ConversationRating>)> {
    let rating = request.parse()?;
    visitor.conversation(&ctx, id).await?;
    let rated = ctx
        .store
        .rate(RateBy::Visitor(id), rating, ctx.clock.now())
        .await?;
    Ok((StatusCode::CREATED, Json(rated.rating)))
}

/// The form a resolution mail's link opens, the score it named chosen.
#[utoipa::path(
    get,
    path = "/v1/ratings/{token}",
    tag = "mail",
    params(("token" = String, Path), ("score" = Option<u8>, Query, description = "The score to choose")),
    responses(
        (status = 200, description = "An HTML page with the rating form", content_type = "text/html"),
        (status = 404, description = "An unknown link", content_type = "text/html"),
    )
)]
pub async fn rating_page(Path(token): Path<String>, RawQuery(query): RawQuery) -> Response {
    if RatingToken::parse(&token).is_none() {
        return unknown_link();
    }
    // Read by hand: a page answers any query (a mangled link still shows
    // the form), never a query error.
    let chosen = query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("score="))
        .and_then(|s| s.parse::<u8>().ok());
    let mut choices = String::new();
    for (score, label) in RATING_LABELS {
        let checked = if chosen == Some(score) {
            " checked"
        } else {
            ""
        };
        choices.push_str(&format!(
            "<label style=\"display:block;padding:.3rem 0\"><input type=\"radio\" name=\"score\" \
             value=\"{score}\" required{checked}> {score} &middot; {}</label>",
            escape(label)
        ));
    }
    page(
        StatusCode::OK,
        "How satisfied are you?",
        &format!(
            "<form method=\"post\"><fieldset style=\"border:0;padding:0\">\
             <legend>Your rating of the help you got</legend>{choices}</fieldset>\
             <label for=\"comment\" style=\"display:block;margin-top:1rem\">Anything to add? (optional)</label>\
             <textarea id=\"comment\" name=\"comment\" maxlength=\"1000\" rows=\"4\" \
             style=\"width:100%;font:inherit\"></textarea>\
             <p><button type=\"submit\" style=\"font:inherit;padding:.5rem 1rem\">Send rating</button></p></form>"
        ),
    )
}

#[derive(Debug, Deserialize)]
pub struct RatingForm {
    #[serde(default)]
    score: String,
    #[serde(default)]
    comment: String,
}

/// Records the rating of the page's form; the link is then used up.
#[utoipa::path(
    post,
    path = "/v1/ratings/{token}",
    tag = "mail",
    params(("token" = String, Path)),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`score` (1 to 5) and `comment`"),
    responses(
        (status = 200, description = "Recorded (an HTML page)", content_type = "text/html"),
        (status = 400, description = "A bad score or comment (an HTML page)", content_type = "text/html"),
        (status = 404, description = "An unknown, used or expired link", content_type = "text/html"),
        (status = 409, description = "The conversation cannot be rated now (an HTML page)", content_type = "text/html"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn rate_by_link(
    State(ctx): State<ApiContext>,
    Path(token): Path<String>,
    form: Result<Form<RatingForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Some(token) = RatingToken::parse(&token) else {
        return unknown_link();
    };
    let Ok(Form(form)) = form else {
        return page(
            StatusCode::BAD_REQUEST,
            "Choose a rating",
            "<p>Go back and choose 1 to 5.</p>",
        );
    };
    let score = form.score.trim().parse::<i64>().unwrap_or(0);
    let rating = match parse_rating(score, &form.comment) {
        Ok(rating) => rating,
        Err(error) => {
            let body = format!(
                "<p>{}: {}. Go back and try again.</p>",
                escape(&error.field),
                escape(&error.message)
            );
            return page(StatusCode::BAD_REQUEST, "Check your rating", &body);
        }
    };
    match ctx
        .store
        .rate(RateBy::Link(token.hash()), rating, ctx.clock.now())
        .await
    {
        Ok(_) => page(
            StatusCode::OK,
            "Thank you",
            "<p>Your rating was sent to the team.</p>",
        ),
        Err(StoreError::NotFound) => unknown_link(),
        Err(StoreError::Conflict(reason)) => page(
            StatusCode::CONFLICT,
            "This conversation cannot be rated now",
            &format!("<p>{}.</p>", escape(reason)),
        ),
        Err(error) => {
            tracing::error!(error = %error, "rating by link failed");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "<p>Please try again in a moment.</p>",
            )
        }
    }
}
