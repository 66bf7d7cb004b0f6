//! `GET /v1/organizations/{organizationId}/widget`: what the widget may know
//! about an organization before a visitor identifies themselves.

use serde::{Deserialize, Serialize};

use crate::OrganizationId;

/// The default greeting for an organization that has not set one.
pub const DEFAULT_GREET_MESSAGE: &str = "Hi! How can I help you today?";

/// The accent colour of an organization that has not chosen one.
pub const DEFAULT_ACCENT_COLOR: &str = "#4f46e5";

/// Light, dark, or following the visitor's system (`prefers-color-scheme`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum WidgetTheme {
    Light,
    Dark,
    #[default]
    Auto,
}

crate::ids::text_enum!(WidgetTheme {
    Light => "light",
    Dark => "dark",
    Auto => "auto",
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WidgetConfig {
    pub organization_id: OrganizationId,
    /// The organization's display name, shown in the widget header.
    pub name: String,
    pub greet_message: String,
    /// Up to three suggestion chips shown under the greeting.
    pub suggestions: Vec<String>,
    /// `#rrggbb`: the launcher's and the widget's accent.
    #[serde(default = "default_accent")]
    pub accent_color: String,
    /// White or black, whichever reads better on the accent (at least
    /// 4.5:1, WCAG AA, for any accent).
    #[serde(default = "default_accent_text")]
    pub accent_text_color: String,
    #[serde(default)]
    pub theme: WidgetTheme,
    /// Whether this server mails transcripts ("Email me this conversation").
    #[serde(default)]
    pub transcripts: bool,
    /// Whether the desk is open now, and how soon it answers.
    #[serde(default)]
    pub availability: crate::hours::Availability,
    /// The only sites the widget works on (`scheme://host[:port]`); empty:
    /// anywhere. Not published: the server itself refuses this answer to
    /// another site's page (`ORIGIN_NOT_ALLOWED`), and the widget's page
    /// to its frames. (The wasm build has no such field.)
    #[cfg(not(target_arch = "wasm32"))]
    #[serde(skip)]
    pub allowed_origins: Vec<String>,
    /// The loader's four words in the language asked for (`?locale=`,
    /// else English), in this order: the launcher's label when closed,
    /// when open, when closed with `{}` unread messages, and the widget
    /// frame's title. Only in this answer, which is the loader's.
    #[cfg(not(target_arch = "wasm32"))]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub launcher: Vec<String>,
    /// Voice, when the organization's Vapi plugin is connected, its
    /// subscription active and an assistant or a number chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<VoiceConfig>,
}

/// What the widget may offer by voice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VoiceConfig {
    /// "Start voice call": a web call with the chosen assistant.
    pub call: bool,
    /// "Call us": the chosen number (E.164).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
}

fn default_accent() -> String {
    DEFAULT_ACCENT_COLOR.into()
}

/// `text_on(DEFAULT_ACCENT_COLOR)`, written out: the widget decodes this
/// type and must not carry the luminance maths (`powf`) for it.
fn default_accent_text() -> String {
    "#ffffff".into()
}

/// `#rrggbb` (any case) as its three channels.
pub fn parse_color(text: &str) -> Option<[u8; 3]> {
    let hex = text.strip_prefix('#').filter(|h| h.len() == 6)?;
    let channel = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
    Some([channel(0)?, channel(2)?, channel(4)?])
}

/// WCAG relative luminance of a colour.
fn luminance([r, g, b]: [u8; 3]) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
}

/// The text colour for an accent: white or black, whichever contrasts
/// more (black's worst case, at mid luminance, is still 4.58:1).
pub fn text_on(accent: &str) -> &'static str {
    let l = parse_color(accent).map_or(0.0, luminance);
    let on_white = 1.05 / (l + 0.05);
    let on_black = (l + 0.05) / 0.05;
    if on_white >= on_black {
        "#ffffff"
    } else {
        "#000000"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_accent_gets_text_with_aa_contrast() {
        for r in (0..=255u8).step_by(17) {
            for g in (0..=255u8).step_by(17) {
                for b in (0..=255u8).step_by(17) {
                    let accent = format!("#{r:02x}{g:02x}{b:02x}");
                    let text = text_on(&accent);
                    let (a, t) = (
                        luminance(parse_color(&accent).unwrap()),
                        luminance(parse_color(text).unwrap()),
                    );
                    let ratio = (a.max(t) + 0.05) / (a.min(t) + 0.05);
                    assert!(ratio >= 4.5, "{accent} with {text}: {ratio:.2}");
                }
            }
        }
        assert_eq!(text_on("#4f46e5"), "#ffffff");
        assert_eq!(text_on(DEFAULT_ACCENT_COLOR), default_accent_text());
        assert_eq!(text_on("#fde047"), "#000000");
        assert!(parse_color("#12345").is_none() && parse_color("123456").is_none());
        assert!(parse_color("#gg0000").is_none());
    }
}
