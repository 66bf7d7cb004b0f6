//! The parser process: `echo-server sandbox <memory bytes> <cpu seconds>`,
//! started by [`super::Sandbox`] only. It limits itself before reading its
//! input, so nothing in the file runs without the limits: its memory
//! (`RLIMIT_DATA`: the heap and every private writable mapping), its CPU
//! time (`RLIMIT_CPU`), no core dumps, and a lower priority than the
//! server's own threads. Its standard output is kept for the answer alone
//! (a library that prints is sent to `/dev/null`).

use std::io::{Read, Write};
use std::os::fd::FromRawFd;

use super::wire::{self, Reply, Request};
use crate::attachments::inspect;
use crate::knowledge::extract;

/// The most input a parser takes (above every upload limit).
const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// When this process was started as a parser (`<exe> sandbox ...`), runs
/// the job and exits; otherwise returns at once. Called first thing by
/// every binary that serves (`echo-server`, the benchmark), so the server
/// can start its own executable as the parser.
pub fn run_if_asked() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("sandbox") {
        std::process::exit(main(&args[1..]));
    }
}

/// Runs the job on standard input; the exit code (0 when answered).
pub fn main(args: &[String]) -> i32 {
    let (Some(memory), Some(cpu)) = (
        args.first().and_then(|a| a.parse::<u64>().ok()),
        args.get(1).and_then(|a| a.parse::<u64>().ok()),
    ) else {
        eprintln!("usage: echo-server sandbox <memory bytes> <cpu seconds>");
        return 2;
    };
    if let Err(error) = limit_self(memory, cpu) {
        eprintln!("the parser could not limit itself: {error}");
        return 3;
    }
    let Some(mut answer) = keep_stdout_for_the_answer() else {
        eprintln!("the parser could not set up its output");
        return 3;
    };
    let mut input = Vec::new();
    if std::io::stdin()
        .take(MAX_INPUT_BYTES)
        .read_to_end(&mut input)
        .is_err()
    {
        return 4;
    }
    let Ok((header, bytes)) = wire::split_header(input) else {
        return 4;
    };
    let Ok(request) = serde_json::from_slice::<Request>(&header) else {
        return 4;
    };
    let (reply, payload) = run(request, bytes);
    let Ok(line) = wire::header_line(&reply) else {
        return 5;
    };
    let written = answer
        .write_all(&line)
        .and_then(|()| answer.write_all(&payload))
        .and_then(|()| answer.flush());
    if written.is_err() {
        return 5;
    }
    0
}

fn run(request: Request, bytes: Vec<u8>) -> (Reply, Vec<u8>) {
    match request {
        Request::Inspect => match inspect::inspect(bytes) {
            Ok(inspected) => {
                let mut payload = inspected.data;
                let data_len = payload.len() as u64;
                let preview_type = inspected.preview.map(|(kind, bytes)| {
                    payload.extend(bytes);
                    kind.to_owned()
                });
                let reply = Reply::Inspected {
                    content_type: inspected.content_type.to_owned(),
                    data_len,
                    preview_type,
                };
                (reply, payload)
            }
            Err(refused) => (Reply::Refused { refused }, Vec::new()),
        },
        Request::Extract { name, declared } => {
            match extract::extract(&name, declared.as_deref(), &bytes) {
                Ok(extracted) => (
                    Reply::Extracted {
                        content_type: extracted.content_type.to_owned(),
                        text: extracted.text,
                    },
                    Vec::new(),
                ),
                Err(error) => (Reply::NotExtracted { error }, Vec::new()),
            }
        }
    }
}

fn set_limit(resource: libc::__rlimit_resource_t, soft: u64, hard: u64) -> std::io::Result<()> {
    let limit = libc::rlimit {
        rlim_cur: soft as libc::rlim_t,
        rlim_max: hard as libc::rlim_t,
    };
    // SAFETY: setrlimit reads the struct we pass and nothing else.
    if unsafe { libc::setrlimit(resource, &limit) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// The parser's memory limit; also set by its parent before it starts.
pub(super) fn limit_memory(memory: u64) -> std::io::Result<()> {
    set_limit(libc::RLIMIT_DATA, memory, memory)
}

fn limit_self(memory: u64, cpu_secs: u64) -> std::io::Result<()> {
    limit_memory(memory)?;
    set_limit(libc::RLIMIT_CPU, cpu_secs, cpu_secs + 1)?;
    set_limit(libc::RLIMIT_CORE, 0, 0)?;
    // SAFETY: changes this process's own priority; no memory is touched.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
    Ok(())
}

/// A handle on the real standard output, with file descriptor 1 pointed
/// at `/dev/null` from now on.
fn keep_stdout_for_the_answer() -> Option<std::fs::File> {
    let null = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .ok()?;
    // SAFETY: dup and dup2 on descriptors this process owns; the duplicate
    // is owned by the File returned and by nothing else.
    unsafe {
        let kept = libc::dup(1);
        if kept < 0 || libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), 1) < 0 {
            return None;
        }
        Some(std::fs::File::from_raw_fd(kept))
    }
}
