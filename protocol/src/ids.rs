//! Typed identifiers. Each wraps a UUID (or, for the contact session, an
//! opaque secret) so that the compiler rejects a session ID passed as a
//! conversation ID.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }

            /// Parses the canonical text form; `None` for anything else.
            pub fn parse(text: &str) -> Option<Self> {
                Uuid::try_parse(text).ok().map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidId;

            fn from_str(text: &str) -> Result<Self, InvalidId> {
                Self::parse(text).ok_or(InvalidId)
            }
        }
    };
}

/// Text that is not an ID of the expected kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidId;

impl fmt::Display for InvalidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a valid ID")
    }
}

impl std::error::Error for InvalidId {}

/// Text that is not one of an enumeration's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidValue;

impl fmt::Display for InvalidValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not one of the allowed values")
    }
}

impl std::error::Error for InvalidValue {}

/// `as_str`, `parse` and `FromStr` for an enumeration stored and sent as
/// one lowercase word per variant (the same words as its serde names).
macro_rules! text_enum {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $name {
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::ids::InvalidValue;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text).ok_or($crate::ids::InvalidValue)
            }
        }
    };
}
pub(crate) use text_enum;

uuid_id!(
    /// An organization: the company that embeds the widget.
    OrganizationId
);
uuid_id!(
    /// A conversation between one contact session and the organization.
    ConversationId
);
uuid_id!(
    /// One message of a conversation.
    MessageId
);
uuid_id!(
    /// One file of an organization's knowledge base.
    FileId
);
uuid_id!(
    /// An operator: a person who signs in to the console.
    OperatorId
);
uuid_id!(
    /// An invitation to join an organization's team.
    InvitationId
);
uuid_id!(
    /// One of an organization's named API keys.
    ApiKeyId
);
uuid_id!(
    /// A file a visitor or operator uploaded to send in a conversation.
    AttachmentId
);
uuid_id!(
    /// One of an organization's saved replies.
    CannedReplyId
);
uuid_id!(
    /// One of an organization's labels.
    LabelId
);

/// The contact session's bearer secret: `cs_` followed by 43 base64url
/// characters (256 random bits). The server keeps only a hash of it.
///
/// `Debug` never prints the secret, so it cannot leak through a log line.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, example = "cs_3q2-7wEe..."))]
#[serde(try_from = "String", into = "String")]
pub struct ContactSessionId(String);

impl ContactSessionId {
    pub const PREFIX: &'static str = "cs_";
    const BODY_LEN: usize = 43;

    pub fn parse(text: &str) -> Option<Self> {
        let body = text.strip_prefix(Self::PREFIX)?;
        let ok = body.len() == Self::BODY_LEN
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| Self(text.to_owned()))
    }

    /// The secret itself, for the `Authorization` header and storage.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ContactSessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ContactSessionId(***)")
    }
}

impl TryFrom<String> for ContactSessionId {
    type Error = &'static str;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).ok_or("not a contact session ID")
    }
}

impl From<ContactSessionId> for String {
    fn from(id: ContactSessionId) -> Self {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_session_id_accepts_only_its_format() {
        let good = format!("cs_{}", "a".repeat(43));
        assert!(ContactSessionId::parse(&good).is_some());
        assert!(ContactSessionId::parse(&"a".repeat(46)).is_none());
        assert!(ContactSessionId::parse(&format!("cs_{}", "a".repeat(42))).is_none());
        assert!(ContactSessionId::parse(&format!("cs_{}!", "a".repeat(42))).is_none());
        assert!(ContactSessionId::parse("").is_none());
    }

    #[test]
    fn contact_session_id_debug_hides_the_secret() {
        let id = ContactSessionId::parse(&format!("cs_{}", "s".repeat(43))).unwrap();
        assert!(!format!("{id:?}").contains("sss"));
    }

    #[test]
    fn typed_ids_are_plain_strings_on_the_wire() {
        let id = ConversationId::parse("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap();
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"67e55044-10b1-426f-9247-bb680e5fe0c8\""
        );
        assert!(ConversationId::parse("not-a-uuid").is_none());
    }
}
