//! The rules of the domain, decided in one place and nowhere else: who may
//! write to a conversation, what a reply changes, which notices a message
//! queues, who must stay an admin. Pure functions of the state a store read
//! inside its transaction and the command at hand; they answer with the
//! effects to write (or a refusal), and the stores only store: each backend
//! reads the state, asks its [`crate::store::effects::Rules`] (this
//! module's [`DomainRules`], handed to it when it opens), and applies the
//! effects in the same transaction (`store/*/effects.rs`). The vocabulary
//! (state, commands, effects) is the store's own, so storage never imports
//! the rules.
//!
//! # Adding a rule
//!
//! 1. Name it in `store/effects.rs`: a new `Command` (with what the store
//!    must read for it in `State`) or a new `Effect`; decide it here, in a
//!    branch of [`conversation::decide`].
//! 2. A new effect is applied once per backend, in `effects.rs`: a row
//!    written and its event published, nothing decided.
//! 3. Hold it with a property: `properties.rs` runs random sequences of
//!    commands through the rules on a model of the stores and checks the
//!    invariants after every step.

pub mod conversation;
pub mod desk;
pub mod service;
pub mod team;

#[cfg(test)]
mod properties;

use echo_protocol::messages::Message;
use echo_protocol::team::OperatorRole;
use echo_protocol::{MessageId, Timestamp};

use crate::store::effects::{Command, Effect, State};
use crate::store::{StoreError, StoreResult};

/// The rules, as the stores ask them (`store::effects::Rules`).
pub struct DomainRules;

impl crate::store::effects::Rules for DomainRules {
    fn decide(&self, state: State, command: Command, notices: bool) -> StoreResult<Vec<Effect>> {
        Ok(conversation::decide(state, command, notices)?)
    }

    fn greeting(&self, id: MessageId, text: String, now: Timestamp) -> Message {
        conversation::greeting(id, text, now)
    }

    fn away_reply(
        &self,
        state: State,
        away_until: Option<Timestamp>,
        now: Timestamp,
        assistant_answers: bool,
    ) -> bool {
        service::away_reply(state, away_until, now, assistant_answers)
    }

    fn rating(
        &self,
        state: crate::store::effects::RatingState,
        link_for: Option<i64>,
    ) -> StoreResult<i64> {
        Ok(service::rating(state, link_for)?)
    }

    fn labels(
        &self,
        current: &[echo_protocol::desk::LabelId],
        change: &crate::store::effects::LabelChange,
    ) -> StoreResult<Vec<echo_protocol::desk::LabelId>> {
        Ok(desk::labels(current, change)?)
    }

    fn change_member(
        &self,
        current: OperatorRole,
        next: Option<OperatorRole>,
        other_admins: u64,
    ) -> StoreResult<()> {
        Ok(team::change_member(current, next, other_admins)?)
    }
}

/// The rules every store is opened with.
pub fn rules() -> std::sync::Arc<dyn crate::store::effects::Rules> {
    std::sync::Arc::new(DomainRules)
}

impl From<Refusal> for StoreError {
    fn from(refusal: Refusal) -> Self {
        StoreError::Conflict(refusal.reason())
    }
}

/// Why a command is refused. Each becomes 409 `CONFLICT` with its reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A resolved conversation takes no new message.
    Resolved,
    /// The assistant writes only while the conversation is unresolved.
    NotTheAssistants,
    /// An organization keeps at least one admin.
    LastAdmin,
    /// A conversation carries at most [`desk::MAX_LABELS`] labels.
    TooManyLabels,
    /// The organization turned ratings off.
    RatingsOff,
    /// Only a resolved conversation is rated.
    NotResolved,
    /// Nobody answered: there is nothing to rate.
    NotAnswered,
    /// This resolution has its rating.
    AlreadyRated,
    /// A mailed link of a resolution since undone (reopened).
    EarlierResolution,
}

impl Refusal {
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::Resolved => "the conversation is resolved",
            Refusal::NotTheAssistants => "the conversation is no longer the agent's",
            Refusal::LastAdmin => "the organization must keep at least one admin",
            Refusal::TooManyLabels => "a conversation carries at most 20 labels",
            Refusal::RatingsOff => "the organization does not ask for ratings",
            Refusal::NotResolved => "only a resolved conversation can be rated",
            Refusal::NotAnswered => "nobody answered this conversation yet",
            Refusal::AlreadyRated => "the conversation is already rated",
            Refusal::EarlierResolution => "the conversation was reopened since this link was sent",
        }
    }
}
