//! The widget's voice settings (`voice` in the widget settings): the Vapi
//! assistant web calls talk to and the number "Call us" shows, each
//! checked against the account's lists when saved; and what the public
//! widget settings say of them.

use echo_protocol::plugins::VoiceSettings;
use echo_protocol::widget::VoiceConfig;
use echo_protocol::ErrorCode;

use super::auth::Operator;
use super::error::{ApiError, ApiResult};
use super::plugins::{noted, private_key, vapi_plugin, VAPI};
use super::ApiContext;
use crate::store::model::Organization;
use crate::store::plugins::StoredVoice;
use crate::store::SubscriptionStatus;

/// The voice settings as the admin sees them (`None`: Vapi not connected).
pub(super) async fn settings(
    ctx: &ApiContext,
    operator: &Operator,
) -> ApiResult<Option<VoiceSettings>> {
    Ok(vapi_plugin(ctx, operator.organization)
        .await?
        .map(|p| VoiceSettings {
            assistant_id: p.voice.assistant_id,
            phone_number_id: p.voice.phone_number_id,
        }))
}

fn blank(id: Option<&String>) -> Option<String> {
    id.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Saves `voice` after checking each ID against the account's lists
/// (400 naming the field that is not one of them; 409 without Vapi).
pub(super) async fn save(
    ctx: &ApiContext,
    operator: &Operator,
    voice: &VoiceSettings,
) -> ApiResult<()> {
    let assistant_id = blank(voice.assistant_id.as_ref());
    let phone_number_id = blank(voice.phone_number_id.as_ref());
    let organization = operator.organization;
    let Some(plugin) = vapi_plugin(ctx, organization).await? else {
        if assistant_id.is_none() && phone_number_id.is_none() {
            return Ok(());
        }
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "Connect Vapi first: voice uses its assistants and numbers",
        ));
    };
    let mut stored = StoredVoice::default();
    if assistant_id.is_some() || phone_number_id.is_some() {
        let key = private_key(ctx, &plugin)?;
        if let Some(id) = assistant_id {
            let listed = ctx.vapi.assistants(&key).await;
            let assistants = noted(ctx, operator.organization, listed).await?;
            if !assistants.iter().any(|a| a.id == id) {
                return Err(ApiError::validation(
                    "voice.assistantId",
                    "is not one of the Vapi account's assistants",
                ));
            }
            stored.assistant_id = Some(id);
        }
        if let Some(id) = phone_number_id {
            let listed = ctx.vapi.phone_numbers(&key).await;
            let numbers = noted(ctx, operator.organization, listed).await?;
            let Some(number) = numbers.into_iter().find(|n| n.id == id) else {
                return Err(ApiError::validation(
                    "voice.phoneNumberId",
                    "is not one of the Vapi account's phone numbers",
                ));
            };
            stored.phone_number = number.number;
            stored.phone_number_id = Some(id);
        }
    }
    ctx.store.set_voice(organization, VAPI, stored).await?;
    Ok(())
}

/// What the public widget settings say of voice: only with the plugin
/// connected (and not refusing its key), an active subscription and an
/// assistant or a number chosen.
pub(super) async fn public(ctx: &ApiContext, org: &Organization) -> ApiResult<Option<VoiceConfig>> {
    if org.subscription != SubscriptionStatus::Active {
        return Ok(None);
    }
    let Some(vapi) = vapi_plugin(ctx, org.id)
        .await?
        .filter(|p| p.broken_at.is_none())
    else {
        return Ok(None);
    };
    let call = vapi.voice.assistant_id.is_some();
    let phone_number = vapi
        .voice
        .phone_number
        .filter(|_| vapi.voice.phone_number_id.is_some());
    Ok((call || phone_number.is_some()).then_some(VoiceConfig { call, phone_number }))
}
