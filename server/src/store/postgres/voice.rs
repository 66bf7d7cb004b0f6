//! Voice calls on PostgreSQL. A reservation holds a transaction-scoped
//! advisory lock per organization, so the counts and the insert of two
//! replicas' reservations cannot interleave (and no row lock the message
//! writes take is held).

use std::sync::atomic::Ordering;

use async_trait::async_trait;
use echo_protocol::events::Change;
use echo_protocol::messages::Message;
use echo_protocol::{ConversationId, OrganizationId, Timestamp};
use sqlx::AssertSqlSafe;

use super::effects::{apply, state_in};
use super::events::record_event;
use super::messages::message_by_key;
use super::{PostgresStore, Tx};
use crate::store::effects::{Command, Decided, NewMessage};
use crate::store::voice::{
    stored_voice_call, NewVoiceCall, StoredVoiceCall, VoiceLimits, VoiceRefusal, VoiceReport,
    VoiceStore, VOICE_CALL,
};
use crate::store::{StoreError, StoreResult};

const HOUR_MS: i64 = 3_600_000;

async fn call_by(tx: &mut Tx, column: &str, value: &str) -> StoreResult<Option<StoredVoiceCall>> {
    let sql = format!("SELECT {VOICE_CALL} FROM voice_calls WHERE {column} = $1");
    sqlx::query(AssertSqlSafe(sql))
        .bind(value)
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(stored_voice_call)
        .transpose()
}

async fn count(tx: &mut Tx, sql: &'static str, a: &str, b: Option<i64>) -> StoreResult<u32> {
    let n: i64 = sqlx::query_scalar(sql)
        .bind(a)
        .bind(b)
        .fetch_one(&mut **tx)
        .await?;
    Ok(n as u32)
}

impl PostgresStore {
    async fn calls_where<'q>(
        &self,
        condition: &str,
        value: impl sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + 'q,
    ) -> StoreResult<Vec<StoredVoiceCall>> {
        let sql =
            format!("SELECT {VOICE_CALL} FROM voice_calls WHERE {condition} ORDER BY started_at");
        sqlx::query(AssertSqlSafe(sql))
            .bind(value)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(stored_voice_call)
            .collect()
    }

    /// Records the call's `voiceCall` event and commits.
    async fn publish_call(mut tx: Tx, call: &StoredVoiceCall, at: Timestamp) -> StoreResult<()> {
        let change = Change::VoiceCall {
            call: call.public(),
        };
        record_event(&mut tx, call.organization, call.conversation, &change, at).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl VoiceStore for PostgresStore {
    async fn reserve_voice_call(
        &self,
        call: NewVoiceCall,
        limits: VoiceLimits,
    ) -> StoreResult<Result<(), VoiceRefusal>> {
        let mut tx = self.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('voice:' || $1, 0))")
            .bind(call.organization)
            .execute(&mut *tx)
            .await?;
        let session = call.session_hash.as_str();
        let live = count(
            &mut tx,
            "SELECT COUNT(*) FROM voice_calls
             WHERE session_hash = $1 AND ended_at IS NULL AND $2::BIGINT IS NULL",
            session,
            None,
        )
        .await?;
        if live > 0 {
            return Ok(Err(VoiceRefusal::Live));
        }
        let hour = count(
            &mut tx,
            "SELECT COUNT(*) FROM voice_calls WHERE session_hash = $1 AND started_at > $2",
            session,
            Some(call.started_at.millis() - HOUR_MS),
        )
        .await?;
        if hour >= limits.per_session_hour {
            return Ok(Err(VoiceRefusal::Hourly));
        }
        let busy = count(
            &mut tx,
            "SELECT COUNT(*) FROM voice_calls
             WHERE organization_id = $1 AND ended_at IS NULL AND $2::BIGINT IS NULL",
            &call.organization.to_string(),
            None,
        )
        .await?;
        if busy >= limits.concurrent {
            return Ok(Err(VoiceRefusal::Busy));
        }
        sqlx::query(
            "INSERT INTO voice_calls
             (id, organization_id, conversation_id, session_hash, started_at, deadline)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&call.id)
        .bind(call.organization)
        .bind(call.conversation)
        .bind(session)
        .bind(call.started_at)
        .bind(call.deadline)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    async fn voice_call_made(
        &self,
        id: &str,
        vapi_call_id: String,
        control_url: Option<String>,
    ) -> StoreResult<StoredVoiceCall> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE voice_calls SET vapi_call_id = $2, control_url = $3 WHERE id = $1")
            .bind(id)
            .bind(vapi_call_id)
            .bind(control_url)
            .execute(&mut *tx)
            .await?;
        let call = call_by(&mut tx, "id", id)
            .await?
            .ok_or(StoreError::NotFound)?;
        Self::publish_call(tx, &call, call.started_at).await?;
        Ok(call)
    }

    async fn forget_voice_call(&self, id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM voice_calls WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn voice_call_by_vapi(&self, vapi_call_id: &str) -> StoreResult<Option<StoredVoiceCall>> {
        Ok(self
            .calls_where("vapi_call_id = $1", vapi_call_id)
            .await?
            .pop())
    }

    async fn end_voice_call(&self, id: &str, now: Timestamp) -> StoreResult<bool> {
        let ended =
            sqlx::query("UPDATE voice_calls SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL")
                .bind(id)
                .bind(now)
                .execute(&self.pool)
                .await?
                .rows_affected();
        Ok(ended > 0)
    }

    async fn report_voice_call(
        &self,
        id: &str,
        report: VoiceReport,
    ) -> StoreResult<Option<StoredVoiceCall>> {
        let mut tx = self.begin().await?;
        let recorded = sqlx::query(
            "UPDATE voice_calls SET reported_at = $2, ended_at = COALESCE(ended_at, $2),
                 ended_reason = $3, duration_seconds = $4
             WHERE id = $1 AND reported_at IS NULL",
        )
        .bind(id)
        .bind(report.ended_at)
        .bind(&report.reason)
        .bind(report.duration_seconds)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if recorded == 0 {
            return Ok(None);
        }
        let call = call_by(&mut tx, "id", id)
            .await?
            .ok_or(StoreError::NotFound)?;
        Self::publish_call(tx, &call, report.ended_at).await?;
        Ok(Some(call))
    }

    async fn overdue_voice_calls(&self, now: Timestamp) -> StoreResult<Vec<StoredVoiceCall>> {
        self.calls_where("ended_at IS NULL AND deadline < $1", now)
            .await
    }

    async fn live_voice_calls(
        &self,
        organization: OrganizationId,
    ) -> StoreResult<Vec<StoredVoiceCall>> {
        self.calls_where(
            "organization_id = $1 AND ended_at IS NULL AND vapi_call_id IS NOT NULL",
            organization,
        )
        .await
    }

    async fn voice_calls_of(
        &self,
        conversation: ConversationId,
    ) -> StoreResult<Vec<StoredVoiceCall>> {
        self.calls_where(
            "conversation_id = $1 AND vapi_call_id IS NOT NULL",
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
        let mut tx = self.begin().await?;
        let read = state_in(&mut tx, organization, conversation).await?;
        if message_by_key(&mut tx, conversation, &key).await?.is_some() {
            return Ok(None);
        }
        let notices = self.notices.load(Ordering::Relaxed);
        let mut message = message;
        let command = Command::VoiceLine { role: message.role };
        let new = NewMessage::voice(&mut message, &key);
        let decided = Decided::message(self.rules.as_ref(), notices, read, command, new)?;
        if !apply(&mut tx, decided).await? {
            return Ok(None);
        }
        self.commit_then_place(tx, organization).await?;
        Ok(Some(message))
    }
}
