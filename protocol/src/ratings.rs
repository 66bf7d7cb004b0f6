//! Satisfaction ratings: a visitor rates a resolved conversation
//! (`POST /v1/conversations/{id}/rating`, or the resolution mail's page),
//! and the team sees it.

use serde::{Deserialize, Serialize};

use crate::validate::ValidationError;
use crate::Timestamp;

/// The most characters a rating's comment has.
pub const MAX_COMMENT_CHARS: usize = 1000;

/// `POST /v1/conversations/{conversationId}/rating`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateConversation {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub score: u8,
    /// Up to 1,000 characters; blank is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A checked rating: its score and comment (trimmed; empty when none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    pub score: u8,
    pub comment: String,
}

impl RateConversation {
    pub fn parse(&self) -> Result<Rating, ValidationError> {
        parse_rating(self.score.into(), self.comment.as_deref().unwrap_or(""))
    }
}

/// The rules of a rating, for the API and the mailed page's form alike.
pub fn parse_rating(score: i64, comment: &str) -> Result<Rating, ValidationError> {
    if !(1..=5).contains(&score) {
        return Err(ValidationError::new("score", "must be 1 to 5"));
    }
    let comment = comment.trim();
    if comment.chars().count() > MAX_COMMENT_CHARS {
        return Err(ValidationError::new(
            "comment",
            "must be at most 1000 characters",
        ));
    }
    if comment
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(ValidationError::new(
            "comment",
            "must not hold control characters",
        ));
    }
    let comment = if crate::text::has_visible(comment) {
        crate::text::nfc(comment).into_owned()
    } else {
        String::new()
    };
    Ok(Rating {
        score: score as u8,
        comment,
    })
}

/// A conversation's rating, as the team and its visitor see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConversationRating {
    pub score: u8,
    /// Empty when the visitor left none.
    pub comment: String,
    pub rated_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_one_to_five_and_comments_bounded() {
        assert!(parse_rating(0, "").is_err());
        assert!(parse_rating(6, "").is_err());
        assert_eq!(parse_rating(5, "  ").unwrap().comment, "");
        assert_eq!(parse_rating(1, " slow ").unwrap().comment, "slow");
        let long = "x".repeat(2000);
        assert_eq!(parse_rating(3, &long).unwrap_err().field, "comment");
        assert!(parse_rating(3, "a\u{0}b").is_err());
    }
}
