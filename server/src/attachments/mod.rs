//! Attachments: files visitors and operators send in a conversation.
//!
//! An upload is inspected ([`inspect`]: the type from the bytes, images
//! re-encoded without metadata and previewed), stored in the database (so
//! replicas share it with nothing else to run), and claimed by the message
//! that names it, in that message's transaction: only in its own
//! conversation, only by the party that uploaded it, only once. Messages
//! carry signed links ([`links`]); uploads never sent are swept after a
//! day.

pub mod inspect;
pub mod links;

use std::time::Duration;

use echo_protocol::Timestamp;

use crate::clock::Clock;
use crate::store::Store;

/// Uploads not sent in a message within this are deleted.
pub const UNSENT_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// The uploading party as the store records it: the visitor's contact
/// session, or the organization's team (any operator or API key).
pub use crate::store::effects::{visitor_party, TEAM_PARTY};

/// Deletes uploads older than [`UNSENT_LIFETIME`] that no message took;
/// returns how many.
pub async fn sweep(store: &dyn Store, clock: &Clock) -> crate::store::StoreResult<u64> {
    let before = Timestamp(clock.now().millis() - UNSENT_LIFETIME.as_millis() as i64);
    store.sweep_attachments(before).await
}
