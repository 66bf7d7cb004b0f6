//! Input rules as parse-once newtypes. A value of one of these types has
//! passed its rule, so code past the boundary never re-checks it. The widget
//! uses the same functions for inline validation, so both sides agree.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why an input was rejected: the field (in its JSON spelling) and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    pub field: String,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for ValidationError {}

fn char_len(text: &str) -> usize {
    text.chars().count()
}

/// What a text field may hold besides printable characters.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// One line.
    Line,
    /// One line that names someone or something: no bidirectional
    /// overrides or isolates either.
    Name,
    /// Newlines and tabs allowed.
    Multiline,
}

/// At most `max` characters as sent, with something visible, no control
/// characters except (if allowed) newlines and tabs; stored NFC (on the
/// server) and trimmed.
fn bounded_text(field: &str, raw: &str, max: usize, kind: Kind) -> Result<String, ValidationError> {
    let normalized = crate::text::nfc(raw);
    let text = normalized.trim();
    if !crate::text::has_visible(text) {
        return Err(ValidationError::new(field, "is required"));
    }
    // Length and characters are those sent (as the OpenAPI schema states
    // them); what is stored is then the trimmed text.
    if char_len(raw) > max {
        return Err(ValidationError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    let multiline = kind == Kind::Multiline;
    let bad_control = normalized
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t' || c == '\r')));
    if bad_control {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    if kind == Kind::Name && text.chars().any(crate::text::is_bidi_control) {
        return Err(ValidationError::new(
            field,
            "must not contain bidirectional override or isolate characters",
        ));
    }
    Ok(text.to_owned())
}

macro_rules! text_newtype {
    ($(#[$doc:meta])* $name:ident, field = $field:literal, max = $max:expr, kind = $kind:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, ValidationError> {
                bounded_text($field, raw, Self::MAX_CHARS, $kind).map(Self)
            }

            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

text_newtype!(
    /// A visitor's (or operator's, or organization's) name: 1 to 100
    /// characters after trimming, no bidirectional overrides.
    VisitorName, field = "name", max = 100, kind = Kind::Name
);
text_newtype!(
    /// A message body: 1 to 4000 characters after trimming; newlines kept.
    MessageText, field = "text", max = 4000, kind = Kind::Multiline
);
text_newtype!(
    /// The widget's greeting: 1 to 500 characters.
    GreetMessage, field = "greetMessage", max = 500, kind = Kind::Multiline
);
text_newtype!(
    /// One suggestion chip: 1 to 100 characters.
    Suggestion, field = "suggestions", max = 100, kind = Kind::Line
);

text_newtype!(
    /// A client's idempotency key for a message: 1 to 100 characters.
    IdempotencyKey, field = "idempotencyKey", max = 100, kind = Kind::Line
);

text_newtype!(
    /// A signed-in visitor's ID on the host site: 1 to 255 characters.
    UserId, field = "userId", max = 255, kind = Kind::Line
);

text_newtype!(
    /// The email an export or erasure looks for: 1 to 254 characters, one
    /// line (a lookup, not a stored address: one that cannot be a
    /// visitor's simply matches nobody).
    ContactEmail, field = "email", max = 254, kind = Kind::Line
);

text_newtype!(
    /// An API key's label: 1 to 100 characters.
    KeyName, field = "name", max = 100, kind = Kind::Name
);

text_newtype!(
    /// A saved reply's title: 1 to 100 characters.
    CannedTitle, field = "title", max = 100, kind = Kind::Name
);

text_newtype!(
    /// A label's name: 1 to 50 characters.
    LabelName, field = "name", max = 50, kind = Kind::Name
);

/// An operator's password: 10 to 200 characters, kept exactly as typed
/// (spaces count). The upper bound keeps hashing cheap.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 200;

    pub fn parse(field: &str, raw: &str) -> Result<Self, ValidationError> {
        let len = char_len(raw);
        if len < Self::MIN_CHARS {
            return Err(ValidationError::new(
                field,
                format!("must be at least {} characters", Self::MIN_CHARS),
            ));
        }
        if len > Self::MAX_CHARS {
            return Err(ValidationError::new(
                field,
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// An accent colour: `#rrggbb` (any case), kept lowercase.
pub fn parse_accent_color(raw: &str) -> Result<String, ValidationError> {
    let text = raw.trim();
    crate::widget::parse_color(text)
        .map(|_| text.to_ascii_lowercase())
        .ok_or_else(|| ValidationError::new("accentColor", "must be a colour like #4f46e5"))
}

/// At most this many suggestion chips per organization.
pub const MAX_SUGGESTIONS: usize = 3;

/// Parses a list of suggestions: at most [`MAX_SUGGESTIONS`], each valid.
pub fn parse_suggestions(raw: &[String]) -> Result<Vec<Suggestion>, ValidationError> {
    if raw.len() > MAX_SUGGESTIONS {
        return Err(ValidationError::new(
            "suggestions",
            format!("at most {MAX_SUGGESTIONS} suggestions are allowed"),
        ));
    }
    raw.iter().map(|s| Suggestion::parse(s)).collect()
}

/// An email address, syntactically valid (the common `local@domain.tld`
/// form, no quoted local parts or IP literals) and at most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX_CHARS: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let text = raw.trim();
        let invalid = || ValidationError::new("email", "must be a valid email address");
        if text.is_empty() {
            return Err(ValidationError::new("email", "is required"));
        }
        if char_len(text) > Self::MAX_CHARS {
            return Err(ValidationError::new(
                "email",
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        let (local, domain) = text.rsplit_once('@').ok_or_else(invalid)?;
        if !valid_local_part(local) || !valid_domain(domain) {
            return Err(invalid());
        }
        Ok(Self(text.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

fn valid_local_part(local: &str) -> bool {
    const SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-";
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || SPECIALS.contains(c))
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.chars().count() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let tld_ok = labels
        .last()
        .is_some_and(|tld| tld.chars().count() >= 2 && !tld.chars().all(|c| c.is_ascii_digit()));
    labels.len() >= 2 && labels.iter().all(label_ok) && tld_ok
}

/// What the widget reports about the visitor's browser. Every field is
/// optional; unknown fields are dropped on deserialization; strings are
/// bounded by [`BrowserMetadata::MAX_STRING_CHARS`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct BrowserMetadata {
    pub user_agent: Option<String>,
    pub languages: Vec<String>,
    pub platform: Option<String>,
    pub timezone: Option<String>,
    /// Minutes from UTC, as `Date.getTimezoneOffset()` reports it.
    #[serde(deserialize_with = "whole::number")]
    pub timezone_offset: Option<i32>,
    #[serde(deserialize_with = "whole::number")]
    pub screen_width: Option<u32>,
    #[serde(deserialize_with = "whole::number")]
    pub screen_height: Option<u32>,
    #[serde(deserialize_with = "whole::number")]
    pub viewport_width: Option<u32>,
    #[serde(deserialize_with = "whole::number")]
    pub viewport_height: Option<u32>,
    pub referrer: Option<String>,
    pub current_url: Option<String>,
    pub cookies_enabled: Option<bool>,
}

impl BrowserMetadata {
    pub const MAX_STRING_CHARS: usize = 512;
    pub const MAX_LANGUAGES: usize = 20;
    const MAX_PIXELS: u32 = 100_000;

    /// Checks every bound; the error names the field (`metadata.userAgent`).
    pub fn validate(&self) -> Result<(), ValidationError> {
        let strings = [
            ("metadata.userAgent", &self.user_agent),
            ("metadata.platform", &self.platform),
            ("metadata.timezone", &self.timezone),
            ("metadata.referrer", &self.referrer),
            ("metadata.currentUrl", &self.current_url),
        ];
        for (field, value) in strings {
            if value
                .as_deref()
                .is_some_and(|v| char_len(v) > Self::MAX_STRING_CHARS)
            {
                return Err(too_long(field, Self::MAX_STRING_CHARS));
            }
        }
        if self.languages.len() > Self::MAX_LANGUAGES {
            return Err(ValidationError::new(
                "metadata.languages",
                format!("at most {} entries are allowed", Self::MAX_LANGUAGES),
            ));
        }
        if self.languages.iter().any(|l| char_len(l) > 64) {
            return Err(too_long("metadata.languages", 64));
        }
        if self
            .timezone_offset
            .is_some_and(|o| !(-1440..=1440).contains(&o))
        {
            return Err(ValidationError::new(
                "metadata.timezoneOffset",
                "must be between -1440 and 1440 minutes",
            ));
        }
        let dims = [
            ("metadata.screenWidth", self.screen_width),
            ("metadata.screenHeight", self.screen_height),
            ("metadata.viewportWidth", self.viewport_width),
            ("metadata.viewportHeight", self.viewport_height),
        ];
        for (field, value) in dims {
            if value.is_some_and(|v| v > Self::MAX_PIXELS) {
                return Err(ValidationError::new(
                    field,
                    format!("must be at most {}", Self::MAX_PIXELS),
                ));
            }
        }
        Ok(())
    }

    /// Cuts every string to its bound, for a client that would rather send
    /// a shortened URL than be refused.
    pub fn truncated(mut self) -> Self {
        let cut = |s: &mut Option<String>| {
            if let Some(v) = s {
                if char_len(v) > Self::MAX_STRING_CHARS {
                    *v = v.chars().take(Self::MAX_STRING_CHARS).collect();
                }
            }
        };
        cut(&mut self.user_agent);
        cut(&mut self.platform);
        cut(&mut self.timezone);
        cut(&mut self.referrer);
        cut(&mut self.current_url);
        self.languages.truncate(Self::MAX_LANGUAGES);
        self.languages.retain(|l| char_len(l) <= 64);
        self
    }
}

fn too_long(field: &str, max: usize) -> ValidationError {
    ValidationError::new(field, format!("must be at most {max} characters"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(VisitorName::parse("  Ada ").unwrap().as_ref(), "Ada");
        assert_eq!(VisitorName::parse("   ").unwrap_err().field, "name");
        assert!(VisitorName::parse(&"é".repeat(100)).is_ok());
        assert!(VisitorName::parse(&"é".repeat(101)).is_err());
        assert!(VisitorName::parse("a\u{0}b").is_err());
        assert!(VisitorName::parse("a\nb").is_err());
    }

    #[test]
    fn message_text_keeps_newlines_and_is_bounded() {
        assert_eq!(MessageText::parse(" a\nb ").unwrap().as_ref(), "a\nb");
        assert!(MessageText::parse(&"x".repeat(4000)).is_ok());
        assert!(MessageText::parse(&"x".repeat(4001)).is_err());
        assert!(MessageText::parse(" \n\t ").is_err());
    }

    #[test]
    fn emails() {
        for good in [
            "ada@example.com",
            "a.b+tag@sub.example.co",
            "x@münchen.de",
            "o'neil@example.org",
        ] {
            assert!(Email::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@@example.com",
            "a..b@example.com",
            ".a@example.com",
            "ada@-example.com",
            "ada@example.123",
            "a b@example.com",
            "ada@exa mple.com",
            "<script>@x.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        let long = format!("{}@{}.com", "a".repeat(64), "b".repeat(200));
        assert_eq!(
            Email::parse(&long).unwrap_err().message,
            "must be at most 254 characters"
        );
    }

    #[test]
    fn suggestions_at_most_three() {
        let four: Vec<String> = (0..4).map(|i| format!("s{i}")).collect();
        assert!(parse_suggestions(&four).is_err());
        assert_eq!(parse_suggestions(&four[..3]).unwrap().len(), 3);
        assert!(parse_suggestions(&["".into()]).is_err());
    }

    #[test]
    fn metadata_bounds_name_the_field() {
        let meta = BrowserMetadata {
            user_agent: Some("x".repeat(513)),
            ..Default::default()
        };
        assert_eq!(meta.validate().unwrap_err().field, "metadata.userAgent");
        assert!(meta.clone().truncated().validate().is_ok());
        let meta = BrowserMetadata {
            timezone_offset: Some(5000),
            ..Default::default()
        };
        assert_eq!(
            meta.validate().unwrap_err().field,
            "metadata.timezoneOffset"
        );
    }

    #[test]
    fn metadata_drops_unknown_fields() {
        let meta: BrowserMetadata =
            serde_json::from_str(r#"{"userAgent":"UA","evil":"x","cookiesEnabled":true}"#).unwrap();
        assert_eq!(meta.user_agent.as_deref(), Some("UA"));
        assert_eq!(meta.cookies_enabled, Some(true));
    }
}

pub(crate) mod whole;

#[cfg(test)]
mod properties;
