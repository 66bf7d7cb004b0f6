//! Email notifications against a real SMTP server (see `smtp.rs`), on
//! either store: the presence rules, batching, unsubscribing, escaping,
//! an SMTP outage, bounces, transcripts and the operator's setting. The
//! windows are one to three seconds (two where presence matters: open
//! streams refresh it every quarter window, which leaves room for a slow
//! database write) and the server runs on the system clock, so every wait
//! is a poll with a deadline.

use std::time::Duration;

use echo_protocol::messages::SendMessage;
use echo_protocol::team::{Account, OperatorRole};
use echo_protocol::{ConversationId, ErrorCode};
use echo_server::clock::Clock;
use reqwest::{Method, StatusCode};

use crate::helpers::{assert_error, eventually, json, spawn_app_with, TestApp, TestVisitor};
use crate::members::Member;
use crate::smtp::SmtpSink;
use crate::sse::SseReader;

pub async fn mail_app(sink: &SmtpSink, away: u64, batch: u64) -> TestApp {
    let config = sink.config(away, batch);
    spawn_app_with(move |c| {
        c.mail = Some(config);
        c.clock = Clock::system();
    })
    .await
}

impl TestApp {
    pub async fn visitor_says(
        &self,
        visitor: &TestVisitor,
        conversation: ConversationId,
        text: &str,
    ) {
        let response = self
            .post(
                &format!("/v1/conversations/{conversation}/messages"),
                &SendMessage {
                    text: text.into(),
                    idempotency_key: None,
                    attachment_ids: Vec::new(),
                },
                Some(visitor.token()),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }

    /// Waits until every notice is decided and every mail delivered (or
    /// refused for good), but those held for a confirmation.
    pub async fn mail_settled(&self) {
        let settled = eventually(
            || async {
                let pending = self
                    .scalar_i64("SELECT COUNT(*) FROM mail_notices WHERE pending")
                    .await;
                let unsent = self
                    .scalar_i64(
                        "SELECT COUNT(*) FROM mail_outbox
                         WHERE sent_at IS NULL AND failed_at IS NULL AND NOT held",
                    )
                    .await;
                (pending == 0 && unsent == 0).then_some(())
            },
            Duration::from_secs(20),
        )
        .await;
        assert!(settled.is_some(), "mail did not settle within 20 s");
    }

    /// Waits until the subject's push stream has recorded its presence.
    pub async fn present(&self, subject: &str) {
        let sql = format!("SELECT COUNT(*) FROM presence WHERE subject = '{subject}'");
        let seen = eventually(
            || async { (self.scalar_i64(&sql).await > 0).then_some(()) },
            Duration::from_secs(10),
        )
        .await;
        assert!(seen.is_some(), "no presence for {subject}");
    }

    pub async fn console_open(&self, member: &Member) -> SseReader {
        let response = self
            .client
            .get(self.url("/v1/operator/events"))
            .header("cookie", &member.cookie)
            .send()
            .await
            .unwrap();
        let reader = SseReader::new(response);
        self.present(&format!("op:{}", member.id())).await;
        reader
    }
}

#[tokio::test]
async fn the_team_is_mailed_only_while_its_console_is_closed() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink, 2, 1).await;
    let org = app.org.organization_id;
    let member = app.member(org, "ops@acme.test", OperatorRole::Admin).await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;

    // A new conversation, nobody's console open: the team hears of it.
    app.visitor_says(&visitor, conversation, "Is my order shipped?")
        .await;
    let first = sink.wait_for(1).await.remove(0);
    assert_eq!(first.to(), "ops@acme.test");
    assert!(first.header("from").starts_with("Acme <support@echo.test>"));
    assert!(first.header("subject").contains("Ada Lovelace"));
    assert!(first.text.contains("Is my order shipped?"));
    let link = format!("{}/console/#conversation={conversation}", app.address);
    assert!(first.text.contains(&link), "{}", first.text);
    assert!(first.html.contains(&link));

    // The operator takes it (escalated, assigned) and keeps the console
    // open: what the visitor writes now is seen live, not mailed.
    let reply = app
        .operator_reply(&app.org.operator_key, conversation, "Let me check.")
        .await;
    assert_eq!(reply.status(), StatusCode::CREATED);
    let console = app.console_open(&member).await;
    app.visitor_says(&visitor, conversation, "Seen live").await;
    app.mail_settled().await;
    assert_eq!(sink.mails_to("ops@acme.test").len(), 1);

    // Console closed: the next message is mailed once they have been away
    // for the window, without the one they saw.
    drop(console);
    app.visitor_says(&visitor, conversation, "Are you still there?")
        .await;
    let second = sink.wait_for_to("ops@acme.test", 2).await.remove(1);
    assert!(second.text.contains("Are you still there?"));
    assert!(!second.text.contains("Seen live"));
    app.mail_settled().await;
    assert_eq!(sink.mails_to("ops@acme.test").len(), 2);
    // The visitor, who never had the widget open, is asked to confirm
    // the address they typed; the reply waits for that.
    let to_visitor = sink.mails_to("ada@example.com");
    assert_eq!(to_visitor.len(), 1);
    assert!(to_visitor[0]
        .header("subject")
        .starts_with("Confirm your email address"));
    assert!(!to_visitor[0].text.contains("Let me check."));
}

#[tokio::test]
async fn an_assigned_conversation_mails_only_its_assignee_and_the_setting_stops_it() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink, 1, 1).await;
    let org = app.org.organization_id;
    let alice = app
        .member(org, "alice@acme.test", OperatorRole::Admin)
        .await;
    let bob = app.member(org, "bob@acme.test", OperatorRole::Agent).await;

    // Unassigned: everyone is told.
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    app.visitor_says(&visitor, conversation, "hello").await;
    let mut to: Vec<String> = sink
        .wait_for(2)
        .await
        .iter()
        .map(|m| m.to().to_owned())
        .collect();
    to.sort();
    assert_eq!(to, ["alice@acme.test", "bob@acme.test"]);

    // Bob answers: the conversation is his, so only he hears more.
    let replied = app
        .member_post(
            &format!("/v1/operator/conversations/{conversation}/messages"),
            &bob.cookie,
            &SendMessage {
                text: "Bob here".into(),
                idempotency_key: None,
                attachment_ids: Vec::new(),
            },
        )
        .await;
    assert_eq!(replied.status(), StatusCode::CREATED);
    app.visitor_says(&visitor, conversation, "thanks bob").await;
    let bobs = sink.wait_for_to("bob@acme.test", 2).await;
    assert!(bobs[1].text.contains("thanks bob"));
    assert_eq!(sink.mails_to("alice@acme.test").len(), 1);

    // Bob turns notifications off: his next would-be mail never goes.
    let off = app
        .as_member(
            Method::PUT,
            "/v1/auth/notifications",
            &bob.cookie,
            Some(&serde_json::json!({"emailNotifications": false})),
        )
        .await;
    assert_eq!(off.status(), StatusCode::OK);
    let me: Account = json(
        app.member_get("/v1/auth/me", &bob.cookie).await,
        StatusCode::OK,
    )
    .await;
    assert!(!me.email_notifications);
    let alice_me: Account = json(
        app.member_get("/v1/auth/me", &alice.cookie).await,
        StatusCode::OK,
    )
    .await;
    assert!(alice_me.email_notifications);
    app.visitor_says(&visitor, conversation, "one more").await;
    app.mail_settled().await;
    assert_eq!(sink.mails_to("bob@acme.test").len(), 2);
    assert_eq!(sink.mails_to("alice@acme.test").len(), 1);
}

#[tokio::test]
async fn replies_reach_a_visitor_who_left_batched_and_unsubscribe_stops_them() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink, 2, 3).await;
    let key = app.org.operator_key.clone();
    let mut request = app.session_request(app.org.organization_id);
    request.metadata.current_url = Some("https://shop.acme.test/cart".into());
    let visitor = app.visitor_with(request).await;
    let conversation = app.start_conversation(&visitor).await;

    // While the widget is open, a reply is seen there: no mail.
    let widget = SseReader::new(
        app.get(
            &format!("/v1/conversations/{conversation}/events"),
            Some(visitor.token()),
        )
        .await,
    );
    let hash = echo_server::secrets::SecretHash::of(visitor.token());
    app.present(&format!("vs:{}", hash.as_str())).await;
    app.operator_reply(&key, conversation, "Seen in the widget")
        .await;
    app.mail_settled().await;
    assert!(sink.mails().is_empty());
    drop(widget);

    app.operator_reply(&key, conversation, "Your parcel left today.")
        .await;
    // A typed address confirms first; the reply waits for it.
    let confirmation = sink.confirm(&app.client, "ada@example.com").await;
    assert!(!confirmation.text.contains("Your parcel left today."));
    let first = sink.wait_for(2).await.remove(1);
    assert_eq!(first.to(), "ada@example.com");
    assert!(first.text.contains("Your parcel left today."));
    assert!(!first.text.contains("Seen in the widget"));
    assert!(first.text.contains("https://shop.acme.test/cart"));
    assert_eq!(
        first.header("list-unsubscribe-post"),
        "List-Unsubscribe=One-Click"
    );
    let unsubscribe = first
        .header("list-unsubscribe")
        .trim_matches(['<', '>'])
        .to_owned();
    assert!(unsubscribe.starts_with(&format!("{}/v1/unsubscribe/un_", app.address)));
    assert!(!first.text.contains(visitor.token()));
    // The SMTP server has the mail a moment before the outbox records it.
    let path = format!("/v1/operator/conversations/{conversation}");
    let mailed = eventually(
        || async {
            let detail: serde_json::Value =
                json(app.operator_get(&key, &path).await, StatusCode::OK).await;
            detail["visitorMailedAt"].as_i64()
        },
        Duration::from_secs(10),
    )
    .await;
    assert!(
        mailed.is_some(),
        "the console shows when the visitor was mailed"
    );
    // A change's answer (which the console shows next) carries it too.
    let changed: serde_json::Value = json(
        app.operator_set_status(
            &key,
            conversation,
            echo_protocol::conversations::ConversationStatus::Escalated,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(changed["visitorMailedAt"].as_i64(), mailed);

    // Two quick replies inside the batching window: one mail with both.
    app.operator_reply(&key, conversation, "Tracking: 123")
        .await;
    app.operator_reply(&key, conversation, "Anything else?")
        .await;
    let second = sink.wait_for(3).await.remove(2);
    assert!(second.text.contains("Tracking: 123") && second.text.contains("Anything else?"));
    assert!(!second.text.contains("Your parcel left today."));
    app.mail_settled().await;
    assert_eq!(sink.mails().len(), 3);

    // Following the link only shows a button; the one-click POST stops mail.
    let page = app.client.get(&unsubscribe).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(app.count("mail_suppressions").await, 0);
    let done = app
        .client
        .post(&unsubscribe)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    let forged = app
        .client
        .post(format!(
            "{}/v1/unsubscribe/un_{}",
            app.address,
            "A".repeat(43)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);
    app.operator_reply(&key, conversation, "After unsubscribing")
        .await;
    app.mail_settled().await;
    assert_eq!(sink.mails().len(), 3);
}

#[tokio::test]
async fn hostile_text_is_escaped_in_the_html() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink, 1, 1).await;
    app.member(
        app.org.organization_id,
        "ops@acme.test",
        OperatorRole::Admin,
    )
    .await;
    let mut request = app.session_request(app.org.organization_id);
    request.name = "<b>Eve</b>".into();
    let visitor = app.visitor_with(request).await;
    let conversation = app.start_conversation(&visitor).await;
    let hostile = "<script>alert(1)</script><a href=\"https://evil.test\">click</a>";
    app.visitor_says(&visitor, conversation, hostile).await;
    let mail = sink.wait_for(1).await.remove(0);
    assert!(!mail.html.contains("<script>"));
    assert!(!mail.html.contains("<b>Eve</b>"));
    assert!(!mail.html.contains("href=\"https://evil.test\""));
    assert!(mail.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(mail.html.contains("&lt;b&gt;Eve&lt;/b&gt;"));
    assert!(
        mail.text.contains(hostile),
        "the text part quotes it as written"
    );
}

#[tokio::test]
async fn mail_waits_out_an_smtp_outage_and_is_sent_once() {
    let mut sink = SmtpSink::stopped();
    let app = mail_app(&sink, 1, 1).await;
    app.member(
        app.org.organization_id,
        "ops@acme.test",
        OperatorRole::Admin,
    )
    .await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    app.visitor_says(&visitor, conversation, "During the outage")
        .await;
    let failed = eventually(
        || async {
            (app.scalar_i64(
                "SELECT COUNT(*) FROM mail_outbox WHERE attempts >= 1 AND sent_at IS NULL",
            )
            .await
                == 1)
                .then_some(())
        },
        Duration::from_secs(20),
    )
    .await;
    assert!(failed.is_some(), "the first attempt should fail");

    sink.resume();
    let mails = sink.wait_for(1).await;
    assert!(mails[0].text.contains("During the outage"));
    app.mail_settled().await;
    assert_eq!(app.count("mail_outbox").await, 1);
    assert_eq!(sink.mails().len(), 1);
}

#[tokio::test]
async fn a_bounced_address_is_never_mailed_again() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink, 1, 1).await;
    let mut request = app.session_request(app.org.organization_id);
    request.email = "bounce@example.com".into();
    let visitor = app.visitor_with(request).await;
    let conversation = app.start_conversation(&visitor).await;
    app.operator_reply(&app.org.operator_key, conversation, "first")
        .await;
    app.mail_settled().await;
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM mail_outbox WHERE failed_at IS NOT NULL")
            .await,
        1
    );
    assert_eq!(
        app.scalar_text("SELECT reason FROM mail_suppressions")
            .await,
        "bounced"
    );
    app.operator_reply(&app.org.operator_key, conversation, "second")
        .await;
    app.mail_settled().await;
    // The first reply (held for a confirmation) and the confirmation that
    // bounced; the second reply adds nothing.
    assert_eq!(app.count("mail_outbox").await, 2);
    let transcript = app
        .post(
            &format!("/v1/conversations/{conversation}/transcript"),
            &serde_json::json!({}),
            Some(visitor.token()),
        )
        .await;
    assert_error(transcript, StatusCode::CONFLICT, ErrorCode::Conflict).await;
    assert!(sink.mails().is_empty());
}

#[tokio::test]
async fn a_visitor_gets_at_most_three_transcripts_a_day() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink, 1, 1).await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    app.visitor_says(&visitor, conversation, "My question")
        .await;
    app.operator_reply(&app.org.operator_key, conversation, "My answer")
        .await;
    let path = format!("/v1/conversations/{conversation}/transcript");
    for _ in 0..3 {
        let queued: serde_json::Value = json(
            app.post(&path, &serde_json::json!({}), Some(visitor.token()))
                .await,
            StatusCode::ACCEPTED,
        )
        .await;
        assert_eq!(queued["email"], "ada@example.com");
        assert_eq!(queued["awaitingConfirmation"], true, "a typed address");
    }
    let fourth = app
        .post(&path, &serde_json::json!({}), Some(visitor.token()))
        .await;
    assert_error(
        fourth,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
    )
    .await;
    // One confirmation for all of it; the transcripts follow it. (The
    // operator's reply is also mailed: the widget never connected.)
    sink.confirm(&app.client, "ada@example.com").await;
    let transcripts = || {
        sink.mails()
            .into_iter()
            .filter(|m| m.header("subject").contains("Your conversation with Acme"))
            .collect::<Vec<_>>()
    };
    let mails = eventually(
        || async { Some(transcripts()).filter(|t| t.len() == 3) },
        Duration::from_secs(20),
    )
    .await
    .expect("three transcripts");
    let transcript = &mails[0];
    assert!(transcript
        .header("subject")
        .contains("Your conversation with Acme"));
    assert!(transcript.text.contains("My question") && transcript.text.contains("My answer"));
    assert!(!transcript.headers.contains_key("list-unsubscribe"));
    let confirmations = sink
        .mails()
        .into_iter()
        .filter(|m| m.header("subject").starts_with("Confirm"))
        .count();
    assert_eq!(confirmations, 1, "one confirmation mail a day");

    // Another session's conversation is not found.
    let stranger = app.visitor().await;
    let other = app
        .post(&path, &serde_json::json!({}), Some(stranger.token()))
        .await;
    assert_error(other, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}

#[tokio::test]
async fn without_smtp_settings_transcripts_are_unavailable() {
    let app = spawn_app_with(|_| {}).await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    app.visitor_says(&visitor, conversation, "hi").await;
    let response = app
        .post(
            &format!("/v1/conversations/{conversation}/transcript"),
            &serde_json::json!({}),
            Some(visitor.token()),
        )
        .await;
    assert_error(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::MailUnavailable,
    )
    .await;
    assert_eq!(app.count("mail_notices").await, 0);
}
