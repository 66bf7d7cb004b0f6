//! Voice with the organization's Vapi assistant and number: "Call us" and
//! calls in the browser. With the `split` feature this is a wasm module of
//! its own (`echo_voice`, see `later.rs`), fetched only by a visitor who
//! opens one of them.

mod audio;
mod call_us;
mod panel;

pub use call_us::CallUsScreen;
pub use panel::VoicePanel;
