//! A conversation's workflow: what each command does, given the state the
//! store read (and locked) in its transaction.

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::messages::{Message, MessageRole};
use echo_protocol::{MessageId, Timestamp};

use super::Refusal;
pub use crate::store::effects::{Audience, Command, Effect, Milestone, State};

/// The effects of `command` on a conversation in `state`, or why it is
/// refused. `notices`: whether this server mails (without it, no notices).
pub fn decide(state: State, command: Command, notices: bool) -> Result<Vec<Effect>, Refusal> {
    let mut effects = Vec::new();
    match command {
        Command::Open => effects.push(Effect::AddMessage),
        Command::VisitorMessage
        | Command::VoiceLine {
            role: MessageRole::Visitor,
        } => {
            refuse_resolved(state)?;
            effects.push(Effect::AddMessage);
            if !state.progress.asked {
                effects.push(Effect::Mark(Milestone::Asked));
            }
            if notices {
                // The team hears of a new conversation, and of every
                // visitor message once a person handles it.
                effects.push(Effect::Notify {
                    audience: Audience::Team,
                    only_first: state.status != ConversationStatus::Escalated,
                });
            }
        }
        Command::TeamMessage { role, author } => {
            refuse_resolved(state)?;
            effects.push(Effect::AddMessage);
            mark_reply(state, role, &mut effects);
            if role == MessageRole::Operator {
                // A person took over: the assistant stands down.
                if state.status == ConversationStatus::Unresolved {
                    effects.push(Effect::SetStatus(ConversationStatus::Escalated));
                }
                if notices {
                    effects.push(Effect::Notify {
                        audience: Audience::Visitor,
                        only_first: false,
                    });
                }
                // An unassigned conversation is its first replier's.
                if let (Some(author), None) = (author, state.assignee) {
                    effects.push(Effect::SetAssignee(Some(author)));
                }
            }
        }
        Command::AssistantMessage { then } => {
            if state.status != ConversationStatus::Unresolved {
                return Err(Refusal::NotTheAssistants);
            }
            effects.push(Effect::AddMessage);
            mark_reply(state, MessageRole::Assistant, &mut effects);
            if let Some(next) = then.filter(|next| *next != state.status) {
                effects.push(Effect::SetStatus(next));
            }
        }
        Command::VoiceLine { role } => {
            refuse_resolved(state)?;
            effects.push(Effect::AddMessage);
            mark_reply(state, role, &mut effects);
        }
        // An automatic notice, not an answer: the conversation's figures
        // still wait for one.
        Command::AwayReply => {
            refuse_resolved(state)?;
            effects.push(Effect::AddMessage);
        }
        // A note is for the team: it changes nothing of the conversation
        // and is welcome whatever its status. Whom it mentions hears of it
        // (by mail only when away, as any notice).
        Command::Note { mentions } => {
            effects.push(Effect::AddMessage);
            if mentions && notices {
                effects.push(Effect::Notify {
                    audience: Audience::Mentioned,
                    only_first: false,
                });
            }
        }
        Command::SetStatus(status) => {
            if status != state.status {
                effects.push(Effect::SetStatus(status));
            }
        }
        Command::Assign(assignee) => {
            if assignee != state.assignee {
                effects.push(Effect::SetAssignee(assignee));
            }
        }
    }
    // The visitor who was answered is asked how it went once resolved (by
    // mail when they left: the mailer decides then).
    let replied = state.progress.replied || effects.contains(&Effect::Mark(Milestone::Replied));
    if notices && replied && effects.contains(&Effect::SetStatus(ConversationStatus::Resolved)) {
        effects.push(Effect::Notify {
            audience: Audience::Rating,
            only_first: false,
        });
    }
    Ok(effects)
}

/// A reply by `role` after the visitor wrote passes the first reply (and,
/// a person's, the first human reply) if it is the first.
fn mark_reply(state: State, role: MessageRole, effects: &mut Vec<Effect>) {
    let progress = state.progress;
    if !progress.asked || !matches!(role, MessageRole::Operator | MessageRole::Assistant) {
        return;
    }
    if !progress.replied {
        effects.push(Effect::Mark(Milestone::Replied));
    }
    if role == MessageRole::Operator && !progress.human_replied {
        effects.push(Effect::Mark(Milestone::HumanReplied));
    }
}

fn refuse_resolved(state: State) -> Result<(), Refusal> {
    if state.status == ConversationStatus::Resolved {
        return Err(Refusal::Resolved);
    }
    Ok(())
}

/// The message a new conversation opens with: the organization's greeting,
/// from the assistant.
pub fn greeting(id: MessageId, text: String, now: Timestamp) -> Message {
    Message::new(id, MessageRole::Assistant, text, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use echo_protocol::OperatorId;
    use ConversationStatus::*;

    fn state(status: ConversationStatus, assignee: Option<OperatorId>) -> State {
        State {
            status,
            assignee,
            progress: Default::default(),
        }
    }

    fn ada() -> OperatorId {
        OperatorId::from_uuid(uuid::Uuid::from_u128(1))
    }

    #[test]
    fn an_operator_reply_escalates_assigns_and_tells_the_visitor() {
        let reply = Command::TeamMessage {
            role: MessageRole::Operator,
            author: Some(ada()),
        };
        assert_eq!(
            decide(state(Unresolved, None), reply, true),
            Ok(vec![
                Effect::AddMessage,
                Effect::SetStatus(Escalated),
                Effect::Notify {
                    audience: Audience::Visitor,
                    only_first: false
                },
                Effect::SetAssignee(Some(ada())),
            ])
        );
        let other = OperatorId::from_uuid(uuid::Uuid::from_u128(2));
        assert_eq!(
            decide(state(Escalated, Some(other)), reply, false),
            Ok(vec![Effect::AddMessage]),
            "already escalated and assigned; no mail on this server"
        );
        assert_eq!(
            decide(state(Resolved, None), reply, true),
            Err(Refusal::Resolved)
        );
    }

    #[test]
    fn the_team_hears_of_a_new_conversation_once_and_of_an_escalated_one_always() {
        let first = decide(State::NEW, Command::VisitorMessage, true).unwrap();
        assert!(first.contains(&Effect::Notify {
            audience: Audience::Team,
            only_first: true
        }));
        let escalated = decide(state(Escalated, None), Command::VisitorMessage, true).unwrap();
        assert!(escalated.contains(&Effect::Notify {
            audience: Audience::Team,
            only_first: false
        }));
        assert_eq!(
            decide(state(Resolved, None), Command::VisitorMessage, true),
            Err(Refusal::Resolved)
        );
    }

    #[test]
    fn the_assistant_writes_only_while_unresolved() {
        let answer = Command::AssistantMessage {
            then: Some(Resolved),
        };
        assert_eq!(
            decide(State::NEW, answer, true),
            Ok(vec![Effect::AddMessage, Effect::SetStatus(Resolved)])
        );
        for taken in [Escalated, Resolved] {
            assert_eq!(
                decide(state(taken, None), answer, true),
                Err(Refusal::NotTheAssistants)
            );
        }
    }

    #[test]
    fn an_unchanged_status_or_assignee_is_no_change() {
        assert_eq!(
            decide(State::NEW, Command::SetStatus(Unresolved), true),
            Ok(vec![])
        );
        assert_eq!(decide(State::NEW, Command::Assign(None), true), Ok(vec![]));
        assert_eq!(
            decide(State::NEW, Command::Assign(Some(ada())), true),
            Ok(vec![Effect::SetAssignee(Some(ada()))])
        );
    }

    #[test]
    fn replies_pass_milestones_once_and_only_after_the_visitor_wrote() {
        let person = Command::TeamMessage {
            role: MessageRole::Operator,
            author: None,
        };
        let before = decide(State::NEW, person, false).unwrap();
        assert!(
            !before.iter().any(|e| matches!(e, Effect::Mark(_))),
            "nothing asked yet"
        );
        let asked = decide(State::NEW, Command::VisitorMessage, false).unwrap();
        assert!(asked.contains(&Effect::Mark(Milestone::Asked)));
        let mut waiting = State::NEW;
        waiting.progress.asked = true;
        assert!(!decide(waiting, Command::VisitorMessage, false)
            .unwrap()
            .contains(&Effect::Mark(Milestone::Asked)));
        let answer = Command::AssistantMessage { then: None };
        assert_eq!(
            decide(waiting, answer, false).unwrap(),
            vec![Effect::AddMessage, Effect::Mark(Milestone::Replied)]
        );
        assert_eq!(
            decide(waiting, Command::AwayReply, false).unwrap(),
            vec![Effect::AddMessage],
            "the away reply is no answer"
        );
        let mut answered = waiting;
        answered.progress.replied = true;
        let effects = decide(answered, person, false).unwrap();
        assert!(effects.contains(&Effect::Mark(Milestone::HumanReplied)));
        assert!(!effects.contains(&Effect::Mark(Milestone::Replied)));
    }

    #[test]
    fn resolving_an_answered_conversation_asks_for_a_rating() {
        let rating = Effect::Notify {
            audience: Audience::Rating,
            only_first: false,
        };
        let resolve = Command::SetStatus(Resolved);
        assert!(!decide(State::NEW, resolve, true).unwrap().contains(&rating));
        let mut answered = State::NEW;
        answered.progress = crate::store::effects::Progress {
            asked: true,
            replied: true,
            human_replied: false,
        };
        assert!(decide(answered, resolve, true).unwrap().contains(&rating));
        assert!(!decide(answered, resolve, false).unwrap().contains(&rating));
        let mut asked = State::NEW;
        asked.progress.asked = true;
        let answer_and_resolve = Command::AssistantMessage {
            then: Some(Resolved),
        };
        assert!(decide(asked, answer_and_resolve, true)
            .unwrap()
            .contains(&rating));
    }
}
