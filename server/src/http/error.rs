//! The one error type of the HTTP layer. Every failure leaves the server as
//! `{"error":{"code","message"}}` with a stable code; database and unexpected
//! errors become a generic 500 and are logged, never echoed.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use echo_protocol::validate::ValidationError;
use echo_protocol::{ErrorBody, ErrorCode, ErrorDetail};

use crate::store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    message: String,
    field: Option<String>,
    /// Seconds for a `Retry-After` header (rate limits).
    retry_after: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    /// 429 `RATE_LIMITED` with `Retry-After: secs`.
    pub fn rate_limited(message: impl Into<String>, secs: u64) -> Self {
        Self {
            retry_after: Some(secs.max(1)),
            ..Self::new(ErrorCode::RateLimited, message)
        }
    }

    /// 503 `OVERLOADED` with `Retry-After: secs`.
    pub fn overloaded(message: impl Into<String>, secs: u64) -> Self {
        Self {
            retry_after: Some(secs.max(1)),
            ..Self::new(ErrorCode::Overloaded, message)
        }
    }

    /// 403 `FORBIDDEN`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = message.into();
        Self {
            code: ErrorCode::Validation,
            message: format!("{field}: {message}"),
            field: Some(field),
            retry_after: None,
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(
            ErrorCode::Unauthorized,
            "A valid contact session is required; it may have expired",
        )
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(error = %error, "internal error");
        Self::new(ErrorCode::Internal, "Something went wrong on our side")
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }
}

impl From<crate::limits::TooFast> for ApiError {
    /// 429 `RATE_LIMITED` with `Retry-After`.
    fn from(refused: crate::limits::TooFast) -> Self {
        Self::rate_limited(refused.to_string(), refused.retry_after_secs)
    }
}

impl From<ValidationError> for ApiError {
    fn from(error: ValidationError) -> Self {
        Self::validation(error.field, error.message)
    }
}

impl From<StoreError> for ApiError {
    /// Store errors without context. Handlers that know which resource was
    /// missing map `NotFound` themselves.
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::not_found("Resource"),
            StoreError::SessionExpired => Self::unauthorized(),
            StoreError::Conflict(reason) => Self::new(ErrorCode::Conflict, reason),
            StoreError::QuotaExceeded => {
                Self::new(ErrorCode::PayloadTooLarge, "Over the storage quota")
            }
            StoreError::Other(e) => Self::internal(format!("{e:#}")),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                field: self.field,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}
