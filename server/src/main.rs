//! `echo-server`: parses the command line and runs the command.

use clap::Parser;
use echo_server::cli::Cli;

/// Logs to stderr: readable lines, or with `ECHO_LOG_FORMAT=json` one JSON
/// object per line (for log shippers).
fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    let json = std::env::var("ECHO_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        logs.json().with_current_span(false).init();
    } else {
        logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
}

/// Panics are caught (a handler's becomes a 500, a parser's a refused
/// upload), but the default hook would print the panic's message, which
/// can quote what was being parsed: a visitor's text or an uploaded file.
/// Only where it happened is logged.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(%location, "a panic was caught (its message is not logged: it may quote user data)");
    }));
}

fn main() -> anyhow::Result<()> {
    quiet_panics();
    // A parser process (started by the server for one untrusted file):
    // no runtime, no logging set-up, nothing but the job.
    echo_server::sandbox::child::run_if_asked();
    init_tracing();
    match echo_server::open_files::raise_to_hard_limit() {
        Ok((before, after)) => tracing::info!(
            before,
            after,
            "open files: the soft limit is the hard limit"
        ),
        Err(error) => tracing::warn!(%error, "open files: the limit could not be read or raised"),
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(Cli::parse().run())
}
