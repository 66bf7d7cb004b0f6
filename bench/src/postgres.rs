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
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=400",
            cluster.dir.path().display()
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
