//! `echo-server`: parses the command line and runs the command.

use clap::Parser;
use echo_server::cli::Cli;

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    init_tracing();
    quiet_panics();
    Cli::parse().run().await
}
