//! Business hours as a schedule: checked once when saved, then asked
//! whether the desk is open at an instant and when it opens next. Local
//! wall-clock times in the organization's IANA zone (jiff's bundled tz
//! database), so daylight-saving changes follow the zone: an opening at
//! 09:00 in Europe/Berlin is 08:00 UTC in winter and 07:00 UTC in summer.
//!
//! Whether it is open is read on the wall clock: an instant is open when
//! its local time falls in an opening. So an opening the spring change
//! skips into (02:30 on the night clocks jump from 02:00 to 03:00) starts
//! when the clock does exist again (03:00), and a local hour the autumn
//! change repeats is open (or closed) both times. A holiday closes the
//! openings that start on that date; a night opening that began the day
//! before runs to its end.

use std::collections::BTreeSet;

use echo_protocol::hours::{Availability, BusinessHours, ReplyTime};
use echo_protocol::validate::ValidationError;
use echo_protocol::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

const MAX_OPENINGS: usize = 28;
const MAX_HOLIDAYS: usize = 100;
const MAX_AWAY_CHARS: usize = 300;
const MAX_HOLIDAY_NAME_CHARS: usize = 100;
const DAY: i32 = 24 * 60;
const WEEK: i32 = 7 * DAY;

/// One opening: its weekday (Monday 0) and minutes after midnight; `close`
/// at or before `open` ends the next day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Opening {
    day: i32,
    open: i32,
    close: i32,
}

impl Opening {
    fn wraps(self) -> bool {
        self.close <= self.open
    }

    /// Minutes from Monday 00:00: `[start, end)`, `end` past the week's
    /// end for Sunday's night opening.
    fn span(self) -> (i32, i32) {
        let start = self.day * DAY + self.open;
        let length = if self.wraps() {
            self.close + DAY - self.open
        } else {
            self.close - self.open
        };
        (start, start + length)
    }
}

#[derive(Debug, Clone)]
pub struct Schedule {
    enabled: bool,
    zone: TimeZone,
    week: Vec<Opening>,
    holidays: BTreeSet<Date>,
    reply_time: ReplyTime,
    away_message: String,
}

/// `HH:MM`, 00:00 to 23:59, as minutes.
fn minutes(text: &str) -> Option<i32> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !(h.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

fn overlap(a: (i32, i32), b: (i32, i32)) -> bool {
    // Around the week: Sunday night's opening runs into Monday.
    [-WEEK, 0, WEEK]
        .iter()
        .any(|shift| a.0 < b.1 + shift && b.0 + shift < a.1)
}

impl Schedule {
    /// The hours as saved, each rule's failure naming its field.
    pub fn parse(hours: &BusinessHours) -> Result<Self, ValidationError> {
        let zone = TimeZone::get(hours.time_zone.trim())
            .map_err(|_| ValidationError::new("timeZone", "is not a known IANA time zone"))?;
        if hours.week.len() > MAX_OPENINGS {
            return Err(ValidationError::new(
                "week",
                format!("at most {MAX_OPENINGS} openings"),
            ));
        }
        let mut week = Vec::with_capacity(hours.week.len());
        for item in &hours.week {
            let (Some(open), Some(close)) = (minutes(&item.open), minutes(&item.close)) else {
                return Err(ValidationError::new(
                    "week",
                    "times must be HH:MM, 00:00 to 23:59",
                ));
            };
            if open == close {
                return Err(ValidationError::new(
                    "week",
                    "an opening must close at another time than it opens",
                ));
            }
            let opening = Opening {
                day: item.day.index() as i32,
                open,
                close,
            };
            if week
                .iter()
                .any(|o: &Opening| overlap(o.span(), opening.span()))
            {
                return Err(ValidationError::new(
                    "week",
                    format!(
                        "the {:?} {}-{} opening overlaps another",
                        item.day, item.open, item.close
                    )
                    .to_lowercase(),
                ));
            }
            week.push(opening);
        }
        if hours.holidays.len() > MAX_HOLIDAYS {
            return Err(ValidationError::new(
                "holidays",
                format!("at most {MAX_HOLIDAYS} holidays"),
            ));
        }
        let mut holidays = BTreeSet::new();
        for holiday in &hours.holidays {
            let date = (holiday.date.len() == 10)
                .then(|| holiday.date.parse::<Date>().ok())
                .flatten()
                .ok_or_else(|| {
                    ValidationError::new(
                        "holidays",
                        format!("{:?} is not a date (YYYY-MM-DD)", holiday.date),
                    )
                })?;
            if holiday.name.chars().count() > MAX_HOLIDAY_NAME_CHARS {
                return Err(ValidationError::new(
                    "holidays",
                    format!("a name is at most {MAX_HOLIDAY_NAME_CHARS} characters"),
                ));
            }
            holidays.insert(date);
        }
        let away_message = hours.away_message.trim();
        if away_message.is_empty() || away_message.chars().count() > MAX_AWAY_CHARS {
            return Err(ValidationError::new(
                "awayMessage",
                format!("must be 1 to {MAX_AWAY_CHARS} characters"),
            ));
        }
        Ok(Self {
            enabled: hours.enabled,
            zone,
            week,
            holidays,
            reply_time: hours.reply_time,
            away_message: away_message.to_owned(),
        })
    }

    fn local(&self, at: Timestamp) -> jiff::civil::DateTime {
        jiff::Timestamp::from_millisecond(at.millis())
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            .to_zoned(self.zone.clone())
            .datetime()
    }

    /// Whether the hours are on (off: always open).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Whether the desk is open at `at` (always, with the hours off).
    pub fn is_open(&self, at: Timestamp) -> bool {
        if !self.enabled {
            return true;
        }
        let local = self.local(at);
        let date = local.date();
        let day = i32::from(date.weekday().to_monday_zero_offset());
        let minute = i32::from(local.hour()) * 60 + i32::from(local.minute());
        let yesterday = date.yesterday().ok();
        self.week.iter().any(|o| {
            let today = o.day == day
                && minute >= o.open
                && (o.wraps() || minute < o.close)
                && !self.holidays.contains(&date);
            let from_yesterday = o.wraps()
                && o.day == (day + 6) % 7
                && minute < o.close
                && yesterday.is_some_and(|d| !self.holidays.contains(&d));
            today || from_yesterday
        })
    }

    /// When the desk opens next after `at` (`None`: open now, or nothing
    /// within about a year).
    pub fn next_open(&self, at: Timestamp) -> Option<Timestamp> {
        if self.is_open(at) {
            return None;
        }
        let start = self.local(at).date();
        for offset in 0..=372 {
            let date = start.checked_add(jiff::Span::new().days(offset)).ok()?;
            if self.holidays.contains(&date) {
                continue;
            }
            let day = i32::from(date.weekday().to_monday_zero_offset());
            let first = self
                .week
                .iter()
                .filter(|o| o.day == day)
                .flat_map(|o| self.opening_instants(date, o.open))
                .filter(|t| t.millis() > at.millis())
                .min();
            if first.is_some() {
                return first;
            }
        }
        None
    }

    /// The instants `date` reaches `minute` on the wall clock: one, or two
    /// in the hour the autumn change repeats. In a gap the clock skips, the
    /// instant it resumes past it.
    fn opening_instants(&self, date: Date, minute: i32) -> Vec<Timestamp> {
        let wall = date.at((minute / 60) as i8, (minute % 60) as i8, 0, 0);
        let ambiguous = self.zone.to_ambiguous_timestamp(wall);
        let mut found: Vec<Timestamp> = [ambiguous.earlier(), ambiguous.later()]
            .into_iter()
            .flatten()
            .map(|t| Timestamp(t.as_millisecond()))
            .filter(|t| self.local(*t) == wall)
            .collect();
        found.dedup();
        if !found.is_empty() {
            return found;
        }
        let Ok(past) = ambiguous.compatible() else {
            return found;
        };
        // Skipped: "compatible" lands past the gap by its length. The
        // wall clock is past `wall` from the gap's end on, so search back.
        let (mut lo, mut hi) = (
            past.as_millisecond() - 3 * 3600 * 1000,
            past.as_millisecond(),
        );
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.local(Timestamp(mid)) >= wall {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        vec![Timestamp(hi)]
    }

    /// What the widget is told at `at`.
    pub fn availability(&self, at: Timestamp) -> Availability {
        let open = self.is_open(at);
        Availability {
            open,
            reply_time: self.reply_time,
            next_open_at: (!open).then(|| self.next_open(at)).flatten(),
            away_message: (!open).then(|| self.away_message.clone()),
        }
    }
}

/// What the widget is told at `at` of hours as saved (none: open).
pub fn availability(hours: Option<&BusinessHours>, at: Timestamp) -> Availability {
    match hours.map(Schedule::parse) {
        Some(Ok(schedule)) => schedule.availability(at),
        // Saved hours were checked; hours that no longer parse (a zone
        // the database dropped) leave the desk open rather than shut.
        Some(Err(_)) | None => Availability {
            reply_time: hours.map(|h| h.reply_time).unwrap_or_default(),
            ..Availability::default()
        },
    }
}

#[cfg(test)]
mod tests;
