//! Mentions by mail, and notes kept out of every visitor mail, against a
//! real SMTP server (see `mail.rs` for the windows and the polling).

use std::time::Duration;

use echo_protocol::team::OperatorRole;
use reqwest::{Method, StatusCode};
use serde_json::json as body;

use crate::helpers::{eventually, json};
use crate::mail::mail_app;
use crate::smtp::SmtpSink;

#[tokio::test]
async fn an_away_operator_gets_one_mail_per_batch_of_mentions() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink, 1, 2).await;
    let org = app.org.organization_id;
    let ada = app.member(org, "ada@acme.test", OperatorRole::Admin).await;
    let bob = app.member(org, "bob@acme.test", OperatorRole::Agent).await;
    let cy = app.member(org, "cy@acme.test", OperatorRole::Agent).await;
    let visitor = app.visitor().await;
    let id = app.start_conversation(&visitor).await;

    // Cy turned mails off; Bob is away; Ada, who writes, is not mentioned.
    let off = app
        .member_call(
            &cy,
            Method::PUT,
            "/v1/auth/notifications",
            Some(body!({"emailNotifications": false})),
        )
        .await;
    assert_eq!(off.status(), StatusCode::OK);
    app.note(
        &ada,
        id,
        "@bob please call them back",
        body!([bob.id(), cy.id()]),
    )
    .await;
    app.note(
        &ada,
        id,
        "@bob their number is in the CRM",
        body!([bob.id()]),
    )
    .await;
    let mails = sink.wait_for_to("bob@acme.test", 1).await;
    assert!(mails[0].header("subject").contains("ada mentioned you"));
    assert!(mails[0].text.contains("please call them back"));
    let link = format!("{}/console/#conversation={id}", app.address);
    assert!(mails[0].text.contains(&link));
    app.mail_settled().await;
    let all = sink.mails_to("bob@acme.test");
    let quoted: String = all.iter().map(|m| m.text.clone()).collect();
    assert!(
        quoted.contains("their number is in the CRM"),
        "batched or next"
    );
    assert!(all.len() <= 2);
    assert!(sink.mails_to("cy@acme.test").is_empty());
    assert!(sink.mails_to("ada@acme.test").is_empty());

    // Read before it is due: no mail.
    let before = sink.mails_to("bob@acme.test").len();
    let console = app.console_open(&bob).await;
    app.note(&ada, id, "@bob seen live", body!([bob.id()]))
        .await;
    app.mail_settled().await;
    drop(console);
    let read = app
        .member_post("/v1/operator/mentions/read", &bob.cookie, &body!({}))
        .await;
    assert_eq!(read.status(), StatusCode::NO_CONTENT);
    app.mail_settled().await;
    assert_eq!(sink.mails_to("bob@acme.test").len(), before);
}

#[tokio::test]
async fn no_visitor_mail_ever_quotes_a_note() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink, 1, 1).await;
    let ada = app
        .member(
            app.org.organization_id,
            "ada@acme.test",
            OperatorRole::Agent,
        )
        .await;
    let visitor = app.visitor().await;
    let id = app.start_conversation(&visitor).await;
    app.visitor_says(&visitor, id, "My question").await;
    app.note(&ada, id, "SECRET internal remark", body!([]))
        .await;
    app.operator_reply(&app.org.operator_key, id, "My answer")
        .await;
    app.note(&ada, id, "SECRET second remark", body!([])).await;
    let queued: serde_json::Value = json(
        app.post(
            &format!("/v1/conversations/{id}/transcript"),
            &body!({}),
            Some(visitor.token()),
        )
        .await,
        StatusCode::ACCEPTED,
    )
    .await;
    assert_eq!(queued["email"], "ada@example.com");
    sink.confirm(&app.client, "ada@example.com").await;
    let to_visitor = eventually(
        || async {
            let mails = sink.mails_to("ada@example.com");
            let transcript = mails
                .iter()
                .any(|m| m.header("subject").contains("Your conversation"));
            let reply = mails.iter().any(|m| {
                m.text.contains("My answer") && !m.header("subject").contains("Your conversation")
            });
            (transcript && reply).then_some(mails)
        },
        Duration::from_secs(20),
    )
    .await
    .expect("the transcript and the reply notice");
    for mail in &to_visitor {
        assert!(!mail.text.contains("SECRET"), "{}", mail.text);
        assert!(!mail.html.contains("SECRET"));
    }
    // The team's own notice (the visitor wrote) quotes no note either.
    for mail in sink.mails_to("ada@acme.test") {
        assert!(!mail.text.contains("SECRET"));
    }
}
