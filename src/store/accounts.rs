//! Programs, users, sessions, invites and password resets.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::audit::{self, Actor, RecordKind};
use super::schema::{invites, password_resets, programs, session_tokens, users};
use super::{AnyConnection, PageRequest, StoreError, now};
use crate::auth::{Principal, Role, UserStatus};
use crate::domain::ids::{InviteId, PasswordResetId, ProgramId, SessionId, UserId};
use crate::matching::policy::MatchingPolicy;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Program {
    pub id: ProgramId,
    pub name: String,
    /// The most sponsees a sponsor of this program may take on at once.
    pub max_sponsor_capacity: i32,
    pub created_at: DateTime<Utc>,
}

impl Program {
    /// The maximum as sponsor capacities are checked against.
    pub fn max_capacity(&self) -> u8 {
        u8::try_from(self.max_sponsor_capacity).unwrap_or(u8::MAX)
    }
}

pub fn get_program(conn: &mut AnyConnection, id: ProgramId) -> Result<Program, StoreError> {
    let (name, max_sponsor_capacity, created_at) = programs::table
        .find(id)
        .select((
            programs::name,
            programs::max_sponsor_capacity,
            programs::created_at,
        ))
        .first::<(String, i32, NaiveDateTime)>(conn)?;
    Ok(Program {
        id,
        name,
        max_sponsor_capacity,
        created_at: created_at.and_utc(),
    })
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
struct UserRow {
    id: UserId,
    program_id: ProgramId,
    email: String,
    display_name: String,
    role: Role,
    password_hash: String,
    status: UserStatus,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub id: UserId,
    pub program_id: ProgramId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub status: UserStatus,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        User {
            id: row.id,
            program_id: row.program_id,
            role: row.role,
            status: row.status,
            email: row.email,
            display_name: row.display_name,
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

fn user_row(
    program: ProgramId,
    email: &str,
    display_name: &str,
    role: Role,
    password_hash: String,
) -> UserRow {
    let at = now();
    UserRow {
        id: UserId::new(),
        program_id: program,
        email: email.to_owned(),
        display_name: display_name.to_owned(),
        role,
        password_hash,
        status: UserStatus::Active,
        version: 1,
        created_at: at,
        updated_at: at,
    }
}

/// An active account created by the operator (demo data), not by invite.
pub fn create_user(
    conn: &mut AnyConnection,
    program: ProgramId,
    email: &str,
    display_name: &str,
    role: Role,
    password_hash: String,
) -> Result<User, StoreError> {
    let row = user_row(program, email, display_name, role, password_hash);
    diesel::insert_into(users::table)
        .values(&row)
        .execute(conn)?;
    Ok(row.into())
}

/// A new program and its first admin, made by an operator's command (`job`, for the
/// audit trail: `create-admin`, `demo-data`).
pub fn create_program_with_admin(
    conn: &mut AnyConnection,
    job: &str,
    program_name: &str,
    email: &str,
    display_name: &str,
    password_hash: String,
) -> Result<(ProgramId, User), StoreError> {
    let program = ProgramId::new();
    diesel::insert_into(programs::table)
        .values((
            programs::id.eq(program),
            programs::name.eq(program_name),
            programs::created_at.eq(now()),
        ))
        .execute(conn)?;
    super::matching::insert_policy(conn, program, &MatchingPolicy::default())?;
    let row = user_row(
        program,
        email,
        display_name,
        Role::ProgramAdmin,
        password_hash,
    );
    diesel::insert_into(users::table)
        .values(&row)
        .execute(conn)
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => StoreError::Conflict("a user with this email exists"),
            other => other,
        })?;
    super::audit::record_service(
        conn,
        program,
        job,
        "user.create",
        super::audit::RecordKind::User,
        &row.id.to_string(),
    )?;
    Ok((program, row.into()))
}

/// What login needs to know of an account.
pub struct LoginAccount {
    pub user_id: UserId,
    pub program_id: ProgramId,
    pub role: Role,
    pub password_hash: String,
    pub active: bool,
}

pub fn find_login(
    conn: &mut AnyConnection,
    email: &str,
) -> Result<Option<LoginAccount>, StoreError> {
    let row = users::table
        .filter(users::email.eq(email))
        .select((
            users::id,
            users::program_id,
            users::role,
            users::password_hash,
            users::status,
        ))
        .first::<(UserId, ProgramId, Role, String, UserStatus)>(conn)
        .optional()?;
    Ok(row.map(
        |(user_id, program_id, role, password_hash, status)| LoginAccount {
            user_id,
            program_id,
            role,
            password_hash,
            active: status == UserStatus::Active,
        },
    ))
}

pub fn create_session(
    conn: &mut AnyConnection,
    user: UserId,
    token_hash: &str,
    expires_at: NaiveDateTime,
) -> Result<(), StoreError> {
    diesel::insert_into(session_tokens::table)
        .values((
            session_tokens::id.eq(SessionId::new()),
            session_tokens::token_hash.eq(token_hash),
            session_tokens::user_id.eq(user),
            session_tokens::created_at.eq(now()),
            session_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The user behind a live session token: not expired, not revoked, account active.
pub fn principal_for_session(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<Principal>, StoreError> {
    let row = session_tokens::table
        .inner_join(users::table)
        .filter(session_tokens::token_hash.eq(token_hash))
        .filter(session_tokens::revoked_at.is_null())
        .filter(session_tokens::expires_at.gt(now()))
        .filter(users::status.eq(UserStatus::Active))
        .select((users::id, users::program_id, users::role))
        .first::<(UserId, ProgramId, Role)>(conn)
        .optional()?;
    Ok(row.map(|(id, program_id, role)| Principal::User {
        id,
        program_id,
        role,
    }))
}

pub fn revoke_session(conn: &mut AnyConnection, token_hash: &str) -> Result<(), StoreError> {
    diesel::update(session_tokens::table.find(token_hash))
        .set(session_tokens::revoked_at.eq(now()))
        .execute(conn)?;
    Ok(())
}

/// Ends the user's sessions still in force, but for the one whose token hashes to
/// `keep`; how many ended.
pub fn revoke_sessions_of(
    conn: &mut AnyConnection,
    user: UserId,
    keep: Option<&str>,
) -> Result<usize, StoreError> {
    let mut query = diesel::update(session_tokens::table)
        .filter(session_tokens::user_id.eq(user))
        .filter(session_tokens::revoked_at.is_null())
        .into_boxed();
    if let Some(keep) = keep {
        query = query.filter(session_tokens::token_hash.ne(keep.to_owned()));
    }
    Ok(query
        .set(session_tokens::revoked_at.eq(now()))
        .execute(conn)?)
}

/// A session in force, as the person it belongs to sees it.
#[derive(Debug, Clone)]
pub struct SessionInForce {
    pub id: SessionId,
    pub started_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The session of the token hashed as `current`.
    pub current: bool,
}

/// The user's sessions neither ended nor expired, newest first.
pub fn sessions_in_force(
    conn: &mut AnyConnection,
    user: UserId,
    current: &str,
) -> Result<Vec<SessionInForce>, StoreError> {
    let rows = session_tokens::table
        .filter(session_tokens::user_id.eq(user))
        .filter(session_tokens::revoked_at.is_null())
        .filter(session_tokens::expires_at.gt(now()))
        .order(session_tokens::created_at.desc())
        .select((
            session_tokens::id,
            session_tokens::token_hash,
            session_tokens::created_at,
            session_tokens::expires_at,
        ))
        .load::<(SessionId, String, NaiveDateTime, NaiveDateTime)>(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, hash, started, ends)| SessionInForce {
            id,
            started_at: started.and_utc(),
            ends_at: ends.and_utc(),
            current: hash == current,
        })
        .collect())
}

/// Ends one of the user's sessions in force; another person's, or one already ended,
/// is `NotFound`.
pub fn revoke_session_of(
    conn: &mut AnyConnection,
    user: UserId,
    id: SessionId,
) -> Result<(), StoreError> {
    let ended = diesel::update(session_tokens::table)
        .filter(session_tokens::id.eq(id))
        .filter(session_tokens::user_id.eq(user))
        .filter(session_tokens::revoked_at.is_null())
        .filter(session_tokens::expires_at.gt(now()))
        .set(session_tokens::revoked_at.eq(now()))
        .execute(conn)?;
    if ended == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// The stored password hash of an active account.
pub fn password_hash_of(conn: &mut AnyConnection, user: UserId) -> Result<String, StoreError> {
    Ok(users::table
        .filter(users::id.eq(user))
        .filter(users::status.eq(UserStatus::Active))
        .select(users::password_hash)
        .first::<String>(conn)?)
}

/// Sets the user's password (its argon2 hash); links to choose one that still wait are
/// spent with it.
pub fn set_password(
    conn: &mut AnyConnection,
    user: UserId,
    password_hash: String,
) -> Result<(), StoreError> {
    let at = now();
    diesel::update(users::table.find(user))
        .set((
            users::password_hash.eq(password_hash),
            users::updated_at.eq(at),
        ))
        .execute(conn)?;
    diesel::update(password_resets::table)
        .filter(password_resets::user_id.eq(user))
        .filter(password_resets::used_at.is_null())
        .set(password_resets::used_at.eq(at))
        .execute(conn)?;
    Ok(())
}

/// Records a link to choose a new password for the active account with `email`,
/// replacing any it had waiting; the account and its program, or `None` when there is no such
/// account (nothing is written). Either way links expired a day ago are deleted, so
/// that an unknown address costs about what a known one does.
pub fn create_password_reset(
    conn: &mut AnyConnection,
    email: &str,
    reset: PasswordResetId,
    token_hash: &str,
    expires_at: NaiveDateTime,
) -> Result<Option<(UserId, ProgramId)>, StoreError> {
    let at = now();
    diesel::delete(password_resets::table)
        .filter(password_resets::expires_at.lt(at - chrono::Duration::days(1)))
        .execute(conn)?;
    let account = users::table
        .filter(users::email.eq(email))
        .filter(users::status.eq(UserStatus::Active))
        .select((users::id, users::program_id))
        .first::<(UserId, ProgramId)>(conn)
        .optional()?;
    let Some((user, program)) = account else {
        return Ok(None);
    };
    diesel::delete(password_resets::table)
        .filter(password_resets::user_id.eq(user))
        .filter(password_resets::used_at.is_null())
        .execute(conn)?;
    diesel::insert_into(password_resets::table)
        .values((
            password_resets::id.eq(reset),
            password_resets::user_id.eq(user),
            password_resets::token_hash.eq(token_hash),
            password_resets::created_at.eq(at),
            password_resets::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(Some((user, program)))
}

/// Whether the token names a password reset that can still be used.
pub fn password_reset_pending(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<bool, StoreError> {
    let count = password_resets::table
        .inner_join(users::table)
        .filter(password_resets::token_hash.eq(token_hash))
        .filter(password_resets::used_at.is_null())
        .filter(password_resets::expires_at.gt(now()))
        .filter(users::status.eq(UserStatus::Active))
        .count()
        .get_result::<i64>(conn)?;
    Ok(count > 0)
}

/// Spends a password reset: the account's new password, every session of it ended.
/// An unknown, used or expired link, or a disabled account, is `NotFound`. The account,
/// as an actor.
pub fn spend_password_reset(
    conn: &mut AnyConnection,
    token_hash: &str,
    password_hash: String,
    request_id: &str,
) -> Result<Actor, StoreError> {
    let (reset, id, program_id, role) = password_resets::table
        .inner_join(users::table)
        .filter(password_resets::token_hash.eq(token_hash))
        .filter(password_resets::used_at.is_null())
        .filter(password_resets::expires_at.gt(now()))
        .filter(users::status.eq(UserStatus::Active))
        .select((
            password_resets::id,
            users::id,
            users::program_id,
            users::role,
        ))
        .first::<(PasswordResetId, UserId, ProgramId, Role)>(conn)?;
    // Spent first, guarded: of two racing uses of one link, one wins.
    let spent = diesel::update(password_resets::table.find(reset))
        .filter(password_resets::used_at.is_null())
        .set(password_resets::used_at.eq(now()))
        .execute(conn)?;
    if spent == 0 {
        return Err(StoreError::NotFound);
    }
    set_password(conn, id, password_hash)?;
    revoke_sessions_of(conn, id, None)?;
    Ok(Actor {
        principal: Principal::User {
            id,
            program_id,
            role,
        },
        request_id: request_id.to_owned(),
    })
}

pub fn get_user(
    conn: &mut AnyConnection,
    program: ProgramId,
    id: UserId,
) -> Result<User, StoreError> {
    Ok(users::table
        .filter(users::program_id.eq(program))
        .filter(users::id.eq(id))
        .select(UserRow::as_select())
        .first::<UserRow>(conn)?
        .into())
}

pub fn list_users(
    conn: &mut AnyConnection,
    program: ProgramId,
    page: PageRequest,
) -> Result<Vec<User>, StoreError> {
    let mut query = users::table
        .filter(users::program_id.eq(program))
        .select(UserRow::as_select())
        .order(users::id.asc())
        .limit(page.limit)
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(users::id.gt(UserId::from(after)));
    }
    Ok(query.load(conn)?.into_iter().map(User::from).collect())
}

/// What a program admin may change about an account.
pub struct UserChange {
    pub display_name: Option<String>,
    pub disabled: Option<bool>,
}

pub fn update_user(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: UserId,
    expected_version: Option<i32>,
    change: UserChange,
) -> Result<User, StoreError> {
    let program = actor.principal.program_id();
    let current = get_user(conn, program, id)?;
    let expected_version = expected_version.ok_or(StoreError::VersionRequired {
        current: current.version,
    })?;
    if current.version != expected_version {
        return Err(StoreError::VersionMismatch {
            current: current.version,
        });
    }
    let status = match (change.disabled, current.status) {
        (Some(true), _) => UserStatus::Disabled,
        (Some(false), UserStatus::Disabled) => UserStatus::Active,
        (_, status) => status,
    };
    let updated = diesel::update(users::table)
        .filter(users::id.eq(id))
        .filter(users::version.eq(expected_version))
        .set((
            users::display_name.eq(change.display_name.unwrap_or(current.display_name)),
            users::status.eq(status),
            users::version.eq(expected_version + 1),
            users::updated_at.eq(now()),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(StoreError::VersionMismatch {
            current: expected_version + 1,
        });
    }
    if current.role == Role::Sponsor && status != current.status {
        super::matching::record_sponsor_change(conn, id)?;
    }
    if status == UserStatus::Disabled {
        revoke_sessions_of(conn, id, None)?;
    }
    audit::record(
        conn,
        actor,
        "user.update",
        RecordKind::User,
        &id.to_string(),
    )?;
    get_user(conn, program, id)
}

/// A pending invite as its creator sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Invite {
    pub id: InviteId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
}

/// Records a single-use invite into the actor's program. No account exists until it is
/// accepted; inviting the same address again replaces the pending invite.
pub fn create_invite(
    conn: &mut AnyConnection,
    actor: &Actor,
    email: &str,
    display_name: &str,
    role: Role,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> Result<Invite, StoreError> {
    let program = actor.principal.program_id();
    let Principal::User { id: inviter, .. } = actor.principal else {
        return Err(StoreError::Conflict("only people can invite"));
    };
    let in_program = users::table
        .filter(users::email.eq(email))
        .filter(users::program_id.eq(program))
        .count()
        .get_result::<i64>(conn)?;
    if in_program > 0 {
        return Err(StoreError::Conflict(
            "a user with this email is already in the program",
        ));
    }
    diesel::delete(invites::table)
        .filter(invites::program_id.eq(program))
        .filter(invites::email.eq(email))
        .filter(invites::used_at.is_null())
        .execute(conn)?;
    let id = InviteId::new();
    diesel::insert_into(invites::table)
        .values((
            invites::id.eq(id),
            invites::program_id.eq(program),
            invites::email.eq(email),
            invites::display_name.eq(display_name),
            invites::role.eq(role),
            invites::token_hash.eq(token_hash),
            invites::created_by.eq(inviter),
            invites::created_at.eq(now()),
            invites::expires_at.eq(expires_at.naive_utc()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "invite.create",
        RecordKind::Invite,
        &id.to_string(),
    )?;
    Ok(Invite {
        id,
        email: email.to_owned(),
        display_name: display_name.to_owned(),
        role,
        expires_at,
    })
}

/// Whether the token names an invite that can still be accepted.
pub fn invite_pending(conn: &mut AnyConnection, token_hash: &str) -> Result<bool, StoreError> {
    let count = invites::table
        .filter(invites::token_hash.eq(token_hash))
        .filter(invites::used_at.is_null())
        .filter(invites::expires_at.gt(now()))
        .count()
        .get_result::<i64>(conn)?;
    Ok(count > 0)
}

/// Spends an invite: creates the account with the chosen password. An unknown, used or expired invite, or one for
/// an address that has an account already, is `NotFound` without saying which, so
/// holding an invite reveals nothing about other programs.
pub fn accept_invite(
    conn: &mut AnyConnection,
    token_hash: &str,
    password_hash: String,
    request_id: &str,
) -> Result<Activation, StoreError> {
    let at = now();
    let (invite_id, program, email, display_name, role) = invites::table
        .filter(invites::token_hash.eq(token_hash))
        .filter(invites::used_at.is_null())
        .filter(invites::expires_at.gt(at))
        .select((
            invites::id,
            invites::program_id,
            invites::email,
            invites::display_name,
            invites::role,
        ))
        .first::<(InviteId, ProgramId, String, String, Role)>(conn)?;
    let taken = users::table
        .filter(users::email.eq(&email))
        .count()
        .get_result::<i64>(conn)?;
    if taken > 0 {
        return Err(StoreError::NotFound);
    }
    let row = user_row(program, &email, &display_name, role, password_hash);
    let user_id = row.id;
    // A racing acceptance of the same invite, or of another invite for the same address,
    // trips the unique email and fails as a whole.
    diesel::insert_into(users::table)
        .values(&row)
        .execute(conn)
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => StoreError::NotFound,
            other => other,
        })?;
    let spent = diesel::update(invites::table.find(invite_id))
        .filter(invites::used_at.is_null())
        .set((invites::used_at.eq(at), invites::user_id.eq(user_id)))
        .execute(conn)?;
    if spent == 0 {
        return Err(StoreError::NotFound);
    }
    let user = User::from(row);
    let actor = Actor {
        principal: Principal::User {
            id: user.id,
            program_id: program,
            role,
        },
        request_id: request_id.to_owned(),
    };
    audit::record(
        conn,
        &actor,
        "user.activate",
        RecordKind::User,
        &user_id.to_string(),
    )?;
    Ok(Activation {
        user,
        actor,
        invite: invite_id,
    })
}

/// An invite spent: the new account, the account as an actor, and the invite's id.
pub struct Activation {
    pub user: User,
    pub actor: Actor,
    pub invite: InviteId,
}
