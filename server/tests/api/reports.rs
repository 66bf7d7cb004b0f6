//! Reports: the figures equal a brute-force count over the raw rows
//! (messages, status events, ratings) for random conversations, replies,
//! resolutions, reopenings, ratings, assignments, time zones and business
//! hours; agents see only their own; bad input is 400 naming the field;
//! CSV is quoted and defused.

use std::collections::BTreeMap;

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::reports::{Report, ReportBucket};
use echo_protocol::team::OperatorRole;
use echo_protocol::{ConversationId, ErrorCode};
use echo_server::hours::Schedule;
use jiff::tz::TimeZone;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{assert_error, json, spawn_app, TestApp};
use crate::members::{cookie_of, Member, PASSWORD};

const AWAY: &str = "We are away: we answer when we open.";

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

/// Random conversations over some weeks, written through the API.
async fn scenario(app: &TestApp, rng: &mut Rng, members: &mut [Member]) {
    for _ in 0..14 {
        let visitor = app.visitor().await;
        let id = app.start_conversation(&visitor).await;
        app.clock.advance_secs(rng.below(600) as i64);
        app.visitor_says(&visitor, id, "Hello").await;
        for _ in 0..(3 + rng.below(8)) {
            match rng.below(8) {
                0 | 1 => app.clock.advance_secs(rng.below(30 * 3600) as i64),
                2 => {
                    // Refused (409) once resolved: either is fine.
                    let path = format!("/v1/conversations/{id}/messages");
                    let body = json!({"text": "A question"});
                    app.post(&path, &body, Some(visitor.token())).await;
                }
                3 => {
                    let member = &mut members[rng.below(members.len() as u64) as usize];
                    let path = format!("/v1/operator/conversations/{id}/messages");
                    let body = json!({"text": "An answer"});
                    let mut sent = app
                        .as_member(Method::POST, &path, &member.cookie, Some(&body))
                        .await;
                    if sent.status() == StatusCode::UNAUTHORIZED {
                        // Weeks went by: the console signs in again.
                        let email = member.account.operator.email.clone();
                        member.cookie = cookie_of(&app.sign_in(&email, PASSWORD).await);
                        sent = app
                            .as_member(Method::POST, &path, &member.cookie, Some(&body))
                            .await;
                    }
                    let status = sent.status();
                    assert!(
                        status.is_success() || status == StatusCode::CONFLICT,
                        "{status}"
                    );
                }
                4 => set_status(app, id, ConversationStatus::Resolved).await,
                5 => set_status(app, id, ConversationStatus::Escalated).await,
                6 => {
                    let path = format!("/v1/conversations/{id}/rating");
                    let score = 1 + rng.below(5);
                    // Refused (409) unless it may be rated: either is fine.
                    app.post(&path, &json!({"score": score}), Some(visitor.token()))
                        .await;
                }
                _ => {
                    let pick = rng.below(members.len() as u64 + 1) as usize;
                    let assignee = members.get(pick).map(|m| m.id().to_string());
                    let response = app
                        .client
                        .patch(app.url(&format!("/v1/operator/conversations/{id}")))
                        .bearer_auth(&app.org.operator_key)
                        .json(&json!({"assigneeId": assignee}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status(), StatusCode::OK);
                }
            }
        }
        app.clock.advance_secs(rng.below(20 * 3600) as i64);
    }
}

async fn set_status(app: &TestApp, id: ConversationId, status: ConversationStatus) {
    let response = app
        .operator_set_status(&app.org.operator_key, id, status)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// One conversation as the raw rows tell it.
#[derive(Default, Debug)]
struct Raw {
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

async fn raw(app: &TestApp) -> BTreeMap<String, Raw> {
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
struct Expected {
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

struct Ask<'a> {
    from: jiff::civil::Date,
    to: jiff::civil::Date,
    zone: &'a str,
    group: &'a str,
    schedule: Option<&'a Schedule>,
}

/// The report, counted the slow way from the raw rows.
fn brute_force(all: &BTreeMap<String, Raw>, ask: &Ask<'_>) -> BTreeMap<String, Expected> {
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

fn assert_bucket(bucket: &ReportBucket, expected: &mut Expected, context: &str) {
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

async fn report(app: &TestApp, query: &str) -> Report {
    json(
        app.operator_get(
            &app.org.operator_key,
            &format!("/v1/operator/reports?{query}"),
        )
        .await,
        StatusCode::OK,
    )
    .await
}

#[tokio::test]
async fn reports_equal_a_brute_force_count_of_the_raw_rows() {
    let mut rated = 0;
    for seed in [1u64, 2, 3] {
        let app = spawn_app().await;
        let org = app.org.organization_id;
        let mut members = vec![
            app.member(org, "ana@acme.test", OperatorRole::Agent).await,
            app.member(org, "bo@acme.test", OperatorRole::Agent).await,
        ];
        let mut rng = Rng(seed);
        let zone =
            ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"][rng.below(4) as usize];
        // Business hours in another zone than the report's, sometimes.
        let hours = json!({"enabled": true, "timeZone": "Europe/Berlin",
            "week": [{"day": "mon", "open": "09:00", "close": "17:00"},
                     {"day": "tue", "open": "22:00", "close": "02:00"},
                     {"day": "fri", "open": "08:30", "close": "12:15"}],
            "holidays": [{"date": "2027-01-25", "name": "Closed"}],
            "replyTime": "hours", "awayMessage": AWAY});
        let saved = app
            .client
            .put(app.url("/v1/operator/business-hours"))
            .bearer_auth(&app.org.operator_key)
            .json(&hours)
            .send()
            .await
            .unwrap();
        assert_eq!(saved.status(), StatusCode::OK);
        let schedule = Schedule::parse(&serde_json::from_value(hours).unwrap()).unwrap();
        scenario(&app, &mut rng, &mut members).await;
        let all = raw(&app).await;
        let (from, to) = ("2027-01-14", "2027-04-30");
        for group in ["day", "week", "operator"] {
            for business in [false, true] {
                let query = format!(
                    "from={from}&to={to}&timeZone={zone}&groupBy={group}&businessHoursOnly={business}"
                );
                let got = report(&app, &query).await;
                let ask = Ask {
                    from: from.parse().unwrap(),
                    to: to.parse().unwrap(),
                    zone,
                    group,
                    schedule: business.then_some(&schedule),
                };
                let mut expected = brute_force(&all, &ask);
                let context = format!("seed {seed}, {query}");
                // Not a vacuous comparison: the random weeks hold answers,
                // resolutions and ratings.
                let total = |f: fn(&ReportBucket) -> u64| got.buckets.iter().map(f).sum::<u64>();
                assert!(total(|b| b.first_response.count) >= 3, "{context}");
                assert!(total(|b| b.conversations_resolved) >= 1, "{context}");
                assert!(total(|b| b.messages) >= 20, "{context}");
                rated += total(|b| b.csat.count);
                for bucket in &got.buckets {
                    let mut want = expected.remove(&bucket.key).unwrap_or_default();
                    assert_bucket(bucket, &mut want, &context);
                }
                assert!(
                    expected.is_empty(),
                    "{context}: rows missing {:?}",
                    expected.keys()
                );
            }
        }
    }
    assert!(rated > 0, "some conversation was rated");
}

#[tokio::test]
async fn an_agent_sees_only_their_own_conversations_and_row() {
    let app = spawn_app().await;
    let org = app.org.organization_id;
    let agent = app.member(org, "ana@acme.test", OperatorRole::Agent).await;
    let other = app.member(org, "bo@acme.test", OperatorRole::Agent).await;
    for (member, times) in [(&agent, 1), (&other, 2)] {
        for _ in 0..times {
            let visitor = app.visitor().await;
            let id = app.start_conversation(&visitor).await;
            app.visitor_says(&visitor, id, "Hi").await;
            let path = format!("/v1/operator/conversations/{id}/messages");
            let sent = app
                .as_member(
                    Method::POST,
                    &path,
                    &member.cookie,
                    Some(&json!({"text": "Hello"})),
                )
                .await;
            assert_eq!(sent.status(), StatusCode::CREATED);
        }
    }
    let query = "/v1/operator/reports?from=2027-01-15&to=2027-01-15&groupBy=operator";
    let mine: Report = json(app.member_get(query, &agent.cookie).await, StatusCode::OK).await;
    assert_eq!(mine.buckets.len(), 1);
    assert_eq!(mine.buckets[0].key, agent.id().to_string());
    assert_eq!(mine.buckets[0].conversations_created, 1);
    // The greeting, the visitor's and the agent's.
    assert_eq!(mine.buckets[0].messages, 3);
    let day = "/v1/operator/reports?from=2027-01-15&to=2027-01-15";
    let mine: Report = json(app.member_get(day, &agent.cookie).await, StatusCode::OK).await;
    assert_eq!(mine.buckets[0].conversations_created, 1);
    let all: Report = json(
        app.operator_get(&app.org.operator_key, query).await,
        StatusCode::OK,
    )
    .await;
    let created: Vec<u64> = all
        .buckets
        .iter()
        .map(|b| b.conversations_created)
        .collect();
    assert_eq!(created.iter().sum::<u64>(), 3, "{created:?}");
    assert_eq!(all.buckets.last().unwrap().key, "unassigned");
    // The export holds visitors' addresses: admins only.
    let export = app
        .member_get(
            "/v1/operator/conversations/export.csv?from=2027-01-15&to=2027-01-15",
            &agent.cookie,
        )
        .await;
    assert_error(export, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
}

#[tokio::test]
async fn bad_report_ranges_are_refused_naming_the_field() {
    let app = spawn_app().await;
    for (query, field) in [
        ("from=2027-01-02&to=2027-01-01", "from"),
        ("from=2027-13-01&to=2027-12-01", "from"),
        ("from=2027-01-01&to=2028-01-02", "to"),
        (
            "from=2027-01-01&to=2027-01-02&timeZone=Mars/Olympus",
            "timeZone",
        ),
        ("from=2027-01-01&to=2027-01-02&groupBy=month", "groupBy"),
        ("to=2027-01-02", "from"),
    ] {
        let response = app
            .operator_get(
                &app.org.operator_key,
                &format!("/v1/operator/reports?{query}"),
            )
            .await;
        let body = assert_error(response, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
        assert!(
            body.error.message.contains(field),
            "{query}: {}",
            body.error.message
        );
    }
}

#[tokio::test]
async fn exports_are_csv_with_formulas_defused() {
    let app = spawn_app().await;
    let mut request = app.session_request(app.org.organization_id);
    request.name = "=HYPERLINK(\"http://evil\",\"x\")".into();
    let visitor = app.visitor_with(request).await;
    let id = app.start_conversation(&visitor).await;
    app.visitor_says(&visitor, id, "Hello").await;
    app.clock.advance_secs(90);
    let reply = app.operator_reply(&app.org.operator_key, id, "Hi").await;
    assert_eq!(reply.status(), StatusCode::CREATED);
    set_status(&app, id, ConversationStatus::Resolved).await;
    app.post(
        &format!("/v1/conversations/{id}/rating"),
        &json!({"score": 5, "comment": "-1+2, \"great\""}),
        Some(visitor.token()),
    )
    .await;
    let response = app
        .operator_get(
            &app.org.operator_key,
            "/v1/operator/conversations/export.csv?from=2027-01-15&to=2027-01-15",
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert!(lines[0].starts_with("id,created,resolved,status,assignee,labels,visitorName"));
    assert_eq!(lines.len(), 3, "{text}");
    let line = lines[1];
    assert!(
        line.starts_with(&format!(
            "{id},2027-01-15T08:00:00Z,2027-01-15T08:01:30Z,resolved,"
        )),
        "{line}"
    );
    assert!(
        line.contains(
            ",\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",ada@example.com,90.000,90.000,5,"
        ),
        "{line}"
    );
    assert!(line.ends_with(",\"'-1+2, \"\"great\"\"\""), "{line}");
    let report = app
        .operator_get(
            &app.org.operator_key,
            "/v1/operator/reports.csv?from=2027-01-15&to=2027-01-16",
        )
        .await;
    let text = report.text().await.unwrap();
    assert!(text.starts_with("key,name,conversationsCreated"), "{text}");
    assert!(
        text.contains(
            "\r\n2027-01-15,,1,1,3,90.000,90.000,90.000,90.000,90.000,90.000,1,5.00,1.000\r\n"
        ),
        "{text}"
    );
}
