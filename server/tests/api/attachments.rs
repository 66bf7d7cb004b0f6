//! Attachments on either store: uploads decided by their bytes, images
//! stripped of their metadata and previewed, sending by the uploader only
//! and once, signed links that expire and cannot be altered, and the sweep
//! of uploads never sent.

use echo_protocol::attachments::AttachmentUploaded;
use echo_protocol::messages::{Message, MessagePage, SendMessage};
use echo_protocol::{AttachmentId, ConversationId, ErrorCode};
use reqwest::{Response, StatusCode};

use crate::fixtures::{contains, jpeg_with_gps, png, MARK};
use crate::helpers::{assert_error, json, spawn_app, spawn_app_with, TestApp, TestVisitor};

impl TestApp {
    pub(crate) async fn attach(
        &self,
        path: &str,
        bearer: &str,
        name: &str,
        claimed: &str,
        bytes: Vec<u8>,
    ) -> Response {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str(claimed)
            .unwrap();
        self.client
            .post(self.url(path))
            .bearer_auth(bearer)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap()
    }

    pub(crate) async fn visitor_attach(
        &self,
        visitor: &TestVisitor,
        conversation: ConversationId,
        name: &str,
        bytes: Vec<u8>,
    ) -> Response {
        let path = format!("/v1/conversations/{conversation}/attachments");
        self.attach(&path, visitor.token(), name, "image/png", bytes)
            .await
    }

    pub(crate) async fn send_files(
        &self,
        visitor: &TestVisitor,
        conversation: ConversationId,
        text: &str,
        ids: Vec<AttachmentId>,
    ) -> Response {
        self.post(
            &format!("/v1/conversations/{conversation}/messages"),
            &SendMessage {
                text: text.into(),
                idempotency_key: None,
                attachment_ids: ids,
            },
            Some(visitor.token()),
        )
        .await
    }
}

pub(crate) async fn uploaded(response: Response) -> AttachmentUploaded {
    json(response, StatusCode::CREATED).await
}

#[tokio::test]
async fn a_screenshot_is_sent_previewed_and_served_by_a_signed_link() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let file = uploaded(
        app.visitor_attach(
            &visitor,
            conversation,
            "C:\\Users\\ana\\../screen shot.png",
            png(1600, 900),
        )
        .await,
    )
    .await;
    assert_eq!(file.name, "screen shot.png");
    assert_eq!(file.content_type, "image/png");
    // Not readable before it is sent.
    assert_eq!(app.count("attachments").await, 1);

    let sent: Message = json(
        app.send_files(&visitor, conversation, "", vec![file.attachment_id])
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(sent.text, "");
    let attachment = &sent.attachments[0];
    assert_eq!(attachment.attachment_id, file.attachment_id);
    assert!(!attachment.url.contains(visitor.token()));
    let preview_url = attachment.preview_url.clone().expect("a preview");

    let full = app.client.get(&attachment.url).send().await.unwrap();
    assert_eq!(full.status(), StatusCode::OK);
    let headers = full.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["content-security-policy"], "sandbox");
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("inline"));
    let image = image::load_from_memory(&full.bytes().await.unwrap()).unwrap();
    assert_eq!((image.width(), image.height()), (1600, 900));
    let preview = app.client.get(&preview_url).send().await.unwrap();
    assert_eq!(preview.status(), StatusCode::OK);
    let preview = image::load_from_memory(&preview.bytes().await.unwrap()).unwrap();
    assert_eq!((preview.width(), preview.height()), (480, 270));

    // The operator sees it too, with links of their own.
    let page: MessagePage = json(
        app.operator_get(
            &app.org.operator_key,
            &format!("/v1/operator/conversations/{conversation}/messages"),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let listed = &page.messages.last().unwrap().attachments[0];
    assert_eq!(listed.name, "screen shot.png");
    assert!(listed.url.contains("signature="));

    // An altered link, another file's link, and an expired one: 403.
    let altered = attachment.url.replace("signature=", "signature=0");
    let tampered = app.client.get(&altered).send().await.unwrap();
    assert_error(tampered, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    let unsigned = app
        .client
        .get(app.url(&format!("/v1/attachments/{}", file.attachment_id)))
        .send()
        .await
        .unwrap();
    assert_error(unsigned, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    app.clock.advance_secs(16 * 60);
    let expired = app.client.get(&attachment.url).send().await.unwrap();
    assert_error(expired, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
}

#[tokio::test]
async fn the_type_comes_from_the_bytes_and_documents_download() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0\x3e\0".to_vec();
    let disguised = app
        .visitor_attach(&visitor, conversation, "cute-cat.png", elf)
        .await;
    assert_error(
        disguised,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::UnsupportedMediaType,
    )
    .await;
    let windows = app
        .visitor_attach(
            &visitor,
            conversation,
            "invoice.pdf",
            b"MZ\x90\0\x03\0\0\0\x04\0".to_vec(),
        )
        .await;
    assert_error(
        windows,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::UnsupportedMediaType,
    )
    .await;
    assert_eq!(app.count("attachments").await, 0);

    let text = uploaded(
        app.visitor_attach(
            &visitor,
            conversation,
            "notes.png",
            b"<script>alert(1)</script>".to_vec(),
        )
        .await,
    )
    .await;
    assert_eq!(text.content_type, "text/plain");
    let csv = uploaded(
        app.visitor_attach(
            &visitor,
            conversation,
            "orders",
            b"id,total\n1,9.50\n2,3.00\n".to_vec(),
        )
        .await,
    )
    .await;
    assert_eq!(csv.content_type, "text/csv");
    let sent: Message = json(
        app.send_files(
            &visitor,
            conversation,
            "Two files",
            vec![text.attachment_id, csv.attachment_id],
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert!(sent.attachments.iter().all(|a| a.preview_url.is_none()));
    let served = app
        .client
        .get(&sent.attachments[0].url)
        .send()
        .await
        .unwrap();
    assert_eq!(
        served.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    let disposition = served.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(disposition, "attachment; filename*=UTF-8''notes.png");
    assert_eq!(served.headers()["content-security-policy"], "sandbox");
}

#[tokio::test]
async fn gps_exif_does_not_survive() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let original = jpeg_with_gps();
    assert!(contains(&original, b"Exif\0\0") && contains(&original, MARK));
    assert!(
        image::load_from_memory(&original).is_ok(),
        "the fixture is a valid JPEG"
    );
    let file = uploaded(
        app.visitor_attach(&visitor, conversation, "IMG_0001.JPG", original)
            .await,
    )
    .await;
    assert_eq!(file.content_type, "image/jpeg");
    let sent: Message = json(
        app.send_files(&visitor, conversation, "", vec![file.attachment_id])
            .await,
        StatusCode::CREATED,
    )
    .await;
    let stored = app
        .client
        .get(&sent.attachments[0].url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(!contains(&stored, b"Exif"), "the EXIF segment is gone");
    assert!(!contains(&stored, MARK));
    assert!(image::load_from_memory(&stored).is_ok());
}

#[tokio::test]
async fn an_attachment_is_sent_once_by_its_uploader_in_its_conversation() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let other_conversation = app.start_conversation(&visitor).await;
    let stranger = app.visitor().await;
    let strangers_conversation = app.start_conversation(&stranger).await;

    let file = uploaded(
        app.visitor_attach(&visitor, conversation, "a.png", png(8, 8))
            .await,
    )
    .await;
    // Someone else's session cannot send it, nor read the conversation to
    // upload into it.
    let theirs = app
        .send_files(
            &stranger,
            strangers_conversation,
            "",
            vec![file.attachment_id],
        )
        .await;
    assert_error(theirs, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let into_theirs = app
        .visitor_attach(&visitor, strangers_conversation, "b.png", png(8, 8))
        .await;
    assert_error(into_theirs, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    // Not in another conversation of the same visitor either.
    let elsewhere = app
        .send_files(&visitor, other_conversation, "", vec![file.attachment_id])
        .await;
    assert_error(elsewhere, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    // The operator (the other party) cannot send the visitor's upload.
    let by_operator = app
        .client
        .post(app.url(&format!(
            "/v1/operator/conversations/{conversation}/messages"
        )))
        .bearer_auth(&app.org.operator_key)
        .json(&SendMessage {
            text: "".into(),
            idempotency_key: None,
            attachment_ids: vec![file.attachment_id],
        })
        .send()
        .await
        .unwrap();
    assert_error(by_operator, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    // A refused send claimed nothing: the uploader still can, once.
    let sent = app
        .send_files(&visitor, conversation, "here", vec![file.attachment_id])
        .await;
    assert_eq!(sent.status(), StatusCode::CREATED);
    let again = app
        .send_files(&visitor, conversation, "again", vec![file.attachment_id])
        .await;
    assert_error(again, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;

    // At most five, none twice; text may be empty only with files.
    let many: Vec<AttachmentId> = (0..6)
        .map(|_| AttachmentId::from_uuid(uuid::Uuid::new_v4()))
        .collect();
    let too_many = app.send_files(&visitor, conversation, "x", many).await;
    assert_error(too_many, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
    let twice = app
        .send_files(&visitor, conversation, "x", vec![file.attachment_id; 2])
        .await;
    assert_error(twice, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;
    let empty = app.send_files(&visitor, conversation, " ", vec![]).await;
    assert_error(empty, StatusCode::BAD_REQUEST, ErrorCode::Validation).await;

    // The operator's own upload goes out with the operator's reply.
    let path = format!("/v1/operator/conversations/{conversation}/attachments");
    let theirs = uploaded(
        app.attach(
            &path,
            &app.org.operator_key,
            "guide.pdf",
            "application/pdf",
            b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n".to_vec(),
        )
        .await,
    )
    .await;
    assert_eq!(theirs.content_type, "application/pdf");
    let reply: Message = json(
        app.client
            .post(app.url(&format!(
                "/v1/operator/conversations/{conversation}/messages"
            )))
            .bearer_auth(&app.org.operator_key)
            .json(&SendMessage {
                text: "Our guide".into(),
                idempotency_key: None,
                attachment_ids: vec![theirs.attachment_id],
            })
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(reply.attachments[0].name, "guide.pdf");
    // The visitor's history shows it with a working link.
    let page: MessagePage = json(
        app.get(
            &format!("/v1/conversations/{conversation}/messages"),
            Some(visitor.token()),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let pdf = &page.messages.last().unwrap().attachments[0];
    let download = app.client.get(&pdf.url).send().await.unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()["content-type"], "application/pdf");
}

#[tokio::test]
async fn the_size_limit_is_a_413_and_unsent_uploads_are_swept() {
    let app = spawn_app_with(|c| c.max_attachment_bytes = 4096).await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let big = app
        .visitor_attach(&visitor, conversation, "big.txt", vec![b'a'; 5000])
        .await;
    assert_error(
        big,
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
    )
    .await;
    let way_too_big = app
        .visitor_attach(&visitor, conversation, "huge.txt", vec![b'a'; 200_000])
        .await;
    assert_error(
        way_too_big,
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
    )
    .await;

    let kept = uploaded(
        app.visitor_attach(&visitor, conversation, "kept.txt", b"kept".to_vec())
            .await,
    )
    .await;
    app.send_files(&visitor, conversation, "", vec![kept.attachment_id])
        .await;
    uploaded(
        app.visitor_attach(&visitor, conversation, "left.txt", b"left".to_vec())
            .await,
    )
    .await;
    assert_eq!(app.count("attachments").await, 2);
    app.clock.advance_secs(23 * 3600);
    assert_eq!(
        echo_server::attachments::sweep(app.store.as_ref(), &app.clock)
            .await
            .unwrap(),
        0
    );
    app.clock.advance_secs(2 * 3600);
    assert_eq!(
        echo_server::attachments::sweep(app.store.as_ref(), &app.clock)
            .await
            .unwrap(),
        1
    );
    assert_eq!(app.count("attachments").await, 1, "the sent one stays");
}

#[tokio::test]
async fn the_push_channel_carries_fresh_signed_links() {
    let app = spawn_app().await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let mut console = crate::helpers::SseReader::new(
        app.client
            .get(app.url("/v1/operator/events"))
            .bearer_auth(&app.org.operator_key)
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(console.next().await.event, "ready");
    let file = uploaded(
        app.visitor_attach(&visitor, conversation, "shot.png", png(600, 300))
            .await,
    )
    .await;
    app.send_files(&visitor, conversation, "", vec![file.attachment_id])
        .await;
    let frame = loop {
        let frame = console.next().await;
        if frame.event == "message" {
            break frame;
        }
    };
    let echo_protocol::events::Change::Message { message } = frame.live().change else {
        panic!("a message event");
    };
    let attachment = &message.attachments[0];
    assert_eq!(attachment.name, "shot.png");
    let image = app.client.get(&attachment.url).send().await.unwrap();
    assert_eq!(image.status(), StatusCode::OK);
    let preview = attachment.preview_url.as_deref().expect("a preview link");
    assert_eq!(
        app.client.get(preview).send().await.unwrap().status(),
        StatusCode::OK
    );
    // The event log keeps no link: a replay signs afresh.
    let stored = app
        .scalar_text("SELECT payload FROM events WHERE payload LIKE '%shot.png%'")
        .await;
    assert!(!stored.contains("signature="), "{stored}");
}
