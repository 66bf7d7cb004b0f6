//! Browser-side code shared by the widget and the operator console, so the
//! two apps speak to the server, follow the push channel and show messages
//! the same way.
//!
//! # Layout
//!
//! - [`http`]: the one fetch path (JSON, form or empty bodies, a bearer, an
//!   abort signal) and the error type every call returns.
//! - [`follow`]: the push channel's reconnect loop; each app supplies how to
//!   open its stream and what to do with what arrives.
//! - [`list`]: merging messages into a list by ID, so a message that arrives
//!   twice (live and in a page) is shown once.
//! - [`js`], [`decode`], [`encode`]: the widget's answers read and its
//!   requests written field by field through the browser's JSON.
//! - [`i18n`]: the widget's words in the visitor's language.
//! - [`markdown`]: assistant and operator messages as DOM nodes built from a
//!   small markdown parser, never through `innerHTML`.
//!
//! Without the default `browser` feature only the pure modules are built
//! (`i18n` and the markdown parser): the server renders the widget's first
//! screen with them.

#[cfg(feature = "browser")]
pub mod decode;
#[cfg(feature = "browser")]
pub mod encode;
#[cfg(feature = "browser")]
pub mod files;
#[cfg(feature = "browser")]
pub mod follow;
#[cfg(feature = "browser")]
pub mod http;
pub mod i18n;
#[cfg(feature = "browser")]
pub mod js;
#[cfg(feature = "browser")]
pub mod list;
pub mod markdown;
#[cfg(feature = "browser")]
pub mod upload;

#[cfg(feature = "browser")]
pub use follow::{follow, read_chunk, sleep, OpenError, PushEvent, Signal};
#[cfg(feature = "browser")]
pub use web_sys::ReadableStreamDefaultReader;
