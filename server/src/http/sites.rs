//! Allowed sites: an organization that lists its sites has its widget work
//! on those alone (and on this server's own pages, such as the demo). The
//! loader's settings, the widget page's frame ancestors and a new contact
//! session all ask this one rule.

use axum::http::header::ORIGIN;
use axum::http::HeaderMap;
use echo_protocol::ErrorCode;

use super::error::{ApiError, ApiResult};
use super::ApiContext;

/// Whether a page on `site` (an origin) may use the organization's widget.
pub fn allows(ctx: &ApiContext, allowed: &[String], site: &str) -> bool {
    allowed.is_empty() || site == ctx.public.origin() || allowed.iter().any(|a| a == site)
}

/// `ORIGIN_NOT_ALLOWED` when the request's `Origin` (a browser sends it on
/// every cross-origin call) names a site the organization does not allow.
pub fn refuse_origin(ctx: &ApiContext, allowed: &[String], headers: &HeaderMap) -> ApiResult<()> {
    match headers.get(ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(site) if !allows(ctx, allowed, site) => Err(not_allowed()),
        _ => Ok(()),
    }
}

pub fn not_allowed() -> ApiError {
    ApiError::new(
        ErrorCode::OriginNotAllowed,
        "This organization's chat is not available on this site",
    )
}
