//! The reports' brute force: each conversation read back from the raw
//! rows (messages, status events, ratings), and every figure of a report
//! counted the slow way from them, for `reports.rs` to compare.

use std::collections::BTreeMap;

use echo_protocol::reports::ReportBucket;
use echo_server::hours::Schedule;
use jiff::tz::TimeZone;

use crate::helpers::TestApp;

/// The away message the scenarios set: its automatic reply answers nothing.
pub const AWAY: &str = "We are away: we answer when we open.";

/// One conversation as the raw rows tell it.
#[derive(Default, Debug)]
pub struct Raw {
    created_at: i64,
    assignee: Option<String>,
    /// (seq, role, created_at, author)
    messages: Vec<(i64, String, i64, Option<String>)>,
    /// (position, resolved?, at)
    statuses: Vec<(i64, bool, i64)>,
    /// (at, score)
    ratings: Vec<(i64, i64)>,
}

fn int(cell: &Option<String>) -> i64 {
    cell.as_deref().unwrap().parse().unwrap()
}

pub async fn raw(app: &TestApp) -> BTreeMap<String, Raw> {
    let mut all: BTreeMap<String, Raw> = BTreeMap::new();
    for row in app
        .text_rows("SELECT id, CAST(created_at AS TEXT), assignee_id FROM conversations")
        .await
    {
        let entry = all.entry(row[0].clone().unwrap()).or_default();
        entry.created_at = int(&row[1]);
        entry.assignee = row[2].clone();
    }
    for row in app
        .text_rows(
            "SELECT conversation_id, CAST(seq AS TEXT), role, CAST(created_at AS TEXT), author_id,
                    text
             FROM messages",
        )
        .await
    {
        let entry = all.get_mut(row[0].as_deref().unwrap()).unwrap();
        let mut role = row[2].clone().unwrap();
        // The automatic away reply (the assistant's role, the away
        // message's words) answers nothing.
        if role == "assistant" && row[5].as_deref() == Some(AWAY) {
            role = "away".into();
        }
        entry
            .messages
            .push((int(&row[1]), role, int(&row[3]), row[4].clone()));
    }
    // The event log's order: SQLite's `seq`, PostgreSQL's commit position.
    let order = if app.is_postgres() { "position" } else { "seq" };
    let sql = format!(
        "SELECT conversation_id, CAST({order} AS TEXT), payload, CAST(created_at AS TEXT)
         FROM events WHERE payload LIKE '%\"type\":\"status\"%'"
    );
    for row in app.text_rows(&sql).await {
        let entry = all.get_mut(row[0].as_deref().unwrap()).unwrap();
        let resolved = row[2].as_deref().unwrap().contains("\"resolved\"");
        entry.statuses.push((int(&row[1]), resolved, int(&row[3])));
    }
    for row in app
        .text_rows(
            "SELECT conversation_id, CAST(created_at AS TEXT), CAST(score AS TEXT) FROM ratings",
        )
        .await
    {
        let entry = all.get_mut(row[0].as_deref().unwrap()).unwrap();
        entry.ratings.push((int(&row[1]), int(&row[2])));
    }
    all
}

/// Nearest rank, as the report defines it.
fn rank(sorted: &[i64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let r = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[r - 1] as f64 / 1000.0)
}

#[derive(Default, Debug)]
pub struct Expected {
    created: u64,
    resolved: u64,
    messages: u64,
    first: Vec<i64>,
    human: Vec<i64>,
    resolution: Vec<i64>,
    scores: Vec<i64>,
}

/// Open milliseconds of `[from, to)`, minute by minute: the definition.
fn open_between(schedule: &Schedule, from: i64, to: i64) -> i64 {
    let mut total = 0;
    let mut at = from;
    while at < to {
        let next = ((at.div_euclid(60_000) + 1) * 60_000).min(to);
        if schedule.is_open(echo_protocol::Timestamp(at)) {
            total += next - at;
        }
        at = next;
    }
    total
}

pub struct Ask<'a> {
    pub from: jiff::civil::Date,
    pub to: jiff::civil::Date,
    pub zone: &'a str,
    pub group: &'a str,
    pub schedule: Option<&'a Schedule>,
}

/// The report, counted the slow way from the raw rows.
pub fn brute_force(all: &BTreeMap<String, Raw>, ask: &Ask<'_>) -> BTreeMap<String, Expected> {
    let zone = TimeZone::get(ask.zone).unwrap();
    let date_of = |at: i64| {
        jiff::Timestamp::from_millisecond(at)
            .unwrap()
            .to_zoned(zone.clone())
            .date()
    };
    // The row a happening at `at` in a conversation with `assignee` is in.
    let key_of = |at: i64, assignee: &Option<String>| -> Option<String> {
        let date = date_of(at);
        if date < ask.from || date > ask.to {
            return None;
        }
        Some(match ask.group {
            "week" => {
                let back = i64::from(date.weekday().to_monday_zero_offset());
                let monday = date.checked_sub(jiff::Span::new().days(back)).unwrap();
                monday.max(ask.from).to_string()
            }
            "operator" => assignee.clone().unwrap_or_else(|| "unassigned".into()),
            _ => date.to_string(),
        })
    };
    let span = |from: i64, to: i64| match ask.schedule {
        Some(schedule) => open_between(schedule, from, to),
        None => to - from,
    };
    let mut rows: BTreeMap<String, Expected> = BTreeMap::new();
    for c in all.values() {
        let mut messages = c.messages.clone();
        messages.sort();
        let asked = messages
            .iter()
            .find(|m| m.1 == "visitor")
            .map(|m| (m.0, m.2));
        let reply = |human: bool| {
            let (seq, _) = asked?;
            messages
                .iter()
                .find(|m| m.0 > seq && (m.1 == "operator" || (!human && m.1 == "assistant")))
                .map(|m| m.2)
        };
        let mut statuses = c.statuses.clone();
        statuses.sort();
        let resolved_at = statuses.last().filter(|s| s.1).map(|s| s.2);
        let rating = c.ratings.iter().max().copied();
        if let Some(key) = key_of(c.created_at, &c.assignee) {
            let row = rows.entry(key).or_default();
            row.created += 1;
            row.messages += c.messages.iter().filter(|m| m.1 != "note").count() as u64;
        }
        if let (Some((_, at)), Some(replied)) = (asked, reply(false)) {
            if let Some(key) = key_of(replied, &c.assignee) {
                rows.entry(key).or_default().first.push(span(at, replied));
            }
        }
        if let (Some((_, at)), Some(replied)) = (asked, reply(true)) {
            if let Some(key) = key_of(replied, &c.assignee) {
                rows.entry(key).or_default().human.push(span(at, replied));
            }
        }
        if let Some(resolved) = resolved_at {
            if let Some(key) = key_of(resolved, &c.assignee) {
                let row = rows.entry(key).or_default();
                row.resolved += 1;
                if let Some((_, at)) = asked {
                    row.resolution.push(span(at, resolved));
                }
            }
        }
        if let Some((at, score)) = rating {
            if let Some(key) = key_of(at, &c.assignee) {
                rows.entry(key).or_default().scores.push(score);
            }
        }
    }
    rows
}

pub fn assert_bucket(bucket: &ReportBucket, expected: &mut Expected, context: &str) {
    let what = format!("{context} row {}", bucket.key);
    assert_eq!(
        bucket.conversations_created, expected.created,
        "{what}: created"
    );
    assert_eq!(
        bucket.conversations_resolved, expected.resolved,
        "{what}: resolved"
    );
    assert_eq!(bucket.messages, expected.messages, "{what}: messages");
    for (name, spread, durations) in [
        ("first", &bucket.first_response, &mut expected.first),
        ("human", &bucket.first_human_response, &mut expected.human),
        ("resolution", &bucket.resolution, &mut expected.resolution),
    ] {
        durations.sort_unstable();
        assert_eq!(spread.count, durations.len() as u64, "{what}: {name} count");
        assert_eq!(spread.median, rank(durations, 0.5), "{what}: {name} median");
        assert_eq!(spread.p90, rank(durations, 0.9), "{what}: {name} p90");
    }
    let scores = &expected.scores;
    assert_eq!(bucket.csat.count, scores.len() as u64, "{what}: csat");
    if !scores.is_empty() {
        let average = scores.iter().sum::<i64>() as f64 / scores.len() as f64;
        let share = scores.iter().filter(|s| **s >= 4).count() as f64 / scores.len() as f64;
        assert!(
            (bucket.csat.average.unwrap() - average).abs() < 1e-9,
            "{what}: average"
        );
        assert!(
            (bucket.csat.satisfied_share.unwrap() - share).abs() < 1e-9,
            "{what}: share"
        );
    }
}
