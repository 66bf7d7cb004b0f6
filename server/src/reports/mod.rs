//! Service-level reports: the rows a report is cut into (local dates and
//! weeks in the asked time zone, or assignees), and the figures of each,
//! computed from the conversations' milestones (`store::reports`).
//!
//! - [`figures`]: counting and the spreads (median, p90) of durations.
//! - [`business`]: how much of a span the desk was open.
//! - [`csv`]: CSV cells, quoted and defused for spreadsheets.

pub mod business;
pub mod csv;
pub mod figures;

use echo_protocol::reports::{GroupBy, MAX_REPORT_DAYS};
use echo_protocol::validate::ValidationError;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// A report's range: local dates `from` to `to` (both included) in `zone`,
/// and its edges as instants (milliseconds).
#[derive(Debug, Clone)]
pub struct Range {
    pub from: Date,
    pub to: Date,
    pub zone: TimeZone,
    pub zone_name: String,
    /// The start of `from`, and of the day after `to`.
    pub start: i64,
    pub end: i64,
}

fn parse_date(field: &str, text: &str) -> Result<Date, ValidationError> {
    let valid = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
    let date = valid.then(|| text.parse::<Date>().ok()).flatten();
    date.ok_or_else(|| ValidationError::new(field, "must be a date, YYYY-MM-DD"))
}

/// The first instant of `date` in `zone` (its midnight, or the instant the
/// day begins when midnight is skipped).
pub fn start_of(date: Date, zone: &TimeZone) -> i64 {
    date.to_zoned(zone.clone())
        .map(|z| z.timestamp().as_millisecond())
        .unwrap_or(i64::MAX)
}

impl Range {
    /// `from` and `to` as dates in `time_zone` (UTC when none): at most
    /// [`MAX_REPORT_DAYS`] days, `from` not after `to`.
    pub fn parse(from: &str, to: &str, time_zone: Option<&str>) -> Result<Self, ValidationError> {
        let zone_name = time_zone.map_or("UTC", str::trim).to_owned();
        let zone = TimeZone::get(&zone_name)
            .map_err(|_| ValidationError::new("timeZone", "is not a known IANA time zone"))?;
        let from = parse_date("from", from)?;
        let to = parse_date("to", to)?;
        if from > to {
            return Err(ValidationError::new("from", "must not be after to"));
        }
        let days = (to - from).get_days() as i64 + 1;
        if days > MAX_REPORT_DAYS {
            return Err(ValidationError::new(
                "to",
                "a report covers at most 366 days",
            ));
        }
        let next = to
            .tomorrow()
            .map_err(|_| ValidationError::new("to", "is out of range"))?;
        Ok(Self {
            start: start_of(from, &zone),
            end: start_of(next, &zone),
            from,
            to,
            zone,
            zone_name,
        })
    }

    /// The rows by time: `(key, start, end)` for each day, or each week
    /// from Monday (the first one from `from`).
    pub fn periods(&self, group: GroupBy) -> Vec<(String, i64, i64)> {
        let mut periods = Vec::new();
        let mut day = self.from;
        while day <= self.to {
            let next = match group {
                GroupBy::Week => {
                    let left = 7 - i64::from(day.weekday().to_monday_zero_offset());
                    day.checked_add(jiff::Span::new().days(left))
                }
                _ => day.tomorrow(),
            };
            let Ok(next) = next else { break };
            let end = if next > self.to {
                self.end
            } else {
                start_of(next, &self.zone)
            };
            periods.push((day.to_string(), start_of(day, &self.zone), end));
            day = next;
        }
        periods
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_follows_the_zone_across_daylight_saving() {
        // Europe/Berlin moved to summer time on 2027-03-28: that day has
        // 23 hours, and the autumn one (2027-10-31) 25.
        let spring = Range::parse("2027-03-27", "2027-03-29", Some("Europe/Berlin")).unwrap();
        let days = spring.periods(GroupBy::Day);
        let hours: Vec<i64> = days.iter().map(|(_, s, e)| (e - s) / 3_600_000).collect();
        assert_eq!(hours, [24, 23, 24]);
        assert_eq!(
            days[0].1, 1_806_102_000_000,
            "2027-03-27 00:00 CET is 23:00 UTC the day before"
        );
        let autumn = Range::parse("2027-10-31", "2027-10-31", Some("Europe/Berlin")).unwrap();
        assert_eq!((autumn.end - autumn.start) / 3_600_000, 25);
    }

    #[test]
    fn weeks_start_on_monday_and_are_cut_to_the_range() {
        // 2027-01-13 is a Wednesday.
        let range = Range::parse("2027-01-13", "2027-01-25", None).unwrap();
        let keys: Vec<String> = range
            .periods(GroupBy::Week)
            .into_iter()
            .map(|p| p.0)
            .collect();
        assert_eq!(keys, ["2027-01-13", "2027-01-18", "2027-01-25"]);
        let weeks = range.periods(GroupBy::Week);
        assert_eq!(weeks.last().unwrap().2, range.end);
        assert_eq!(weeks[0].2, weeks[1].1);
    }

    #[test]
    fn bad_ranges_name_their_field() {
        let field = |from, to, zone| Range::parse(from, to, zone).unwrap_err().field;
        assert_eq!(field("2027-01-02", "2027-01-01", None), "from");
        assert_eq!(field("2027-1-02", "2027-01-03", None), "from");
        assert_eq!(field("2027-01-01", "2027-02-30", None), "to");
        assert_eq!(field("2026-01-01", "2027-01-02", None), "to");
        assert_eq!(
            field("2027-01-01", "2027-01-02", Some("Mars/Olympus")),
            "timeZone"
        );
        assert!(
            Range::parse("2026-01-01", "2027-01-01", None).is_ok(),
            "366 days"
        );
    }
}
