//! Extractors that parse input at the boundary (JSON bodies, queries, typed
//! path IDs), the paging query every list shares, and the not-found answers.
//! Their rejections use the same error body as every other failure. Who is
//! calling is decided in [`super::auth`].

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use echo_protocol::messages::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use echo_protocol::{ConversationId, ErrorCode, FileId, OrganizationId};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{ApiError, ApiResult};
use crate::store::{Cursor, StoreError};

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
        if !is_json(req.headers()) {
            return Err(json_rejection(JsonRejection::MissingJsonContentType(
                Default::default(),
            )));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    too_large_body()
                } else {
                    ApiError::validation("body", "the body could not be read")
                }
            })?;
        // Every request body is an object: serde would also read a struct
        // from an array of its fields, which the schema does not allow.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::validation("body", "must be a JSON object"));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// `application/json` or `application/<something>+json`, as axum decides.
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn too_large_body() -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!(
            "The request body is larger than {} bytes",
            super::MAX_BODY_BYTES
        ),
    )
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => too_large_body(),
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

/// A typed ID in the path. Anything that is not an ID of the expected kind
/// is answered like a missing row: `NOT_FOUND` with the kind's message.
pub struct ApiPath<T>(pub T);

/// An ID that can appear in a path, and the 404 its absence gives.
pub trait PathId: DeserializeOwned + Send {
    fn not_found() -> ApiError;
}

impl PathId for OrganizationId {
    fn not_found() -> ApiError {
        organization_not_found()
    }
}

impl PathId for ConversationId {
    fn not_found() -> ApiError {
        conversation_not_found()
    }
}

impl PathId for echo_protocol::AttachmentId {
    fn not_found() -> ApiError {
        ApiError::not_found("Attachment")
    }
}

impl PathId for FileId {
    fn not_found() -> ApiError {
        file_not_found()
    }
}

impl PathId for echo_protocol::OperatorId {
    fn not_found() -> ApiError {
        ApiError::not_found("Member")
    }
}

impl PathId for echo_protocol::ApiKeyId {
    fn not_found() -> ApiError {
        ApiError::not_found("API key")
    }
}

impl PathId for echo_protocol::CannedReplyId {
    fn not_found() -> ApiError {
        canned_reply_not_found()
    }
}

impl PathId for echo_protocol::LabelId {
    fn not_found() -> ApiError {
        label_not_found()
    }
}

pub fn canned_reply_not_found() -> ApiError {
    ApiError::not_found("Saved reply")
}

pub fn label_not_found() -> ApiError {
    ApiError::not_found("Label")
}

/// The client's IP address: the TCP peer, or what a trusted proxy's
/// `X-Forwarded-For` says (see `TrustedProxies`).
pub struct ClientAddress(pub std::net::IpAddr);

impl<S> FromRequestParts<S> for ClientAddress
where
    super::ApiContext: axum::extract::FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = <super::ApiContext as axum::extract::FromRef<S>>::from_ref(state);
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip())
            .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        Ok(Self(ctx.trusted_proxies.client(peer, forwarded)))
    }
}

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: PathId,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(id)) => Ok(Self(id)),
            Err(_) => Err(T::not_found()),
        }
    }
}

pub fn organization_not_found() -> ApiError {
    ApiError::not_found("Organization")
}

pub fn conversation_not_found() -> ApiError {
    ApiError::not_found("Conversation")
}

pub fn file_not_found() -> ApiError {
    ApiError::not_found("File")
}

/// A refused write to a conversation: missing (or not the caller's) is a
/// 404, resolved is a 409.
pub fn conversation_write_error(error: StoreError) -> ApiError {
    match error {
        StoreError::NotFound => conversation_not_found(),
        StoreError::Conflict(_) => {
            ApiError::new(ErrorCode::Conflict, "This conversation has been resolved")
        }
        other => other.into(),
    }
}

/// `?cursor=&limit=` of every list call.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// `nextCursor` of the previous page; absent (or empty) for the first page.
    #[param(pattern = r"^([1-9][0-9]{0,17})?$")]
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 30).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

impl PageQuery {
    pub fn parse(&self) -> ApiResult<(Option<Cursor>, u32)> {
        // An empty `cursor=` is the first page, as a missing one.
        let cursor = match self.cursor.as_deref().filter(|c| !c.is_empty()) {
            None => None,
            Some(text) => Some(
                Cursor::parse(text)
                    .ok_or_else(|| ApiError::validation("cursor", "is not a valid cursor"))?,
            ),
        };
        let limit = self.limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            return Err(ApiError::validation(
                "limit",
                format!("must be between 1 and {MAX_PAGE_SIZE}"),
            ));
        }
        Ok((cursor, limit))
    }
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
