//! Database encodings of the protocol's value types, so the server's stores
//! bind and read typed IDs, statuses, roles and timestamps directly instead
//! of formatting them to strings and parsing them back. Behind the `sqlite`
//! (rusqlite) and `sqlx` features: the widget builds neither.
//!
//! IDs and enums are stored as text (their wire form), timestamps as
//! integer milliseconds; both backends share this one definition.

use crate::conversations::ConversationStatus;
use crate::messages::MessageRole;
use crate::team::OperatorRole;
use crate::trust::{AuditAction, AuditActorKind};
use crate::widget::WidgetTheme;
use crate::{
    ApiKeyId, AttachmentId, CannedReplyId, ConversationId, FileId, InvitationId, LabelId,
    MessageId, OperatorId, OrganizationId, Timestamp,
};

/// A value stored as its text form.
pub trait TextColumn: Sized {
    fn to_text(&self) -> std::borrow::Cow<'static, str>;
    fn from_text(text: &str) -> Option<Self>;
}

macro_rules! text_column {
    ($($id:ty),* ; $($enum:ty),*) => {
        $(impl TextColumn for $id {
            fn to_text(&self) -> std::borrow::Cow<'static, str> {
                self.to_string().into()
            }
            fn from_text(text: &str) -> Option<Self> {
                Self::parse(text)
            }
        })*
        $(impl TextColumn for $enum {
            fn to_text(&self) -> std::borrow::Cow<'static, str> {
                self.as_str().into()
            }
            fn from_text(text: &str) -> Option<Self> {
                Self::parse(text)
            }
        })*
        $(text_codecs!($id);)*
        $(text_codecs!($enum);)*
    };
}

macro_rules! text_codecs {
    ($ty:ty) => {
        #[cfg(feature = "sqlite")]
        impl rusqlite::types::ToSql for $ty {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(match self.to_text() {
                    std::borrow::Cow::Borrowed(text) => text.into(),
                    std::borrow::Cow::Owned(text) => text.into(),
                })
            }
        }

        #[cfg(feature = "sqlite")]
        impl rusqlite::types::FromSql for $ty {
            fn column_result(
                value: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                let text = value.as_str()?;
                <$ty as TextColumn>::from_text(text)
                    .ok_or_else(|| rusqlite::types::FromSqlError::Other(malformed(text)))
            }
        }

        #[cfg(feature = "sqlx")]
        impl<DB: sqlx::Database> sqlx::Type<DB> for $ty
        where
            String: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <String as sqlx::Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <String as sqlx::Type<DB>>::compatible(ty)
            }
        }

        #[cfg(feature = "sqlx")]
        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $ty
        where
            String: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut DB::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <String as sqlx::Encode<'q, DB>>::encode(self.to_text().into_owned(), buf)
            }
        }

        #[cfg(feature = "sqlx")]
        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $ty
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&'r str as sqlx::Decode<'r, DB>>::decode(value)?;
                <$ty as TextColumn>::from_text(text).ok_or_else(|| malformed(text))
            }
        }
    };
}

text_column!(
    OrganizationId, ConversationId, MessageId, FileId, OperatorId, InvitationId, ApiKeyId, AttachmentId,
    CannedReplyId, LabelId;
    ConversationStatus, MessageRole, OperatorRole, WidgetTheme, AuditAction, AuditActorKind
);

fn malformed(text: &str) -> Box<dyn std::error::Error + Send + Sync> {
    format!("unexpected stored value {text:?}").into()
}

#[cfg(feature = "sqlite")]
impl rusqlite::types::ToSql for Timestamp {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.0.into())
    }
}

#[cfg(feature = "sqlite")]
impl rusqlite::types::FromSql for Timestamp {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        value.as_i64().map(Timestamp)
    }
}

#[cfg(feature = "sqlx")]
impl<DB: sqlx::Database> sqlx::Type<DB> for Timestamp
where
    i64: sqlx::Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <i64 as sqlx::Type<DB>>::type_info()
    }
    fn compatible(ty: &DB::TypeInfo) -> bool {
        <i64 as sqlx::Type<DB>>::compatible(ty)
    }
}

#[cfg(feature = "sqlx")]
impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for Timestamp
where
    i64: sqlx::Encode<'q, DB>,
{
    fn encode_by_ref(
        &self,
        buf: &mut DB::ArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <i64 as sqlx::Encode<'q, DB>>::encode_by_ref(&self.0, buf)
    }
}

#[cfg(feature = "sqlx")]
impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for Timestamp
where
    i64: sqlx::Decode<'r, DB>,
{
    fn decode(value: DB::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        <i64 as sqlx::Decode<'r, DB>>::decode(value).map(Timestamp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_round_trip() {
        let id = ConversationId::parse("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap();
        assert_eq!(ConversationId::from_text(&id.to_text()), Some(id));
        for status in [
            ConversationStatus::Unresolved,
            ConversationStatus::Escalated,
            ConversationStatus::Resolved,
        ] {
            assert_eq!(
                ConversationStatus::from_text(&status.to_text()),
                Some(status)
            );
        }
        assert_eq!(MessageRole::from_text("nobody"), None);
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn sqlite_reads_back_what_it_binds_and_refuses_garbage() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let id = OrganizationId::parse("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap();
        let (back, at): (OrganizationId, Timestamp) = conn
            .query_row("SELECT ?1, ?2", rusqlite::params![id, Timestamp(42)], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((back, at), (id, Timestamp(42)));
        let bad: rusqlite::Result<MessageRole> =
            conn.query_row("SELECT 'nobody'", [], |r| r.get(0));
        assert!(bad.is_err());
    }
}
