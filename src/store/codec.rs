//! How values of the domain cross the database, the same way on both backends: ids as
//! their hyphenated UUID text, enums as their names (strum's `IntoStaticStr` and
//! `EnumString`, which agree with serde's). The types declare themselves text columns'
//! values (`#[derive(diesel::AsExpression, diesel::FromSqlRow)]`,
//! `#[diesel(sql_type = Text)]`); this module gives each its `ToSql` for PostgreSQL,
//! SQLite and [`AnyConnection`](super::AnyConnection)'s `MultiBackend`, and one
//! `FromSql` for any backend. So repositories filter on, insert and select the typed
//! values themselves. Stored text that does not parse is a deserialization error, which
//! the store reports as [`StoreError::Corrupt`](super::StoreError::Corrupt).

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;

use super::MultiBackend;
use super::audit::RecordKind;
use crate::auth::{Role, UserStatus};
use crate::domain::check_in::{CheckInAnswer, CheckInParty};
use crate::domain::consent::RecipientClass;
use crate::domain::ids::{
    ApiKeyId, AuditEventId, CheckInId, ConsentId, DisclosureId, InviteId, MatchId, MessageId,
    PasswordResetId, ProgramId, SeekerId, SessionId, StepId, UserId,
};
use crate::domain::lifecycle::{Action, MatchState, Reason};
use crate::domain::sponsor::SponsorStatus;
use crate::domain::values::{AgeBand, Gender};
use crate::notify::MessageKind;

/// Ids: written as the hyphenated lower-case UUID, read back from any UUID text.
macro_rules! id_columns {
    ($($id:ty),* $(,)?) => {$(
        impl ToSql<Text, Pg> for $id {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                let mut buffer = uuid::Uuid::encode_buffer();
                let text = self.as_uuid().hyphenated().encode_lower(&mut buffer);
                std::io::Write::write_all(out, text.as_bytes())?;
                Ok(IsNull::No)
            }
        }

        impl ToSql<Text, Sqlite> for $id {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                out.set_value(self.to_string());
                Ok(IsNull::No)
            }
        }

        impl ToSql<Text, MultiBackend> for $id {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
                out.set_value((Text, self));
                Ok(IsNull::No)
            }
        }

        impl<DB> FromSql<Text, DB> for $id
        where
            DB: Backend,
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                text.parse()
                    .map_err(|_| concat!("a stored ", stringify!($id), " is not a UUID").into())
            }
        }
    )*};
}

id_columns!(
    ProgramId,
    UserId,
    ApiKeyId,
    SeekerId,
    ConsentId,
    AuditEventId,
    InviteId,
    SessionId,
    PasswordResetId,
    MatchId,
    CheckInId,
    MessageId,
    StepId,
    DisclosureId,
);

/// Enums: written and read as their strum names.
macro_rules! enum_columns {
    ($($enum:ty),* $(,)?) => {$(
        impl ToSql<Text, Pg> for $enum {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                let name: &'static str = self.into();
                std::io::Write::write_all(out, name.as_bytes())?;
                Ok(IsNull::No)
            }
        }

        impl ToSql<Text, Sqlite> for $enum {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                let name: &'static str = self.into();
                out.set_value(name);
                Ok(IsNull::No)
            }
        }

        impl ToSql<Text, MultiBackend> for $enum {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
                out.set_value((Text, self));
                Ok(IsNull::No)
            }
        }

        impl<DB> FromSql<Text, DB> for $enum
        where
            DB: Backend,
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                text.parse().map_err(|_| {
                    format!(concat!("a stored ", stringify!($enum), " is unknown: {:?}"), text)
                        .into()
                })
            }
        }
    )*};
}

enum_columns!(
    MatchState,
    Action,
    Reason,
    CheckInAnswer,
    CheckInParty,
    MessageKind,
    Role,
    UserStatus,
    RecordKind,
    RecipientClass,
    SponsorStatus,
    Gender,
    AgeBand,
);
