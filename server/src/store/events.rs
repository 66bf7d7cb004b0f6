//! The event log behind the push channel, and the live-only changes and
//! revocations that travel beside it.

use async_trait::async_trait;
use echo_protocol::events::LiveEvent;
use echo_protocol::{ConversationId, OrganizationId, Timestamp};

use super::{EventScope, StoreResult};

/// The event log behind the push channel.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Tells the conversation's live streams, on every replica, of a
    /// live-only change (`Change::is_ephemeral`: typing, a partial voice
    /// transcript). Not stored; best effort.
    async fn ephemeral(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        change: echo_protocol::events::Change,
    );

    /// Someone started or stopped writing (see [`EventStore::ephemeral`]).
    async fn typing(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        typing: crate::live::Typing,
    ) {
        self.ephemeral(organization, conversation, typing.change())
            .await;
    }

    /// Ends the open streams of a credential that just ended, on every
    /// replica. Not stored: called after the write that ended it commits,
    /// and a stream that misses it still fails its next check.
    async fn revoke(&self, revoked: crate::revocations::Revoked);

    /// Deletes events created before `before`; returns how many. Each
    /// organization records the highest position it lost.
    async fn prune_events(&self, before: Timestamp) -> StoreResult<u64>;

    /// The highest position pruned from the scope's organization (0 when
    /// none): a resume from before it cannot be exact.
    async fn pruned_through(&self, scope: EventScope) -> StoreResult<i64>;

    /// Where a new follower of the scope starts: the newest event's position,
    /// or the highest pruned one if that is greater (0 when there is none),
    /// so a later resume from it is exact.
    async fn head_position(&self, scope: EventScope) -> StoreResult<i64>;

    /// Events after `after` in the scope, oldest first.
    async fn events_after(
        &self,
        scope: EventScope,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<LiveEvent>>;
}
