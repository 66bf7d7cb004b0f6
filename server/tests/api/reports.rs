//! Reports: the figures equal a brute-force count over the raw rows
//! (messages, status events, ratings) for random conversations, replies,
//! resolutions, reopenings, ratings, assignments, time zones and business
//! hours; agents see only their own; bad input is 400 naming the field;
//! CSV is quoted and defused.

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::reports::{Report, ReportBucket};
use echo_protocol::team::OperatorRole;
use echo_protocol::{ConversationId, ErrorCode};
use echo_server::hours::Schedule;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{assert_error, json, spawn_app, TestApp};
use crate::members::{cookie_of, Member, PASSWORD};
use crate::reports_brute::{assert_bucket, brute_force, raw, Ask, AWAY};

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
