//! Who is calling: roles, principals, credentials and the login throttle.
//! The credential primitives here are pure functions; lookups live in `store`.

pub mod credentials;
pub mod principals;
pub mod throttle;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::ids::{ApiKeyId, ProgramId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    ProgramAdmin,
    CaseManager,
    Sponsor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::ProgramAdmin => "program_admin",
            Role::CaseManager => "case_manager",
            Role::Sponsor => "sponsor",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "program_admin" => Some(Role::ProgramAdmin),
            "case_manager" => Some(Role::CaseManager),
            "sponsor" => Some(Role::Sponsor),
            _ => None,
        }
    }
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
