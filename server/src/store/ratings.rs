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

/// The columns [`rating`] reads, for a `conversations c`.
pub(crate) const RATING: &str = "c.rating, c.rating_comment, c.rated_at";

/// A conversation's last rating from [`RATING`]'s columns at `at`.
pub(crate) fn rating(
    row: &impl super::rows::Row,
    at: usize,
) -> StoreResult<Option<ConversationRating>> {
    let score: Option<i32> = row.col(at)?;
    let Some(score) = score else {
        return Ok(None);
    };
    Ok(Some(ConversationRating {
        score: score.clamp(1, 5) as u8,
        comment: row.col::<Option<String>>(at + 1)?.unwrap_or_default(),
        rated_at: row.col(at + 2)?,
    }))
}

/// A [`RatingState`] from [`super::effects::RATING_STATE`]'s columns.
pub(crate) fn rating_state(row: &impl super::rows::Row, at: usize) -> StoreResult<RatingState> {
    Ok(RatingState {
        enabled: row.col(at)?,
        status: row.col(at + 1)?,
        replied: row.col(at + 2)?,
        resolutions: row.col(at + 3)?,
        rated_for: row.col(at + 4)?,
    })
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
