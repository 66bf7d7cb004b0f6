//! (e) of `echo-bench`: 20 visitors uploading 2 MiB attachments at once,
//! back to back, into the server on SQLite: uploads per second, MiB/s, p99,
//! and how far the process's resident memory rose above where it started
//! (sampled every 20 ms), which says whether uploads are held in memory
//! one by one or piled up.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use echo_server::admin;
use echo_server::clock::Clock;
use echo_server::startup::Application;

pub const UPLOADERS: usize = 20;
pub const FILE_BYTES: usize = 2 * 1024 * 1024;

pub struct UploadFigures {
    pub per_sec: f64,
    pub mib_per_sec: f64,
    pub p99_ms: f64,
    pub rss_rise_mib: f64,
}

/// A 2 MiB PDF-typed file of random bytes (incompressible, like a scan).
fn file() -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n".to_vec();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    while bytes.len() < FILE_BYTES {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(FILE_BYTES);
    bytes
}

pub async fn upload_load(db: &Path, phase: Duration) -> anyhow::Result<UploadFigures> {
    let mut config = crate::server_config(format!("sqlite://{}", db.display()));
    // The uploads are never sent: no cap on what waits unsent.
    config.max_unsent_bytes = u64::MAX;
    let app = Application::build(config).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let store = app.context().store.clone();
    let org = admin::create_organization(store.as_ref(), &Clock::system(), "Bench").await?;
    tokio::spawn(app.run_until(std::future::pending()));
    let client = reqwest::Client::new();
    // One buffer every request shares: the client side adds no copies.
    let body = bytes::Bytes::from(file());
    let mut targets = Vec::with_capacity(UPLOADERS);
    for i in 0..UPLOADERS {
        let visitor = crate::new_visitor(&client, &base, org.organization_id, i).await?;
        let url = format!(
            "{base}/v1/conversations/{}/attachments",
            visitor.conversation
        );
        targets.push((visitor.token, url));
    }

    let baseline = crate::process::rss_bytes("self");
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let sampling = sampling.clone();
        tokio::spawn(async move {
            let mut peak = 0;
            while sampling.load(Ordering::Relaxed) {
                peak = peak.max(crate::process::rss_bytes("self"));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            peak
        })
    };
    let end = Instant::now() + phase;
    let tasks: Vec<_> = targets
        .into_iter()
        .map(|(token, url)| {
            let client = client.clone();
            let body = body.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < end {
                    let part = reqwest::multipart::Part::stream_with_length(
                        body.clone(),
                        FILE_BYTES as u64,
                    )
                    .file_name("scan.pdf");
                    let sent = Instant::now();
                    let response = client
                        .post(&url)
                        .bearer_auth(&token)
                        .multipart(reqwest::multipart::Form::new().part("file", part))
                        .send()
                        .await?;
                    anyhow::ensure!(
                        response.status() == 201,
                        "upload failed: {}",
                        response.status()
                    );
                    latencies.push(sent.elapsed());
                }
                anyhow::Ok(latencies)
            })
        })
        .collect();
    let started = Instant::now();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    sampling.store(false, Ordering::Relaxed);
    let peak = sampler.await?;
    latencies.sort();
    let count = latencies.len();
    anyhow::ensure!(count > 0, "no upload finished");
    let p99 = latencies[((count as f64 * 0.99) as usize).min(count - 1)];
    Ok(UploadFigures {
        per_sec: count as f64 / elapsed,
        mib_per_sec: count as f64 * FILE_BYTES as f64 / (1024.0 * 1024.0) / elapsed,
        p99_ms: p99.as_secs_f64() * 1000.0,
        rss_rise_mib: peak.saturating_sub(baseline) as f64 / (1024.0 * 1024.0),
    })
}
