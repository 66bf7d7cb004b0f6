//! Voice calls on SQLite (the writer is serial: a reservation's counts and
//! its insert cannot interleave with another's).

use std::sync::atomic::Ordering;

use async_trait::async_trait;
use echo_protocol::events::Change;
use echo_protocol::messages::Message;
use echo_protocol::{ConversationId, OrganizationId, Timestamp};
use rusqlite::{params, Connection};

use super::effects::{apply, state_in};
use super::events::record_event;
use super::messages::message_by_key;
use super::{query_all, query_first, SqliteStore};
use crate::store::effects::{Command, Decided, NewMessage};
use crate::store::rows::Row;
use crate::store::voice::{
    stored_voice_call, NewVoiceCall, StoredVoiceCall, VoiceLimits, VoiceRefusal, VoiceReport,
    VoiceStore, VOICE_CALL,
};
use crate::store::{StoreError, StoreResult};

/// An hour, in the store's milliseconds.
const HOUR_MS: i64 = 3_600_000;

fn call_by(conn: &Connection, column: &str, value: &str) -> StoreResult<Option<StoredVoiceCall>> {
    query_first(
        conn,
        &format!("SELECT {VOICE_CALL} FROM voice_calls WHERE {column} = ?1"),
        [value],
        |row| stored_voice_call(row),
    )
}

fn count(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> StoreResult<u32> {
    Ok(query_first(conn, sql, params, |row| row.col::<i64>(0))?.unwrap_or(0) as u32)
}

impl SqliteStore {
    /// The calls that meet `condition` (its one parameter `?1`), oldest
    /// first.
    async fn calls_where(
        &self,
        condition: &'static str,
        value: impl rusqlite::ToSql + Send + 'static,
    ) -> StoreResult<Vec<StoredVoiceCall>> {
        self.read(move |conn| {
            query_all(
                conn,
                &format!(
                    "SELECT {VOICE_CALL} FROM voice_calls WHERE {condition} ORDER BY started_at"
                ),
                [value],
                |row| stored_voice_call(row),
            )
        })
        .await
    }
}

#[async_trait]
impl VoiceStore for SqliteStore {
    async fn reserve_voice_call(
        &self,
        call: NewVoiceCall,
        limits: VoiceLimits,
    ) -> StoreResult<Result<(), VoiceRefusal>> {
        self.write(move |conn| {
            let session = call.session_hash.as_str();
            let live = count(
                conn,
                "SELECT COUNT(*) FROM voice_calls WHERE session_hash = ?1 AND ended_at IS NULL",
                [session],
            )?;
            if live > 0 {
                return Ok(Err(VoiceRefusal::Live));
            }
            let hour = count(
                conn,
                "SELECT COUNT(*) FROM voice_calls WHERE session_hash = ?1 AND started_at > ?2",
                params![session, call.started_at.millis() - HOUR_MS],
            )?;
            if hour >= limits.per_session_hour {
                return Ok(Err(VoiceRefusal::Hourly));
            }
            let busy = count(
                conn,
                "SELECT COUNT(*) FROM voice_calls WHERE organization_id = ?1 AND ended_at IS NULL",
                [call.organization],
            )?;
            if busy >= limits.concurrent {
                return Ok(Err(VoiceRefusal::Busy));
            }
            conn.prepare_cached(
                "INSERT INTO voice_calls
                 (id, organization_id, conversation_id, session_hash, started_at, deadline)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                call.id,
                call.organization,
                call.conversation,
                session,
                call.started_at,
                call.deadline
            ])?;
            Ok(Ok(()))
        })
        .await
    }

    async fn voice_call_made(
        &self,
        id: &str,
        vapi_call_id: String,
        control_url: Option<String>,
    ) -> StoreResult<StoredVoiceCall> {
        let id = id.to_owned();
        self.write_publishing(move |conn| {
            conn.prepare_cached(
                "UPDATE voice_calls SET vapi_call_id = ?2, control_url = ?3 WHERE id = ?1",
            )?
            .execute(params![id, vapi_call_id, control_url])?;
            let call = call_by(conn, "id", &id)?.ok_or(StoreError::NotFound)?;
            let change = Change::VoiceCall {
                call: call.public(),
            };
            let event = record_event(
                conn,
                call.organization,
                call.conversation,
                change,
                call.started_at,
            )?;
            Ok((call, vec![event]))
        })
        .await
    }

    async fn forget_voice_call(&self, id: &str) -> StoreResult<()> {
        let id = id.to_owned();
        self.write(move |conn| {
            conn.prepare_cached("DELETE FROM voice_calls WHERE id = ?1")?
                .execute([id])?;
            Ok(())
        })
        .await
    }

    async fn voice_call_by_vapi(&self, vapi_call_id: &str) -> StoreResult<Option<StoredVoiceCall>> {
        let vapi_call_id = vapi_call_id.to_owned();
        self.read(move |conn| call_by(conn, "vapi_call_id", &vapi_call_id))
            .await
    }

    async fn end_voice_call(&self, id: &str, now: Timestamp) -> StoreResult<bool> {
        let id = id.to_owned();
        self.write(move |conn| {
            let ended = conn
                .prepare_cached(
                    "UPDATE voice_calls SET ended_at = ?2 WHERE id = ?1 AND ended_at IS NULL",
                )?
                .execute(params![id, now])?;
            Ok(ended > 0)
        })
        .await
    }

    async fn report_voice_call(
        &self,
        id: &str,
        report: VoiceReport,
    ) -> StoreResult<Option<StoredVoiceCall>> {
        let id = id.to_owned();
        self.write_publishing(move |conn| {
            let recorded = conn
                .prepare_cached(
                    "UPDATE voice_calls SET reported_at = ?2, ended_at = COALESCE(ended_at, ?2),
                         ended_reason = ?3, duration_seconds = ?4
                     WHERE id = ?1 AND reported_at IS NULL",
                )?
                .execute(params![
                    id,
                    report.ended_at,
                    report.reason,
                    report.duration_seconds
                ])?;
            if recorded == 0 {
                return Ok((None, Vec::new()));
            }
            let call = call_by(conn, "id", &id)?.ok_or(StoreError::NotFound)?;
            let change = Change::VoiceCall {
                call: call.public(),
            };
            let event = record_event(
                conn,
                call.organization,
                call.conversation,
                change,
                report.ended_at,
            )?;
            Ok((Some(call), vec![event]))
        })
        .await
    }

    async fn overdue_voice_calls(&self, now: Timestamp) -> StoreResult<Vec<StoredVoiceCall>> {
        self.calls_where("ended_at IS NULL AND deadline < ?1", now)
            .await
    }

    async fn live_voice_calls(
        &self,
        organization: OrganizationId,
    ) -> StoreResult<Vec<StoredVoiceCall>> {
        self.calls_where(
            "organization_id = ?1 AND ended_at IS NULL AND vapi_call_id IS NOT NULL",
            organization,
        )
        .await
    }

    async fn voice_calls_of(
        &self,
        conversation: ConversationId,
    ) -> StoreResult<Vec<StoredVoiceCall>> {
        self.calls_where(
            "conversation_id = ?1 AND vapi_call_id IS NOT NULL",
            conversation,
        )
        .await
    }

    async fn add_voice_line(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        message: Message,
        key: String,
    ) -> StoreResult<Option<Message>> {
        let notices = self.notices.load(Ordering::Relaxed);
        let rules = self.rules.clone();
        self.write_publishing(move |conn| {
            let read = state_in(conn, organization, conversation)?;
            if message_by_key(conn, conversation, &key)?.is_some() {
                return Ok((None, Vec::new()));
            }
            let mut message = message;
            let command = Command::VoiceLine { role: message.role };
            let new = NewMessage::voice(&mut message, &key);
            let events = apply(
                conn,
                Decided::message(rules.as_ref(), notices, read, command, new)?,
            )?;
            Ok((Some(message), events))
        })
        .await
    }
}
