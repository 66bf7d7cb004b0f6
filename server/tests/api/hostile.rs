//! Hostile files against the real server: decompression bombs of every
//! image type, documents that loop or nest without end, parsers that hang
//! or run out of memory. Each is answered (422 naming the file, or 503
//! when every parser is busy), the server's memory stays bounded, other
//! requests keep being answered, and shutdown never waits on a parser.
//! The files are generated (`echo_server::sandbox::hostile`), at full size.

use std::time::{Duration, Instant};

use echo_protocol::{ConversationId, ErrorBody, ErrorCode};
use echo_server::config::Config;
use echo_server::sandbox::hostile;
use echo_server::store::SubscriptionStatus;
use reqwest::{Response, StatusCode};

use crate::helpers::{assert_error, spawn_app_with, TestApp, TestVisitor};

async fn attach(
    app: &TestApp,
    visitor: &TestVisitor,
    conversation: ConversationId,
    name: &str,
    bytes: Vec<u8>,
) -> Response {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
    app.client
        .post(app.url(&format!("/v1/conversations/{conversation}/attachments")))
        .bearer_auth(visitor.token())
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

/// This test's parser memory budget: the default less one page, so its
/// parsers can be told from other tests' by their command line (the budget
/// is their first argument).
const BOMB_TEST_BUDGET: u64 = echo_server::sandbox::DEFAULT_MEMORY_BYTES - 4096;

/// Resident memory, in bytes, of this process (the server runs in it,
/// beside every other test running at the same time) and of its children
/// that run with `budget` (this test's parser processes; other tests'
/// parsers, spawned by the same process, are not counted).
fn resident_bytes(budget: u64) -> (u64, u64) {
    fn rss(pid: &str) -> u64 {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            })
            .map_or(0, |kb| kb * 1024)
    }
    let me = std::process::id().to_string();
    let children: u64 = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    // pid (comm) state ppid ...: comm may hold spaces.
                    let after = stat.rsplit_once(')')?.1;
                    after.split_whitespace().nth(1).map(|ppid| ppid == me)
                })
                .unwrap_or(false)
        })
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|line| {
                    line.split(|b| *b == 0)
                        .any(|arg| arg == budget.to_string().as_bytes())
                })
                .unwrap_or(false)
        })
        .map(|pid| rss(&pid))
        .sum();
    (rss("self"), children)
}

async fn unprocessable(response: Response, name: &str) {
    let body: ErrorBody = assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::UnprocessableFile,
    )
    .await;
    assert!(
        body.error.message.contains(name),
        "the answer names the file: {}",
        body.error.message
    );
}

#[tokio::test]
async fn eight_image_bombs_at_once_keep_memory_bounded_and_the_server_answering() {
    let app = spawn_app_with(|config| {
        config.limits = echo_server::limits::LimitSettings::off();
        config.sandbox.memory_bytes = BOMB_TEST_BUDGET;
    })
    .await;
    let png = hostile::png_bomb(12_000, 12_000);
    let bombs = [
        ("bomb.png", png.clone()),
        ("bomb.gif", hostile::gif_bomb(2_000, 2_000, 200)),
        ("bomb.webp", hostile::webp_bomb()),
        ("bomb.jpg", hostile::jpeg_bomb(9_000, 9_000)),
    ];
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    // Each type alone, named in its answer.
    for (name, bytes) in bombs.clone() {
        unprocessable(
            attach(&app, &visitor, conversation, name, bytes).await,
            name,
        )
        .await;
    }

    let (before, _) = resident_bytes(BOMB_TEST_BUDGET);
    // Peaks: the whole process, and the parser children together.
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(before));
    let parsers = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (peak, parsers, sampling) = (peak.clone(), parsers.clone(), sampling.clone());
        std::thread::spawn(move || {
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                let (me, children) = resident_bytes(BOMB_TEST_BUDGET);
                peak.fetch_max(me + children, std::sync::atomic::Ordering::Relaxed);
                parsers.fetch_max(children, std::sync::atomic::Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let started = Instant::now();
    let uploads = (0..8).map(|i| {
        let (app, visitor, png) = (&app, &visitor, png.clone());
        async move {
            let name = format!("bomb-{i}.png");
            let response = attach(app, visitor, conversation, &name, png).await;
            unprocessable(response, &name).await;
        }
    });
    // Meanwhile the server goes on answering everyone else.
    let others = async {
        let mut slowest = Duration::ZERO;
        for _ in 0..20 {
            let asked = Instant::now();
            let response = app
                .get(
                    &format!("/v1/organizations/{}/widget", app.org.organization_id),
                    None,
                )
                .await;
            assert_eq!(response.status(), StatusCode::OK);
            slowest = slowest.max(asked.elapsed());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        slowest
    };
    let ((), slowest) = tokio::join!(
        async {
            futures_util::future::join_all(uploads).await;
        },
        others
    );
    let elapsed = started.elapsed();
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    sampler.join().unwrap();
    let rise = peak
        .load(std::sync::atomic::Ordering::Relaxed)
        .saturating_sub(before);
    let parsers = parsers.load(std::sync::atomic::Ordering::Relaxed);
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    println!(
        "8 PNG bombs of 12,000 x 12,000 16-bit RGBA ({} bytes each): refused in {elapsed:?}; \
         resident memory (test process + parsers) rose {:.1} MiB, parsers at most {:.1} MiB; \
         slowest other request {slowest:?}",
        png.len(),
        mib(rise),
        mib(parsers)
    );
    assert!(
        parsers <= 256 * 1024 * 1024,
        "parsers held {parsers} bytes while bombs were parsed"
    );
    // The server shares its process with the other tests running now, so
    // only a decode in it shows for sure: one bomb decoded is 1.1 GB.
    assert!(
        rise <= 1024 * 1024 * 1024,
        "memory rose {rise} bytes while bombs were parsed"
    );
    assert!(slowest < Duration::from_secs(2), "{slowest:?}");
}

/// A stand-in parser that never answers: the process the server starts for
/// a file is this script, which sleeps `secs` (a number each test makes
/// its own, so [`running`] tells its parser from another test's).
fn hanging_parser(dir: &std::path::Path, secs: u32) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("hanging-parser");
    std::fs::write(&path, format!("#!/bin/sh\nexec sleep {secs}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[tokio::test]
async fn a_parser_over_its_time_is_killed_and_a_full_queue_is_a_503() {
    let dir = tempfile::tempdir().unwrap();
    let hanging = hanging_parser(dir.path(), 601);
    let app = spawn_app_with(|config| {
        config.sandbox.exe = hanging;
        config.sandbox.concurrency = 1;
        config.sandbox.time = Duration::from_secs(2);
        config.sandbox.queue_wait = Duration::from_millis(300);
    })
    .await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let started = Instant::now();
    let (first, second) = tokio::join!(
        attach(&app, &visitor, conversation, "slow.txt", b"hello".to_vec()),
        async {
            // Behind the first, which holds the only parser.
            tokio::time::sleep(Duration::from_millis(100)).await;
            attach(&app, &visitor, conversation, "next.txt", b"hello".to_vec()).await
        }
    );
    assert!(second.headers().contains_key("retry-after"));
    assert_error(
        second,
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Overloaded,
    )
    .await;
    unprocessable(first, "slow.txt").await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(5),
        "{took:?}"
    );
    // Nothing of the parser is left running.
    assert!(
        crate::helpers::eventually(
            || async { (!running(601)).then_some(()) },
            Duration::from_secs(3)
        )
        .await
        .is_some(),
        "the parser was killed"
    );
}

/// Whether a hanging parser sleeping `secs` is running (any process's
/// command line is `sleep <secs>`).
fn running(secs: u32) -> bool {
    let wanted = format!("sleep\0{secs}\0");
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .any(|entry| {
            std::fs::read(entry.path().join("cmdline"))
                .is_ok_and(|cmdline| cmdline == wanted.as_bytes())
        })
}

#[tokio::test]
async fn shutdown_does_not_wait_for_a_running_parser() {
    let dir = tempfile::tempdir().unwrap();
    let mut config =
        Config::for_tests(format!("sqlite://{}", dir.path().join("echo.db").display()));
    config.sandbox.exe = hanging_parser(dir.path(), 602);
    config.sandbox.time = Duration::from_secs(600);
    let app = echo_server::startup::Application::build(config)
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let store = app.context().store.clone();
    let org = echo_server::admin::create_organization(
        store.as_ref(),
        &echo_server::clock::Clock::system(),
        "Acme",
    )
    .await
    .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let (token, conversation) =
        crate::helpers::visitor_over_http(&reqwest::Client::new(), &base, org.organization_id)
            .await;
    let upload = tokio::spawn(async move {
        let part = reqwest::multipart::Part::bytes(b"hello".to_vec()).file_name("a.txt");
        reqwest::Client::new()
            .post(format!(
                "{base}/v1/conversations/{conversation}/attachments"
            ))
            .bearer_auth(token)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
    });
    assert!(
        crate::helpers::eventually(
            || async { running(602).then_some(()) },
            Duration::from_secs(10)
        )
        .await
        .is_some(),
        "the parser started"
    );
    let asked = Instant::now();
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("shutdown finished while a parser ran")
        .unwrap()
        .unwrap();
    println!("shutdown with a parser running took {:?}", asked.elapsed());
    let answer = upload.await.unwrap().unwrap();
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        crate::helpers::eventually(
            || async { (!running(602)).then_some(()) },
            Duration::from_secs(3)
        )
        .await
        .is_some(),
        "the parser was killed"
    );
}

#[tokio::test]
async fn a_parser_out_of_memory_fails_its_file_only() {
    let app = spawn_app_with(|config| {
        // Far below what decoding a 4,000 x 3,000 photo takes (36 MB).
        config.sandbox.memory_bytes = 24 * 1024 * 1024;
    })
    .await;
    let visitor = app.visitor().await;
    let conversation = app.start_conversation(&visitor).await;
    let photo = hostile::png_bomb(4_000, 3_000);
    unprocessable(
        attach(&app, &visitor, conversation, "photo.png", photo).await,
        "photo.png",
    )
    .await;
    // A small one still goes through.
    let small = hostile::png_bomb(40, 30);
    let response = attach(&app, &visitor, conversation, "small.png", small).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn documents_that_loop_nest_or_count_without_end_are_answered_in_time() {
    let app = spawn_app_with(|config| {
        config.sandbox.time = Duration::from_secs(5);
    })
    .await;
    app.store
        .set_subscription(app.org.organization_id, SubscriptionStatus::Active)
        .await
        .unwrap();
    let key = &app.org.operator_key;
    let documents = [
        ("cycle.pdf", hostile::pdf_page_tree_cycle()),
        ("kids.pdf", hostile::pdf_kids_cycle()),
        ("deep.pdf", hostile::pdf_deep_nesting(200_000)),
        ("count.pdf", hostile::pdf_huge_count(200_000)),
        (
            "deep.html",
            hostile::html_deep_nesting(100_000).into_bytes(),
        ),
        (
            "deep.md",
            hostile::markdown_deep_nesting(1_500).into_bytes(),
        ),
    ];
    for (name, bytes) in documents {
        let asked = Instant::now();
        let response = app
            .upload(key, name, "application/octet-stream", bytes)
            .await;
        let status = response.status();
        let took = asked.elapsed();
        println!("{name}: {status} in {took:?}");
        assert!(took < Duration::from_secs(8), "{name} took {took:?}");
        if name == "cycle.pdf" {
            // Over its parser's budget (time or stack), whatever the build.
            unprocessable(response, name).await;
            continue;
        }
        match status {
            StatusCode::CREATED => {}
            StatusCode::BAD_REQUEST => {
                assert_error(response, status, ErrorCode::Validation).await;
            }
            StatusCode::UNPROCESSABLE_ENTITY => unprocessable(response, name).await,
            other => panic!("{name}: {other}"),
        }
    }
    // The page tree that points back to itself never becomes a file.
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM knowledge_files WHERE name = 'cycle.pdf'")
            .await,
        0
    );
    let health = app.get("/readyz", None).await;
    assert_eq!(health.status(), StatusCode::OK);
}
