//! Parsers of untrusted files run in a child process with a budget.
//!
//! A visitor's image or an admin's PDF is decoded by code we did not write
//! and cannot make total: a decompression bomb asks for gigabytes, a page
//! tree that points back to itself loops forever or overflows the stack. A
//! thread can be neither stopped nor limited, and a stack overflow aborts
//! the whole process, every tenant with it. So each file is handed to a
//! fresh `echo-server sandbox` process ([`child`]) that sets its own
//! memory and CPU limits before it reads a byte, runs with an empty
//! environment (no database URL, no keys) at a lower priority, and is
//! killed when its time is up or the server shuts down. At most
//! `concurrency` run at once; a file that waits longer than `queue_wait`
//! for a turn is refused with 503 `OVERLOADED`.
//!
//! The jobs themselves are the pure functions they always were
//! ([`crate::attachments::inspect`], [`crate::knowledge::extract`]), with
//! their own checks (pixels and bytes from an image's header, frames of an
//! animation) so the common bombs are refused before any decoding; the
//! process is what bounds the rest.

pub mod child;
pub mod hostile;
mod wire;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Semaphore;

use crate::attachments::inspect::Refused;
use crate::knowledge::extract::{ExtractError, Extracted};
pub use wire::Checked;
use wire::{Reply, Request};

/// The limits every parser runs under.
#[derive(Debug, Clone)]
pub struct SandboxSettings {
    /// The `echo-server` binary to run (`ECHO_SANDBOX_EXE`, else this
    /// process's own executable).
    pub exe: PathBuf,
    /// Parsers running at once.
    pub concurrency: usize,
    /// The most a parser may allocate (its data segment and anonymous
    /// memory), in bytes.
    pub memory_bytes: u64,
    /// Wall-clock time one parse may take (its CPU time is capped a second
    /// above it).
    pub time: Duration,
    /// How long a file waits for a free parser before it is refused.
    pub queue_wait: Duration,
}

pub const DEFAULT_MEMORY_BYTES: u64 = 512 * 1024 * 1024;
pub const DEFAULT_TIME: Duration = Duration::from_secs(20);
pub const DEFAULT_QUEUE_WAIT: Duration = Duration::from_secs(10);
/// The most a parser may answer: a re-encoded image or a document's text.
const MAX_REPLY_BYTES: usize = 64 * 1024 * 1024;
/// What is kept of a parser's error output (to tell a memory failure from
/// a crash; it is never logged, as it could quote the file).
const MAX_STDERR_BYTES: usize = 4096;

impl SandboxSettings {
    /// Half the cores (at least one): parsing never takes the whole machine.
    pub fn default_concurrency() -> usize {
        std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
    }

    /// The defaults, running `exe`.
    pub fn with_exe(exe: PathBuf) -> Self {
        Self {
            exe,
            concurrency: Self::default_concurrency(),
            memory_bytes: DEFAULT_MEMORY_BYTES,
            time: DEFAULT_TIME,
            queue_wait: DEFAULT_QUEUE_WAIT,
        }
    }

    /// `ECHO_SANDBOX_EXE`, else this process's executable.
    pub fn default_exe() -> PathBuf {
        std::env::var_os("ECHO_SANDBOX_EXE")
            .map(PathBuf::from)
            .or_else(|| std::env::current_exe().ok())
            .unwrap_or_else(|| PathBuf::from("echo-server"))
    }
}

/// Why a file was not parsed.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// Every parser was busy for longer than the queue wait.
    #[error("every parser is busy")]
    Busy,
    /// The parser ran out of its time or memory, or crashed on the file.
    #[error("the parser went over its budget ({0:?})")]
    OverBudget(Overrun),
    /// The server is shutting down.
    #[error("shutting down")]
    ShuttingDown,
    /// The parser could not be started or answered nonsense.
    #[error(transparent)]
    Broken(#[from] anyhow::Error),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overrun {
    Time,
    Memory,
    /// Killed by a signal or died otherwise (a stack overflow, an abort).
    Crashed,
}

pub struct Sandbox {
    settings: SandboxSettings,
    permits: Semaphore,
    shutdown: tokio::sync::watch::Receiver<bool>,
}

impl Sandbox {
    /// `shutdown` turning true kills every running parser.
    pub fn new(settings: SandboxSettings, shutdown: tokio::sync::watch::Receiver<bool>) -> Self {
        Self {
            permits: Semaphore::new(settings.concurrency.max(1)),
            settings,
            shutdown,
        }
    }

    pub fn settings(&self) -> &SandboxSettings {
        &self.settings
    }

    /// An attachment: its type from its bytes, images re-encoded with a
    /// preview ([`crate::attachments::inspect`]).
    pub async fn inspect(&self, bytes: Vec<u8>) -> Result<Result<Checked, Refused>, SandboxError> {
        let (reply, payload) = self.run(&Request::Inspect, bytes).await?;
        match reply {
            Reply::Inspected {
                content_type,
                data_len,
                preview_type,
            } => Ok(Ok(Checked::split(
                content_type,
                data_len,
                preview_type,
                payload,
            )?)),
            Reply::Refused { refused } => Ok(Err(refused)),
            other => Err(unexpected(&other)),
        }
    }

    /// A knowledge-base file's kind and text ([`crate::knowledge::extract`]).
    pub async fn extract(
        &self,
        name: &str,
        declared: Option<&str>,
        bytes: Vec<u8>,
    ) -> Result<Result<Extracted, ExtractError>, SandboxError> {
        let request = Request::Extract {
            name: name.to_owned(),
            declared: declared.map(str::to_owned),
        };
        match self.run(&request, bytes).await?.0 {
            Reply::Extracted { content_type, text } => Ok(Ok(Extracted {
                content_type: wire::known_type(&content_type)?,
                text,
            })),
            Reply::NotExtracted { error } => Ok(Err(error)),
            other => Err(unexpected(&other)),
        }
    }

    async fn run(
        &self,
        request: &Request,
        input: Vec<u8>,
    ) -> Result<(Reply, Vec<u8>), SandboxError> {
        let _permit = tokio::time::timeout(self.settings.queue_wait, self.permits.acquire())
            .await
            .map_err(|_| SandboxError::Busy)?
            .map_err(|_| SandboxError::ShuttingDown)?;
        let mut shutdown = self.shutdown.clone();
        if *shutdown.borrow() {
            return Err(SandboxError::ShuttingDown);
        }
        let mut command = tokio::process::Command::new(&self.settings.exe);
        command
            .arg("sandbox")
            .arg(self.settings.memory_bytes.to_string())
            .arg((self.settings.time.as_secs() + 1).to_string())
            .env_clear()
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // The memory limit is in force from the parser's first instruction,
        // not only from when it limits itself: the allocator reserves its
        // address space as the process starts, and what it reserved before
        // a limit would not count against it.
        let memory = self.settings.memory_bytes;
        // SAFETY: between fork and exec the closure only calls setrlimit,
        // which is async-signal-safe, and allocates nothing.
        unsafe {
            command.pre_exec(move || child::limit_memory(memory));
        }
        let mut child = command
            .spawn()
            .map_err(|e| anyhow::anyhow!("starting the parser {:?}: {e}", self.settings.exe))?;
        let mut stdin = child.stdin.take().expect("piped");
        let mut stdout = child.stdout.take().expect("piped");
        let mut stderr = child.stderr.take().expect("piped");
        let header = wire::header_line(request)?;
        let talk = async {
            let feed = async {
                // A parser that dies early closes its end: what it did is
                // read from its exit, not from this write.
                let _ = stdin.write_all(&header).await;
                let _ = stdin.write_all(&input).await;
                drop(stdin);
            };
            let mut out = Vec::new();
            let mut err = Vec::new();
            let mut stdout = (&mut stdout).take(MAX_REPLY_BYTES as u64 + 1);
            let mut stderr = (&mut stderr).take(MAX_STDERR_BYTES as u64);
            let read_out = stdout.read_to_end(&mut out);
            let read_err = stderr.read_to_end(&mut err);
            let ((), out_read, _) = tokio::join!(feed, read_out, read_err);
            out_read.map_err(|e| anyhow::anyhow!("reading the parser's answer: {e}"))?;
            let status = child
                .wait()
                .await
                .map_err(|e| anyhow::anyhow!("waiting for the parser: {e}"))?;
            Ok::<_, SandboxError>((status, out, err))
        };
        let outcome = tokio::select! {
            outcome = tokio::time::timeout(self.settings.time, talk) => outcome,
            _ = shutdown.wait_for(|stopping| *stopping) => return Err(SandboxError::ShuttingDown),
        };
        // On every early return the child is killed when dropped.
        let (status, out, err) = outcome.map_err(|_| SandboxError::OverBudget(Overrun::Time))??;
        if !status.success() {
            return Err(SandboxError::OverBudget(overrun(status, &err)));
        }
        if out.len() > MAX_REPLY_BYTES {
            return Err(SandboxError::OverBudget(Overrun::Memory));
        }
        Ok(wire::parse_reply(out)?)
    }
}

fn unexpected(reply: &Reply) -> SandboxError {
    SandboxError::Broken(anyhow::anyhow!(
        "the parser answered another job: {reply:?}"
    ))
}

/// What ended a parser that did not exit cleanly.
fn overrun(status: std::process::ExitStatus, stderr: &[u8]) -> Overrun {
    use std::os::unix::process::ExitStatusExt;
    let said = String::from_utf8_lossy(stderr);
    if said.contains("memory allocation of") || said.contains("capacity overflow") {
        return Overrun::Memory;
    }
    match status.signal() {
        Some(libc::SIGXCPU) => Overrun::Time,
        Some(libc::SIGKILL) if said.is_empty() => Overrun::Time,
        _ => Overrun::Crashed,
    }
}
