//! Voice calls as stored: a row per call, written before Vapi is asked so
//! the limits hold across replicas; and the calls' transcript lines, as
//! voice messages of the conversation (the rules decide them like any
//! message: `Command::VoiceLine`).

use async_trait::async_trait;
use echo_protocol::messages::Message;
use echo_protocol::voice::VoiceCall;
use echo_protocol::{ConversationId, OrganizationId, Timestamp};

use super::StoreResult;

/// A call about to be asked of Vapi.
#[derive(Debug, Clone)]
pub struct NewVoiceCall {
    /// Ours (Vapi's ID comes once it made the call).
    pub id: String,
    pub organization: OrganizationId,
    pub conversation: ConversationId,
    /// The contact session's credential hash.
    pub session_hash: String,
    pub started_at: Timestamp,
    /// When our server ends it if it still runs.
    pub deadline: Timestamp,
}

/// The limits a new call is held to.
#[derive(Debug, Clone, Copy)]
pub struct VoiceLimits {
    /// Calls one contact session may start in an hour.
    pub per_session_hour: u32,
    /// Live calls of one organization.
    pub concurrent: u32,
}

/// Why a call may not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoiceRefusal {
    /// The session already has a live call.
    Live,
    /// The session started its calls for the hour.
    Hourly,
    /// The organization has as many live calls as it may.
    Busy,
}

/// A call as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVoiceCall {
    pub id: String,
    pub organization: OrganizationId,
    pub conversation: ConversationId,
    pub vapi_call_id: Option<String>,
    pub control_url: Option<String>,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub reported: bool,
    pub ended_reason: Option<String>,
    pub duration_seconds: Option<i64>,
}

impl StoredVoiceCall {
    /// As the API shows it (Vapi's ID, or ours before Vapi made it).
    pub fn public(&self) -> VoiceCall {
        VoiceCall {
            call_id: self.vapi_call_id.clone().unwrap_or_else(|| self.id.clone()),
            started_at: self.started_at,
            ended_at: self.ended_at,
            duration_seconds: self.duration_seconds,
            ended_reason: self.ended_reason.clone(),
        }
    }
}

/// The columns [`stored_voice_call`] reads.
pub(crate) const VOICE_CALL: &str = "id, organization_id, conversation_id, vapi_call_id,
     control_url, started_at, ended_at, reported_at IS NOT NULL, ended_reason, duration_seconds";

pub(crate) fn stored_voice_call(row: &impl super::rows::Row) -> StoreResult<StoredVoiceCall> {
    Ok(StoredVoiceCall {
        id: row.col(0)?,
        organization: row.col(1)?,
        conversation: row.col(2)?,
        vapi_call_id: row.col(3)?,
        control_url: row.col(4)?,
        started_at: row.col(5)?,
        ended_at: row.col(6)?,
        reported: row.col(7)?,
        ended_reason: row.col(8)?,
        duration_seconds: row.col(9)?,
    })
}

/// How a call ended, as Vapi reported it.
#[derive(Debug, Clone)]
pub struct VoiceReport {
    pub ended_at: Timestamp,
    pub reason: Option<String>,
    pub duration_seconds: i64,
}

#[async_trait]
pub trait VoiceStore: Send + Sync {
    /// Writes `call` if the limits allow it, in one transaction with
    /// their counts.
    async fn reserve_voice_call(
        &self,
        call: NewVoiceCall,
        limits: VoiceLimits,
    ) -> StoreResult<Result<(), VoiceRefusal>>;

    /// Vapi made the reserved call `id`: its ID and control URL; the
    /// conversation's streams hear that it started.
    async fn voice_call_made(
        &self,
        id: &str,
        vapi_call_id: String,
        control_url: Option<String>,
    ) -> StoreResult<StoredVoiceCall>;

    /// Vapi did not make the reserved call: it no longer counts.
    async fn forget_voice_call(&self, id: &str) -> StoreResult<()>;

    /// The call Vapi knows as `vapi_call_id`.
    async fn voice_call_by_vapi(&self, vapi_call_id: &str) -> StoreResult<Option<StoredVoiceCall>>;

    /// Marks the call ended at `now` unless it already was; `false` then.
    async fn end_voice_call(&self, id: &str, now: Timestamp) -> StoreResult<bool>;

    /// Records Vapi's end-of-call report once (and the end, if not yet),
    /// with a `voiceCall` event; `None` when it was already recorded.
    async fn report_voice_call(
        &self,
        id: &str,
        report: VoiceReport,
    ) -> StoreResult<Option<StoredVoiceCall>>;

    /// Live calls past their deadline at `now`.
    async fn overdue_voice_calls(&self, now: Timestamp) -> StoreResult<Vec<StoredVoiceCall>>;

    /// The organization's live calls (made by Vapi).
    async fn live_voice_calls(
        &self,
        organization: OrganizationId,
    ) -> StoreResult<Vec<StoredVoiceCall>>;

    /// A conversation's calls, oldest first.
    async fn voice_calls_of(
        &self,
        conversation: ConversationId,
    ) -> StoreResult<Vec<StoredVoiceCall>>;

    /// Stores a final transcript line (`message`, marked voice, the
    /// visitor's or the assistant's) under `key`: `None` when a line was
    /// already stored under it. `Conflict` once resolved.
    async fn add_voice_line(
        &self,
        organization: OrganizationId,
        conversation: ConversationId,
        message: Message,
        key: String,
    ) -> StoreResult<Option<Message>>;
}
