//! Satisfaction ratings on SQLite.

use async_trait::async_trait;
use echo_protocol::events::Change;
use echo_protocol::ratings::{ConversationRating, Rating};
use echo_protocol::{ConversationId, OrganizationId, Timestamp};
use rusqlite::params;

use super::events::record_event;
use super::{query_all, query_first, SqliteStore};
use crate::store::effects::RATING_STATE;
use crate::store::ratings::{RateBy, Rated, RatingStore, RatingView};
use crate::store::rows::Row;
use crate::store::rows::{self, RATING};
use crate::store::{StoreError, StoreResult};

#[async_trait]
impl RatingStore for SqliteStore {
    async fn rating_view(&self, conversation: ConversationId) -> StoreResult<RatingView> {
        self.read(move |conn| {
            query_first(
                conn,
                &format!(
                    "SELECT {RATING_STATE}, {RATING} FROM conversations c
                     JOIN organizations o ON o.id = c.organization_id WHERE c.id = ?1"
                ),
                [conversation],
                |row| {
                    Ok(RatingView {
                        state: rows::rating_state(row, 0)?,
                        rating: rows::rating(row, 5)?,
                    })
                },
            )?
            .ok_or(StoreError::NotFound)
        })
        .await
    }

    async fn rate(&self, by: RateBy, rating: Rating, now: Timestamp) -> StoreResult<Rated> {
        let rules = self.rules.clone();
        self.write_publishing(move |conn| {
            let (conversation, link_for) = match &by {
                RateBy::Visitor(conversation) => (*conversation, None),
                RateBy::Link(hash) => {
                    let link: Option<(ConversationId, i64)> = query_first(
                        conn,
                        "SELECT conversation_id, resolution FROM rating_tokens
                         WHERE token_hash = ?1 AND expires_at > ?2",
                        params![hash.as_str(), now],
                        |row| Ok((row.col(0)?, row.col(1)?)),
                    )?;
                    let (conversation, resolution) = link.ok_or(StoreError::NotFound)?;
                    conn.prepare_cached("DELETE FROM rating_tokens WHERE token_hash = ?1")?
                        .execute([hash.as_str()])?;
                    (conversation, Some(resolution))
                }
            };
            let read: Option<(OrganizationId, crate::store::effects::RatingState)> = query_first(
                conn,
                &format!(
                    "SELECT c.organization_id, {RATING_STATE} FROM conversations c
                     JOIN organizations o ON o.id = c.organization_id WHERE c.id = ?1"
                ),
                [conversation],
                |row| Ok((row.col(0)?, rows::rating_state(row, 1)?)),
            )?;
            let (organization, state) = read.ok_or(StoreError::NotFound)?;
            let resolution = rules.rating(state, link_for)?;
            conn.prepare_cached(
                "INSERT INTO ratings
                 (id, organization_id, conversation_id, score, comment, resolution, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                uuid::Uuid::new_v4().to_string(),
                organization,
                conversation,
                rating.score,
                rating.comment,
                resolution,
                now
            ])?;
            conn.prepare_cached(
                "UPDATE conversations SET rating = ?2, rating_comment = ?3, rated_at = ?4,
                     rated_for = ?5
                 WHERE id = ?1",
            )?
            .execute(params![
                conversation,
                rating.score,
                rating.comment,
                now,
                resolution
            ])?;
            let rating = ConversationRating {
                score: rating.score,
                comment: rating.comment,
                rated_at: now,
            };
            let change = Change::Rating {
                rating: rating.clone(),
            };
            let event = record_event(conn, organization, conversation, change, now)?;
            let rated = Rated {
                organization,
                conversation,
                rating,
            };
            Ok((rated, vec![event]))
        })
        .await
    }

    async fn ratings_of(
        &self,
        organization: OrganizationId,
        conversations: &[ConversationId],
    ) -> StoreResult<Vec<(ConversationId, ConversationRating)>> {
        let ids = serde_json::to_string(conversations).map_err(anyhow::Error::from)?;
        self.read(move |conn| {
            let rows = query_all(
                conn,
                &format!(
                    "SELECT c.id, {RATING} FROM conversations c
                     WHERE c.organization_id = ?1 AND c.rating IS NOT NULL
                       AND c.id IN (SELECT value FROM json_each(?2))"
                ),
                params![organization, ids],
                |row| Ok((row.col(0)?, rows::rating(row, 1)?)),
            )?;
            Ok(rows
                .into_iter()
                .filter_map(|(id, rating)| rating.map(|r| (id, r)))
                .collect())
        })
        .await
    }
}
