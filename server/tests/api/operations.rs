//! Running the server: `/metrics` on its own listener, and new writes
//! refused with 503 `OVERLOADED` when the store is past its bound while
//! reads go on and what was accepted is kept.

use std::time::Duration;

use echo_protocol::ErrorCode;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, eventually, spawn_app, spawn_app_with};

#[tokio::test]
async fn metrics_are_served_on_their_own_listener_and_count_requests() {
    let app = spawn_app_with(|config| {
        config.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let metrics = app.metrics_address.clone().expect("a metrics listener");
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let mut stream = app
        .visitor_events(visitor.token(), conversation, None)
        .await;
    assert_eq!(stream.next().await.event, "ready");

    let scrape = app
        .client
        .get(format!("{metrics}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(scrape.status(), StatusCode::OK);
    assert!(scrape.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = scrape.text().await.unwrap();
    for expected in [
        r#"echo_http_requests_total{route="/v1/contact-sessions",method="POST",status="201"} 1"#,
        r#"echo_http_requests_total{route="/v1/conversations",method="POST",status="201"} 1"#,
        r#"echo_http_request_duration_seconds_count{route="/v1/conversations",method="POST"} 1"#,
        r#"echo_open_streams{kind="visitor"} 1"#,
        "echo_outbox_depth 0",
        "echo_overload_refusals_total 0",
    ] {
        assert!(text.contains(expected), "{expected} in:\n{text}");
    }
    // (The queue's value depends on the server's start-up jobs.)
    let store_line = if app.database_url.starts_with("sqlite") {
        "echo_sqlite_write_queue "
    } else {
        "echo_db_pool_in_use"
    };
    assert!(text.contains(store_line), "{store_line} in:\n{text}");
    assert!(!text.contains(visitor.token()), "no secret in the metrics");

    drop(stream);
    let closed = eventually(
        || async {
            let text = app
                .client
                .get(format!("{metrics}/metrics"))
                .send()
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            text.contains(r#"echo_open_streams{kind="visitor"} 0"#)
                .then_some(())
        },
        Duration::from_secs(5),
    )
    .await;
    assert!(closed.is_some(), "a closed stream is no longer counted");

    // Never on the public listener, and off unless asked for.
    let public = app.get("/metrics", None).await;
    assert_eq!(public.status(), StatusCode::NOT_FOUND);
    assert!(spawn_app().await.metrics_address.is_none());
}

#[tokio::test]
async fn past_the_bound_new_writes_are_refused_and_reads_go_on() {
    let sqlite = crate::helpers::postgres_server().is_none();
    let app = spawn_app_with(|config| {
        config.overload.write_queue = 0;
        config.overload.pool_wait = Duration::ZERO;
    })
    .await;
    if !sqlite {
        // No wait allowed: a write within a second of a transaction that
        // waited for its connection (the organization's, just made) is
        // refused, and reads go on. Should that wait have aged (a slow
        // machine), a conversation's transaction makes a fresh one.
        let refused = eventually(
            || async {
                let request = app.session_request(app.org.organization_id);
                let answer = app.post("/v1/contact-sessions", &request, None).await;
                if answer.status() == StatusCode::SERVICE_UNAVAILABLE {
                    return Some(answer);
                }
                let made: echo_protocol::contact_sessions::ContactSessionCreated =
                    answer.json().await.ok()?;
                let token = made.contact_session_id.expose_secret().to_owned();
                let organization = json!({"organizationId": app.org.organization_id});
                app.post("/v1/conversations", &organization, Some(&token))
                    .await;
                None
            },
            Duration::from_secs(10),
        )
        .await
        .expect("a write refused");
        assert_eq!(refused.headers()["retry-after"], "1");
        assert_error(
            refused,
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Overloaded,
        )
        .await;
        let read = app
            .operator_get(&app.org.operator_key, "/v1/operator/conversations")
            .await;
        assert_eq!(read.status(), StatusCode::OK, "reads go on");
        return;
    }
    // The server's own jobs write once as it starts (sweeps, retention):
    // with a bound of none queued, a write may be refused until they are
    // done, so the visitor is made once the writer is free.
    let visitor = eventually(
        || async {
            let request = app.session_request(app.org.organization_id);
            let made = app.post("/v1/contact-sessions", &request, None).await;
            if made.status() != StatusCode::CREATED {
                return None;
            }
            let made: echo_protocol::contact_sessions::ContactSessionCreated =
                made.json().await.ok()?;
            let token = made.contact_session_id.expose_secret().to_owned();
            let started = app
                .post(
                    "/v1/conversations",
                    &json!({"organizationId": app.org.organization_id}),
                    Some(&token),
                )
                .await;
            let started: echo_protocol::conversations::ConversationCreated = (started.status()
                == StatusCode::CREATED)
                .then_some(started)?
                .json()
                .await
                .ok()?;
            Some((token, started.conversation_id))
        },
        Duration::from_secs(10),
    )
    .await;
    let (token, conversation) = visitor.expect("a visitor once the start-up jobs are done");
    let path = format!("/v1/conversations/{conversation}/messages");

    // Another connection holds SQLite's write lock, so one accepted message
    // waits in the writer: one queued write, past the bound of none.
    let file = app.database_url.trim_start_matches("sqlite://").to_owned();
    let lock = rusqlite::Connection::open(&file).unwrap();
    lock.execute_batch("BEGIN IMMEDIATE").unwrap();
    let (client, url, bearer) = (app.client.clone(), app.url(&path), token.clone());
    let accepted = tokio::spawn(async move {
        client
            .post(url)
            .bearer_auth(bearer)
            .json(&json!({"text": "accepted before the bound"}))
            .send()
            .await
            .unwrap()
            .status()
    });
    let queued = eventually(
        || async { (app.store.pressure().queued_writes == Some(1)).then_some(()) },
        Duration::from_secs(5),
    )
    .await;
    assert!(queued.is_some(), "the first write waits in the writer");

    let refused = app
        .post(&path, &json!({"text": "past the bound"}), Some(&token))
        .await;
    assert_eq!(refused.headers()["retry-after"], "1");
    assert_error(
        refused,
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Overloaded,
    )
    .await;
    let read = app.get(&path, Some(&token)).await;
    assert_eq!(read.status(), StatusCode::OK, "reads go on");

    lock.execute_batch("ROLLBACK").unwrap();
    assert_eq!(accepted.await.unwrap(), StatusCode::CREATED);
    let page: echo_protocol::messages::MessagePage =
        crate::helpers::json(app.get(&path, Some(&token)).await, StatusCode::OK).await;
    let texts: Vec<String> = page.messages.into_iter().map(|m| m.text).collect();
    assert!(
        texts.contains(&"accepted before the bound".to_owned()),
        "{texts:?}"
    );
    assert!(!texts.contains(&"past the bound".to_owned()));
    let after = app
        .post(&path, &json!({"text": "the queue drained"}), Some(&token))
        .await;
    assert_eq!(after.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("echo.db").display());
    let mut server = std::process::Command::new(crate::helpers::BIN)
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url", &db])
        .env("ECHO_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let listening = loop {
        let Some(Ok(line)) = lines.next() else {
            panic!("the server stopped logging: {seen:?}");
        };
        let entry: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            entry["timestamp"].is_string() && entry["level"].is_string(),
            "{line}"
        );
        let message = entry["fields"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        seen.push(message.clone());
        if message.starts_with("listening on http://127.0.0.1:") {
            break entry;
        }
    };
    assert!(
        listening["fields"]["port"].as_u64().is_some(),
        "{listening}"
    );
    let _ = server.kill();
    let _ = server.wait();
}

/// The server as a process with `limit` file descriptors (soft and hard,
/// so it cannot raise them).
fn server_with_descriptors(db: &str, limit: u64) -> crate::server_process::Replica {
    use std::os::unix::process::CommandExt;
    let mut command = crate::server_process::serve_command(db);
    // SAFETY: setrlimit is async-signal-safe; the closure touches nothing else.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    // The replica's log is drained as it is written, so the server never
    // blocks on a full pipe (it used to write a warning per failed accept).
    crate::server_process::spawn_replica(command)
}

/// CPU seconds the process has used (user and system).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf reads a constant.
    ticks as f64 / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
}

#[tokio::test]
async fn out_of_descriptors_the_server_rests_and_serves_again_once_some_close() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("echo.db").display());
    let server = server_with_descriptors(&db, 96);
    let address = server.base.trim_start_matches("http://").to_owned();
    // More connections than the server has descriptors: the last ones wait
    // in the listen queue, and every accept fails with EMFILE.
    let mut held = Vec::new();
    for _ in 0..160 {
        held.push(tokio::net::TcpStream::connect(&address).await.unwrap());
    }
    let health = format!("http://{address}/healthz");
    let client = reqwest::Client::new();
    let refused = client
        .get(&health)
        .timeout(std::time::Duration::from_millis(500))
        .send()
        .await;
    assert!(refused.is_err(), "the server still had descriptors");
    let before = cpu_seconds(server.child.id());
    let started = std::time::Instant::now();
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let used = cpu_seconds(server.child.id()) - before;
    let wall = started.elapsed().as_secs_f64();
    // Retrying at once took a whole core (2 s of CPU in 2 s).
    assert!(used < 0.25 * wall, "{used:.2} s of CPU in {wall:.2} s");
    drop(held);
    let served = crate::helpers::eventually(
        || async {
            let response = client.get(&health).send().await.ok()?;
            response.status().is_success().then_some(())
        },
        std::time::Duration::from_secs(10),
    )
    .await;
    assert!(served.is_some(), "the server did not serve again");
}
