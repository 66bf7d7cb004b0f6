//! Files sent in a conversation: uploaded first
//! (`POST .../attachments`, multipart part `file`), then named in a
//! message's `attachmentIds`. Messages carry them with short-lived signed
//! links that work in an `<img src>` or a download without the session.

use serde::{Deserialize, Serialize};

use crate::AttachmentId;

/// At most this many attachments per message.
pub const MAX_PER_MESSAGE: usize = 5;
/// The default largest upload (`--max-attachment-bytes`).
pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// The answer to an upload: what the server made of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AttachmentUploaded {
    pub attachment_id: AttachmentId,
    /// The cleaned name (no path, no control characters, at most 200).
    pub name: String,
    /// Decided from the bytes, whatever the client claimed.
    pub content_type: String,
    /// Bytes as stored (images are re-encoded without their metadata).
    pub size: u64,
}

/// A file of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    pub attachment_id: AttachmentId,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    /// A signed link to the file, valid for 15 minutes.
    #[serde(default)]
    pub url: String,
    /// Images: a signed link to a preview at most 480 px on its long side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_url: Option<String>,
}
