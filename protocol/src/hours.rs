//! Business hours (`/v1/operator/business-hours`) and what the widget is
//! told of them (`availability` in its public settings).

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// A day of the week, as the API writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    /// Monday 0 ... Sunday 6.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One opening on a day, local wall-clock times `HH:MM`. A `close` at or
/// before `open` ends the next day (`22:00`-`02:00`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OpeningHours {
    pub day: Weekday,
    pub open: String,
    pub close: String,
}

/// A date the desk stays closed (`YYYY-MM-DD`, in the hours' time zone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Holiday {
    pub date: String,
    pub name: String,
}

/// How soon the team answers while open, as the widget says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ReplyTime {
    #[default]
    Minutes,
    Hours,
    Day,
}

/// `GET` / `PUT /v1/operator/business-hours` (admins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BusinessHours {
    /// Off: always open (the reply time still shows).
    pub enabled: bool,
    /// An IANA time zone name (`Europe/Berlin`).
    pub time_zone: String,
    /// At most 28 openings, none overlapping another.
    pub week: Vec<OpeningHours>,
    /// At most 100.
    pub holidays: Vec<Holiday>,
    pub reply_time: ReplyTime,
    /// What the widget says while the desk is closed (1-300 characters).
    pub away_message: String,
}

pub const DEFAULT_AWAY_MESSAGE: &str =
    "We're away right now. Leave us a message and we'll answer as soon as we're back.";

impl Default for BusinessHours {
    fn default() -> Self {
        Self {
            enabled: false,
            time_zone: "UTC".into(),
            week: Vec::new(),
            holidays: Vec::new(),
            reply_time: ReplyTime::Minutes,
            away_message: DEFAULT_AWAY_MESSAGE.into(),
        }
    }
}

/// The desk as the widget tells it, computed when the settings are asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Availability {
    pub open: bool,
    pub reply_time: ReplyTime,
    /// When closed: when it opens next (none within a year: absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_open_at: Option<Timestamp>,
    /// When closed: the organization's away message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub away_message: Option<String>,
}

impl Default for Availability {
    fn default() -> Self {
        Self {
            open: true,
            reply_time: ReplyTime::Minutes,
            next_open_at: None,
            away_message: None,
        }
    }
}
