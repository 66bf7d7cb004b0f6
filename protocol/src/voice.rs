//! Voice calls with the organization's Vapi assistant, from the widget:
//! `/v1/conversations/{conversationId}/voice-calls`. The browser streams
//! raw PCM to the call's socket; what is said comes back through Vapi's
//! server messages (`POST /v1/webhooks/vapi`) as the conversation's voice
//! messages and live `voiceTranscript` events.

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// The audio both ways: 16-bit signed little-endian mono PCM at this rate.
pub const SAMPLE_RATE: u32 = 16_000;

/// `POST /v1/conversations/{conversationId}/voice-calls`: the call, made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VoiceCallStarted {
    /// Vapi's ID of the call.
    pub call_id: String,
    /// Where the browser streams the microphone and hears the assistant:
    /// binary frames of raw PCM both ways (JSON text frames for control).
    pub socket_url: String,
    /// Samples per second of that PCM (16-bit, mono, little-endian).
    pub sample_rate: u32,
}

/// A voice call of a conversation: live while `endedAt` is absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VoiceCall {
    pub call_id: String,
    pub started_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    /// Whole seconds the call lasted, once it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<i64>,
    /// Vapi's words for why it ended (`customer-ended-call`,
    /// `assistant-ended-call`, `exceeded-max-duration`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_reason: Option<String>,
}

/// A live call and its conversation (`GET /v1/operator/voice-calls`).
#[cfg(feature = "operator")]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LiveVoiceCall {
    pub conversation_id: crate::ConversationId,
    pub call: VoiceCall,
}

/// `GET /v1/operator/voice-calls`: the organization's live calls.
#[cfg(feature = "operator")]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LiveVoiceCalls {
    pub calls: Vec<LiveVoiceCall>,
}

/// `GET /v1/operator/conversations/{conversationId}/voice-calls`: the
/// conversation's calls, oldest first.
#[cfg(feature = "operator")]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VoiceCallList {
    pub calls: Vec<VoiceCall>,
}
