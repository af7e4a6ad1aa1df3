//! Who is calling: roles, principals, credentials and the login throttle.
//! The credential primitives here are pure functions; lookups live in `store`.

pub mod credentials;
pub mod principals;
pub mod throttle;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::ids::{ApiKeyId, ProgramId, UserId};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[strum(serialize_all = "snake_case")]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    ProgramAdmin,
    CaseManager,
    Sponsor,
}

/// Whether an account may sign in.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[strum(serialize_all = "snake_case")]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    /// Cannot log in; their sessions were ended.
    Disabled,
}

/// The kind of caller, as endpoints declare whom they admit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerKind {
    User(Role),
    Portal,
}

/// An authenticated caller, always bound to one program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    User {
        id: UserId,
        program_id: ProgramId,
        role: Role,
    },
    Portal {
        key_id: ApiKeyId,
        program_id: ProgramId,
    },
}

impl Principal {
    pub fn program_id(&self) -> ProgramId {
        match self {
            Principal::User { program_id, .. } | Principal::Portal { program_id, .. } => {
                *program_id
            }
        }
    }

    pub fn kind(&self) -> CallerKind {
        match self {
            Principal::User { role, .. } => CallerKind::User(*role),
            Principal::Portal { .. } => CallerKind::Portal,
        }
    }

    /// A person, as opposed to a program's system; reads by people are audited.
    pub fn is_person(&self) -> bool {
        matches!(self, Principal::User { .. })
    }

    /// For the audit trail: what kind of actor and its id.
    pub fn actor(&self) -> (&'static str, String) {
        match self {
            Principal::User { id, .. } => ("user", id.to_string()),
            Principal::Portal { key_id, .. } => ("api_key", key_id.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn stored_and_serialized_names_are_the_same() {
        crate::domain::assert_names_agree::<super::Role>();
        crate::domain::assert_names_agree::<super::UserStatus>();
    }
}
