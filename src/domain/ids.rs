//! Identifiers: UUIDv7 (time-ordered, so ids double as stable pagination cursors),
//! one newtype per kind of record so a user id can never be passed as a seeker id.
//! Each is declared a text column's value (diesel's `AsExpression`, `FromSqlRow`:
//! declarations, no I/O); how its text crosses each backend is the store's
//! (`store::codec`).

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
            diesel::AsExpression, diesel::FromSqlRow,
        )]
        #[serde(transparent)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(uuid::Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }

            pub fn as_uuid(&self) -> uuid::Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<uuid::Uuid> for $name {
            fn from(id: uuid::Uuid) -> Self {
                Self(id)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::parse_str(s).map(Self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A treatment program (tenant).
    ProgramId
);
id_type!(
    /// A person who logs in: program admin, case manager or sponsor.
    UserId
);
id_type!(
    /// A portal API key.
    ApiKeyId
);
id_type!(
    /// A seeker: a person new to recovery, registered by a program.
    SeekerId
);
id_type!(
    /// A consent record.
    ConsentId
);
id_type!(
    /// An audit event.
    AuditEventId
);
id_type!(
    /// An invitation to create an account.
    InviteId
);
id_type!(
    /// A signed-in session, as pages name it (never by its token's hash).
    SessionId
);
id_type!(
    /// An emailed link to choose a new password.
    PasswordResetId
);
id_type!(
    /// A match: one seeker, one sponsor, one journey through the lifecycle.
    MatchId
);
id_type!(
    /// One question to one side of a match, some days after its introduction.
    CheckInId
);
id_type!(
    /// A message of the outbox.
    MessageId
);
id_type!(
    /// A step of a match's history (a transition), as webhooks name it.
    StepId
);
id_type!(
    /// An entry of the disclosure log.
    DisclosureId
);
