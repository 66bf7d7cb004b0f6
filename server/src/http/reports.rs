//! Service-level reports and exports: `GET /v1/operator/reports` (and as
//! CSV), and every conversation of a range as CSV, streamed. Agents see
//! their own conversations and row; admins (and API keys) everyone's.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use echo_protocol::reports::{GroupBy, Report, ReportBucket, Spread};
use echo_protocol::team::OperatorRole;
use echo_protocol::OperatorId;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::{Actor, Operator};
use super::error::{ApiError, ApiResult};
use super::extract::ApiQuery;
use super::ApiContext;
use crate::reports::business::OpenTime;
use crate::reports::csv;
use crate::reports::figures::{self, Inputs, Rows};
use crate::reports::Range;
use crate::store::reports::ExportRow;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/v1/operator/reports", get(report))
        .route("/v1/operator/reports.csv", get(report_csv))
        .route("/v1/operator/conversations/export.csv", get(export_csv))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The first date, `YYYY-MM-DD`, in `timeZone`.
    #[param(pattern = r"^\d{4}-\d{2}-\d{2}$")]
    pub from: String,
    /// The last date (included); at most 366 days after `from`.
    #[param(pattern = r"^\d{4}-\d{2}-\d{2}$")]
    pub to: String,
    /// An IANA time zone (default `UTC`): the dates' and rows' edges.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// `day` (default), `week` or `operator`.
    #[serde(default)]
    #[param(inline)]
    pub group_by: Option<GroupBy>,
    /// Durations count only the time the desk was open (default false).
    #[serde(default)]
    pub business_hours_only: Option<bool>,
}

/// The agent whose conversations alone are shown (`None`: everyone's).
fn own(operator: &Operator) -> Option<OperatorId> {
    match &operator.actor {
        Actor::Member {
            operator,
            role: OperatorRole::Agent,
            ..
        } => Some(operator.id),
        _ => None,
    }
}

async fn build(ctx: &ApiContext, operator: &Operator, query: ReportQuery) -> ApiResult<Report> {
    let range = Range::parse(&query.from, &query.to, query.time_zone.as_deref())?;
    let group = query.group_by.unwrap_or_default();
    let business_hours_only = query.business_hours_only.unwrap_or(false);
    let organization = operator.organization;
    let own = own(operator);
    let conversations = ctx
        .store
        .report_rows(organization, own, range.start, range.end)
        .await?;
    let rows = match group {
        GroupBy::Operator => {
            let mut assignees: Vec<(Option<OperatorId>, String, Option<String>)> = ctx
                .store
                .team(organization)
                .await?
                .into_iter()
                .filter(|m| own.is_none_or(|me| me == m.operator_id))
                .map(|m| (Some(m.operator_id), m.operator_id.to_string(), Some(m.name)))
                .collect();
            assignees.sort_by(|a, b| a.2.cmp(&b.2));
            if own.is_none() {
                assignees.push((None, "unassigned".into(), None));
            }
            Rows::Assignees(assignees)
        }
        _ => Rows::Periods(range.periods(group)),
    };
    let schedule = if business_hours_only {
        let org = ctx
            .store
            .organization(organization)
            .await?
            .ok_or_else(super::extract::organization_not_found)?;
        org.business_hours
            .as_ref()
            .and_then(|h| crate::hours::Schedule::parse(h).ok())
            .filter(crate::hours::Schedule::enabled)
    } else {
        None
    };
    let (start, end) = (range.start, range.end);
    // Counting 200,000 conversations is work for a blocking thread, not an
    // async worker.
    let buckets = tokio::task::spawn_blocking(move || {
        let open = schedule.map(|schedule| {
            // A span that began over a year before the report counts
            // from then.
            let earliest = conversations
                .iter()
                .filter_map(|c| c.first_visitor_at)
                .min()
                .unwrap_or(start)
                .max(start - 366 * 24 * 3_600_000);
            OpenTime::new(&schedule, earliest.min(start), end)
        });
        figures::compute(Inputs {
            rows,
            start,
            end,
            conversations: &conversations,
            open: open.as_ref(),
        })
    })
    .await
    .map_err(|_| ApiError::internal("computing a report failed"))?;
    Ok(Report {
        from: range.from.to_string(),
        to: range.to.to_string(),
        time_zone: range.zone_name,
        group_by: group,
        business_hours_only,
        buckets,
    })
}

/// The organization's service levels by day, week or assignee: how many
/// conversations were created and resolved, messages, the first response,
/// first human response and resolution times (median and 90th percentile,
/// seconds) and satisfaction. A conversation counts in the row of each
/// thing that happened in it.
#[utoipa::path(
    get,
    path = "/v1/operator/reports",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    params(ReportQuery),
    responses(
        (status = 200, body = Report),
        (status = 400, description = "A bad date, time zone or grouping, `from` after `to`, or over 366 days (`VALIDATION`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn report(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> ApiResult<Json<Report>> {
    Ok(Json(build(&ctx, &operator, query).await?))
}

fn seconds(value: Option<f64>) -> String {
    value.map(|s| format!("{s:.3}")).unwrap_or_default()
}

fn spread_cells(spread: &Spread) -> [String; 2] {
    [seconds(spread.median), seconds(spread.p90)]
}

fn bucket_line(b: &ReportBucket) -> String {
    let mut cells = vec![
        b.key.clone(),
        b.name.clone().unwrap_or_default(),
        b.conversations_created.to_string(),
        b.conversations_resolved.to_string(),
        b.messages.to_string(),
    ];
    for spread in [&b.first_response, &b.first_human_response, &b.resolution] {
        cells.extend(spread_cells(spread));
    }
    cells.push(b.csat.count.to_string());
    cells.push(
        b.csat
            .average
            .map(|a| format!("{a:.2}"))
            .unwrap_or_default(),
    );
    cells.push(seconds(b.csat.satisfied_share));
    csv::line(cells)
}

fn csv_response(name: &str, body: Body) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The report as CSV (RFC 4180): one line per row, durations in seconds.
#[utoipa::path(
    get,
    path = "/v1/operator/reports.csv",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    params(ReportQuery),
    responses(
        (status = 200, description = "The report's rows", content_type = "text/csv"),
        (status = 400, description = "As the report (`VALIDATION`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn report_csv(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    let report = build(&ctx, &operator, query).await?;
    let mut text = csv::line([
        "key",
        "name",
        "conversationsCreated",
        "conversationsResolved",
        "messages",
        "firstResponseMedian",
        "firstResponseP90",
        "firstHumanResponseMedian",
        "firstHumanResponseP90",
        "resolutionMedian",
        "resolutionP90",
        "csatCount",
        "csatAverage",
        "csatSatisfiedShare",
    ]);
    for bucket in &report.buckets {
        text.push_str(&bucket_line(bucket));
    }
    let name = format!("echo-report-{}-{}.csv", report.from, report.to);
    Ok(csv_response(&name, Body::from(text)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Conversations created from this date, `YYYY-MM-DD`, in `timeZone`.
    #[param(pattern = r"^\d{4}-\d{2}-\d{2}$")]
    pub from: String,
    /// To this date (included); at most 366 days.
    #[param(pattern = r"^\d{4}-\d{2}-\d{2}$")]
    pub to: String,
    /// An IANA time zone (default `UTC`).
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// Rows fetched per page of an export.
const EXPORT_PAGE: u32 = 500;

fn instant(ms: Option<i64>) -> String {
    ms.and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn span(from: Option<i64>, to: Option<i64>) -> String {
    match (from, to) {
        (Some(from), Some(to)) => format!("{:.3}", (to - from).max(0) as f64 / 1000.0),
        _ => String::new(),
    }
}

fn export_line(row: &ExportRow) -> String {
    let m = &row.milestones;
    csv::line([
        row.id.to_string(),
        instant(Some(m.created_at)),
        instant(m.resolved_at),
        row.status.clone(),
        row.assignee.clone().unwrap_or_default(),
        row.labels.clone(),
        row.visitor_name.clone(),
        row.visitor_email.clone(),
        span(m.first_visitor_at, m.first_reply_at),
        span(m.first_visitor_at, m.resolved_at),
        m.rating.map(|r| r.to_string()).unwrap_or_default(),
        row.comment.clone().unwrap_or_default(),
    ])
}

const EXPORT_HEADER: [&str; 12] = [
    "id",
    "created",
    "resolved",
    "status",
    "assignee",
    "labels",
    "visitorName",
    "visitorEmail",
    "firstResponseSeconds",
    "resolutionSeconds",
    "rating",
    "comment",
];

/// Every conversation created in the range, one CSV line each (RFC 4180;
/// a cell that starts with `=`, `+`, `-` or `@` gets a leading `'` so a
/// spreadsheet shows it as text), streamed page by page. Admins only: it
/// holds visitors' addresses.
#[utoipa::path(
    get,
    path = "/v1/operator/conversations/export.csv",
    tag = "operator",
    security(("session" = []), ("operatorKey" = [])),
    params(ExportQuery),
    responses(
        (status = 200, description = "The conversations", content_type = "text/csv"),
        (status = 400, description = "A bad date or time zone, `from` after `to`, or over 366 days (`VALIDATION`)", body = echo_protocol::ErrorBody),
        (status = 403, description = "Not an admin (`FORBIDDEN`)", body = echo_protocol::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(organization_id = %operator.organization))]
pub async fn export_csv(
    State(ctx): State<ApiContext>,
    operator: Operator,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    operator.require_admin()?;
    let range = Range::parse(&query.from, &query.to, query.time_zone.as_deref())?;
    let name = format!("echo-conversations-{}-{}.csv", range.from, range.to);
    let organization = operator.organization;
    let (from, to) = (range.start, range.end);
    // The header, then a page at a time: memory holds one page, whatever
    // the range.
    let pages = futures_util::stream::unfold(Some(None), move |state| {
        let ctx = ctx.clone();
        async move {
            let after = match state? {
                None => return Some((Ok(csv::line(EXPORT_HEADER)), Some(Some(0)))),
                Some(after) => after,
            };
            let page = ctx
                .store
                .export_page(organization, from, to, after, EXPORT_PAGE)
                .await;
            match page {
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let last = rows.last().map_or(after, |r| r.seq);
                    let text: String = rows.iter().map(export_line).collect();
                    Some((Ok(text), Some(Some(last))))
                }
                Err(error) => {
                    tracing::error!(error = %error, "exporting conversations failed");
                    Some((Err(std::io::Error::other("export failed")), None))
                }
            }
        }
    });
    Ok(csv_response(&name, Body::from_stream(pages)))
}
