//! What the attachments store: the files, their previews, and the key that
//! signs their links. A message claims its attachments inside its own
//! write (see the backends' `claim_attachments`).

use async_trait::async_trait;
use echo_protocol::attachments::Attachment;
use echo_protocol::{AttachmentId, ConversationId, OrganizationId, Timestamp};

use super::StoreResult;

#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub id: AttachmentId,
    pub organization: OrganizationId,
    pub conversation: ConversationId,
    /// `visitor:<session hash>` or `team` (see [`super::effects::visitor_party`]).
    pub uploader: String,
    pub name: String,
    pub content_type: String,
    pub data: Vec<u8>,
    pub preview: Option<(String, Vec<u8>)>,
    pub created_at: Timestamp,
}

/// A file to serve.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub name: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// The columns [`attachment`] reads.
pub(crate) const ATTACHMENT: &str = "id, name, content_type, size, preview IS NOT NULL";

/// An attachment as a message carries it, links still to be signed (a
/// preview is marked by an empty `preview_url`).
pub(crate) fn attachment(row: &impl super::rows::Row, at: usize) -> StoreResult<Attachment> {
    let has_preview: bool = row.col(at + 4)?;
    Ok(Attachment {
        attachment_id: row.col(at)?,
        name: row.col(at + 1)?,
        content_type: row.col(at + 2)?,
        size: row.col::<i64>(at + 3)?.max(0) as u64,
        url: String::new(),
        preview_url: has_preview.then(String::new),
    })
}

#[async_trait]
pub trait AttachmentStore: Send + Sync {
    /// Stores an upload (`NotFound` if the conversation is gone;
    /// `QuotaExceeded` when the organization's unsent uploads would pass
    /// `unsent_cap` bytes).
    async fn add_attachment(&self, attachment: NewAttachment, unsent_cap: u64) -> StoreResult<()>;

    /// A sent attachment's file, or its preview.
    async fn attachment_file(
        &self,
        id: AttachmentId,
        preview: bool,
    ) -> StoreResult<Option<StoredFile>>;

    /// Deletes uploads created before `before` that no message claimed.
    async fn sweep_attachments(&self, before: Timestamp) -> StoreResult<u64>;

    /// The named server-wide key, stored as `candidate` if it has none yet
    /// (whichever replica comes first sets it for all).
    async fn server_key(&self, name: &str, candidate: String) -> StoreResult<String>;
}
