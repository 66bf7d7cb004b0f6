//! Search over the organization's messages (notes too) and visitors,
//! ranked by the database's own full-text engine (see `crate::search`).

use axum::extract::State;
use axum::Json;
use echo_protocol::desk::{SearchHit, SearchResults};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::http::auth::Operator;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::ApiQuery;
use crate::http::operator::InboxQuery;
use crate::http::ApiContext;
use crate::search::{parse, snippet, MAX_QUERY_CHARS};
use crate::store::desk::Search;

/// Hits per page unless asked otherwise, and at most.
const DEFAULT_HITS: u32 = 20;
const MAX_HITS: u32 = 50;
/// How deep a search pages (ranked hits are counted from the top).
const MAX_OFFSET: u32 = 1000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// What to find: words (the last one as a prefix) and `"quoted
    /// phrases"`; case and accents do not matter. 1 to 200 characters.
    #[param(min_length = 1, max_length = 200)]
    pub q: String,
    /// As the inbox's `status`.
    #[param(pattern = r"^(unresolved|escalated|resolved|all)?$")]
    pub status: Option<String>,
    /// As the inbox's `assignee`.
    #[param(
        pattern = r"^(me|none|all|([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32}|\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}|urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}))?$"
    )]
    pub assignee: Option<String>,
    /// As the inbox's `label`.
    #[param(
        pattern = r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32}|\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}|urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$"
    )]
    pub label: Option<String>,
    /// `nextCursor` of the previous page.
    #[param(pattern = r"^(1000|[0-9]{1,3})?$")]
    pub cursor: Option<String>,
    /// Hits per page, 1 to 50 (default 20).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u32>,
}

/// The organization's messages, notes and visitors that match, best
/// first, each with a snippet whose matches are marked by character
/// offsets.
#[utoipa::path(
    get,
    operation_id = "search_conversations",
    path = "/v1/operator/search",
    tag = "desk",
    security(("session" = []), ("operatorKey" = [])),
    params(SearchQuery),
    responses(
        (status = 200, body = SearchResults),
        (status = 400, description = "No query, or one over 200 characters (`VALIDATION`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn search(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> ApiResult<Json<SearchResults>> {
    let text = query.q.as_str();
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::validation(
            "q",
            format!("must be at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    if text.is_empty() {
        return Err(ApiError::validation("q", "is required"));
    }
    // Only punctuation or spaces: nothing can match.
    let Some(terms) = parse(text) else {
        return Ok(Json(SearchResults {
            hits: Vec::new(),
            next_cursor: None,
        }));
    };
    let filter = InboxQuery {
        status: query.status,
        assignee: query.assignee,
        label: query.label,
        cursor: None,
        limit: None,
    }
    .filter(&operator)?;
    let offset = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => 0,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= MAX_OFFSET)
            .ok_or_else(|| ApiError::validation("cursor", "is not a valid cursor"))?,
    };
    let limit = query.limit.unwrap_or(DEFAULT_HITS);
    if !(1..=MAX_HITS).contains(&limit) {
        return Err(ApiError::validation(
            "limit",
            format!("must be 1 to {MAX_HITS}"),
        ));
    }
    let search = Search {
        query: terms.clone(),
        filter,
        offset,
        limit,
    };
    let mut rows = ctx.store.search(operator.organization, &search).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next = offset + limit;
    let hits = rows
        .into_iter()
        .map(|row| {
            let (snippet, ranges) = snippet(&row.text, &terms);
            SearchHit {
                conversation_id: row.conversation_id,
                field: row.field,
                message_id: row.message_id,
                visitor_name: row.visitor_name,
                status: row.status,
                snippet,
                ranges,
                created_at: row.created_at,
            }
        })
        .collect();
    Ok(Json(SearchResults {
        hits,
        next_cursor: (more && next <= MAX_OFFSET).then(|| next.to_string()),
    }))
}
