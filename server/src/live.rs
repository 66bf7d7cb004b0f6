//! The in-process fan-out of live events. The store publishes each event
//! after its transaction commits (SQLite from its writer thread, PostgreSQL
//! from the replica's LISTEN follower), so subscribers see events in
//! position order. Each conversation and each organization has its
//! own bounded channel: a subscriber that falls its capacity behind is
//! dropped (its stream ends and the client resumes from the event log), so a
//! slow client cannot grow server memory.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use echo_protocol::events::{LiveEvent, Typist};
use echo_protocol::{ConversationId, OrganizationId};
use tokio::sync::broadcast;

/// Events a conversation's subscriber may fall behind before it is dropped:
/// a conversation rarely has more than a few events in flight, and each
/// slot costs memory for every open widget.
pub const CONVERSATION_CAPACITY: usize = 8;
/// The same for an organization's stream (operator consoles), which carries
/// every conversation's events.
pub const ORGANIZATION_CAPACITY: usize = 256;

pub type Receiver = broadcast::Receiver<Arc<LiveEvent>>;

struct Topics<K> {
    senders: Mutex<HashMap<K, broadcast::Sender<Arc<LiveEvent>>>>,
    capacity: usize,
}

impl<K: Eq + Hash + Copy> Topics<K> {
    fn new(capacity: usize) -> Self {
        Self {
            senders: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    fn subscribe(&self, key: K) -> Receiver {
        let mut senders = self.senders.lock().expect("hub lock poisoned");
        senders
            .entry(key)
            .or_insert_with(|| broadcast::channel(self.capacity).0)
            .subscribe()
    }

    fn clear(&self) {
        self.senders.lock().expect("hub lock poisoned").clear();
    }

    fn publish(&self, key: K, event: &Arc<LiveEvent>) {
        let mut senders = self.senders.lock().expect("hub lock poisoned");
        if let Some(sender) = senders.get(&key) {
            if sender.send(event.clone()).is_err() {
                // Nobody listens any more: forget the topic.
                senders.remove(&key);
            }
        }
    }
}

/// Someone started (`active`) or stopped writing in a conversation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Typing {
    pub active: bool,
    pub by: Typist,
    /// The operator's name, for `by: operator`.
    pub name: Option<String>,
}

impl Typing {
    /// The assistant started or stopped writing its reply.
    pub fn assistant(active: bool) -> Self {
        Self {
            active,
            by: Typist::Assistant,
            name: None,
        }
    }

    /// As the push channel carries it.
    pub fn change(self) -> echo_protocol::events::Change {
        echo_protocol::events::Change::Typing {
            active: self.active,
            by: self.by,
            name: self.name,
        }
    }
}

pub struct Hub {
    conversations: Topics<ConversationId>,
    organizations: Topics<OrganizationId>,
    /// Credentials that ended, for the streams that depend on them.
    pub revocations: crate::revocations::Revocations,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            conversations: Topics::new(CONVERSATION_CAPACITY),
            organizations: Topics::new(ORGANIZATION_CAPACITY),
            revocations: Default::default(),
        }
    }
}

impl Hub {
    pub fn publish(&self, organization: OrganizationId, event: LiveEvent) {
        let event = Arc::new(event);
        self.conversations.publish(event.conversation_id, &event);
        self.organizations.publish(organization, &event);
    }

    /// Tells the conversation's live streams of a live-only change
    /// (typing, a partial transcript). Not stored: only streams open right
    /// now see it.
    pub fn ephemeral(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        change: echo_protocol::events::Change,
    ) {
        self.publish(
            organization,
            LiveEvent {
                position: 0,
                conversation_id: conversation,
                change,
            },
        );
    }

    /// Ends every subscription (their streams close and the clients resume
    /// from the event log): for when events may have been missed.
    pub fn disconnect_all(&self) {
        self.conversations.clear();
        self.organizations.clear();
    }

    pub fn subscribe_conversation(&self, id: ConversationId) -> Receiver {
        self.conversations.subscribe(id)
    }

    pub fn subscribe_organization(&self, id: OrganizationId) -> Receiver {
        self.organizations.subscribe(id)
    }
}
