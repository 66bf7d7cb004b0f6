//! The Echo public API contract, shared by the widget (wasm32) and the server.
//!
//! Everything a client sends or receives over HTTP is a type here, so the
//! widget, the server and the tests cannot drift apart.
//!
//! # Layout
//!
//! - [`ids`]: typed identifiers (`OrganizationId`, `ConversationId`, ...) so one
//!   kind of ID can never be passed where another is expected, and the
//!   contact-session secret.
//! - [`validate`]: the input rules (name, email, message text, metadata,
//!   widget settings) as parse-once newtypes, used by the server at its boundary
//!   and by the widget for inline validation with the same limits.
//! - [`error`]: the stable error codes and the `{"error":{...}}` body.
//! - [`widget`], [`contact_sessions`], [`conversations`], [`messages`]: the
//!   request and response bodies, one module per flow of the public API.
//! - [`billing`]: the signed billing webhook's event.
//! - [`hours`]: business hours and the availability the widget shows.
//! - [`events`]: the live-update events of the push channel.
//! - [`operator`]: the operator API's bodies.
//! - [`onboarding`]: sign-up, the email check, the first admin, more
//!   organizations and the install page.
//! - [`team`]: operator accounts, memberships, invitations, API keys and
//!   assignment.
//! - [`desk`]: the operator desk: saved replies, notes and mentions,
//!   labels, bulk actions, search, the visitor's context, typing.
//! - [`knowledge`]: the knowledge base's files and search results.
//! - [`origin`]: web origins, the sites an organization allows to embed it.
//! - [`plugins`]: an organization's third-party accounts (Vapi).
//! - [`ratings`]: satisfaction ratings of resolved conversations.
//! - [`reports`]: service-level reports.
//! - [`sse`]: parsing the push channel's Server-Sent Events on a client.
//! - [`time`]: timestamps as milliseconds since the Unix epoch.
//! - [`text`]: invisible and bidirectional characters, and NFC (feature
//!   `nfc`, the server's).
//! - [`db`]: database encodings of IDs, statuses, roles and timestamps
//!   (features `sqlite` and `sqlx`, for the server's stores only).
//!
//! Server-only derives (OpenAPI schemas, database encodings) sit behind the
//! `openapi`, `sqlite` and `sqlx` features.

pub mod attachments;
pub mod billing;
pub mod contact_sessions;
pub mod conversations;
#[cfg(any(feature = "sqlite", feature = "sqlx"))]
pub mod db;
pub mod desk;
pub mod error;
pub mod events;
pub mod hours;
pub mod ids;
pub mod knowledge;
pub mod messages;
pub mod onboarding;
pub mod operator;
pub mod origin;
pub mod plugins;
pub mod ratings;
pub mod reports;
pub mod sse;
pub mod team;
pub mod text;
pub mod time;
pub mod trust;
pub mod validate;
pub mod voice;
pub mod widget;

pub use error::{ErrorBody, ErrorCode, ErrorDetail};
pub use ids::{
    ApiKeyId, AttachmentId, CannedReplyId, ContactSessionId, ConversationId, FileId, InvitationId,
    LabelId, MessageId, OperatorId, OrganizationId,
};
pub use time::Timestamp;
