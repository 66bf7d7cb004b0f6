//! Uploaded files go through the sandbox ([`crate::sandbox`]); what its
//! refusals mean to the caller.

use echo_protocol::ErrorCode;

use super::error::ApiError;
use crate::attachments::inspect::{MAX_FRAMES, MAX_PIXELS};
use crate::sandbox::SandboxError;

/// Every parser busy, the server stopping (503, try again), the file over
/// its parser's budget (422, naming the file), or the sandbox broken (500).
pub(super) fn failure(name: &str, error: SandboxError) -> ApiError {
    match error {
        SandboxError::Busy => ApiError::overloaded(
            "The server is busy processing other files; try again in a moment",
            5,
        ),
        SandboxError::ShuttingDown => {
            ApiError::overloaded("The server is restarting; try again in a moment", 5)
        }
        SandboxError::OverBudget(overrun) => {
            tracing::warn!(?overrun, "an uploaded file went over its parser's budget");
            unprocessable(name, "it took too much time or memory to read")
        }
        SandboxError::Broken(error) => ApiError::internal(format!("{error:#}")),
    }
}

/// 422 `UNPROCESSABLE_FILE`, naming the file.
pub(super) fn unprocessable(name: &str, why: &str) -> ApiError {
    ApiError::new(
        ErrorCode::UnprocessableFile,
        format!("\"{name}\" could not be processed: {why}"),
    )
}

/// An image over the limits its header shows.
pub(super) fn image_too_large(name: &str) -> ApiError {
    unprocessable(
        name,
        &format!(
            "images can have at most {} megapixels, and animations {MAX_FRAMES} frames",
            MAX_PIXELS / 1_000_000
        ),
    )
}
