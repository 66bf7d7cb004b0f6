//! Satisfaction ratings on PostgreSQL.

use async_trait::async_trait;
use echo_protocol::events::Change;
use echo_protocol::ratings::{ConversationRating, Rating};
use echo_protocol::{ConversationId, OrganizationId, Timestamp};
use sqlx::AssertSqlSafe;

use super::events::record_event;
use super::PostgresStore;
use crate::store::effects::RATING_STATE;
use crate::store::ratings::{RateBy, Rated, RatingStore, RatingView};
use crate::store::rows::Row;
use crate::store::rows::{self, RATING};
use crate::store::{StoreError, StoreResult};

#[async_trait]
impl RatingStore for PostgresStore {
    async fn rating_view(&self, conversation: ConversationId) -> StoreResult<RatingView> {
        let sql = format!(
            "SELECT {RATING_STATE}, {RATING} FROM conversations c
             JOIN organizations o ON o.id = c.organization_id WHERE c.id = $1"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(conversation)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(RatingView {
            state: rows::rating_state(&row, 0)?,
            rating: rows::rating(&row, 5)?,
        })
    }

    async fn rate(&self, by: RateBy, rating: Rating, now: Timestamp) -> StoreResult<Rated> {
        let mut tx = self.begin().await?;
        let (conversation, link_for) = match &by {
            RateBy::Visitor(conversation) => (*conversation, None),
            RateBy::Link(hash) => {
                let link: Option<(ConversationId, i64)> = sqlx::query_as(
                    "DELETE FROM rating_tokens WHERE token_hash = $1 AND expires_at > $2
                     RETURNING conversation_id, resolution",
                )
                .bind(hash.as_str())
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let (conversation, resolution) = link.ok_or(StoreError::NotFound)?;
                (conversation, Some(resolution))
            }
        };
        // Locked, as every write to the conversation locks it first.
        let sql = format!(
            "SELECT c.organization_id, {RATING_STATE} FROM conversations c
             JOIN organizations o ON o.id = c.organization_id WHERE c.id = $1
             FOR NO KEY UPDATE OF c"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(conversation)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let organization: OrganizationId = row.col(0)?;
        let state = rows::rating_state(&row, 1)?;
        let resolution = self.rules.rating(state, link_for)?;
        sqlx::query(
            "INSERT INTO ratings
             (id, organization_id, conversation_id, score, comment, resolution, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(organization)
        .bind(conversation)
        .bind(i32::from(rating.score))
        .bind(&rating.comment)
        .bind(resolution)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE conversations SET rating = $2, rating_comment = $3, rated_at = $4,
                 rated_for = $5
             WHERE id = $1",
        )
        .bind(conversation)
        .bind(i32::from(rating.score))
        .bind(&rating.comment)
        .bind(now)
        .bind(resolution)
        .execute(&mut *tx)
        .await?;
        let rating = ConversationRating {
            score: rating.score,
            comment: rating.comment,
            rated_at: now,
        };
        let change = Change::Rating {
            rating: rating.clone(),
        };
        record_event(&mut tx, organization, conversation, &change, now).await?;
        tx.commit().await?;
        Ok(Rated {
            organization,
            conversation,
            rating,
        })
    }

    async fn ratings_of(
        &self,
        organization: OrganizationId,
        conversations: &[ConversationId],
    ) -> StoreResult<Vec<(ConversationId, ConversationRating)>> {
        let sql = format!(
            "SELECT c.id, {RATING} FROM conversations c
             WHERE c.organization_id = $1 AND c.rating IS NOT NULL AND c.id = ANY($2::text[])"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(organization)
            .bind(
                conversations
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>(),
            )
            .fetch_all(&self.pool)
            .await?;
        let mut found = Vec::with_capacity(rows.len());
        for row in &rows {
            if let Some(rating) = rows::rating(row, 1)? {
                found.push((row.col(0)?, rating));
            }
        }
        Ok(found)
    }
}
