//! `cargo run --release -p echo-bench --bin knowledge`: the knowledge base
//! at 10,000 documents for one organization.
//!
//! Prints, in one run:
//! (a) indexing throughput: building the organization's index from 10,000
//!     stored documents (what a replica does on its first search), in
//!     documents/s and MB/s, and adding one more document to the built index
//!     (what an upload costs);
//! (b) search latency p50/p99 over 1,000 queries through the same path as
//!     the API and the agent (knowledge version check in SQLite, then BM25);
//! (c) the same queries on another organization, which must find nothing.
//!
//! Documents are generated: help-centre-like text drawn from a 5,000-word
//! vocabulary with a Zipf-like distribution, 80 to 400 words each.
//! `ECHO_BENCH_DOCS` changes the count.

use std::sync::Arc;
use std::time::{Duration, Instant};

use echo_protocol::{FileId, OrganizationId, Timestamp};
use echo_server::knowledge::{Change, KnowledgeBase};
use echo_server::live::Hub;
use echo_server::store::{KnowledgeText, NewKnowledgeFile, SqliteStore, Store};

const QUERIES: usize = 1_000;
const VOCABULARY: usize = 5_000;

/// A small deterministic generator, so every run indexes the same corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Word ranks skewed towards common words, roughly like prose.
    fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        ((n as f64).powf(u) as usize).saturating_sub(1).min(n - 1)
    }
}

fn vocabulary() -> Vec<String> {
    let syllables = [
        "ka", "ro", "mi", "te", "lu", "sa", "po", "ne", "vi", "da", "fo", "ri", "ga", "be", "tu",
        "zo", "li", "ma", "ke", "no",
    ];
    let mut rng = Rng(42);
    (0..VOCABULARY)
        .map(|_| {
            let n = 2 + rng.below(3);
            (0..n)
                .map(|_| syllables[rng.below(syllables.len())])
                .collect()
        })
        .collect()
}

fn document(rng: &mut Rng, words: &[String]) -> String {
    let length = 80 + rng.below(320);
    let mut text = String::with_capacity(length * 8);
    for i in 0..length {
        if i > 0 {
            text.push_str(if i % 60 == 0 { "\n\n" } else { " " });
        }
        text.push_str(&words[rng.zipf(words.len())]);
    }
    text
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn organization(store: &dyn Store, name: &str) -> anyhow::Result<OrganizationId> {
    let created =
        echo_server::admin::create_organization(store, &echo_server::clock::Clock::system(), name)
            .await?;
    Ok(created.organization_id)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let docs: usize = std::env::var("ECHO_BENCH_DOCS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    std::fs::create_dir_all("target")?;
    let dir = tempfile::tempdir_in("target")?;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(
        &dir.path().join("kb.db"),
        Arc::new(Hub::default()),
        echo_server::rules::rules(),
    )?);
    let org = organization(store.as_ref(), "Big Docs Inc").await?;
    let other = organization(store.as_ref(), "Empty Ltd").await?;

    let words = vocabulary();
    let mut rng = Rng(7);
    let mut bytes = 0usize;
    let started = Instant::now();
    let mut writes = Vec::with_capacity(docs);
    for i in 0..docs {
        let text = document(&mut rng, &words);
        bytes += text.len();
        let store = store.clone();
        writes.push(tokio::spawn(async move {
            store
                .add_knowledge_file(NewKnowledgeFile {
                    id: FileId::from_uuid(uuid::Uuid::new_v4()),
                    organization_id: org,
                    name: format!("article-{i}.md"),
                    content_type: "text/markdown".into(),
                    size_bytes: text.len() as u64,
                    text,
                    created_at: Timestamp(i as i64),
                })
                .await
        }));
    }
    for write in writes {
        write.await??;
    }
    println!(
        "echo-bench knowledge: {docs} documents, {:.1} MB of text, stored in {:.1} s",
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    let knowledge = KnowledgeBase::new(store.clone());
    let started = Instant::now();
    knowledge.search(org, "warm up", 5).await?;
    let build = started.elapsed();
    println!();
    println!("(a) indexing");
    println!(
        "    full build of {docs} documents   {:>8.2} s   {:>8.0} docs/s   {:>6.2} MB/s",
        build.as_secs_f64(),
        docs as f64 / build.as_secs_f64(),
        bytes as f64 / 1e6 / build.as_secs_f64()
    );
    let mut adds = Vec::new();
    for i in 0..20 {
        let text = document(&mut rng, &words);
        let file = NewKnowledgeFile {
            id: FileId::from_uuid(uuid::Uuid::new_v4()),
            organization_id: org,
            name: format!("upload-{i}.md"),
            content_type: "text/markdown".into(),
            size_bytes: text.len() as u64,
            text: text.clone(),
            created_at: Timestamp(0),
        };
        let id = file.id;
        let started = Instant::now();
        let version = store.add_knowledge_file(file).await?;
        knowledge
            .changed(
                org,
                version,
                Change::Added(KnowledgeText {
                    id,
                    name: format!("upload-{i}.md"),
                    text,
                }),
            )
            .await;
        adds.push(started.elapsed());
    }
    adds.sort();
    println!(
        "    one upload into the built index  p50 {:>6.1} ms   max {:>6.1} ms (store + index, no rebuild)",
        ms(percentile(&adds, 0.5)),
        ms(*adds.last().expect("20 adds"))
    );

    let queries: Vec<String> = (0..QUERIES)
        .map(|_| {
            let n = 1 + rng.below(4);
            (0..n)
                .map(|_| words[rng.zipf(words.len())].clone())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let mut latencies = Vec::with_capacity(QUERIES);
    let mut hits = 0;
    for query in &queries {
        let started = Instant::now();
        hits += knowledge.search(org, query, 5).await?.len();
        latencies.push(started.elapsed());
    }
    latencies.sort();
    let (p50, p99) = (percentile(&latencies, 0.5), percentile(&latencies, 0.99));
    println!();
    println!("(b) search, {QUERIES} queries of 1-4 words, top 5 passages");
    println!(
        "    p50 {:>6.2} ms   p99 {:>6.2} ms   ({:.1} hits per query)",
        ms(p50),
        ms(p99),
        hits as f64 / QUERIES as f64
    );

    let mut leaked = 0;
    for query in queries.iter().take(100) {
        leaked += knowledge.search(other, query, 5).await?.len();
    }
    println!();
    println!("(c) the same queries on another organization: {leaked} hits (must be 0)");
    anyhow::ensure!(leaked == 0, "another organization's documents were found");
    Ok(())
}
