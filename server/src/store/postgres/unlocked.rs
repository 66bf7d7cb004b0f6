//! A visitor's message in one or two round trips instead of four: the
//! common case (their own conversation, no files, no idempotency key used
//! before, a session that needs no refresh) is read without a lock or a
//! transaction (or not at all, when this server remembers it: `known.rs`),
//! decided by the rules, and written by one statement that carries all the
//! decided effects and is guarded by the state they were decided on
//! (`message_sql`). Anything else, or a conversation that changed between
//! the read and the write, takes the locked path, which decides again.

use std::sync::atomic::Ordering;

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::messages::Message;
use echo_protocol::{ConversationId, OperatorId, OrganizationId, Timestamp};

use super::effects::state_of;
use super::known::Seen;
use super::message_sql::{Also, Entry};
use super::PostgresStore;
use crate::session::Refresh;
use crate::store::effects::{
    visitor_party, Command, Decided, Effect, NewMessage, Read, State, PROGRESS,
};
use crate::store::{StoreResult, VisitorActivity};

type Row = (
    Timestamp,
    OrganizationId,
    ConversationStatus,
    Option<OperatorId>,
    bool,
    bool,
    bool,
    bool,
);

impl PostgresStore {
    /// The message stored and its organization, or `None`: take the
    /// locked path (nothing was written).
    pub(super) async fn visitor_message_unlocked(
        &self,
        conversation: ConversationId,
        message: &mut Message,
        activity: &VisitorActivity,
        idempotency_key: Option<&str>,
    ) -> StoreResult<Option<OrganizationId>> {
        if !message.attachments.is_empty() {
            return Ok(None);
        }
        let session = activity.session.as_str();
        // What this server saw last, without reading (`known.rs`); read
        // when it saw nothing, or what it saw no longer holds.
        if let Some(seen) = self.known.get(conversation, session) {
            let written = self
                .write_decided(conversation, seen, message, activity, idempotency_key)
                .await?;
            if written.is_some() {
                return Ok(written);
            }
        }
        // The connection goes back before the write, which takes one of
        // its own (`batch.rs`).
        let seen = {
            let mut connection = self.connection().await?;
            read(&mut connection, conversation, session, idempotency_key).await?
        };
        let Some(seen) = seen else {
            return Ok(None);
        };
        self.write_decided(conversation, seen, message, activity, idempotency_key)
            .await
    }

    /// Decides the message on `seen` and writes it guarded by it: the
    /// organization, and what the conversation is now remembered as; or
    /// `None` (forgotten), when it needs the locked path or the guard
    /// failed.
    async fn write_decided(
        &self,
        conversation: ConversationId,
        mut seen: Seen,
        message: &mut Message,
        activity: &VisitorActivity,
        idempotency_key: Option<&str>,
    ) -> StoreResult<Option<OrganizationId>> {
        self.known.forget(conversation);
        let unchanged = matches!(
            activity.policy.refresh(seen.expires_at, activity.now),
            Ok(Refresh::Unchanged)
        );
        if !unchanged {
            return Ok(None);
        }
        let read = Read {
            organization: seen.organization,
            conversation,
            state: seen.state,
        };
        let uploader = visitor_party(&activity.session);
        let new = NewMessage::visitor(message, &uploader, idempotency_key);
        let notices = self.notices.load(Ordering::Relaxed);
        let command = Command::VisitorMessage;
        // A refusal is given by the locked path, on the state it locks.
        let Ok(decided) = Decided::message(self.rules.as_ref(), notices, read, command, new) else {
            return Ok(None);
        };
        let Some(also) = in_one_statement(&decided.effects, read.state, &seen.session) else {
            return Ok(None);
        };
        let Some(new) = decided.message.as_ref() else {
            return Ok(None);
        };
        let entry = Entry::new(&decided.target, new.message, new.client_id, also)?;
        let after = self.batcher.write(entry).await?;
        let Some(state) = after else {
            return Ok(None);
        };
        self.announcer.committed(seen.organization);
        let organization = seen.organization;
        seen.state = state;
        self.known.remember(conversation, seen);
        Ok(Some(organization))
    }
}

/// The session's conversation as the rules see it, or `None`: not the
/// session's, or the idempotency key was used (the locked path answers).
async fn read(
    connection: &mut sqlx::PgConnection,
    conversation: ConversationId,
    session: &str,
    idempotency_key: Option<&str>,
) -> StoreResult<Option<Seen>> {
    let sql = format!(
        "SELECT s.expires_at, c.organization_id, c.status, c.assignee_id, {PROGRESS},
                EXISTS (SELECT 1 FROM messages m
                        WHERE m.conversation_id = c.id AND m.client_id = $3)
         FROM contact_sessions s
         JOIN conversations c ON c.contact_session_hash = s.id_hash
         WHERE s.id_hash = $1 AND c.id = $2"
    );
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(session)
        .bind(conversation)
        .bind(idempotency_key)
        .fetch_optional(connection)
        .await?;
    Ok(row.and_then(
        |(expires_at, organization, status, assignee, asked, replied, human, used)| {
            (!used).then(|| Seen {
                session: session.to_owned(),
                expires_at,
                organization,
                state: state_of((status, assignee, asked, replied, human)),
            })
        },
    ))
}

/// The effects as the guarded statement's, or `None` when they need the
/// locked path.
fn in_one_statement(effects: &[Effect], state: State, session: &str) -> Option<Also> {
    let [Effect::AddMessage, rest @ ..] = effects else {
        return None;
    };
    let mut also = Also {
        guard: Some((state, session.to_owned())),
        ..Also::default()
    };
    for effect in rest {
        match *effect {
            Effect::Mark(milestone) if also.mark.is_none() => also.mark = Some(milestone),
            Effect::Notify {
                audience,
                only_first,
            } if also.notice.is_none() => also.notice = Some((audience, only_first)),
            _ => return None,
        }
    }
    Some(also)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::effects::{Audience, Milestone};

    #[test]
    fn only_a_message_with_a_milestone_and_a_notice_goes_in_one_statement() {
        let state = State::NEW;
        let notice = Effect::Notify {
            audience: Audience::Team,
            only_first: true,
        };
        let all = [Effect::AddMessage, Effect::Mark(Milestone::Asked), notice];
        let also = in_one_statement(&all, state, "h").expect("one statement");
        assert_eq!(also.mark, Some(Milestone::Asked));
        assert_eq!(also.notice, Some((Audience::Team, true)));
        assert!(in_one_statement(&[Effect::AddMessage], state, "h").is_some());
        let status = Effect::SetStatus(ConversationStatus::Escalated);
        assert!(in_one_statement(&[Effect::AddMessage, status], state, "h").is_none());
        assert!(in_one_statement(&[notice, Effect::AddMessage], state, "h").is_none());
        assert!(in_one_statement(&[Effect::AddMessage, notice, notice], state, "h").is_none());
        assert!(in_one_statement(&[], state, "h").is_none());
    }
}
