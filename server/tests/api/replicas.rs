//! Two `echo-server serve` processes on one PostgreSQL database, as two
//! replicas behind a load balancer: a visitor streaming from replica A sees
//! an operator reply posted through replica B within a second, and a visitor
//! who reconnects to B after a drop gets exactly the events it missed.
//!
//! Needs PostgreSQL (`ECHO_TEST_DATABASE_URL`; `scripts/test.sh` provides
//! one). In the SQLite run of the suite it has nothing to test and says so.

use std::time::{Duration, Instant};

use echo_protocol::events::Change;
use echo_protocol::messages::SendMessage;
use reqwest::StatusCode;

use crate::helpers::{
    cli_organization, postgres_server, visitor_over_http, SseReader, ThrowawayDatabase,
};
use crate::server_process::{start_server, Replica};

pub(crate) async fn events(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    path: &str,
    after: Option<i64>,
) -> SseReader {
    let mut request = client.get(format!("{base}{path}")).bearer_auth(token);
    if let Some(position) = after {
        request = request.header("Last-Event-ID", position.to_string());
    }
    SseReader::new(request.send().await.unwrap())
}

/// Posts `text` as `bearer` (an operator key or a visitor token) to the
/// messages at `url`: the answer's status.
async fn post_text(client: &reqwest::Client, url: String, bearer: &str, text: &str) -> StatusCode {
    client
        .post(url)
        .bearer_auth(bearer)
        .json(&SendMessage {
            text: text.into(),
            idempotency_key: None,
            attachment_ids: Vec::new(),
        })
        .send()
        .await
        .unwrap()
        .status()
}

async fn reply(client: &reqwest::Client, base: &str, key: &str, conversation: &str, text: &str) {
    let url = format!("{base}/v1/operator/conversations/{conversation}/messages");
    assert_eq!(post_text(client, url, key, text).await, StatusCode::CREATED);
}

async fn visitor_says(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    id: &str,
    text: &str,
) -> StatusCode {
    post_text(
        client,
        format!("{base}/v1/conversations/{id}/messages"),
        token,
        text,
    )
    .await
}

/// Commits `payloads` as events of `conversation`, as a visitor's message
/// is committed (placed after the commit), and announces nothing.
pub(crate) async fn commit_unannounced(
    pool: &sqlx::PgPool,
    org: &str,
    conversation: &str,
    payloads: &[String],
) {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SELECT set_config('echo.announced_later', 'on', true)")
        .execute(&mut *tx)
        .await
        .unwrap();
    for payload in payloads {
        sqlx::query(
            "INSERT INTO events_pending (organization_id, conversation_id, payload, created_at)
             VALUES ($1, $2, $3, 0)",
        )
        .bind(org)
        .bind(conversation)
        .bind(payload)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// One replica on a fresh database, a visitor's conversation on it whose
/// stream is open (past `ready`), and a pool on the database: where the
/// tests of events committed behind the servers' backs start. `None`
/// without PostgreSQL.
pub(crate) struct OneOpenStream {
    pub database: ThrowawayDatabase,
    pub organization: String,
    pub conversation: String,
    pub stream: SseReader,
    pub pool: sqlx::PgPool,
    _replica: Replica,
}

pub(crate) async fn one_open_stream(test: &str) -> Option<OneOpenStream> {
    let Some(server) = postgres_server() else {
        eprintln!("{test}: skipped, no PostgreSQL (set ECHO_TEST_DATABASE_URL)");
        return None;
    };
    let database = ThrowawayDatabase::create(&server).await;
    let (_, org_id) = cli_organization(&database.url);
    let replica = start_server(&database.url, &[]);
    let client = reqwest::Client::new();
    let (token, conversation) = visitor_over_http(&client, &replica.base, org_id).await;
    let path = format!("/v1/conversations/{conversation}/events");
    let mut stream = events(&client, &replica.base, &token, &path, None).await;
    assert_eq!(stream.next().await.event, "ready");
    let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
    Some(OneOpenStream {
        organization: org_id.to_string(),
        conversation: conversation.to_string(),
        stream,
        pool,
        database,
        _replica: replica,
    })
}

pub(crate) fn text_of(frame: &crate::helpers::SseFrame) -> String {
    match frame.live().change {
        Change::Message { message } => message.text,
        Change::Status { status } => format!("status:{}", status.as_str()),
        Change::Typing { active, .. } => format!("typing:{active}"),
        Change::Assignment { .. } => "assignment".into(),
        Change::Labels { .. } => "labels".into(),
        Change::Rating { .. } => "rating".into(),
        Change::VoiceCall { .. } => "voiceCall".into(),
        Change::VoiceTranscript { .. } => "voiceTranscript".into(),
    }
}

#[tokio::test]
async fn replicas_share_live_events_and_resume_through_postgres() {
    let Some(server) = postgres_server() else {
        eprintln!("replicas: skipped, no PostgreSQL (set ECHO_TEST_DATABASE_URL)");
        return;
    };
    let database = ThrowawayDatabase::create(&server).await;
    let url = database.url.clone();
    let (key, org_id) = cli_organization(&url);
    let (a, b) = (start_server(&url, &[]), start_server(&url, &[]));
    let client = reqwest::Client::new();
    for replica in [&a, &b] {
        let ready = client
            .get(format!("{}/readyz", replica.base))
            .send()
            .await
            .unwrap();
        assert_eq!(ready.status(), StatusCode::OK);
    }

    // The visitor lives on replica A.
    let (token, conversation) = visitor_over_http(&client, &a.base, org_id).await;
    let id = conversation.to_string();
    let path = format!("/v1/conversations/{id}/events");
    let mut on_a = events(&client, &a.base, &token, &path, None).await;
    assert_eq!(on_a.next().await.event, "ready");
    // The operator's console lives on replica B.
    let mut console_on_b = events(&client, &b.base, &key, "/v1/operator/events", None).await;
    assert_eq!(console_on_b.next().await.event, "ready");

    // A reply through B reaches the visitor on A within a second.
    let sent = Instant::now();
    reply(&client, &b.base, &key, &id, "Hello from replica B").await;
    let frame = on_a
        .next_within(Duration::from_secs(1))
        .await
        .expect("within a second");
    assert_eq!(text_of(&frame), "Hello from replica B");
    println!("cross-replica delivery: {:?}", sent.elapsed());
    assert_eq!(text_of(&on_a.next().await), "status:escalated");
    // And the visitor's own message through A reaches the console on B.
    let sent = visitor_says(&client, &a.base, &token, &id, "Thanks, B!").await;
    assert_eq!(sent, StatusCode::CREATED);
    let mut seen_on_b = Vec::new();
    while !seen_on_b.iter().any(|t| t == "Thanks, B!") {
        let frame = console_on_b
            .next_within(Duration::from_secs(1))
            .await
            .expect("within a second");
        seen_on_b.push(text_of(&frame));
    }
    let last_seen = on_a.next().await;
    assert_eq!(text_of(&last_seen), "Thanks, B!");
    let last_position: i64 = last_seen.id.unwrap().parse().unwrap();

    // The visitor drops; three replies arrive meanwhile (through A and B);
    // reconnecting to B returns exactly those, in order, then live ones.
    drop(on_a);
    reply(&client, &b.base, &key, &id, "missed 1").await;
    reply(&client, &a.base, &key, &id, "missed 2").await;
    reply(&client, &b.base, &key, &id, "missed 3").await;
    let mut on_b = events(&client, &b.base, &token, &path, Some(last_position)).await;
    assert_eq!(on_b.next().await.event, "ready");
    let replayed: Vec<String> = [on_b.next().await, on_b.next().await, on_b.next().await]
        .iter()
        .map(text_of)
        .collect();
    assert_eq!(replayed, ["missed 1", "missed 2", "missed 3"]);
    reply(&client, &a.base, &key, &id, "live again").await;
    assert_eq!(text_of(&on_b.next().await), "live again");
    assert!(
        on_b.next_within(Duration::from_millis(300)).await.is_none(),
        "nothing repeated"
    );
}

#[tokio::test]
async fn a_credential_ended_on_one_replica_closes_its_streams_on_the_other() {
    let Some(server) = postgres_server() else {
        eprintln!("replicas: skipped, no PostgreSQL (set ECHO_TEST_DATABASE_URL)");
        return;
    };
    let database = ThrowawayDatabase::create(&server).await;
    let url = database.url.clone();
    let (key, org_id) = cli_organization(&url);
    let a = start_server(&url, &[]);
    let b = start_server(&url, &[]);
    let client = reqwest::Client::new();

    let (token, conversation) = visitor_over_http(&client, &a.base, org_id).await;
    let path = format!("/v1/conversations/{conversation}/events");
    let mut on_b = events(&client, &b.base, &token, &path, None).await;
    assert_eq!(on_b.next().await.event, "ready");
    let asked = Instant::now();
    let ended = client
        .delete(format!("{}/v1/contact-sessions/current", a.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), StatusCode::NO_CONTENT);
    assert!(
        on_b.ends_within(Duration::from_secs(2)).await,
        "the visitor's stream on the other replica closed"
    );
    println!("closed on the other replica after {:?}", asked.elapsed());

    // An API key deleted through A closes its stream on B.
    let made = client
        .post(format!("{}/v1/operator/api-keys", a.base))
        .bearer_auth(&key)
        .json(&serde_json::json!({"name": "second"}))
        .send()
        .await
        .unwrap();
    let second: echo_protocol::team::ApiKeyCreated = made.json().await.unwrap();
    let mut key_on_b = events(&client, &b.base, &second.key, "/v1/operator/events", None).await;
    assert_eq!(key_on_b.next().await.event, "ready");
    let deleted = client
        .delete(format!("{}/v1/operator/api-keys/{}", a.base, second.key_id))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert!(
        key_on_b.ends_within(Duration::from_secs(2)).await,
        "the key's stream on the other replica closed"
    );
}

#[tokio::test]
async fn an_erasure_through_one_replica_leaves_nothing_on_the_other() {
    let Some(server) = postgres_server() else {
        eprintln!("replicas: skipped, no PostgreSQL (set ECHO_TEST_DATABASE_URL)");
        return;
    };
    let database = ThrowawayDatabase::create(&server).await;
    let url = database.url.clone();
    let (key, org_id) = cli_organization(&url);
    let a = start_server(&url, &[]);
    let b = start_server(&url, &[]);
    let client = reqwest::Client::new();

    let (token, conversation) = visitor_over_http(&client, &a.base, org_id).await;
    reply(
        &client,
        &a.base,
        &key,
        &conversation.to_string(),
        "quokka answer",
    )
    .await;
    let path = format!("/v1/conversations/{conversation}/events");
    let mut on_b = events(&client, &b.base, &token, &path, None).await;
    assert_eq!(on_b.next().await.event, "ready");
    // And an event still waiting for its position (its server killed
    // between its commit and its placing).
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let waiting = serde_json::to_string(&Change::Status {
        status: echo_protocol::conversations::ConversationStatus::Escalated,
    })
    .unwrap();
    let org = org_id.to_string();
    commit_unannounced(&pool, &org, &conversation.to_string(), &[waiting]).await;
    let erased: serde_json::Value = client
        .post(format!("{}/v1/operator/contacts/erase", a.base))
        .bearer_auth(&key)
        .json(&serde_json::json!({"email": "ada@example.com"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(erased["conversations"], 1);
    assert!(
        on_b.ends_within(Duration::from_secs(2)).await,
        "the visitor's stream on the other replica closed"
    );
    let get = |path: String| {
        client
            .get(format!("{}{path}", b.base))
            .bearer_auth(&key)
            .send()
    };
    let found: serde_json::Value = get("/v1/operator/search?q=quokka".into())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["hits"].as_array().unwrap().len(), 0, "{found}");
    let gone = get(format!("/v1/operator/conversations/{conversation}"))
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    let export: serde_json::Value =
        get("/v1/operator/contacts/export?email=ada%40example.com".into())
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(export["conversations"].as_array().unwrap().len(), 0);
    // Nothing of the conversation is left to place, or placed.
    sqlx::query("SELECT echo_place($1)")
        .bind(&org)
        .execute(&pool)
        .await
        .unwrap();
    let left: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM events WHERE conversation_id = $1)
              + (SELECT count(*) FROM events_pending WHERE conversation_id = $1)",
    )
    .bind(conversation.to_string())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(left, 0);
    pool.close().await;
}

/// An event committed without a notification and never announced (its
/// server killed between the commit and the announcement) still reaches
/// the open streams: each replica's follower sweeps for such events.
#[tokio::test]
async fn an_event_whose_announcement_was_lost_still_reaches_open_streams() {
    let Some(mut fixture) = one_open_stream("replicas").await else {
        return;
    };
    let change = Change::Status {
        status: echo_protocol::conversations::ConversationStatus::Escalated,
    };
    commit_unannounced(
        &fixture.pool,
        &fixture.organization,
        &fixture.conversation,
        &[serde_json::to_string(&change).unwrap()],
    )
    .await;
    let frame = fixture
        .stream
        .next_within(Duration::from_secs(6))
        .await
        .expect("the sweep publishes it within a few seconds");
    assert_eq!(text_of(&frame), "status:escalated");
    fixture.pool.close().await;
}

/// A replica decides a visitor's next message on what it saw of the
/// conversation last, without reading it again; what another replica
/// changed meanwhile still decides it.
#[tokio::test]
async fn a_visitors_message_is_decided_on_what_another_replica_changed() {
    let Some(server) = postgres_server() else {
        eprintln!("replicas: skipped, no PostgreSQL (set ECHO_TEST_DATABASE_URL)");
        return;
    };
    let database = ThrowawayDatabase::create(&server).await;
    let url = database.url.clone();
    let (key, org_id) = cli_organization(&url);
    let (a, b) = (start_server(&url, &[]), start_server(&url, &[]));
    let client = reqwest::Client::new();
    let (token, conversation) = visitor_over_http(&client, &a.base, org_id).await;
    let id = conversation.to_string();
    for text in ["one", "two"] {
        let said = visitor_says(&client, &a.base, &token, &id, text).await;
        assert_eq!(said, StatusCode::CREATED);
    }

    // Resolved through B: A, which saw it open, refuses the next message.
    let status = |status: &str| {
        client
            .patch(format!("{}/v1/operator/conversations/{id}", b.base))
            .bearer_auth(&key)
            .json(&serde_json::json!({ "status": status }))
            .send()
    };
    assert_eq!(status("resolved").await.unwrap().status(), StatusCode::OK);
    let said = visitor_says(&client, &a.base, &token, &id, "three").await;
    assert_eq!(said, StatusCode::CONFLICT);
    // Reopened through B: A takes messages again.
    assert_eq!(status("unresolved").await.unwrap().status(), StatusCode::OK);
    let said = visitor_says(&client, &a.base, &token, &id, "four").await;
    assert_eq!(said, StatusCode::CREATED);
    let page: serde_json::Value = client
        .get(format!(
            "{}/v1/operator/conversations/{id}/messages",
            b.base
        ))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let texts: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "visitor")
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["one", "two", "four"]);

    // Erased through B: A stores nothing more.
    let erased = client
        .post(format!("{}/v1/operator/contacts/erase", b.base))
        .bearer_auth(&key)
        .json(&serde_json::json!({"email": "ada@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), StatusCode::OK);
    let said = visitor_says(&client, &a.base, &token, &id, "five").await;
    assert!(said.is_client_error(), "{said}");
}
