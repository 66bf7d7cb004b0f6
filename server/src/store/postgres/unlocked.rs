//! A visitor's message in two round trips instead of four: the common case
//! (their own conversation, no files, no idempotency key used before, a
//! session that needs no refresh) is read without a lock or a transaction,
//! decided by the rules, and written by one statement that carries all the
//! decided effects and is guarded by the state they were decided on
//! (`message_sql`). Anything else, or a conversation that changed between
//! the read and the write, takes the locked path, which decides again.

use std::sync::atomic::Ordering;

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::messages::Message;
use echo_protocol::{ConversationId, OperatorId, OrganizationId, Timestamp};

use super::effects::read_of;
use super::message_sql::{write_message, Also};
use super::PostgresStore;
use crate::session::Refresh;
use crate::store::effects::{visitor_party, Command, Decided, Effect, NewMessage, State, PROGRESS};
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
        let sql = format!(
            "SELECT s.expires_at, c.organization_id, c.status, c.assignee_id, {PROGRESS},
                    EXISTS (SELECT 1 FROM messages m
                            WHERE m.conversation_id = c.id AND m.client_id = $3)
             FROM contact_sessions s
             JOIN conversations c ON c.contact_session_hash = s.id_hash
             WHERE s.id_hash = $1 AND c.id = $2"
        );
        let session = activity.session.as_str();
        let mut connection = self.connection().await?;
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(session)
            .bind(conversation)
            .bind(idempotency_key)
            .fetch_optional(&mut *connection)
            .await?;
        let Some((expires_at, organization, status, assignee, asked, replied, human, used)) = row
        else {
            return Ok(None);
        };
        let unchanged = matches!(
            activity.policy.refresh(expires_at, activity.now),
            Ok(Refresh::Unchanged)
        );
        if used || !unchanged {
            return Ok(None);
        }
        let read = read_of(
            (organization, status, assignee, asked, replied, human),
            conversation,
        );
        let uploader = visitor_party(&activity.session);
        let new = NewMessage::visitor(message, &uploader, idempotency_key);
        let notices = self.notices.load(Ordering::Relaxed);
        let command = Command::VisitorMessage;
        // A refusal is given by the locked path, on the state it locks.
        let Ok(decided) = Decided::message(self.rules.as_ref(), notices, read, command, new) else {
            return Ok(None);
        };
        let Some(also) = in_one_statement(&decided.effects, read.state, session) else {
            return Ok(None);
        };
        let Some(new) = decided.message.as_ref() else {
            return Ok(None);
        };
        let stored = write_message(
            &mut *connection,
            &decided.target,
            new.message,
            new.client_id,
            &also,
        )
        .await?;
        if stored {
            self.announcer.committed(organization);
        }
        Ok(stored.then_some(organization))
    }
}

/// The effects as the guarded statement's, or `None` when they need the
/// locked path.
fn in_one_statement<'a>(effects: &[Effect], state: State, session: &'a str) -> Option<Also<'a>> {
    let [Effect::AddMessage, rest @ ..] = effects else {
        return None;
    };
    let mut also = Also {
        guard: Some((state, session)),
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
