//! Mail others cannot aim, against the real SMTP sink: what a visitor
//! wrote goes only to an address that is verified or confirmed (one
//! confirmation mail a day, with none of the visitor's words in it, and a
//! link that a scanner's GET does not follow through); the page link only
//! for the organization's allowed sites; names as written, never decoded
//! by the reader's mail program; the team's mail names the visitor.

use std::time::Duration;

use echo_protocol::messages::SendMessage;
use echo_protocol::team::OperatorRole;
use echo_protocol::ConversationId;
use echo_server::clock::Clock;
use reqwest::StatusCode;

use crate::helpers::{eventually, json, spawn_app_with, TestApp, TestVisitor};
use crate::smtp::{Mail, SmtpSink};

async fn mail_app(sink: &SmtpSink) -> TestApp {
    let config = sink.config(1, 1);
    spawn_app_with(move |c| {
        c.mail = Some(config);
        c.clock = Clock::system();
    })
    .await
}

async fn says(app: &TestApp, visitor: &TestVisitor, conversation: ConversationId, text: &str) {
    let response = app
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

async fn ask_transcript(
    app: &TestApp,
    visitor: &TestVisitor,
    conversation: ConversationId,
) -> serde_json::Value {
    json(
        app.post(
            &format!("/v1/conversations/{conversation}/transcript"),
            &serde_json::json!({}),
            Some(visitor.token()),
        )
        .await,
        StatusCode::ACCEPTED,
    )
    .await
}

fn with_subject(sink: &SmtpSink, start: &str) -> Vec<Mail> {
    sink.mails()
        .into_iter()
        .filter(|m| m.header("subject").starts_with(start))
        .collect()
}

#[tokio::test]
async fn a_typed_address_confirms_before_it_gets_what_the_visitor_wrote() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink).await;
    let mut request = app.session_request(app.org.organization_id);
    request.name = "Mallory Prank".into();
    request.email = "victim@example.com".into();
    request.metadata.current_url = Some("https://evil.example/phish".into());
    let visitor = app.visitor_with(request).await;
    let conversation = app.start_conversation(&visitor).await;
    says(
        &app,
        &visitor,
        conversation,
        "Click https://evil.example/win now",
    )
    .await;

    let queued = ask_transcript(&app, &visitor, conversation).await;
    assert_eq!(queued["awaitingConfirmation"], true);
    let confirmation = eventually(
        || async { with_subject(&sink, "Confirm your email address").pop() },
        Duration::from_secs(20),
    )
    .await
    .expect("a confirmation mail");
    assert_eq!(confirmation.to(), "victim@example.com");
    for visitors_words in ["Click", "evil.example", "Mallory", "Prank"] {
        assert!(
            !confirmation.text.contains(visitors_words)
                && !confirmation.html.contains(visitors_words)
                && !confirmation.header("subject").contains(visitors_words),
            "the confirmation carries {visitors_words:?}"
        );
    }
    let link = confirmation
        .text
        .split_whitespace()
        .find(|w| w.contains("/v1/mail/confirm/mc_"))
        .unwrap()
        .to_owned();

    // A second conversation asks again the same day: no second mail.
    let again = app.start_conversation(&visitor).await;
    says(&app, &visitor, again, "Again").await;
    let queued = ask_transcript(&app, &visitor, again).await;
    assert_eq!(queued["awaitingConfirmation"], true);

    // A scanner following the link only gets the page with the button.
    let page = app.client.get(&link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("<form method=\"post\""));
    let forged = app
        .client
        .post(format!(
            "{}/v1/mail/confirm/mc_{}",
            app.address,
            "A".repeat(43)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(with_subject(&sink, "Your conversation").is_empty(), "held");
    assert_eq!(with_subject(&sink, "Confirm").len(), 1, "one a day");

    let confirmed = app.client.post(&link).send().await.unwrap();
    assert_eq!(confirmed.status(), StatusCode::OK);
    let transcripts = eventually(
        || async { Some(with_subject(&sink, "Your conversation")).filter(|t| t.len() == 2) },
        Duration::from_secs(20),
    )
    .await
    .expect("both transcripts once confirmed");
    assert!(transcripts
        .iter()
        .any(|t| t.text.contains("Click https://evil.example/win now")));
    // Confirmed now: the next one goes at once.
    let queued = ask_transcript(&app, &visitor, conversation).await;
    assert_eq!(queued["awaitingConfirmation"], false);
}

#[tokio::test]
async fn a_verified_visitor_is_mailed_without_confirming() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink).await;
    let visitor = app.verified_visitor("user-7").await;
    let conversation = app.start_conversation(&visitor).await;
    says(&app, &visitor, conversation, "Verified words").await;
    let queued = ask_transcript(&app, &visitor, conversation).await;
    assert_eq!(queued["awaitingConfirmation"], false);
    let transcript = eventually(
        || async { with_subject(&sink, "Your conversation").pop() },
        Duration::from_secs(20),
    )
    .await
    .expect("the transcript");
    assert!(transcript.text.contains("Verified words"));
    assert!(with_subject(&sink, "Confirm").is_empty());
}

#[tokio::test]
async fn the_team_sees_the_visitors_name_as_written_and_links_only_to_allowed_sites() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink).await;
    let org = app.org.organization_id;
    app.member(org, "ops@acme.test", OperatorRole::Admin).await;
    // "=?utf-8?b?4oCu?=" is what a mail program decodes to U+202E, a
    // right-to-left override: it must reach the team as these characters.
    let sneaky = "=?utf-8?b?4oCu?=Eve";
    let mut request = app.session_request(org);
    request.name = sneaky.into();
    request.email = "eve@example.com".into();
    request.metadata.current_url = Some("https://shop.acme.test/cart".into());
    let visitor = app.visitor_with(request).await;
    let conversation = app.start_conversation(&visitor).await;
    says(&app, &visitor, conversation, "Where is my parcel?").await;
    let team = sink.wait_for_to("ops@acme.test", 1).await.remove(0);
    let subject = team.header("subject");
    assert!(subject.starts_with(sneaky), "{subject:?}");
    assert!(!subject.contains('\u{202e}'));
    // The visitor's messages carry their name, not "You".
    assert!(team.text.contains(&format!("{sneaky} · ")), "{}", team.text);
    assert!(!team.text.contains("You ·"));

    // The reply to the visitor, once the address is confirmed: the page is
    // plain text, as the organization allows no sites yet.
    app.operator_reply(&app.org.operator_key, conversation, "It left today.")
        .await;
    sink.confirm(&app.client, "eve@example.com").await;
    let reply = eventually(
        || async { with_subject(&sink, "Acme replied").pop() },
        Duration::from_secs(20),
    )
    .await
    .expect("the reply mail");
    assert!(reply.text.contains("https://shop.acme.test/cart"));
    assert!(!reply.html.contains("href=\"https://shop.acme.test/cart\""));

    // With the shop as an allowed site, the page is a link.
    let settings: serde_json::Value = json(
        app.operator_get(&app.org.operator_key, "/v1/operator/widget-settings")
            .await,
        StatusCode::OK,
    )
    .await;
    let mut settings = settings;
    settings["allowedOrigins"] = serde_json::json!(["https://SHOP.acme.test/"]);
    let saved: serde_json::Value = json(
        app.client
            .put(app.url("/v1/operator/widget-settings"))
            .bearer_auth(&app.org.operator_key)
            .json(&settings)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        saved["allowedOrigins"],
        serde_json::json!(["https://shop.acme.test"])
    );
    app.operator_reply(&app.org.operator_key, conversation, "Tracking: 42")
        .await;
    let linked = eventually(
        || async {
            with_subject(&sink, "Acme replied")
                .into_iter()
                .find(|m| m.text.contains("Tracking: 42"))
        },
        Duration::from_secs(20),
    )
    .await
    .expect("the second reply mail");
    assert!(linked.html.contains("href=\"https://shop.acme.test/cart\""));
}

#[tokio::test]
async fn allowed_sites_are_validated() {
    let app = spawn_app_with(|_| {}).await;
    for bad in [
        "shop.example",
        "http://shop.example",
        "https://shop.example/path",
    ] {
        let response = app
            .client
            .put(app.url("/v1/operator/widget-settings"))
            .bearer_auth(&app.org.operator_key)
            .json(&serde_json::json!({
                "greetMessage": "Hi",
                "suggestions": [],
                "allowedOrigins": ["https://fine.example", bad],
            }))
            .send()
            .await
            .unwrap();
        let body = crate::helpers::assert_error(
            response,
            StatusCode::BAD_REQUEST,
            echo_protocol::ErrorCode::Validation,
        )
        .await;
        assert_eq!(body.error.field.as_deref(), Some("allowedOrigins"));
        assert!(body.error.message.contains(bad), "{}", body.error.message);
    }
}
