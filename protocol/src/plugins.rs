//! Plugins: an organization's own accounts at third-party services, with
//! their keys kept by the server (never shown again). Vapi, for voice.

use serde::{Deserialize, Serialize};

use crate::validate::ValidationError;
use crate::Timestamp;

/// `PUT /v1/operator/plugins/vapi`: the account's keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConnectVapi {
    /// The private API key: our server calls Vapi with it.
    pub private_api_key: String,
    /// The public API key.
    pub public_api_key: String,
}

/// The longest key accepted.
pub const MAX_KEY_CHARS: usize = 200;

/// A key as given: trimmed, 8 to 200 visible ASCII characters.
pub fn parse_key(field: &str, raw: &str) -> Result<String, ValidationError> {
    let key = raw.trim();
    let ok = (8..=MAX_KEY_CHARS).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic());
    if !ok {
        return Err(ValidationError::new(
            field,
            "must be 8 to 200 visible ASCII characters",
        ));
    }
    Ok(key.to_owned())
}

/// One connected plugin, as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PluginInfo {
    /// `vapi`.
    pub service: String,
    pub connected_at: Timestamp,
    /// The private key's last four characters.
    pub key_hint: String,
    /// The service refused the key when last used: connect it again.
    pub broken: bool,
}

/// `GET /v1/operator/plugins`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PluginList {
    pub plugins: Vec<PluginInfo>,
}

/// A phone number of the organization's Vapi account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VapiPhoneNumber {
    pub id: String,
    /// E.164 (`+14155550100`), when the number has one (a SIP URI may not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// An assistant of the organization's Vapi account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VapiAssistant {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The voice settings of the widget (`voice` in the widget settings): the
/// Vapi assistant web calls talk to and the number "Call us" shows, each
/// one of the account's (checked with Vapi when saved); `null` or left
/// out: none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    rename_all = "camelCase",
    deny_unknown_fields,
    try_from = "VoiceFields"
)]
pub struct VoiceSettings {
    #[serde(default)]
    pub assistant_id: Option<String>,
    #[serde(default)]
    pub phone_number_id: Option<String>,
}

/// `voice` as it arrives: an object (serde would also read a struct from
/// an array of its fields, which the schema does not allow).
type VoiceFields = std::collections::BTreeMap<String, Option<String>>;

impl TryFrom<VoiceFields> for VoiceSettings {
    type Error = String;

    fn try_from(mut fields: VoiceFields) -> Result<Self, Self::Error> {
        let settings = VoiceSettings {
            assistant_id: fields.remove("assistantId").flatten(),
            phone_number_id: fields.remove("phoneNumberId").flatten(),
        };
        match fields.keys().next() {
            Some(unknown) => Err(format!("unknown field `{unknown}` in voice")),
            None => Ok(settings),
        }
    }
}

/// `GET /v1/operator/plugins/vapi/phone-numbers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VapiPhoneNumbers {
    pub phone_numbers: Vec<VapiPhoneNumber>,
}

/// `GET /v1/operator/plugins/vapi/assistants`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VapiAssistants {
    pub assistants: Vec<VapiAssistant>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn voice_is_an_object_of_its_two_fields() {
        let read = |json: &str| serde_json::from_str::<super::VoiceSettings>(json);
        assert!(read(r#"[null, null]"#).is_err());
        assert!(read(r#"{"assistantId": "a", "other": "b"}"#).is_err());
        let voice = read(r#"{"assistantId": "a", "phoneNumberId": null}"#).unwrap();
        assert_eq!(voice.assistant_id.as_deref(), Some("a"));
        assert_eq!(voice.phone_number_id, None);
    }

    #[test]
    fn keys_are_trimmed_visible_ascii() {
        assert_eq!(super::parse_key("k", "  abcdefgh ").unwrap(), "abcdefgh");
        assert!(super::parse_key("k", "short").is_err());
        assert!(super::parse_key("k", "abc defgh").is_err());
        assert!(super::parse_key("k", &"x".repeat(201)).is_err());
    }
}
