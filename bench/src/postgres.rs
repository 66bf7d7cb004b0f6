//! A throwaway PostgreSQL cluster for a benchmark run: Debian's
//! `postgresql` binaries, `initdb` into a temporary directory, a free port,
//! stopped and removed on drop. As root, it runs as the `postgres` user.

use std::path::PathBuf;
use std::process::Command;

use anyhow::Context;

pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
    /// `postgres://echo@127.0.0.1:PORT/postgres`
    pub url: String,
}

fn bin_dir() -> anyhow::Result<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL is not installed (apt-get install postgresql)")?
        .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
        .filter(|dir| dir.join("initdb").exists())
        .collect();
    dirs.sort();
    dirs.pop().context("no initdb under /usr/lib/postgresql")
}

impl Cluster {
    pub fn start() -> anyhow::Result<Self> {
        let bin = bin_dir()?;
        let dir = tempfile::tempdir()?;
        let as_postgres = unsafe { libc::geteuid() } == 0;
        if as_postgres {
            let status = Command::new("chown")
                .arg("postgres")
                .arg(dir.path())
                .status()?;
            anyhow::ensure!(status.success(), "chown postgres failed");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let cluster = Self {
            url: format!("postgres://echo@127.0.0.1:{port}/postgres"),
            dir,
            bin,
            as_postgres,
        };
        let data = cluster.dir.path().join("data");
        cluster.run(
            "initdb",
            &[
                "-D",
                &data.display().to_string(),
                "-U",
                "echo",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
            ],
        )?;
        // ECHO_BENCH_POSTGRES_OPTIONS adds server settings, for looking
        // inside a run (`-c shared_preload_libraries=pg_stat_statements`).
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=400 {}",
            cluster.dir.path().display(),
            std::env::var("ECHO_BENCH_POSTGRES_OPTIONS").unwrap_or_default()
        );
        cluster.run(
            "pg_ctl",
            &[
                "-D",
                &data.display().to_string(),
                "-l",
                &cluster.dir.path().join("log").display().to_string(),
                "-w",
                "start",
                "-o",
                &options,
            ],
        )?;
        Ok(cluster)
    }

    fn run(&self, tool: &str, args: &[&str]) -> anyhow::Result<()> {
        let program = self.bin.join(tool);
        let output = if self.as_postgres {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&program)
                .args(args)
                .output()?
        } else {
            Command::new(&program).args(args).output()?
        };
        anyhow::ensure!(
            output.status.success(),
            "{tool} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(())
    }

    /// Leaves the cluster as the first phase found it, so a phase is not
    /// charged for the one before: the last phase's database vacuumed (or
    /// autovacuum does it during this one), then a checkpoint (or one falls
    /// due during this one, and every page's first change after it is
    /// logged whole).
    pub async fn settle(&self, previous: &str) -> anyhow::Result<()> {
        let previous = self.url.replace("/postgres", &format!("/{previous}"));
        let last = sqlx::PgPool::connect(&previous).await?;
        sqlx::query("VACUUM").execute(&last).await?;
        last.close().await;
        let admin = sqlx::PgPool::connect(&self.url).await?;
        sqlx::query("CHECKPOINT").execute(&admin).await?;
        admin.close().await;
        Ok(())
    }

    /// The anchor again, measured by PostgreSQL's own `pgbench` (C, one
    /// prepared INSERT per transaction, `clients` connections on a thread
    /// per core) in a fresh database: what the cluster commits when the
    /// client costs almost nothing. The Rust client's own CPU, on the same
    /// cores, holds its rate well below this one.
    pub async fn pgbench_inserts(
        &self,
        clients: usize,
        phase: std::time::Duration,
    ) -> anyhow::Result<f64> {
        let url = self.database("bench_pgbench").await?;
        let pool = sqlx::PgPool::connect(&url).await?;
        sqlx::raw_sql(RAW_TABLE).execute(&pool).await?;
        pool.close().await;
        let script = self.dir.path().join("insert.sql");
        std::fs::write(&script, PGBENCH_SCRIPT)?;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(clients));
        let output = tokio::process::Command::new(self.bin.join("pgbench"))
            .args(["-n", "-M", "prepared"])
            .arg(format!("-j{threads}"))
            .arg(format!("-c{clients}"))
            .arg(format!("-T{}", phase.as_secs().max(1)))
            .arg("-f")
            .arg(&script)
            .arg(&url)
            .output()
            .await
            .context("running pgbench")?;
        let report = String::from_utf8_lossy(&output.stdout);
        anyhow::ensure!(
            output.status.success(),
            "pgbench failed: {}{}",
            report,
            String::from_utf8_lossy(&output.stderr)
        );
        report
            .lines()
            .find_map(|line| line.strip_prefix("tps = "))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .context("no tps in pgbench's report")
    }

    /// A fresh database on the cluster; its URL.
    pub async fn database(&self, name: &str) -> anyhow::Result<String> {
        let admin = sqlx::PgPool::connect(&self.url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await?;
        admin.close().await;
        Ok(self.url.replace("/postgres", &format!("/{name}")))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data").display().to_string();
        let _ = self.run("pg_ctl", &["-D", &data, "-m", "fast", "-w", "stop"]);
    }
}

/// The anchor's table: a message-sized row with an index, as `messages`.
const RAW_TABLE: &str = "CREATE TABLE raw_messages (
         seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         id TEXT NOT NULL,
         conversation_id TEXT NOT NULL,
         text TEXT NOT NULL,
         created_at BIGINT NOT NULL);
     CREATE INDEX raw_messages_by_conversation ON raw_messages (conversation_id, seq);";

/// pgbench's script for the same row, each client in a conversation of its
/// own as in [`raw_inserts`] (the ID made by the server, where the Rust
/// client makes it).
const PGBENCH_SCRIPT: &str = "INSERT INTO raw_messages (id, conversation_id, text, created_at)
    VALUES (gen_random_uuid()::text, lpad(:client_id::text, 32, '0'),
            'Hello, I have a question about my order', 1765000000000);
";

/// The anchor for the server's PostgreSQL figures: what the cluster itself
/// commits, `clients` connections each inserting one message-sized row
/// per transaction into an indexed table (pgbench's shape, from Rust):
/// rows/s over `phase`, after a second of warm-up.
pub async fn raw_inserts(
    url: &str,
    clients: usize,
    phase: std::time::Duration,
) -> anyhow::Result<f64> {
    use std::time::{Duration, Instant};
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(clients as u32)
        .min_connections(clients as u32)
        // As pgbench: no ping before each insert.
        .test_before_acquire(false)
        .connect(url)
        .await?;
    sqlx::raw_sql(RAW_TABLE).execute(&pool).await?;
    let start = Instant::now() + Duration::from_secs(1);
    let end = start + phase;
    let tasks: Vec<_> = (0..clients)
        .map(|client| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let conversation = format!("{client:032x}");
                let mut rows = 0u64;
                loop {
                    let now = Instant::now();
                    if now >= end {
                        break;
                    }
                    sqlx::query(
                        "INSERT INTO raw_messages (id, conversation_id, text, created_at)
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(uuid::Uuid::new_v4().to_string())
                    .bind(&conversation)
                    .bind("Hello, I have a question about my order")
                    .bind(crate::now_ms())
                    .execute(&pool)
                    .await?;
                    if now >= start {
                        rows += 1;
                    }
                }
                anyhow::Ok(rows)
            })
        })
        .collect();
    let mut rows = 0;
    for task in tasks {
        rows += task.await??;
    }
    pool.close().await;
    Ok(rows as f64 / phase.as_secs_f64())
}
