//! The statement that stores a message on PostgreSQL: the message (folded
//! into its search vector), the conversation's activity (and its place in
//! the inbox's order) and the event, in
//! one round trip. The locked path (`effects::apply`) writes just that; a
//! visitor's message decided on an unlocked read (`unlocked.rs`) adds its
//! other effects (a milestone, a notice) to the same statement, guarded by
//! the state it was decided on.

use anyhow::Context;
use echo_protocol::events::Change;
use echo_protocol::messages::{Message, MessageRole};

use super::effects::{state_of, StateColumns};
use super::mail::notice_conflict;
use crate::store::effects::{Audience, Milestone, State, Target, PROGRESS};
use crate::store::rows::mentions_json;
use crate::store::StoreResult;

/// What the statement writes besides the message, its activity and its
/// event.
#[derive(Default)]
pub(super) struct Also<'a> {
    /// The state the rules decided on and the visitor's session (its
    /// hash): the statement writes nothing unless the conversation is
    /// still in that state and the session still live, and locks the
    /// conversation's row while it writes. Its event is placed by the
    /// caller after the commit (`announce.rs`), not notified by it.
    pub guard: Option<(State, &'a str)>,
    /// A milestone the message passes (at its time).
    pub mark: Option<Milestone>,
    /// A mail notice queued or re-armed: its audience and `only_first`.
    pub notice: Option<(Audience, bool)>,
}

/// The statement's text: `$1`-`$14` the message's values, `$15`-`$20` the
/// guard's.
fn statement(also: &Also) -> String {
    let mut sql = String::from("WITH ");
    let mut source = "";
    if also.guard.is_some() {
        sql.push_str(&format!(
            "guard AS (
                 SELECT set_config('echo.announced_later', 'on', true) FROM conversations c
                 WHERE c.id = $2 AND c.status = $15 AND c.assignee_id IS NOT DISTINCT FROM $16
                   AND ({PROGRESS}) = ($17, $18, $19)
                   AND EXISTS (SELECT 1 FROM contact_sessions s
                               WHERE s.id_hash = $20 AND s.expires_at > $5)
                 FOR NO KEY UPDATE
             ), "
        ));
        source = " FROM guard";
    }
    sql.push_str(&format!(
        "stored AS (
             INSERT INTO messages
             (id, conversation_id, role, text, created_at, client_id, author_id, author_name,
              mentions, search, voice)
             SELECT $1, $2, $3, $4, $5, $6, $9, $10, $11, to_tsvector('simple', $12), $14{source}
             ON CONFLICT (conversation_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
             RETURNING id
         ), touched AS (
             UPDATE conversations c
             SET last_activity_at = $5, message_count = message_count + $13"
    ));
    if let Some(milestone) = also.mark {
        sql.push_str(&format!(", {} = $5", milestone.column()));
    }
    // The inbox's order (`conversation_activity`, kept apart so that the
    // conversation's own update is heap-only: migration 0020).
    sql.push_str(
        " WHERE c.id = $2 AND EXISTS (SELECT 1 FROM stored)
             RETURNING c.seq, c.status, c.assignee_id, c.first_visitor_at, c.first_reply_at,
                       c.first_human_reply_at
         ), ordered AS (
             UPDATE conversation_activity SET last_activity_at = $5
             WHERE seq = (SELECT seq FROM touched)
         )",
    );
    if let Some((audience, only_first)) = also.notice {
        sql.push_str(&format!(
            ", noticed AS (
                 INSERT INTO mail_notices (conversation_id, audience, due_at)
                 SELECT $2, '{}', $5 FROM stored {}
             )",
            audience.as_str(),
            notice_conflict(only_first)
        ));
    }
    // The conversation's state after the write: the rules decide the
    // visitor's next message on it (`known.rs`).
    sql.push_str(&format!(
        ", logged AS (
             INSERT INTO events (organization_id, conversation_id, payload, created_at)
             SELECT $7, $2, $8, $5 FROM stored
         )
         SELECT c.status, c.assignee_id, {PROGRESS} FROM touched c"
    ));
    sql
}

/// Runs the statement: the conversation's state after it, or `None` when
/// it stored nothing (the idempotency key was used, or the guard failed).
pub(super) async fn write_message<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    target: &Target,
    message: &Message,
    client_id: Option<&str>,
    also: &Also<'_>,
) -> StoreResult<Option<State>> {
    let change = Change::Message {
        message: message.clone(),
    };
    let payload = serde_json::to_string(&change).context("encoding an event")?;
    let sql = statement(also);
    let mut query = sqlx::query_as::<_, StateColumns>(sqlx::AssertSqlSafe(sql))
        .bind(message.id)
        .bind(target.conversation)
        .bind(message.role)
        .bind(&message.text)
        .bind(message.created_at)
        .bind(client_id)
        .bind(target.organization)
        .bind(payload)
        .bind(message.author.as_ref().and_then(|a| a.operator_id))
        .bind(&message.author_name)
        .bind(mentions_json(message)?)
        .bind(crate::search::index_text(&message.text))
        // Reports sum each conversation's messages (not notes).
        .bind(i64::from(message.role != MessageRole::Note))
        .bind(message.voice);
    if let Some((state, session)) = also.guard {
        query = query
            .bind(state.status)
            .bind(state.assignee)
            .bind(state.progress.asked)
            .bind(state.progress.replied)
            .bind(state.progress.human_replied)
            .bind(session.to_owned());
    }
    Ok(query.fetch_optional(executor).await?.map(state_of))
}
