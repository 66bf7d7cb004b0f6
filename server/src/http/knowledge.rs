//! `/v1/operator/knowledge-base/...`: the organization's knowledge base.
//! Uploading needs an active subscription (402 otherwise, checked before
//! the body is read); listing, searching and deleting never do.

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use echo_protocol::knowledge::{KnowledgeFile, KnowledgeFileList, SearchResults, MAX_FILE_BYTES};
use echo_protocol::{ErrorCode, FileId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::auth::Operator;
use super::error::{ApiError, ApiResult};
use super::extract::{file_not_found, ApiPath, ApiQuery};
use super::parsers;
use super::ApiContext;
use crate::knowledge::extract::ExtractError;
use crate::knowledge::{prepare, Change, Prepared};

/// Room for the multipart framing around the largest accepted file.
const UPLOAD_BODY_BYTES: usize = MAX_FILE_BYTES + 16 * 1024;
const MAX_QUERY_CHARS: usize = 500;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route(
            "/v1/operator/knowledge-base/files",
            get(list_files)
                .post(upload_file)
                .layer(DefaultBodyLimit::max(UPLOAD_BODY_BYTES)),
        )
        .route(
            "/v1/operator/knowledge-base/files/{file_id}",
            delete(delete_file),
        )
        .route("/v1/operator/knowledge-base/search", get(search))
}

/// The organization's files, newest first.
#[utoipa::path(
    get,
    path = "/v1/operator/knowledge-base/files",
    tag = "knowledge base",
    security(("session" = []), ("operatorKey" = [])),
    responses(
        (status = 200, body = KnowledgeFileList),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn list_files(
    State(ctx): State<ApiContext>,
    operator: Operator,
) -> ApiResult<Json<KnowledgeFileList>> {
    operator.require_admin()?;
    let files = ctx.store.knowledge_files(operator.organization).await?;
    Ok(Json(KnowledgeFileList { files }))
}

/// The multipart form of an upload: one part named `file`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// Text, Markdown, HTML or PDF; at most 5 MiB.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: String,
}

/// Adds a file (pro). Its kind is decided by its content; its text is
/// extracted and indexed at once.
#[utoipa::path(
    post,
    path = "/v1/operator/knowledge-base/files",
    tag = "knowledge base",
    security(("session" = []), ("operatorKey" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = KnowledgeFile),
        (status = 400, description = "No `file` part, or no text in it (`VALIDATION`)", body = echo_protocol::ErrorBody),
        (status = 402, description = "No active subscription (`SUBSCRIPTION_REQUIRED`)", body = echo_protocol::ErrorBody),
        (status = 413, description = "Over 5 MiB (`PAYLOAD_TOO_LARGE`)", body = echo_protocol::ErrorBody),
        (status = 415, description = "Not multipart, or not text, Markdown, HTML or PDF (`UNSUPPORTED_MEDIA_TYPE`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn upload_file(
    State(ctx): State<ApiContext>,
    operator: Operator,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<KnowledgeFile>)> {
    operator.require_admin()?;
    operator.require_subscription(&ctx).await?;
    let mut multipart = multipart.map_err(|_| {
        ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "Upload the file as multipart/form-data, in a part named \"file\"",
        )
    })?;
    let (name, declared, bytes) = loop {
        let field = multipart.next_field().await.map_err(read_error)?;
        let Some(field) = field else {
            return Err(ApiError::validation("file", "is missing"));
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = echo_protocol::text::file_name(field.file_name().unwrap_or(""))
            .map_err(|reason| ApiError::validation("file", reason))?;
        let declared = field.content_type().map(str::to_owned);
        let bytes = field.bytes().await.map_err(read_error)?;
        break (name, declared, bytes);
    };
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    let size_bytes = bytes.len() as u64;
    let extracted = ctx
        .sandbox
        .extract(&name, declared.as_deref(), bytes.to_vec())
        .await
        .map_err(|error| parsers::failure(&name, error))?
        .map_err(|error| match error {
            ExtractError::Unsupported(message) => {
                ApiError::new(ErrorCode::UnsupportedMediaType, message)
            }
            ExtractError::NoText(message) => ApiError::validation("file", message),
        })?;
    let prepared = prepare(
        operator.organization,
        name,
        extracted,
        size_bytes,
        ctx.clock.now(),
    );
    let Prepared { file, listed, text } = prepared;
    let size_bytes = listed.size_bytes;
    let version = ctx.store.add_knowledge_file(file).await?;
    ctx.knowledge
        .changed(operator.organization, version, Change::Added(text))
        .await;
    tracing::info!(file_id = %listed.file_id, size_bytes, "knowledge file added");
    Ok((StatusCode::CREATED, Json(listed)))
}

fn too_large() -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!(
            "Files can be at most {} MiB",
            MAX_FILE_BYTES / (1024 * 1024)
        ),
    )
}

fn read_error(error: axum::extract::multipart::MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        ApiError::validation("file", "the multipart body could not be read")
    }
}

/// Deletes a file; never gated, so a lapsed subscription can still clean up.
#[utoipa::path(
    delete,
    path = "/v1/operator/knowledge-base/files/{fileId}",
    tag = "knowledge base",
    security(("session" = []), ("operatorKey" = [])),
    params(("fileId" = String, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "Missing or another organization's (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization, file_id = %id))]
pub async fn delete_file(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiPath(id): ApiPath<FileId>,
) -> ApiResult<StatusCode> {
    operator.require_admin()?;
    let version = ctx
        .store
        .delete_knowledge_file(operator.organization, id)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::NotFound => file_not_found(),
            other => other.into(),
        })?;
    ctx.knowledge
        .changed(operator.organization, version, Change::Removed(id))
        .await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words to look for (1 to 500 characters).
    #[param(min_length = 1, max_length = 500, pattern = r"\S")]
    pub q: String,
    /// Files to return, 1 to 20 (default 5).
    #[param(minimum = 1, maximum = 20)]
    pub limit: Option<u32>,
}

/// Searches the organization's files (BM25): the best passage of each
/// matching file, best first. What the support agent sees.
#[utoipa::path(
    get,
    path = "/v1/operator/knowledge-base/search",
    tag = "knowledge base",
    security(("session" = []), ("operatorKey" = [])),
    params(SearchQuery),
    responses(
        (status = 200, body = SearchResults),
        (status = 400, description = "Empty or over-long query, bad limit (`VALIDATION`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn search(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> ApiResult<Json<SearchResults>> {
    operator.require_admin()?;
    let q = query.q.trim();
    if q.is_empty() || q.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::validation(
            "q",
            format!("must be 1 to {MAX_QUERY_CHARS} characters"),
        ));
    }
    let limit = match query.limit {
        None => 5,
        Some(n @ 1..=20) => n as usize,
        Some(_) => return Err(ApiError::validation("limit", "must be 1 to 20")),
    };
    let passages = ctx
        .knowledge
        .search(operator.organization, q, limit * 4)
        .await?;
    let mut seen = std::collections::HashSet::new();
    let hits = passages
        .into_iter()
        .filter(|p| seen.insert(p.file_id))
        .take(limit)
        .map(|p| p.into_hit())
        .collect();
    Ok(Json(SearchResults { hits }))
}
