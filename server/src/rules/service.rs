//! Service levels' rules for a conversation: the automatic away reply,
//! and when its visitor may rate it.

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::Timestamp;

use super::Refusal;
use crate::store::effects::{RatingState, State};

/// The resolution a rating would rate, or why the conversation cannot be
/// rated now: ratings on, resolved, answered by a person or the assistant
/// (the greeting and the away reply are no answer), once per resolution (a
/// reopened and re-resolved conversation may be rated again).
/// `link_for`: the resolution a mailed link was made for (it rates that
/// one only).
pub fn rating(state: RatingState, link_for: Option<i64>) -> Result<i64, Refusal> {
    if !state.enabled {
        return Err(Refusal::RatingsOff);
    }
    if state.status != ConversationStatus::Resolved {
        return Err(Refusal::NotResolved);
    }
    let resolution = state.resolutions;
    if !state.replied {
        return Err(Refusal::NotAnswered);
    }
    if state.rated_for == Some(resolution) {
        return Err(Refusal::AlreadyRated);
    }
    if link_for.is_some_and(|n| n != resolution) {
        return Err(Refusal::EarlierResolution);
    }
    Ok(resolution)
}

/// Whether a visitor's message written while the desk is closed gets the
/// away message from the assistant: not in a resolved conversation, not
/// when the AI assistant will answer it (it answers unresolved
/// conversations of an organization that may use it), and once per closed
/// period: `away_until` is the end (the next opening) of the period the
/// last away reply went in.
pub fn away_reply(
    state: State,
    away_until: Option<Timestamp>,
    now: Timestamp,
    assistant_answers: bool,
) -> bool {
    let answered = assistant_answers && state.status == ConversationStatus::Unresolved;
    state.status != ConversationStatus::Resolved
        && !answered
        && away_until.is_none_or(|until| now.millis() >= until.millis())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConversationStatus::*;

    fn state(status: ConversationStatus) -> State {
        State {
            status,
            assignee: None,
            progress: Default::default(),
        }
    }

    #[test]
    fn a_resolution_of_an_answered_conversation_is_rated_once() {
        let resolved = RatingState {
            enabled: true,
            status: Resolved,
            replied: true,
            resolutions: 1,
            rated_for: None,
        };
        assert_eq!(rating(resolved, None), Ok(1));
        let rated = RatingState {
            rated_for: Some(1),
            ..resolved
        };
        assert_eq!(rating(rated, None), Err(Refusal::AlreadyRated));
        let resolved_again = RatingState {
            resolutions: 2,
            ..rated
        };
        assert_eq!(rating(resolved_again, None), Ok(2), "reopened, re-resolved");
        let open = RatingState {
            status: Escalated,
            ..resolved
        };
        assert_eq!(rating(open, None), Err(Refusal::NotResolved));
        let unanswered = RatingState {
            replied: false,
            ..resolved
        };
        assert_eq!(rating(unanswered, None), Err(Refusal::NotAnswered));
        let off = RatingState {
            enabled: false,
            ..resolved
        };
        assert_eq!(rating(off, None), Err(Refusal::RatingsOff));
        assert_eq!(rating(resolved, Some(1)), Ok(1));
        assert_eq!(
            rating(resolved_again, Some(1)),
            Err(Refusal::EarlierResolution),
            "a link of an undone resolution"
        );
    }

    #[test]
    fn once_per_closed_period_and_never_over_the_assistant() {
        let now = Timestamp(1_000);
        assert!(away_reply(state(Unresolved), None, now, false));
        assert!(
            !away_reply(state(Unresolved), None, now, true),
            "the assistant answers"
        );
        assert!(
            away_reply(state(Escalated), None, now, true),
            "a person's conversation"
        );
        assert!(!away_reply(state(Resolved), None, now, false));
        assert!(
            !away_reply(state(Unresolved), Some(Timestamp(2_000)), now, false),
            "this period had one"
        );
        assert!(
            away_reply(state(Unresolved), Some(Timestamp(1_000)), now, false),
            "a new period"
        );
    }
}
