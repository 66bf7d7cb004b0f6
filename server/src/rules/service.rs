//! Service levels' rule for a conversation: the automatic away reply.

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::Timestamp;

use crate::store::effects::State;

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
        }
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
