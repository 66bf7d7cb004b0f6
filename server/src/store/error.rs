//! What a store call can fail with.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist (or is not visible to the caller).
    #[error("not found")]
    NotFound,
    /// The contact session expired before the write could happen.
    #[error("contact session expired")]
    SessionExpired,
    /// The row's state forbids the write.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The write would pass a storage quota.
    #[error("quota exceeded")]
    QuotaExceeded,
    /// Anything else: the database failed. Logged, never shown to a client.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;
