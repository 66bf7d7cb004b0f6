//! A real SMTP server for the mail tests: `scripts/smtp-sink.py` (aiosmtpd,
//! installed by `scripts/smtp-venv.sh`, which `scripts/test.sh` runs) in
//! a process of its own, writing each accepted mail as JSON into a
//! directory the test reads. It can be stopped and started again on the
//! same port, to play an outage.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use echo_server::mail::{MailConfig, NotifyWindows, SmtpSettings};
use serde::Deserialize;

use crate::helpers::eventually;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mail {
    pub rcpt_to: Vec<String>,
    pub headers: std::collections::HashMap<String, String>,
    pub text: String,
    pub html: String,
}

impl Mail {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }

    pub fn to(&self) -> &str {
        &self.rcpt_to[0]
    }
}

pub struct SmtpSink {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

fn python() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = std::env::var_os("ECHO_SMTP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/smtp-venv/bin/python"));
    assert!(
        python.exists(),
        "the mail tests need aiosmtpd: run scripts/smtp-venv.sh (scripts/test.sh does)"
    );
    python
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl SmtpSink {
    pub fn start() -> Self {
        let mut sink = Self {
            port: free_port(),
            dir: tempfile::tempdir().unwrap(),
            child: None,
        };
        sink.resume();
        sink
    }

    /// A port with no server yet: mail to it fails until [`Self::resume`].
    pub fn stopped() -> Self {
        Self {
            port: free_port(),
            dir: tempfile::tempdir().unwrap(),
            child: None,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Mail settings for a test server, with these windows.
    pub fn config(&self, away_secs: u64, batch_secs: u64) -> MailConfig {
        MailConfig {
            smtp: SmtpSettings::parse(&self.url(), "support@echo.test").unwrap(),
            windows: NotifyWindows {
                away: Duration::from_secs(away_secs),
                batch: Duration::from_secs(batch_secs),
            },
        }
    }

    pub fn resume(&mut self) {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/smtp-sink.py");
        let mut child = Command::new(python())
            .arg(script)
            .args(["--port", &self.port.to_string()])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the SMTP sink starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("ready"), "the SMTP sink said {line:?}");
        self.child = Some(child);
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Every mail received so far, in order.
    pub fn mails(&self) -> Vec<Mail> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|path| serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap())
            .collect()
    }

    /// Waits for the confirmation mail to `to` and follows its link with
    /// the POST its page's button sends: the address is confirmed.
    pub async fn confirm(&self, client: &reqwest::Client, to: &str) -> Mail {
        let mail = eventually(
            || async {
                self.mails_to(to).into_iter().find(|m| {
                    m.header("subject")
                        .starts_with("Confirm your email address")
                })
            },
            Duration::from_secs(20),
        )
        .await
        .unwrap_or_else(|| panic!("a confirmation mail to {to}, got {:?}", self.mails()));
        let link = mail
            .text
            .split_whitespace()
            .find(|word| word.contains("/v1/mail/confirm/mc_"))
            .expect("the confirmation link")
            .to_owned();
        let confirmed = client.post(&link).send().await.unwrap();
        assert_eq!(confirmed.status(), reqwest::StatusCode::OK);
        mail
    }

    /// The mails received so far for `to`.
    pub fn mails_to(&self, to: &str) -> Vec<Mail> {
        self.mails().into_iter().filter(|m| m.to() == to).collect()
    }

    /// Waits (polling, 20 s at most) until `count` mails for `to` arrived.
    pub async fn wait_for_to(&self, to: &str, count: usize) -> Vec<Mail> {
        eventually(
            || async {
                let mails = self.mails_to(to);
                (mails.len() >= count).then_some(mails)
            },
            Duration::from_secs(20),
        )
        .await
        .unwrap_or_else(|| panic!("{count} mails to {to} expected, got {:?}", self.mails()))
    }

    /// Waits (polling, 20 s at most) until `count` mails arrived.
    pub async fn wait_for(&self, count: usize) -> Vec<Mail> {
        eventually(
            || async {
                let mails = self.mails();
                (mails.len() >= count).then_some(mails)
            },
            Duration::from_secs(20),
        )
        .await
        .unwrap_or_else(|| panic!("{count} mails expected, got {:?}", self.mails()))
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}
