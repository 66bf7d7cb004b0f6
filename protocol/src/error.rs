//! The error body every failing call returns, and its stable codes.

use serde::{Deserialize, Serialize};

/// A machine-readable error code. Clients branch on these; they never change
/// meaning once published. Serialized as `SCREAMING_SNAKE_CASE` strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ErrorCode {
    /// Input failed validation; `field` names the offending field. (400)
    Validation,
    /// Missing, unknown or expired credential. (401)
    Unauthorized,
    /// The credential is valid but acts for another organization. (403)
    Forbidden,
    /// A signed-in visitor's `userHash` does not verify for its `userId`. (403)
    IdentityVerificationFailed,
    /// The organization requires two-factor sign-in and this signed-in
    /// operator has not turned it on yet. (403)
    TwoFactorRequired,
    /// This operator has not confirmed their email address yet: inviting,
    /// creating API keys and connecting plugins wait until they do. (403)
    EmailNotVerified,
    /// The organization allows its widget only on other sites. (403)
    OriginNotAllowed,
    /// No such resource, or one the caller may not see. (404)
    NotFound,
    /// The HTTP method is not supported on this path. (405)
    MethodNotAllowed,
    /// The resource's state forbids the change (e.g. a resolved conversation). (409)
    Conflict,
    /// The request body exceeds the size limit. (413)
    PayloadTooLarge,
    /// The request body is not `application/json`. (415)
    UnsupportedMediaType,
    /// An uploaded file of an accepted type could not be processed within
    /// the server's limits (too many pixels or frames, a parser that ran
    /// over its time or memory); the message names the file. (422)
    UnprocessableFile,
    /// The feature needs an active subscription. (402)
    SubscriptionRequired,
    /// Too many requests from this client. (429)
    RateLimited,
    /// The AI backend is not configured or not answering. (503)
    AiUnavailable,
    /// Mail is not configured on this server. (503)
    MailUnavailable,
    /// The server has no secrets key (`ECHO_SECRETS_KEY`) to keep a
    /// plugin's keys with. (503)
    SecretsUnavailable,
    /// A third-party service (Vapi) did not answer in time, or failed. (502)
    UpstreamUnavailable,
    /// The server is at capacity for this kind of work; try again after
    /// `Retry-After`. (503)
    Overloaded,
    /// Something failed on the server; details are in its log, not here. (500)
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 21] = [
        ErrorCode::Validation,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::IdentityVerificationFailed,
        ErrorCode::TwoFactorRequired,
        ErrorCode::EmailNotVerified,
        ErrorCode::OriginNotAllowed,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::Conflict,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::UnprocessableFile,
        ErrorCode::SubscriptionRequired,
        ErrorCode::RateLimited,
        ErrorCode::AiUnavailable,
        ErrorCode::MailUnavailable,
        ErrorCode::SecretsUnavailable,
        ErrorCode::UpstreamUnavailable,
        ErrorCode::Overloaded,
        ErrorCode::Internal,
    ];

    /// The code as it is written in an error body (serde's spelling; a
    /// test holds the two together).
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Validation => "VALIDATION",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::IdentityVerificationFailed => "IDENTITY_VERIFICATION_FAILED",
            ErrorCode::TwoFactorRequired => "TWO_FACTOR_REQUIRED",
            ErrorCode::EmailNotVerified => "EMAIL_NOT_VERIFIED",
            ErrorCode::OriginNotAllowed => "ORIGIN_NOT_ALLOWED",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            ErrorCode::UnprocessableFile => "UNPROCESSABLE_FILE",
            ErrorCode::SubscriptionRequired => "SUBSCRIPTION_REQUIRED",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::AiUnavailable => "AI_UNAVAILABLE",
            ErrorCode::MailUnavailable => "MAIL_UNAVAILABLE",
            ErrorCode::SecretsUnavailable => "SECRETS_UNAVAILABLE",
            ErrorCode::UpstreamUnavailable => "UPSTREAM_UNAVAILABLE",
            ErrorCode::Overloaded => "OVERLOADED",
            ErrorCode::Internal => "INTERNAL",
        }
    }

    /// The code an error body names, if it is one of ours.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|code| code.as_str() == text)
    }

    /// The HTTP status that carries this code.
    pub const fn http_status(self) -> u16 {
        match self {
            ErrorCode::Validation => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::SubscriptionRequired => 402,
            ErrorCode::Forbidden
            | ErrorCode::IdentityVerificationFailed
            | ErrorCode::TwoFactorRequired
            | ErrorCode::EmailNotVerified
            | ErrorCode::OriginNotAllowed => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::Conflict => 409,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::UnprocessableFile => 422,
            ErrorCode::RateLimited => 429,
            ErrorCode::Internal => 500,
            ErrorCode::UpstreamUnavailable => 502,
            ErrorCode::AiUnavailable
            | ErrorCode::MailUnavailable
            | ErrorCode::SecretsUnavailable
            | ErrorCode::Overloaded => 503,
        }
    }
}

/// `{"error": {...}}`: the body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// A sentence a person can read; for `VALIDATION` it starts with the field.
    pub message: String,
    /// For `VALIDATION`: the request field at fault, in its JSON spelling
    /// (`email`, `metadata.userAgent`), so a form can show the message beside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_form_is_serdes() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::parse("validation"), None);
    }

    #[test]
    fn error_body_json_is_pinned() {
        let body = ErrorBody {
            error: ErrorDetail {
                code: ErrorCode::NotFound,
                message: "Conversation not found".into(),
                field: None,
            },
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"error":{"code":"NOT_FOUND","message":"Conversation not found"}}"#
        );
        let validation = ErrorBody {
            error: ErrorDetail {
                code: ErrorCode::Validation,
                message: "email: not a valid email address".into(),
                field: Some("email".into()),
            },
        };
        assert_eq!(
            serde_json::to_string(&validation).unwrap(),
            r#"{"error":{"code":"VALIDATION","message":"email: not a valid email address","field":"email"}}"#
        );
    }

    #[test]
    fn codes_are_screaming_snake_case() {
        let all = [
            (ErrorCode::Validation, "VALIDATION"),
            (ErrorCode::Unauthorized, "UNAUTHORIZED"),
            (ErrorCode::Forbidden, "FORBIDDEN"),
            (
                ErrorCode::IdentityVerificationFailed,
                "IDENTITY_VERIFICATION_FAILED",
            ),
            (ErrorCode::TwoFactorRequired, "TWO_FACTOR_REQUIRED"),
            (ErrorCode::EmailNotVerified, "EMAIL_NOT_VERIFIED"),
            (ErrorCode::OriginNotAllowed, "ORIGIN_NOT_ALLOWED"),
            (ErrorCode::NotFound, "NOT_FOUND"),
            (ErrorCode::MethodNotAllowed, "METHOD_NOT_ALLOWED"),
            (ErrorCode::Conflict, "CONFLICT"),
            (ErrorCode::PayloadTooLarge, "PAYLOAD_TOO_LARGE"),
            (ErrorCode::UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE"),
            (ErrorCode::SubscriptionRequired, "SUBSCRIPTION_REQUIRED"),
            (ErrorCode::RateLimited, "RATE_LIMITED"),
            (ErrorCode::AiUnavailable, "AI_UNAVAILABLE"),
            (ErrorCode::UnprocessableFile, "UNPROCESSABLE_FILE"),
            (ErrorCode::Overloaded, "OVERLOADED"),
            (ErrorCode::Internal, "INTERNAL"),
        ];
        for (code, text) in all {
            assert_eq!(serde_json::to_value(code).unwrap(), text);
        }
    }
}
