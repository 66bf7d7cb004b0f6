//! How long the desk was open between two instants: the business hours'
//! `is_open`, read once per minute of the span the report needs (the desk
//! opens and closes on whole local minutes, and every zone's offset is
//! whole minutes, so openness is constant within each UTC minute), summed
//! with prefix sums so each duration is two lookups.

use echo_protocol::Timestamp;

use crate::hours::Schedule;

const MINUTE: i64 = 60_000;
/// The most minutes kept (about three years): an older start counts from
/// there.
const MAX_MINUTES: i64 = 3 * 366 * 24 * 60;

pub struct OpenTime {
    /// The first minute's start.
    first: i64,
    /// `open[i]`: open minutes before minute `i` (so `open.len()` is one
    /// more than the minutes covered).
    open: Vec<u32>,
    /// Whether each minute is open.
    minute_open: Vec<bool>,
}

impl OpenTime {
    /// Covers `start` to `end` (milliseconds).
    pub fn new(schedule: &Schedule, start: i64, end: i64) -> Self {
        let first = start.div_euclid(MINUTE) * MINUTE;
        let first = first.max(end - MAX_MINUTES * MINUTE);
        let minutes = ((end - first).max(0) + MINUTE - 1) / MINUTE;
        let mut open = Vec::with_capacity(minutes as usize + 1);
        let mut minute_open = Vec::with_capacity(minutes as usize);
        open.push(0u32);
        for i in 0..minutes {
            let is_open = schedule.is_open(Timestamp(first + i * MINUTE));
            minute_open.push(is_open);
            let before = *open.last().unwrap_or(&0);
            open.push(before + u32::from(is_open));
        }
        Self {
            first,
            open,
            minute_open,
        }
    }

    /// Open milliseconds from the covered start to `at`.
    fn open_until(&self, at: i64) -> i64 {
        let offset = (at - self.first).max(0);
        let whole = (offset / MINUTE) as usize;
        let covered = self.minute_open.len();
        if whole >= covered {
            return i64::from(self.open[covered]) * MINUTE;
        }
        let part = if self.minute_open[whole] {
            offset % MINUTE
        } else {
            0
        };
        i64::from(self.open[whole]) * MINUTE + part
    }

    /// Open milliseconds between `from` and `to`.
    pub fn between(&self, from: i64, to: i64) -> i64 {
        (self.open_until(to) - self.open_until(from)).max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use echo_protocol::hours::{BusinessHours, OpeningHours, ReplyTime, Weekday};

    fn nine_to_five(zone: &str) -> Schedule {
        let week = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ]
        .into_iter()
        .map(|day| OpeningHours {
            day,
            open: "09:00".into(),
            close: "17:00".into(),
        })
        .collect();
        Schedule::parse(&BusinessHours {
            enabled: true,
            time_zone: zone.into(),
            week,
            holidays: Vec::new(),
            reply_time: ReplyTime::Hours,
            away_message: "Away".into(),
        })
        .unwrap()
    }

    /// Milliseconds of `[from, to)` open, one millisecond at a time
    /// around the minute edges and by minutes between: the definition.
    fn brute(schedule: &Schedule, from: i64, to: i64) -> i64 {
        let mut total = 0;
        let mut at = from;
        while at < to {
            let next = ((at.div_euclid(MINUTE)) + 1) * MINUTE;
            let next = next.min(to);
            if schedule.is_open(Timestamp(at)) {
                total += next - at;
            }
            at = next;
        }
        total
    }

    #[test]
    fn a_friday_evening_to_monday_noon_is_four_open_hours() {
        let schedule = nine_to_five("UTC");
        // Friday 2027-01-15 16:00 UTC to Monday 2027-01-18 12:00 UTC.
        let friday = 1_799_971_200_000 + 16 * 3_600_000;
        let monday = friday + (2 * 24 + 20) * 3_600_000;
        let open = OpenTime::new(&schedule, friday, monday);
        assert_eq!(open.between(friday, monday), 4 * 3_600_000);
        assert_eq!(open.between(friday + 90_500, friday + 150_250), 59_750);
        assert_eq!(open.between(monday, friday), 0);
    }

    #[test]
    fn it_equals_the_definition_across_a_daylight_saving_change() {
        let schedule = nine_to_five("America/New_York");
        // 2027-03-14: New York moves to summer time.
        let start = 1_804_636_800_000;
        let end = start + 9 * 24 * 3_600_000;
        let open = OpenTime::new(&schedule, start, end);
        let mut seed = 7u64;
        for _ in 0..200 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let a = start + (seed >> 20) as i64 % (end - start);
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let b = a + (seed >> 20) as i64 % (3 * 24 * 3_600_000);
            let b = b.min(end);
            assert_eq!(open.between(a, b), brute(&schedule, a, b), "{a}..{b}");
        }
    }
}
