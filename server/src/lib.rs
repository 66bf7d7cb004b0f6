//! The Echo server: the public widget API over HTTP + JSON, storage, and the
//! administration commands, as a library so tests and benchmarks run the real
//! thing in-process. `main.rs` only parses the command line.
//!
//! # Layout
//!
//! - [`startup`]: `Application::build(config)` binds the listener (port 0 in
//!   tests) and serves until a shutdown signal, finishing in-flight requests.
//! - [`cli`]: the command line (`serve` and the administration commands).
//! - [`config`]: settings: their defaults, then environment and flags.
//! - [`http`]: one router module per API flow, the shared [`http::ApiContext`],
//!   the extractors that parse input at the boundary, and the OpenAPI document.
//! - [`store`]: storage behind one trait per domain, with two backends:
//!   SQLite (WAL, `synchronous=FULL`, group commit through one writer
//!   thread) and PostgreSQL (a pool, live events across replicas by LISTEN).
//! - [`rules`]: every conversation and team rule, decided once (pure); the
//!   stores read state, ask the rules, and write the effects.
//! - [`session`]: the contact-session lifetime and refresh rule, pure logic.
//! - [`secrets`]: random credentials and their hashes; nothing else sees raw bytes.
//! - [`agent`]: the AI support agent that answers visitors in the background.
//! - [`knowledge`]: knowledge-base files, their text extraction and BM25 search.
//! - [`llm`]: the OpenAI-compatible language model client (timeouts, retries).
//! - [`live`]: the in-process fan-out of live events to push streams.
//! - [`revocations`]: ending the open streams of a credential that ended.
//! - [`sandbox`]: parsers of untrusted files, in a child process with a
//!   memory and time budget.
//! - [`search`]: full-text search's shared part: folding, queries in each
//!   engine's syntax, snippets.
//! - [`clock`]: the time source, replaceable in tests.
//! - [`limits`]: the abuse limits; [`proxies`]: which client is behind a
//!   trusted reverse proxy.
//! - [`onboarding`]: sign-up's settings, the first admin's setup token, the
//!   throttle on recording the sites the widget is seen on.
//! - [`hours`]: business hours as a schedule; [`away`]: the away reply to
//!   a visitor who writes while the desk is closed.
//! - [`admin`]: what the `org`, `subscription` and `widget-settings` commands do.

/// mimalloc, not glibc's malloc, for every binary built on this library
/// (the server, its tests and the benchmarks, which run it in-process):
/// 100,000 open streams took 6.6 KiB each instead of 7.7 (`crowd`
/// benchmark). The parser process is limited before it starts
/// (`sandbox`), as mimalloc reserves its address space at once.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod accounts;
pub mod admin;
pub mod agent;
pub mod agent_string;
pub mod attachments;
pub mod away;
pub mod cli;
pub mod clock;
pub mod config;
pub mod hours;
pub mod http;
pub mod knowledge;
pub mod limits;
pub mod live;
pub mod llm;
pub mod lockout;
pub mod mail;
pub mod metrics;
pub mod onboarding;
pub mod open_files;
pub mod overload;
pub mod passwords;
pub mod plugins;
pub mod proxies;
pub mod reports;
pub mod retention;
pub mod revocations;
pub mod rules;
pub mod sandbox;
pub mod search;
pub mod secrets;
pub mod session;
pub mod startup;
pub mod store;
pub mod two_factor;
pub mod vault;
