//! `/v1/operator/knowledge-base/...`: the files the support agent searches.
//! Uploading is a pro feature; listing, searching and deleting never are.

use serde::{Deserialize, Serialize};

use crate::{FileId, Timestamp};

/// Files larger than this are refused (413) before they are read.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;

/// One uploaded file, without its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct KnowledgeFile {
    pub file_id: FileId,
    pub name: String,
    /// What the content turned out to be: `text/plain`, `text/markdown`,
    /// `text/html` or `application/pdf`.
    pub content_type: String,
    pub size_bytes: u64,
    /// Characters of text extracted for search.
    pub text_chars: u64,
    pub created_at: Timestamp,
}

/// `GET /v1/operator/knowledge-base/files`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct KnowledgeFileList {
    pub files: Vec<KnowledgeFile>,
}

/// One match of a knowledge-base search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub file_id: FileId,
    pub name: String,
    /// The passage that matched best.
    pub snippet: String,
    /// BM25 score: higher is better; comparable within one search only.
    pub score: f32,
}

/// `GET /v1/operator/knowledge-base/search?q=`: best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
}
