//! Service-level reports (`GET /v1/operator/reports`) and their figures.

use serde::{Deserialize, Serialize};

/// How a report's rows are cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum GroupBy {
    /// One row per local date (`key`: `YYYY-MM-DD`).
    #[default]
    Day,
    /// One row per week from Monday (`key`: that Monday, or the report's
    /// first date for a week that began before it).
    Week,
    /// One row per assignee (`key`: the operator's ID, or `unassigned`).
    Operator,
}

/// A duration's spread, in seconds; `null` without any sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Spread {
    /// How many conversations were measured.
    pub count: u64,
    pub median: Option<f64>,
    pub p90: Option<f64>,
}

/// Satisfaction: the last rating of each conversation rated in the row.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Csat {
    pub count: u64,
    /// 1 to 5.
    pub average: Option<f64>,
    /// The share of 4 and 5, 0 to 1.
    pub satisfied_share: Option<f64>,
}

/// One row of a report. A conversation counts in the row of each thing
/// that happened in it: created, answered, resolved, rated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReportBucket {
    pub key: String,
    /// The operator's name, when grouped by operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub conversations_created: u64,
    /// Resolved in the row (and not reopened since).
    pub conversations_resolved: u64,
    /// The messages (the visitor's, the assistant's and the team's, not
    /// notes) of the conversations created in the row.
    pub messages: u64,
    /// The first visitor message to the first reply of any kind, for the
    /// conversations first answered in the row.
    pub first_response: Spread,
    /// The first visitor message to a person's first reply.
    pub first_human_response: Spread,
    /// The first visitor message to the resolution, for those resolved in
    /// the row.
    pub resolution: Spread,
    pub csat: Csat,
}

/// `GET /v1/operator/reports`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub from: String,
    pub to: String,
    pub time_zone: String,
    pub group_by: GroupBy,
    /// Durations count only the time the desk was open.
    pub business_hours_only: bool,
    pub buckets: Vec<ReportBucket>,
}

/// The longest report, in days.
pub const MAX_REPORT_DAYS: i64 = 366;
