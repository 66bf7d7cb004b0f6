//! The statement that stores messages on PostgreSQL: each message (folded
//! into its search vector), its conversation's activity (and its place in
//! the inbox's order) and its event, for one message or many (one per
//! conversation) in one round trip and one commit. The locked path
//! (`effects::apply`) writes one message with just that; visitors'
//! messages decided on an unlocked read (`unlocked.rs`) add their other
//! effects (a milestone, a notice) to the same statement, each guarded by
//! the state it was decided on, and are written together by `batch.rs`.

use anyhow::Context;
use echo_protocol::events::Change;
use echo_protocol::messages::{Message, MessageRole};

use echo_protocol::conversations::ConversationStatus;
use echo_protocol::OperatorId;

use super::effects::state_of;
use super::mail::notice_conflict;
use crate::store::effects::{Audience, Milestone, State, Target, PROGRESS};
use crate::store::rows::mentions_json;
use crate::store::StoreResult;

/// What the statement writes besides a message, its activity and its
/// event.
#[derive(Default)]
pub(super) struct Also {
    /// The state the rules decided on and the visitor's session (its
    /// hash): the message is written only if the conversation is still in
    /// that state and the session still live, and the conversation's row is
    /// locked while it is. Its event is placed by the caller after the
    /// commit (`announce.rs`), not notified by it.
    pub guard: Option<(State, String)>,
    /// A milestone the message passes (at its time).
    pub mark: Option<Milestone>,
    /// A mail notice queued or re-armed: its audience and `only_first`.
    pub notice: Option<(Audience, bool)>,
}

/// The setting under which the statement runs: its generic plan, always.
/// Its values are arrays, for which a generic plan expects ten rows where
/// a custom plan sees the one or few there are, so PostgreSQL judged the
/// generic plan dearer and planned the statement anew at every execution:
/// about a millisecond of a database core per message, which made a
/// message's answer on 20,000 streams six times slower (README, the
/// PostgreSQL levers). The generic plan joins by the same indexes. Set on
/// the batcher's own connections and, for the locked path, in its
/// transaction (`announce::place_after_commit`); other statements keep
/// PostgreSQL's choice.
pub(super) const GENERIC_PLANS: (&str, &str) = ("plan_cache_mode", "force_generic_plan");

/// One message's values in the statement.
pub(super) struct Entry {
    id: String,
    conversation: String,
    role: &'static str,
    text: String,
    created_at: i64,
    client_id: Option<String>,
    organization: String,
    payload: String,
    author_id: Option<String>,
    author_name: Option<String>,
    mentions: Option<String>,
    search: String,
    /// 1 when it counts in the conversation's messages (notes do not:
    /// reports sum them).
    counted: i64,
    voice: bool,
    also: Also,
}

impl Entry {
    pub(super) fn new(
        target: &Target,
        message: &Message,
        client_id: Option<&str>,
        also: Also,
    ) -> StoreResult<Self> {
        let change = Change::Message {
            message: message.clone(),
        };
        Ok(Self {
            id: message.id.to_string(),
            conversation: target.conversation.to_string(),
            role: message.role.as_str(),
            text: message.text.clone(),
            created_at: message.created_at.millis(),
            client_id: client_id.map(str::to_owned),
            organization: target.organization.to_string(),
            payload: serde_json::to_string(&change).context("encoding an event")?,
            author_id: message
                .author
                .as_ref()
                .and_then(|a| a.operator_id)
                .map(|id| id.to_string()),
            author_name: message.author_name.clone(),
            mentions: mentions_json(message)?,
            search: crate::search::index_text(&message.text),
            counted: i64::from(message.role != MessageRole::Note),
            voice: message.voice,
            also,
        })
    }

    pub(super) fn id(&self) -> &str {
        &self.id
    }

    pub(super) fn conversation(&self) -> &str {
        &self.conversation
    }

    pub(super) fn guarded(&self) -> bool {
        self.also.guard.is_some()
    }

    /// Which `ON CONFLICT` its notice needs (`only_first`), if it has one:
    /// one statement holds one kind.
    pub(super) fn notice_kind(&self) -> Option<bool> {
        self.also.notice.map(|(_, only_first)| only_first)
    }
}

#[cfg(test)]
impl Entry {
    /// A visitor's message in `conversation`, with a notice of that kind.
    pub(super) fn for_test(conversation: &str, notice: Option<bool>) -> Self {
        Self {
            id: format!("m-{conversation}"),
            conversation: conversation.to_owned(),
            role: "visitor",
            text: "hi".into(),
            created_at: 0,
            client_id: None,
            organization: "o".into(),
            payload: "{}".into(),
            author_id: None,
            author_name: None,
            mentions: None,
            search: "hi".into(),
            counted: 1,
            voice: false,
            also: Also {
                guard: Some((State::NEW, "s".into())),
                mark: None,
                notice: notice.map(|only_first| (Audience::Team, only_first)),
            },
        }
    }
}

/// The statement's text: `$1`-`$16` the messages' values, `$17`-`$22` the
/// guards'; one row per message, at most one per conversation.
fn statement(guarded: bool, notice: Option<bool>) -> String {
    let guard_columns = if guarded {
        ", $17::text[], $18::text[], $19::bool[], $20::bool[], $21::bool[], $22::text[]"
    } else {
        ""
    };
    let guard_names = if guarded {
        ", status, assignee_id, asked, replied, human_replied, session"
    } else {
        ""
    };
    let mut sql = format!(
        "WITH input AS (
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[],
                                  $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                                  $11::text[], $12::text[], $13::int8[], $14::bool[], $15::text[],
                                  $16::text[]{guard_columns}) WITH ORDINALITY
                 AS i(id, conversation_id, role, text, created_at, client_id, organization_id,
                      payload, author_id, author_name, mentions, search_text, counted, voice,
                      mark, audience{guard_names}, n)
         ), "
    );
    let mut source = "input";
    if guarded {
        // Locked in one order (the conversations' IDs), so two statements
        // writing to the same conversations never wait on each other in a
        // circle.
        sql.push_str(&format!(
            "guard AS (
                 SELECT i.*, set_config('echo.announced_later', 'on', true) AS later
                 FROM input i JOIN conversations c ON c.id = i.conversation_id
                 WHERE c.status = i.status AND c.assignee_id IS NOT DISTINCT FROM i.assignee_id
                   AND ({PROGRESS}) = (i.asked, i.replied, i.human_replied)
                   AND EXISTS (SELECT 1 FROM contact_sessions s
                               WHERE s.id_hash = i.session AND s.expires_at > i.created_at)
                 ORDER BY c.id
                 FOR NO KEY UPDATE OF c
             ), "
        ));
        source = "guard";
    }
    // The inbox's order (`conversation_activity`, kept apart so that the
    // conversation's own update is heap-only: migration 0020).
    sql.push_str(&format!(
        "stored AS (
             INSERT INTO messages
             (id, conversation_id, role, text, created_at, client_id, author_id, author_name,
              mentions, search, voice)
             SELECT id, conversation_id, role, text, created_at, client_id, author_id,
                    author_name, mentions, to_tsvector('simple', search_text), voice
             FROM {source} ORDER BY n
             ON CONFLICT (conversation_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
             RETURNING id
         ), written AS (
             SELECT w.* FROM {source} w JOIN stored USING (id)
         ), touched AS (
             UPDATE conversations c
             SET last_activity_at = w.created_at, message_count = c.message_count + w.counted,
                 first_visitor_at = CASE w.mark WHEN 'first_visitor_at' THEN w.created_at
                                    ELSE c.first_visitor_at END,
                 first_reply_at = CASE w.mark WHEN 'first_reply_at' THEN w.created_at
                                  ELSE c.first_reply_at END,
                 first_human_reply_at = CASE w.mark WHEN 'first_human_reply_at' THEN w.created_at
                                        ELSE c.first_human_reply_at END
             FROM written w WHERE c.id = w.conversation_id
             RETURNING w.id, w.created_at, c.seq, c.status, c.assignee_id, c.first_visitor_at,
                       c.first_reply_at, c.first_human_reply_at
         ), ordered AS (
             UPDATE conversation_activity a SET last_activity_at = t.created_at
             FROM touched t WHERE a.seq = t.seq
         )"
    ));
    if let Some(only_first) = notice {
        sql.push_str(&format!(
            ", noticed AS (
                 INSERT INTO mail_notices (conversation_id, audience, due_at)
                 SELECT conversation_id, audience, created_at FROM written
                 WHERE audience IS NOT NULL {}
             )",
            notice_conflict(only_first)
        ));
    }
    // Each conversation's state after the write: the rules decide the
    // visitor's next message on it (`known.rs`).
    sql.push_str(&format!(
        ", logged AS (
             INSERT INTO events_pending (organization_id, conversation_id, payload, created_at)
             SELECT organization_id, conversation_id, payload, created_at FROM written ORDER BY n
         )
         SELECT c.id, c.status, c.assignee_id, {PROGRESS} FROM touched c"
    ));
    sql
}

/// A stored message's ID and its conversation's state columns
/// (`effects::StateColumns`).
type Stored = (
    String,
    ConversationStatus,
    Option<OperatorId>,
    bool,
    bool,
    bool,
);

/// Writes one message: the conversation's state after it, or `None` when
/// it stored nothing (the idempotency key was used, or the guard failed).
pub(super) async fn write_message<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    entry: Entry,
) -> StoreResult<Option<State>> {
    Ok(write_messages(executor, &[entry])
        .await?
        .pop()
        .map(|(_, state)| state))
}

/// Writes messages of distinct conversations, all guarded or none, whose
/// notices (if any) are of one kind: each stored one's ID with its
/// conversation's state after it (the others stored nothing).
pub(super) async fn write_messages<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    entries: &[Entry],
) -> StoreResult<Vec<(String, State)>> {
    let guarded = entries.first().is_some_and(Entry::guarded);
    let notice = entries.iter().find_map(Entry::notice_kind);
    let sql = statement(guarded, notice);
    let column = |f: fn(&Entry) -> Option<String>| entries.iter().map(f).collect::<Vec<_>>();
    let mut query = sqlx::query_as::<_, Stored>(sqlx::AssertSqlSafe(sql))
        .bind(column(|e| Some(e.id.clone())))
        .bind(column(|e| Some(e.conversation.clone())))
        .bind(column(|e| Some(e.role.to_owned())))
        .bind(column(|e| Some(e.text.clone())))
        .bind(entries.iter().map(|e| e.created_at).collect::<Vec<_>>())
        .bind(column(|e| e.client_id.clone()))
        .bind(column(|e| Some(e.organization.clone())))
        .bind(column(|e| Some(e.payload.clone())))
        .bind(column(|e| e.author_id.clone()))
        .bind(column(|e| e.author_name.clone()))
        .bind(column(|e| e.mentions.clone()))
        .bind(column(|e| Some(e.search.clone())))
        .bind(entries.iter().map(|e| e.counted).collect::<Vec<_>>())
        .bind(entries.iter().map(|e| e.voice).collect::<Vec<_>>())
        .bind(column(|e| e.also.mark.map(|m| m.column().to_owned())))
        .bind(column(|e| {
            e.also.notice.map(|(a, _)| a.as_str().to_owned())
        }));
    if guarded {
        let guard = |e: &Entry| e.also.guard.as_ref().map(|(state, _)| *state);
        let state = |f: fn(State) -> bool| {
            entries
                .iter()
                .map(|e| guard(e).is_some_and(f))
                .collect::<Vec<_>>()
        };
        query = query
            .bind(column(|e| {
                e.also
                    .guard
                    .as_ref()
                    .map(|(s, _)| s.status.as_str().to_owned())
            }))
            .bind(column(|e| {
                e.also
                    .guard
                    .as_ref()
                    .and_then(|(s, _)| s.assignee.map(|a| a.to_string()))
            }))
            .bind(state(|s| s.progress.asked))
            .bind(state(|s| s.progress.replied))
            .bind(state(|s| s.progress.human_replied))
            .bind(column(|e| {
                e.also.guard.as_ref().map(|(_, session)| session.clone())
            }));
    }
    Ok(query
        .fetch_all(executor)
        .await?
        .into_iter()
        .map(|(id, status, assignee, asked, replied, human)| {
            (id, state_of((status, assignee, asked, replied, human)))
        })
        .collect())
}
