//! Extractors that parse input at the boundary. Their rejections use the same
//! error body as every other failure.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::StatusCode;
use echo_protocol::{ContactSessionId, ErrorCode};
use serde::de::DeserializeOwned;

use super::ApiContext;
use crate::error::ApiError;
use crate::secrets::SecretHash;
use crate::store::ContactSession;

/// `axum::Json` whose rejections are `VALIDATION`, `PAYLOAD_TOO_LARGE` or
/// `UNSUPPORTED_MEDIA_TYPE` in the standard error body.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "The request body is larger than {} bytes",
                super::MAX_BODY_BYTES
            ),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "The request body must be JSON with Content-Type: application/json",
        ),
        _ => {
            let detail = match &rejection {
                JsonRejection::JsonDataError(e) => std::error::Error::source(e)
                    .map(ToString::to_string)
                    .unwrap_or_else(|| e.body_text()),
                JsonRejection::JsonSyntaxError(_) => "the body is not valid JSON".to_owned(),
                other => other.body_text(),
            };
            let field = field_of(&detail).unwrap_or_else(|| "body".to_owned());
            ApiError::validation(field, detail)
        }
    }
}

/// Finds the field a serde error talks about: the path before the first
/// `": "` (axum reports `path.to.field: message`), or a backquoted name in
/// "missing field `email`".
fn field_of(detail: &str) -> Option<String> {
    if let Some(start) = detail.find("field `") {
        let rest = &detail[start + 7..];
        return rest.find('`').map(|end| rest[..end].to_owned());
    }
    let (path, _) = detail.split_once(": ")?;
    let looks_like_path = !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '[' || c == ']');
    looks_like_path.then(|| path.to_owned())
}

/// `axum::extract::Query` with `VALIDATION` rejections.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                let detail = e.body_text();
                let detail = detail
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&detail)
                    .to_owned();
                Err(ApiError::validation(
                    field_of(&detail).unwrap_or_else(|| "query".into()),
                    detail,
                ))
            }
            Err(other) => Err(ApiError::validation("query", other.body_text())),
        }
    }
}

/// The hash of the bearer contact-session ID, unchecked against the store:
/// for writes whose transaction verifies the session itself (saving a read
/// on the hottest path). A malformed header is still 401 here.
pub struct VisitorCredential(pub SecretHash);

impl<S: Send + Sync> FromRequestParts<S> for VisitorCredential {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        bearer(parts)
            .and_then(ContactSessionId::parse)
            .map(|id| Self(SecretHash::of(id.expose_secret())))
            .ok_or_else(ApiError::unauthorized)
    }
}

/// The calling visitor: a live contact session from
/// `Authorization: Bearer <contactSessionId>`. Anything else is 401.
pub struct Visitor(pub ContactSession);

impl<S> FromRequestParts<S> for Visitor
where
    ApiContext: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = ApiContext::from_ref(state);
        let id = bearer(parts)
            .and_then(ContactSessionId::parse)
            .ok_or_else(ApiError::unauthorized)?;
        let session = ctx
            .store
            .contact_session(&SecretHash::of(id.expose_secret()))
            .await?
            .filter(|s| ctx.policy.is_live(s.expires_at, ctx.clock.now()))
            .ok_or_else(ApiError::unauthorized)?;
        Ok(Self(session))
    }
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use super::field_of;

    #[test]
    fn finds_fields_in_serde_messages() {
        assert_eq!(
            field_of("missing field `email` at line 1 column 2").as_deref(),
            Some("email")
        );
        assert_eq!(
            field_of("organizationId: UUID parsing failed").as_deref(),
            Some("organizationId")
        );
        assert_eq!(
            field_of("metadata.screenWidth: invalid type").as_deref(),
            Some("metadata.screenWidth")
        );
        assert_eq!(field_of("expected value at line 1 column 1"), None);
    }
}
