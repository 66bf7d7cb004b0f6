//! The rules run on a model of the stores through random sequences of
//! commands; after every step the invariants hold.

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::messages::MessageRole;
use echo_protocol::team::OperatorRole;
use echo_protocol::OperatorId;
use proptest::prelude::*;

use super::conversation::{decide, Audience, Command, Effect, Milestone, State};
use super::team::change_member;

fn operator(n: u8) -> OperatorId {
    OperatorId::from_uuid(uuid::Uuid::from_u128(u128::from(n) + 1))
}

fn status() -> impl Strategy<Value = ConversationStatus> {
    prop_oneof![
        Just(ConversationStatus::Unresolved),
        Just(ConversationStatus::Escalated),
        Just(ConversationStatus::Resolved),
    ]
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        Just(Command::VisitorMessage),
        (any::<bool>(), proptest::option::of(0u8..3)).prop_map(|(person, author)| {
            Command::TeamMessage {
                role: if person {
                    MessageRole::Operator
                } else {
                    MessageRole::Assistant
                },
                author: author.map(operator),
            }
        }),
        proptest::option::of(status()).prop_map(|then| Command::AssistantMessage { then }),
        any::<bool>().prop_map(|mentions| Command::Note { mentions }),
        Just(Command::AwayReply),
        any::<bool>().prop_map(|visitor| Command::VoiceLine {
            role: if visitor {
                MessageRole::Visitor
            } else {
                MessageRole::Assistant
            }
        }),
        status().prop_map(Command::SetStatus),
        proptest::option::of(0u8..3).prop_map(|a| Command::Assign(a.map(operator))),
    ]
}

/// The stores, as far as the rules can tell: the conversation's row, its
/// messages (who wrote them), and the event log's positions.
#[derive(Default)]
struct Model {
    messages: Vec<MessageRole>,
    events: Vec<i64>,
}

fn role_of(command: Command) -> MessageRole {
    match command {
        Command::VisitorMessage => MessageRole::Visitor,
        // Written as the assistant's, but it answers nothing.
        Command::AwayReply => MessageRole::Note,
        Command::TeamMessage { role, .. } | Command::VoiceLine { role } => role,
        Command::Note { .. } => MessageRole::Note,
        _ => MessageRole::Assistant,
    }
}

proptest! {
    #[test]
    fn any_sequence_keeps_the_conversation_invariants(
        commands in proptest::collection::vec(command(), 1..60),
        notices in any::<bool>(),
    ) {
        let mut state = State::NEW;
        let mut model = Model::default();
        // A conversation opens with the greeting, then anything may come.
        prop_assert_eq!(decide(state, Command::Open, notices), Ok(vec![Effect::AddMessage]));
        model.messages.push(MessageRole::Assistant);
        model.events.push(1);
        for command in commands {
            let before = state;
            let Ok(effects) = decide(before, command, notices) else {
                continue;
            };
            for effect in &effects {
                match *effect {
                    Effect::AddMessage => model.messages.push(role_of(command)),
                    Effect::SetStatus(next) => {
                        prop_assert_ne!(next, state.status, "a status event changes the status");
                        state.status = next;
                    }
                    Effect::SetAssignee(next) => {
                        prop_assert_ne!(next, state.assignee, "an assignment event changes it");
                        state.assignee = next;
                    }
                    Effect::Notify { .. } => prop_assert!(notices, "no notice without mail"),
                    Effect::Mark(milestone) => {
                        let progress = &mut state.progress;
                        let passed = match milestone {
                            Milestone::Asked => &mut progress.asked,
                            Milestone::Replied => &mut progress.replied,
                            Milestone::HumanReplied => &mut progress.human_replied,
                        };
                        prop_assert!(!*passed, "a milestone is passed once");
                        *passed = true;
                    }
                }
                if !matches!(effect, Effect::Notify { .. } | Effect::Mark(_)) {
                    let position = model.events.last().map_or(1, |p| p + 1);
                    model.events.push(position);
                }
            }
            let added = effects.contains(&Effect::AddMessage);
            // A resolved conversation takes no message (but a note).
            let note = matches!(command, Command::Note { .. });
            if added && !note {
                prop_assert_ne!(before.status, ConversationStatus::Resolved);
            }
            // A note changes nothing but adds itself (and tells whom it
            // mentions, on a server that mails).
            if let Command::Note { mentions } = command {
                let mut expected = vec![Effect::AddMessage];
                if mentions && notices {
                    expected.push(Effect::Notify { audience: Audience::Mentioned, only_first: false });
                }
                prop_assert_eq!(&effects, &expected);
            }
            // A person's reply never leaves it unresolved.
            if let Command::TeamMessage { role: MessageRole::Operator, .. } = command {
                prop_assert_ne!(state.status, ConversationStatus::Unresolved);
            }
            // The assistant writes only while nobody else took over.
            if let Command::AssistantMessage { .. } = command {
                prop_assert_eq!(before.status, ConversationStatus::Unresolved);
            }
            // The milestones follow the messages: the first visitor message,
            // then the first reply of the assistant or a person after it,
            // then a person's.
            let roles = &model.messages;
            let asked_at = roles.iter().position(|r| *r == MessageRole::Visitor);
            let after = |wanted: &dyn Fn(MessageRole) -> bool| {
                asked_at.is_some_and(|at| roles[at..].iter().any(|r| wanted(*r)))
            };
            prop_assert_eq!(state.progress.asked, asked_at.is_some());
            // (The away reply is the assistant's role but no reply: the
            // model counts only the commands that reply.)
            prop_assert_eq!(state.progress.human_replied, after(&|r| r == MessageRole::Operator));
            prop_assert_eq!(
                state.progress.replied,
                after(&|r| matches!(r, MessageRole::Operator | MessageRole::Assistant))
            );
            // Nothing but a message is written before its message.
            if added {
                prop_assert_eq!(effects[0], Effect::AddMessage);
            }
        }
        prop_assert!(model.events.windows(2).all(|w| w[0] < w[1]), "positions strictly increase");
    }

    #[test]
    fn any_sequence_of_role_changes_keeps_an_admin(
        changes in proptest::collection::vec((0usize..4, proptest::option::of(any::<bool>())), 1..40),
    ) {
        // Four members, the first an admin.
        let mut roles: Vec<Option<OperatorRole>> = vec![
            Some(OperatorRole::Admin),
            Some(OperatorRole::Agent),
            Some(OperatorRole::Agent),
            Some(OperatorRole::Agent),
        ];
        for (member, next) in changes {
            let Some(current) = roles[member] else { continue };
            let next = next.map(|admin| if admin { OperatorRole::Admin } else { OperatorRole::Agent });
            let other_admins = roles
                .iter()
                .enumerate()
                .filter(|(i, r)| *i != member && **r == Some(OperatorRole::Admin))
                .count() as u64;
            if change_member(current, next, other_admins).is_ok() {
                roles[member] = next;
            }
            prop_assert!(roles.contains(&Some(OperatorRole::Admin)));
        }
    }
}
