//! Echo's support-chat widget: a Leptos app compiled to WebAssembly, shown in
//! an iframe by `public/embed.js` (or standalone for development).
//!
//! # Layout
//!
//! - [`app`]: the root component; picks the screen from the state machine.
//! - [`state`]: the shared signals (screen, with the conversation it shows,
//!   organization, contact session, error and loading messages), provided
//!   once.
//! - [`api`]: every call to the server, with the protocol crate's types, over
//!   the fetch path shared with the console (`echo_web::http`).
//! - [`later`]: the screens after the first, one wasm module of their own
//!   in the release build (split off and fetched while the first is shown).
//! - [`screens`]: one module per screen: loading, error, auth, selection,
//!   chat (a controller and its view), inbox. Markdown rendering and message
//!   lists come from `echo_web` too.
//! - [`storage`], [`metadata`], [`host`]: localStorage, browser metadata,
//!   and the messages to the host page's loader.
//! - [`language`]: the visitor's language and its catalogue.
//! - [`time_ago`]: "5 minutes ago", worded by the browser.

mod api;
mod app;
mod host;
mod language;
mod later;
mod metadata;
mod screens;
mod state;
mod storage;
mod time_ago;
mod voice;

// Single-threaded wasm: no other thread can race the allocator.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

fn main() {
    // Only a debug build: the release build's panics are bare traps (the
    // README's "Widget panics" says how to read one).
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
