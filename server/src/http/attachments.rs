//! Attachments over HTTP: uploads by visitors and operators, the signed
//! download links, and how a message body names its attachments.

use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use echo_protocol::attachments::{Attachment, AttachmentUploaded, MAX_PER_MESSAGE};
use echo_protocol::conversations::ConversationStatus;
use echo_protocol::messages::SendMessage;
use echo_protocol::validate::MessageText;
use echo_protocol::{AttachmentId, ConversationId, ErrorCode, OrganizationId};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::{Operator, Visitor};
use super::error::{ApiError, ApiResult};
use super::extract::{ApiPath, ApiQuery, ClientAddress};
use super::parsers;
use super::ApiContext;
use crate::attachments::inspect::{self, Refused};
use crate::attachments::links::Variant;
use crate::attachments::{visitor_party, TEAM_PARTY};
use crate::store::attachments::NewAttachment;
use crate::store::StoreError;

/// Room for the multipart envelope around the largest file.
const MULTIPART_SLACK: usize = 64 * 1024;

pub fn router(max_bytes: u64) -> Router<ApiContext> {
    let limit = DefaultBodyLimit::max(max_bytes as usize + MULTIPART_SLACK);
    Router::new()
        .route(
            "/v1/conversations/{conversation_id}/attachments",
            post(visitor_upload).layer(limit),
        )
        .route(
            "/v1/operator/conversations/{conversation_id}/attachments",
            post(operator_upload).layer(limit),
        )
        .route("/v1/attachments/{attachment_id}", get(download))
        .route(
            "/v1/attachments/{attachment_id}/preview",
            get(download_preview),
        )
}

/// The text and attachments of a message body: with attachments the text
/// may be empty; at most five, each once.
pub(super) fn message_body(request: &SendMessage) -> ApiResult<(String, Vec<Attachment>)> {
    let ids = &request.attachment_ids;
    if ids.len() > MAX_PER_MESSAGE {
        return Err(ApiError::validation(
            "attachmentIds",
            "at most 5 attachments per message",
        ));
    }
    if ids.iter().enumerate().any(|(i, id)| ids[..i].contains(id)) {
        return Err(ApiError::validation(
            "attachmentIds",
            "names an attachment twice",
        ));
    }
    let text = if !ids.is_empty() && request.text.trim().is_empty() {
        String::new()
    } else {
        MessageText::parse(&request.text)?.into_inner()
    };
    let attachments = ids
        .iter()
        .map(|id| Attachment {
            attachment_id: *id,
            name: String::new(),
            content_type: String::new(),
            size: 0,
            url: String::new(),
            preview_url: None,
        })
        .collect();
    Ok((text, attachments))
}

fn too_large(max_bytes: u64) -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!(
            "Files can be at most {} MiB",
            (max_bytes as f64 / (1024.0 * 1024.0) * 10.0).round() / 10.0
        ),
    )
}

fn read_error(error: MultipartError, max_bytes: u64) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(max_bytes)
    } else {
        ApiError::validation("file", "the multipart body could not be read")
    }
}

/// Reads the `file` part, chunk by chunk, refusing it as soon as it
/// passes the limit (so no more than the limit is ever held).
async fn read_file(
    multipart: Result<Multipart, MultipartRejection>,
    max_bytes: u64,
    content_length: Option<u64>,
) -> ApiResult<(String, Vec<u8>)> {
    let mut multipart = multipart.map_err(|_| {
        ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "Upload the file as multipart/form-data, in a part named \"file\"",
        )
    })?;
    loop {
        let Some(mut field) = multipart
            .next_field()
            .await
            .map_err(|e| read_error(e, max_bytes))?
        else {
            return Err(ApiError::validation("file", "is missing"));
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = echo_protocol::text::file_name(field.file_name().unwrap_or(""))
            .map_err(|reason| ApiError::validation("file", reason))?;
        // Sized once from the request's length (an upper bound of the
        // file's): growing by doubling would briefly hold it two or three
        // times over.
        let hint = content_length.unwrap_or(0).min(max_bytes) as usize;
        let mut bytes = Vec::with_capacity(hint);
        while let Some(chunk) = field.chunk().await.map_err(|e| read_error(e, max_bytes))? {
            if (bytes.len() + chunk.len()) as u64 > max_bytes {
                return Err(too_large(max_bytes));
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok((name, bytes));
    }
}

async fn store_upload(
    ctx: &ApiContext,
    organization: OrganizationId,
    conversation: ConversationId,
    uploader: String,
    upload: Upload,
) -> ApiResult<(StatusCode, Json<AttachmentUploaded>)> {
    let (name, bytes) = read_file(upload.form, ctx.max_attachment_bytes, upload.length).await?;
    let inspected = ctx
        .sandbox
        .inspect(bytes)
        .await
        .map_err(|error| parsers::failure(&name, error))?
        .map_err(|refused| match refused {
            Refused::Unsupported => ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "Only images (PNG, JPEG, GIF, WebP), PDF, text, CSV and ZIP files can be sent",
            ),
            Refused::Damaged => ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "The image could not be read",
            ),
            Refused::TooLarge => parsers::image_too_large(&name),
        })?;
    let id = AttachmentId::from_uuid(uuid::Uuid::new_v4());
    let size = inspected.data.len() as u64;
    let content_type = inspected.content_type;
    ctx.store
        .add_attachment(
            NewAttachment {
            id,
            organization,
            conversation,
            uploader,
            name: name.clone(),
            content_type: content_type.clone(),
            data: inspected.data,
            preview: inspected.preview,
            created_at: ctx.clock.now(),
            },
            ctx.max_unsent_bytes,
        )
        .await
        .map_err(|error| match error {
            StoreError::QuotaExceeded => ApiError::new(
                ErrorCode::PayloadTooLarge,
                "Too many files are waiting to be sent in this organization's chats; send or remove some first",
            ),
            other => other.into(),
        })?;
    tracing::info!(attachment_id = %id, size, content_type, "attachment uploaded");
    Ok((
        StatusCode::CREATED,
        Json(AttachmentUploaded {
            attachment_id: id,
            name,
            content_type,
            size,
        }),
    ))
}

/// The multipart form and the request's declared length.
pub struct Upload {
    form: Result<Multipart, MultipartRejection>,
    length: Option<u64>,
}

impl Upload {
    fn new(headers: &HeaderMap, form: Result<Multipart, MultipartRejection>) -> Self {
        let length = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        Self { form, length }
    }
}

fn refuse_resolved(status: ConversationStatus) -> ApiResult<()> {
    if status == ConversationStatus::Resolved {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "The conversation is resolved",
        ));
    }
    Ok(())
}

/// Uploads a file to send in the visitor's conversation.
#[utoipa::path(
    post,
    path = "/v1/conversations/{conversationId}/attachments",
    tag = "attachments",
    security(("contactSession" = [])),
    params(("conversationId" = String, Path)),
    request_body(content = super::knowledge::UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = AttachmentUploaded),
        (status = 400, description = "No `file` part (`VALIDATION`)", body = echo_protocol::ErrorBody),
        (status = 404, description = "Missing or another session's (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
        (status = 409, description = "The conversation is resolved (`CONFLICT`)", body = echo_protocol::ErrorBody),
        (status = 413, description = "Larger than the limit, or the organization's unsent files are at their cap (`PAYLOAD_TOO_LARGE`)", body = echo_protocol::ErrorBody),
        (status = 415, description = "Not multipart, or a type that is not accepted (`UNSUPPORTED_MEDIA_TYPE`)", body = echo_protocol::ErrorBody),
        (status = 422, description = "Over the limits of the file's parser: too many pixels or frames, too much time or memory (`UNPROCESSABLE_FILE`)", body = echo_protocol::ErrorBody),
        (status = 429, description = "Too many files from this session or address (`RATE_LIMITED`, `Retry-After`)", body = echo_protocol::ErrorBody),
        (status = 503, description = "Every parser busy (`OVERLOADED`, `Retry-After`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(conversation_id = %id))]
pub async fn visitor_upload(
    State(ctx): State<ApiContext>,
    ClientAddress(address): ClientAddress,
    visitor: Visitor,
    ApiPath(id): ApiPath<ConversationId>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<AttachmentUploaded>)> {
    let conversation = visitor.conversation(&ctx, id).await?;
    refuse_resolved(conversation.status)?;
    // Before the body is read: a refused upload costs the server nothing.
    ctx.limits
        .visitor_upload(visitor.0.id_hash.as_str(), address)?;
    let uploader = visitor_party(&visitor.0.id_hash);
    let upload = Upload::new(&headers, multipart);
    store_upload(&ctx, conversation.organization_id, id, uploader, upload).await
}

/// Uploads a file to send in one of the organization's conversations.
#[utoipa::path(
    post,
    path = "/v1/operator/conversations/{conversationId}/attachments",
    tag = "attachments",
    security(("session" = []), ("operatorKey" = [])),
    params(("conversationId" = String, Path)),
    request_body(content = super::knowledge::UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = AttachmentUploaded),
        (status = 400, description = "No `file` part (`VALIDATION`)", body = echo_protocol::ErrorBody),
        (status = 404, description = "Another organization's or missing (`NOT_FOUND`)", body = echo_protocol::ErrorBody),
        (status = 409, description = "The conversation is resolved (`CONFLICT`)", body = echo_protocol::ErrorBody),
        (status = 413, description = "Larger than the limit, or the organization's unsent files are at their cap (`PAYLOAD_TOO_LARGE`)", body = echo_protocol::ErrorBody),
        (status = 415, description = "Not multipart, or a type that is not accepted (`UNSUPPORTED_MEDIA_TYPE`)", body = echo_protocol::ErrorBody),
        (status = 422, description = "Over the limits of the file's parser (`UNPROCESSABLE_FILE`)", body = echo_protocol::ErrorBody),
        (status = 503, description = "Every parser busy (`OVERLOADED`, `Retry-After`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(conversation_id = %id))]
pub async fn operator_upload(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiPath(id): ApiPath<ConversationId>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<AttachmentUploaded>)> {
    let conversation = operator.conversation(&ctx, id).await?;
    refuse_resolved(conversation.status)?;
    let organization = operator.organization;
    let upload = Upload::new(&headers, multipart);
    store_upload(&ctx, organization, id, TEAM_PARTY.to_owned(), upload).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkQuery {
    /// When the link stops working (milliseconds since the epoch).
    pub expires: Option<i64>,
    #[param(pattern = "^[0-9a-f]{64}$")]
    pub signature: Option<String>,
}

fn bad_link() -> ApiError {
    ApiError::new(
        ErrorCode::Forbidden,
        "This link has expired or is not valid; reload the conversation for a fresh one",
    )
}

async fn serve(
    ctx: &ApiContext,
    id: AttachmentId,
    variant: Variant,
    query: LinkQuery,
) -> ApiResult<Response> {
    let (Some(expires), Some(signature)) = (query.expires, query.signature) else {
        return Err(bad_link());
    };
    if !ctx
        .links
        .verify(id, variant, expires, &signature, ctx.clock.now())
    {
        return Err(bad_link());
    }
    let file = ctx
        .store
        .attachment_file(id, variant == Variant::Preview)
        .await?
        .ok_or_else(|| ApiError::not_found("Attachment"))?;
    let content_type = if file.content_type.starts_with("text/") {
        format!("{}; charset=utf-8", file.content_type)
    } else {
        file.content_type.clone()
    };
    let disposition = if inspect::is_image(&file.content_type) {
        "inline"
    } else {
        "attachment"
    };
    let encoded: String = file
        .name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let mut response = file.data.into_response();
    let headers = response.headers_mut();
    let value = |text: String| HeaderValue::from_str(&text).map_err(ApiError::internal);
    headers.insert(header::CONTENT_TYPE, value(content_type)?);
    headers.insert(
        header::CONTENT_DISPOSITION,
        value(format!("{disposition}; filename*=UTF-8''{encoded}"))?,
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=900"),
    );
    Ok(response)
}

/// The file behind a signed link (no session needed).
#[utoipa::path(
    get,
    path = "/v1/attachments/{attachmentId}",
    tag = "attachments",
    params(("attachmentId" = String, Path), LinkQuery),
    responses(
        (status = 200, description = "The file, with its detected type", content_type = "application/octet-stream"),
        (status = 403, description = "Expired or altered link (`FORBIDDEN`)", body = echo_protocol::ErrorBody),
        (status = 404, description = "`NOT_FOUND`", body = echo_protocol::ErrorBody),
    )
)]
pub async fn download(
    State(ctx): State<ApiContext>,
    ApiPath(id): ApiPath<AttachmentId>,
    ApiQuery(query): ApiQuery<LinkQuery>,
) -> ApiResult<Response> {
    serve(&ctx, id, Variant::File, query).await
}

/// An image's preview behind a signed link.
#[utoipa::path(
    get,
    path = "/v1/attachments/{attachmentId}/preview",
    tag = "attachments",
    params(("attachmentId" = String, Path), LinkQuery),
    responses(
        (status = 200, description = "The preview image", content_type = "image/jpeg"),
        (status = 403, description = "Expired or altered link (`FORBIDDEN`)", body = echo_protocol::ErrorBody),
        (status = 404, description = "`NOT_FOUND`", body = echo_protocol::ErrorBody),
    )
)]
pub async fn download_preview(
    State(ctx): State<ApiContext>,
    ApiPath(id): ApiPath<AttachmentId>,
    ApiQuery(query): ApiQuery<LinkQuery>,
) -> ApiResult<Response> {
    serve(&ctx, id, Variant::Preview, query).await
}
