//! Satisfaction ratings: each rating is kept (one per resolution), the
//! conversation carries its last; the rules (`rules::service::rating`)
//! decide in the writing transaction whether it may be rated.

use async_trait::async_trait;
use echo_protocol::ratings::{ConversationRating, Rating};
use echo_protocol::{ConversationId, OrganizationId, Timestamp};

use super::effects::RatingState;
use super::StoreResult;
use crate::secrets::SecretHash;

/// Who rates: the conversation's visitor (the caller checked the session
/// owns it), or whoever holds the link of a resolution mail.
#[derive(Debug, Clone)]
pub enum RateBy {
    Visitor(ConversationId),
    Link(SecretHash),
}

/// A rating as stored: the conversation, its organization, the rating.
#[derive(Debug, Clone)]
pub struct Rated {
    pub organization: OrganizationId,
    pub conversation: ConversationId,
    pub rating: ConversationRating,
}

/// A conversation's rating as its visitor sees it.
#[derive(Debug, Clone)]
pub struct RatingView {
    pub state: RatingState,
    pub rating: Option<ConversationRating>,
}

/// The link of a resolution mail, stored with the outcome of its notice.
#[derive(Debug, Clone)]
pub struct RatingLink {
    pub token_hash: SecretHash,
    /// The resolution it rates (the conversation's count of them).
    pub resolution: i64,
    pub expires_at: Timestamp,
}

#[async_trait]
pub trait RatingStore: Send + Sync {
    /// Whether the conversation may be rated now, and its last rating
    /// (`NotFound` if it does not exist).
    async fn rating_view(&self, conversation: ConversationId) -> StoreResult<RatingView>;

    /// Rates it if the rules allow (`Conflict` with their reason): the
    /// rating is kept, the conversation's last one replaced, a mail's link
    /// used up, and a `rating` event written. An unknown or expired link
    /// is `NotFound`.
    async fn rate(&self, by: RateBy, rating: Rating, now: Timestamp) -> StoreResult<Rated>;

    /// The last ratings of those of `conversations` that have one.
    async fn ratings_of(
        &self,
        organization: OrganizationId,
        conversations: &[ConversationId],
    ) -> StoreResult<Vec<(ConversationId, ConversationRating)>>;
}
