use echo_protocol::hours::{BusinessHours, Holiday, OpeningHours, Weekday};
use proptest::prelude::*;

use super::*;

fn at(utc: &str) -> Timestamp {
    Timestamp(utc.parse::<jiff::Timestamp>().unwrap().as_millisecond())
}

fn hours(zone: &str, week: &[(Weekday, &str, &str)], holidays: &[&str]) -> BusinessHours {
    BusinessHours {
        enabled: true,
        time_zone: zone.into(),
        week: week
            .iter()
            .map(|(day, open, close)| OpeningHours {
                day: *day,
                open: (*open).into(),
                close: (*close).into(),
            })
            .collect(),
        holidays: holidays
            .iter()
            .map(|d| Holiday {
                date: (*d).into(),
                name: "Holiday".into(),
            })
            .collect(),
        ..BusinessHours::default()
    }
}

fn weekdays(zone: &str, open: &str, close: &str) -> Schedule {
    use Weekday::*;
    let week: Vec<_> = [Mon, Tue, Wed, Thu, Fri]
        .into_iter()
        .map(|d| (d, open, close))
        .collect();
    Schedule::parse(&hours(zone, &week, &[])).unwrap()
}

#[test]
fn a_berlin_nine_oclock_is_eight_utc_in_winter_and_seven_in_summer() {
    let berlin = weekdays("Europe/Berlin", "09:00", "17:00");
    assert!(!berlin.is_open(at("2026-01-05T07:59:00Z")));
    assert!(berlin.is_open(at("2026-01-05T08:00:00Z")));
    assert!(!berlin.is_open(at("2026-07-06T06:59:00Z")));
    assert!(berlin.is_open(at("2026-07-06T07:00:00Z")));
    assert!(
        !berlin.is_open(at("2026-07-06T15:00:00Z")),
        "17:00 in summer"
    );
    // Saturday: back Monday 09:00 local.
    assert_eq!(
        berlin.next_open(at("2026-01-10T12:00:00Z")),
        Some(at("2026-01-12T08:00:00Z"))
    );
    assert_eq!(
        berlin.next_open(at("2026-01-05T09:00:00Z")),
        None,
        "open now"
    );
}

#[test]
fn a_night_opening_runs_past_midnight_and_around_the_week() {
    use Weekday::*;
    let night = Schedule::parse(&hours(
        "UTC",
        &[(Fri, "22:00", "02:00"), (Sun, "23:00", "01:00")],
        &[],
    ))
    .unwrap();
    assert!(night.is_open(at("2026-01-09T22:00:00Z")), "Friday 22:00");
    assert!(night.is_open(at("2026-01-10T01:59:00Z")), "Saturday 01:59");
    assert!(!night.is_open(at("2026-01-10T02:00:00Z")));
    assert!(
        night.is_open(at("2026-01-12T00:30:00Z")),
        "Sunday's into Monday"
    );
    assert_eq!(
        night.next_open(at("2026-01-10T02:00:00Z")),
        Some(at("2026-01-11T23:00:00Z"))
    );
}

#[test]
fn a_holiday_closes_the_openings_that_start_on_it() {
    use Weekday::*;
    let schedule = Schedule::parse(&hours(
        "America/New_York",
        &[
            (Mon, "09:00", "17:00"),
            (Tue, "09:00", "17:00"),
            (Sun, "22:00", "02:00"),
        ],
        &["2026-01-05"],
    ))
    .unwrap();
    // Sunday night's opening began before the holiday: it runs on.
    assert!(
        schedule.is_open(at("2026-01-05T06:00:00Z")),
        "Monday 01:00 EST"
    );
    assert!(
        !schedule.is_open(at("2026-01-05T15:00:00Z")),
        "Monday 10:00 EST"
    );
    assert_eq!(
        schedule.next_open(at("2026-01-05T15:00:00Z")),
        Some(at("2026-01-06T14:00:00Z")),
        "Tuesday 09:00 EST"
    );
}

#[test]
fn the_spring_gap_opens_when_the_clock_resumes_and_the_autumn_hour_counts_twice() {
    use Weekday::*;
    // 2026-03-29: Berlin's clocks go from 02:00 CET to 03:00 CEST (01:00 UTC).
    let spring = Schedule::parse(&hours("Europe/Berlin", &[(Sun, "02:30", "04:00")], &[])).unwrap();
    assert!(!spring.is_open(at("2026-03-29T00:59:59Z")), "01:59:59 CET");
    assert!(spring.is_open(at("2026-03-29T01:00:00Z")), "03:00 CEST");
    assert_eq!(
        spring.next_open(at("2026-03-28T12:00:00Z")),
        Some(at("2026-03-29T01:00:00Z"))
    );
    // 2026-10-25: 03:00 CEST becomes 02:00 CET (01:00 UTC); 02:xx twice.
    let autumn = Schedule::parse(&hours("Europe/Berlin", &[(Sun, "02:15", "02:45")], &[])).unwrap();
    assert!(autumn.is_open(at("2026-10-25T00:30:00Z")), "02:30 CEST");
    assert!(!autumn.is_open(at("2026-10-25T00:50:00Z")), "02:50 CEST");
    assert!(!autumn.is_open(at("2026-10-25T01:00:00Z")), "02:00 CET");
    assert!(autumn.is_open(at("2026-10-25T01:30:00Z")), "02:30 CET");
    assert_eq!(
        autumn.next_open(at("2026-10-25T00:50:00Z")),
        Some(at("2026-10-25T01:15:00Z")),
        "the repeated 02:15"
    );
}

#[test]
fn bad_hours_name_their_field() {
    use Weekday::*;
    let cases: Vec<(BusinessHours, &str)> = vec![
        (hours("Mars/Olympus", &[], &[]), "timeZone"),
        (hours("UTC", &[(Mon, "25:00", "26:00")], &[]), "week"),
        (hours("UTC", &[(Mon, "9:00", "17:00")], &[]), "week"),
        (hours("UTC", &[(Mon, "09:00", "09:00")], &[]), "week"),
        (
            hours(
                "UTC",
                &[(Mon, "09:00", "17:00"), (Mon, "16:00", "18:00")],
                &[],
            ),
            "week",
        ),
        (
            hours(
                "UTC",
                &[(Sun, "22:00", "02:00"), (Mon, "01:00", "03:00")],
                &[],
            ),
            "week",
        ),
        (hours("UTC", &[], &["2026-13-01"]), "holidays"),
        (hours("UTC", &[], &["2026-1-1"]), "holidays"),
        (
            BusinessHours {
                away_message: " ".into(),
                ..BusinessHours::default()
            },
            "awayMessage",
        ),
    ];
    for (bad, field) in cases {
        assert_eq!(Schedule::parse(&bad).unwrap_err().field, field, "{bad:?}");
    }
    // Touching is not overlapping.
    assert!(Schedule::parse(&hours(
        "UTC",
        &[(Mon, "09:00", "12:00"), (Mon, "12:00", "13:00")],
        &[]
    ))
    .is_ok());
    assert!(
        Schedule::parse(&BusinessHours::default())
            .unwrap()
            .is_open(at("2026-01-10T03:00:00Z")),
        "off: open"
    );
}

/// Openings on distinct days, 30 minutes to 10 hours long (some cross
/// midnight), so most schedules are valid.
fn openings() -> impl Strategy<Value = Vec<(usize, u16, u16)>> {
    proptest::sample::subsequence((0..7).collect::<Vec<usize>>(), 1..5).prop_flat_map(|days| {
        let n = days.len();
        (
            Just(days),
            proptest::collection::vec((0u16..(24 * 60), 30u16..(10 * 60)), n),
        )
            .prop_map(|(days, times)| {
                days.into_iter()
                    .zip(times)
                    .map(|(d, (open, length))| (d, open, length))
                    .collect()
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// The next opening is open, the second before it is not, and nothing
    /// between the asking and it is.
    #[test]
    fn the_next_opening_is_the_first_open_instant(
        raw in openings(),
        zone in proptest::sample::select(vec!["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]),
        start in 1_767_225_600_000i64..1_798_761_600_000i64,
        samples in proptest::collection::vec(0.0f64..1.0, 8),
    ) {
        let mut week = Vec::new();
        for (day, open, length) in raw {
            let close = (open + length) % (24 * 60);
            let fmt = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
            week.push(OpeningHours { day: Weekday::ALL[day], open: fmt(open), close: fmt(close) });
        }
        let hours = BusinessHours { enabled: true, time_zone: zone.into(), week, ..BusinessHours::default() };
        let schedule = Schedule::parse(&hours);
        prop_assume!(schedule.is_ok());
        let schedule = schedule.unwrap();
        let now = Timestamp(start);
        if schedule.is_open(now) {
            prop_assert_eq!(schedule.next_open(now), None);
            return Ok(());
        }
        let next = schedule.next_open(now).expect("some opening within a week");
        prop_assert!(next.millis() > now.millis());
        prop_assert!(next.millis() - now.millis() <= 8 * 24 * 3600 * 1000);
        prop_assert!(schedule.is_open(next));
        prop_assert!(!schedule.is_open(Timestamp(next.millis() - 1000)));
        for s in samples {
            let between = now.millis() + ((next.millis() - now.millis()) as f64 * s) as i64;
            prop_assert!(!schedule.is_open(Timestamp(between.min(next.millis() - 1))));
        }
    }
}
