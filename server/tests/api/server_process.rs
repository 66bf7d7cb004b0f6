//! The real server as a child process (`echo-server serve` on a free
//! loopback port), for the tests that need more than the in-process
//! server: replicas on one database, a kill -9, a restart, a process with
//! few file descriptors. Killed when dropped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::helpers::BIN;

pub struct Replica {
    pub child: Child,
    pub base: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `echo-server serve` on a free port of loopback, with `extra` flags.
pub fn start_server(database_url: &str, extra: &[&str]) -> Replica {
    let mut command = serve_command(database_url);
    command.args(extra);
    spawn_replica(command)
}

/// The command [`start_server`] runs, for a test to adjust first.
pub fn serve_command(database_url: &str) -> Command {
    let mut command = Command::new(BIN);
    command
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            database_url,
        ])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// Runs a [`serve_command`] and waits for its port.
pub fn spawn_replica(mut command: Command) -> Replica {
    let mut child = command.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    // Reads the log for the port, then keeps draining it so the replica
    // never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on http://127.0.0.1:").nth(1) {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                let _ = port_tx.send(digits.parse::<u16>().unwrap());
            }
        }
    });
    let port = port_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the replica listens within 30 s");
    Replica {
        child,
        base: format!("http://127.0.0.1:{port}"),
    }
}
