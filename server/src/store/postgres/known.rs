//! What this server last saw of the conversations visitors write in (the
//! state the rules decide on, the organization, and the session's expiry),
//! so a visitor's next message is decided without reading them first and
//! stored in one round trip instead of two (`unlocked.rs`). Nothing here is
//! trusted: the write is guarded by exactly the state it was decided on and
//! by the session still being live (`message_sql.rs`), so a stale entry
//! (another replica's reply, a status change, a revoked session, an erased
//! conversation) fails the guard, is forgotten, and the message is read
//! and decided again. An entry is only ever made from a read that checked
//! the session owns the conversation (which never changes) or from the
//! guarded write that followed one.

use std::num::NonZeroUsize;
use std::sync::Mutex;

use echo_protocol::{ConversationId, OrganizationId, Timestamp};
use lru::LruCache;

use crate::store::effects::State;

/// How many conversations are remembered: the most recently written
/// (about 3 MB). A conversation not among them costs one more round trip.
const REMEMBERED: NonZeroUsize = NonZeroUsize::new(16_384).unwrap();

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Seen {
    /// The hash of the session that owns the conversation.
    pub session: String,
    pub expires_at: Timestamp,
    pub organization: OrganizationId,
    pub state: State,
}

pub(super) struct Known(Mutex<LruCache<ConversationId, Seen>>);

impl Default for Known {
    fn default() -> Self {
        Self(Mutex::new(LruCache::new(REMEMBERED)))
    }
}

impl Known {
    /// What was seen of `conversation`, if `session` owns it.
    pub(super) fn get(&self, conversation: ConversationId, session: &str) -> Option<Seen> {
        let mut seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
        seen.get(&conversation)
            .filter(|s| s.session == session)
            .cloned()
    }

    pub(super) fn remember(&self, conversation: ConversationId, seen: Seen) {
        let mut known = self.0.lock().unwrap_or_else(|e| e.into_inner());
        known.put(conversation, seen);
    }

    pub(super) fn forget(&self, conversation: ConversationId) {
        let mut known = self.0.lock().unwrap_or_else(|e| e.into_inner());
        known.pop(&conversation);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(session: &str) -> Seen {
        Seen {
            session: session.into(),
            expires_at: Timestamp(5),
            organization: OrganizationId::from_uuid(uuid::Uuid::from_u128(1)),
            state: State::NEW,
        }
    }

    fn conversation(n: u128) -> ConversationId {
        ConversationId::from_uuid(uuid::Uuid::from_u128(n))
    }

    #[test]
    fn an_entry_is_given_only_to_the_session_it_was_seen_with() {
        let known = Known::default();
        let conversation = conversation(1);
        known.remember(conversation, seen("a"));
        assert_eq!(known.get(conversation, "a"), Some(seen("a")));
        assert_eq!(known.get(conversation, "b"), None);
        known.forget(conversation);
        assert_eq!(known.get(conversation, "a"), None);
    }

    #[test]
    fn the_least_recently_written_is_dropped_past_the_bound() {
        let known = Known::default();
        let first = conversation(0);
        known.remember(first, seen("a"));
        for n in 1..=REMEMBERED.get() {
            known.remember(conversation(n as u128), seen("a"));
        }
        assert_eq!(known.get(first, "a"), None);
    }
}
