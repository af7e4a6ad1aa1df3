//! Accounts: signing in and out, a person's sessions and password (changed, or chosen
//! again through an emailed link), inviting people, spending an invite, renaming and
//! disabling users.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::ServiceError;
use super::sponsors::save_profile_in;
use crate::auth::credentials::{
    INVITE_TOKEN_PREFIX, NewPassword, SESSION_TOKEN_PREFIX, dummy_password_hash, random_token,
    sha256_hex, verify_password,
};
use crate::auth::principals::PrincipalCache;
use crate::auth::throttle::LoginThrottle;
use crate::auth::{Principal, Role};
use crate::domain::error::{FieldError, FieldErrors};
use crate::domain::ids::{PasswordResetId, ProgramId, SessionId, UserId};
use crate::domain::sponsor::SponsorProfile;
use crate::domain::values::{EmailAddress, PersonName};
use crate::notify::MessageKind;
use crate::notify::links::LinkSigner;
use crate::pool::SponsorPool;
use crate::store::accounts::{self, Invite, Program, SessionInForce, User, UserChange};
use crate::store::audit::{self, Actor, RecordKind};
use crate::store::{Db, PageRequest, StoreError, outbox, roster};

/// A new session: the token, shown once, and whose it is.
#[derive(Serialize, ToSchema)]
pub struct Session {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

/// Signs a person in. Failed attempts are throttled per account and per client
/// `address`; an unknown email costs the same password check as a known one, so the
/// answer's time does not tell which emails exist.
#[allow(clippy::too_many_arguments)]
pub async fn sign_in(
    db: &Db,
    throttle: &LoginThrottle,
    session_hours: u32,
    email: &str,
    password: String,
    address: &str,
    request_id: String,
) -> Result<Session, ServiceError> {
    let email = email.trim().to_lowercase();
    throttle
        .check(&email, address, Instant::now())
        .map_err(ServiceError::Throttled)?;
    // No account's email or password holds a NUL (both refuse it), and PostgreSQL
    // cannot take one in a query: such a sign-in is a wrong credential, not looked up.
    let account = if email.contains('\0') || password.contains('\0') {
        None
    } else {
        let lookup = email.clone();
        db.run(move |conn| accounts::find_login(conn, &lookup))
            .await?
    };
    let account = account.filter(|a| a.active);
    let hash = account.as_ref().map_or_else(
        || dummy_password_hash().to_owned(),
        |a| a.password_hash.clone(),
    );
    let verified = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| ServiceError::Internal(format!("password check failed: {e}")))?;
    let Some(account) = account.filter(|_| verified) else {
        throttle.record_failure(&email, address, Instant::now());
        tracing::info!("login failed");
        return Err(ServiceError::Unauthenticated);
    };
    throttle.record_success(&email);
    let token = random_token(SESSION_TOKEN_PREFIX);
    let expires_at = Utc::now() + Duration::hours(i64::from(session_hours));
    let hash = sha256_hex(&token);
    let actor = Actor {
        principal: Principal::User {
            id: account.user_id,
            program_id: account.program_id,
            role: account.role,
        },
        request_id,
    };
    let user = db
        .write(move |conn| {
            accounts::create_session(conn, account.user_id, &hash, expires_at.naive_utc())?;
            let id = account.user_id.to_string();
            audit::record(conn, &actor, "user.login", RecordKind::User, &id)?;
            accounts::get_user(conn, account.program_id, account.user_id)
        })
        .await?;
    tracing::info!("login succeeded");
    Ok(Session {
        token,
        expires_at,
        user,
    })
}

/// Ends the session whose token hashes to `token_hash`; it stops working at once here,
/// and on other instances once their remembered principals lapse.
pub async fn sign_out(
    db: &Db,
    principals: &PrincipalCache,
    actor: Actor,
    token_hash: String,
) -> Result<(), StoreError> {
    db.write(move |conn| {
        accounts::revoke_session(conn, &token_hash)?;
        let (_, id) = actor.principal.actor();
        audit::record(conn, &actor, "user.logout", RecordKind::User, &id)
    })
    .await?;
    principals.forget_all();
    Ok(())
}

/// An invite made, with its token (only its hash is kept).
#[derive(Serialize, ToSchema)]
pub struct CreatedInvite {
    #[serde(flatten)]
    pub invite: Invite,
    /// Single-use; shown only now. The invitee sends it with a password of their choice
    /// to `POST /api/v1/invites/accept`, which creates the account.
    pub token: String,
}

/// Invites a person to the caller's program in a role, valid for `hours`.
pub async fn invite(
    db: &Db,
    actor: Actor,
    email: EmailAddress,
    name: PersonName,
    role: Role,
    hours: u32,
) -> Result<CreatedInvite, StoreError> {
    let token = random_token(INVITE_TOKEN_PREFIX);
    let hash = sha256_hex(&token);
    let expires_at = Utc::now() + Duration::hours(i64::from(hours));
    let invite = db
        .write(move |conn| {
            let (email, name) = (email.as_str(), name.as_str());
            accounts::create_invite(conn, &actor, email, name, role, &hash, expires_at)
        })
        .await?;
    Ok(CreatedInvite { invite, token })
}

/// Renames, disables or re-enables one of the caller's program's users (`expected`: the
/// version changed). Nobody disables themselves. A disabled user's sessions stop at once
/// on this instance, and a disabled sponsor leaves matching here at once.
pub async fn update_user(
    db: &Db,
    pool: &SponsorPool,
    principals: &PrincipalCache,
    actor: Actor,
    id: UserId,
    expected: Option<i32>,
    change: UserChange,
) -> Result<User, StoreError> {
    let disabling = change.disabled == Some(true);
    if disabling && matches!(actor.principal, Principal::User { id: me, .. } if me == id) {
        return Err(StoreError::Conflict("you cannot disable your own account"));
    }
    let user = db
        .write(move |conn| accounts::update_user(conn, &actor, id, expected, change))
        .await?;
    if disabling {
        principals.forget_all();
    }
    pool.catch_up(db).await;
    Ok(user)
}

/// Spends an invite (by its token's hash): the account, and for a sponsor invited by a
/// roster import the profile that came with it, parsed again under today's rules (one
/// that no longer passes, say the program lowered its maximum capacity meanwhile, is
/// left for the sponsor to write). Such a sponsor joins this instance's pool at once.
pub async fn accept_invite(
    db: &Db,
    pool: &SponsorPool,
    token_hash: String,
    password_hash: String,
    request_id: String,
) -> Result<User, StoreError> {
    let user = db
        .write(move |conn| {
            let activation = accounts::accept_invite(conn, &token_hash, password_hash, &request_id)?;
            let user = activation.user;
            if user.role != Role::Sponsor {
                return Ok(user);
            }
            let Some(input) = roster::take_pending_profile(conn, activation.invite)? else {
                return Ok(user);
            };
            let program = accounts::get_program(conn, user.program_id)?;
            match SponsorProfile::parse(input, Utc::now().date_naive(), program.max_capacity()) {
                Ok((profile, contact)) => {
                    save_profile_in(conn, &activation.actor, user.id, &profile, &contact, None)?;
                }
                Err(errors) => {
                    tracing::warn!(%errors, "an imported profile no longer passes; left to the sponsor");
                }
            }
            Ok(user)
        })
        .await?;
    pool.catch_up(db).await;
    Ok(user)
}

/// Who a credential belongs to, and their program.
#[derive(Serialize, ToSchema)]
pub struct Me {
    /// `user` for people, `portal` for a program's API key.
    pub kind: &'static str,
    pub user: Option<User>,
    pub program: Program,
}

/// The caller and their program.
pub async fn me(db: &Db, principal: Principal) -> Result<Me, StoreError> {
    db.run(move |conn| {
        let program = accounts::get_program(conn, principal.program_id())?;
        Ok(match principal {
            Principal::User { id, program_id, .. } => Me {
                kind: "user",
                user: Some(accounts::get_user(conn, program_id, id)?),
                program,
            },
            Principal::Portal { .. } => Me {
                kind: "portal",
                user: None,
                program,
            },
        })
    })
    .await
}

/// The hash of an emailed link's `token` once `pending` says it can be used. Guessing
/// such tokens is throttled like guessing passwords: each unusable token is a failure
/// of the client `address` (each guess names a new token, so the address's limit is the
/// one that bites).
async fn usable_token<F, Pending>(
    throttle: &LoginThrottle,
    token: &str,
    address: &str,
    pending: F,
) -> Result<String, ServiceError>
where
    F: FnOnce(String) -> Pending,
    Pending: std::future::Future<Output = Result<bool, StoreError>>,
{
    let token_hash = sha256_hex(token);
    let guess = format!("link:{token_hash}");
    throttle
        .check(&guess, address, Instant::now())
        .map_err(ServiceError::Throttled)?;
    if !pending(token_hash.clone()).await? {
        throttle.record_failure(&guess, address, Instant::now());
        return Err(StoreError::NotFound.into());
    }
    Ok(token_hash)
}

/// The hash of `token` if it names an invite that can still be accepted, else
/// `NotFound` (throttled per client `address`).
pub async fn usable_invite(
    db: &Db,
    throttle: &LoginThrottle,
    token: &str,
    address: &str,
) -> Result<String, ServiceError> {
    usable_token(throttle, token, address, |hash| {
        db.run(move |conn| accounts::invite_pending(conn, &hash))
    })
    .await
}

/// Accepts an invite by its token: the token is looked up before the password is
/// hashed, so bad tokens cost no argon2 work.
pub async fn accept_invite_token(
    db: &Db,
    pool: &SponsorPool,
    throttle: &LoginThrottle,
    token: &str,
    address: &str,
    password: NewPassword,
    request_id: String,
) -> Result<User, ServiceError> {
    let token_hash = usable_invite(db, throttle, token, address).await?;
    let password_hash = hash_password(password).await?;
    Ok(accept_invite(db, pool, token_hash, password_hash, request_id).await?)
}

async fn hash_password(password: NewPassword) -> Result<String, ServiceError> {
    tokio::task::spawn_blocking(move || password.hash())
        .await
        .map_err(|e| ServiceError::Internal(format!("password hashing failed: {e}")))
}

/// Sends a link to choose a new password to the active account with this `email`, if
/// there is one; the caller cannot tell whether there was. Requests are throttled per
/// email and per client `address`, whether the account exists or not, and an unknown
/// address does comparable work (the token derived, the same write transaction).
pub async fn request_password_reset(
    db: &Db,
    throttle: &LoginThrottle,
    links: &LinkSigner,
    minutes: u32,
    email: &str,
    address: &str,
) -> Result<(), ServiceError> {
    let email = email.trim().to_lowercase();
    throttle
        .check(&email, address, Instant::now())
        .map_err(ServiceError::Throttled)?;
    throttle.record_failure(&email, address, Instant::now());
    // No account's email holds a NUL (and PostgreSQL cannot take one in a query): such
    // an address is looked up as one that matches nobody.
    let email = if email.contains('\0') {
        String::new()
    } else {
        email
    };
    let reset = PasswordResetId::new();
    let token_hash = links.reset_token_hash(reset);
    let expires_at = (Utc::now() + Duration::minutes(i64::from(minutes))).naive_utc();
    db.write(move |conn| {
        let Some((user, program)) =
            accounts::create_password_reset(conn, &email, reset, &token_hash, expires_at)?
        else {
            return Ok(());
        };
        let kind = MessageKind::PasswordReset;
        let message = (format!("{reset}:{}", kind.as_str()), reset.to_string());
        outbox::enqueue_unmatched(conn, program, kind, vec![message])?;
        audit::record_service(
            conn,
            program,
            "password_reset",
            "user.password_reset_request",
            RecordKind::User,
            &user.to_string(),
        )
    })
    .await?;
    Ok(())
}

/// The hash of `token` if it names a password reset that can still be used, else
/// `NotFound` (throttled per client `address`, as invite tokens are).
pub async fn usable_password_reset(
    db: &Db,
    throttle: &LoginThrottle,
    token: &str,
    address: &str,
) -> Result<String, ServiceError> {
    usable_token(throttle, token, address, |hash| {
        db.run(move |conn| accounts::password_reset_pending(conn, &hash))
    })
    .await
}

/// Chooses a new password through an emailed link: the link is spent and every session
/// of the account ends (at once on this instance).
pub async fn reset_password(
    db: &Db,
    principals: &PrincipalCache,
    throttle: &LoginThrottle,
    token: &str,
    address: &str,
    password: NewPassword,
    request_id: String,
) -> Result<(), ServiceError> {
    let token_hash = usable_password_reset(db, throttle, token, address).await?;
    let password_hash = hash_password(password).await?;
    db.write(move |conn| {
        let actor = accounts::spend_password_reset(conn, &token_hash, password_hash, &request_id)?;
        let (_, id) = actor.principal.actor();
        audit::record(conn, &actor, "user.password_reset", RecordKind::User, &id)
    })
    .await?;
    principals.forget_all();
    Ok(())
}

/// Changes a signed-in person's password, given their current one. Every other session
/// of theirs ends (at once on this instance); the one whose token hashes to `current`
/// goes on. A wrong current password is a field error on `current_password`, and such
/// failures are throttled per account and client `address` as failed logins are.
#[allow(clippy::too_many_arguments)]
pub async fn change_password(
    db: &Db,
    principals: &PrincipalCache,
    throttle: &LoginThrottle,
    actor: Actor,
    current_session: String,
    current_password: String,
    new_password: NewPassword,
    address: &str,
) -> Result<(), ServiceError> {
    let Principal::User { id: user, .. } = actor.principal else {
        return Err(ServiceError::Unauthenticated);
    };
    let account = format!("user:{user}");
    throttle
        .check(&account, address, Instant::now())
        .map_err(ServiceError::Throttled)?;
    let stored = db
        .run(move |conn| accounts::password_hash_of(conn, user))
        .await?;
    let verified = tokio::task::spawn_blocking(move || verify_password(&current_password, &stored))
        .await
        .map_err(|e| ServiceError::Internal(format!("password check failed: {e}")))?;
    if !verified {
        throttle.record_failure(&account, address, Instant::now());
        return Err(FieldErrors::single(FieldError::new(
            "current_password",
            "wrong",
            "is not your current password",
        ))
        .into());
    }
    throttle.record_success(&account);
    let password_hash = hash_password(new_password).await?;
    db.write(move |conn| {
        accounts::set_password(conn, user, password_hash)?;
        accounts::revoke_sessions_of(conn, user, Some(&current_session))?;
        audit::record(
            conn,
            &actor,
            "user.password_change",
            RecordKind::User,
            &user.to_string(),
        )
    })
    .await?;
    principals.forget_all();
    Ok(())
}

/// The signed-in person's sessions in force, newest first; `current` is the hash of
/// this browser's token, to say which one is theirs.
pub async fn sessions(
    db: &Db,
    user: UserId,
    current: String,
) -> Result<Vec<SessionInForce>, StoreError> {
    db.run(move |conn| accounts::sessions_in_force(conn, user, &current))
        .await
}

/// Ends one of the actor's own sessions (another person's is `NotFound`); it stops
/// working at once here, and on other instances once their remembered principals lapse.
pub async fn end_session(
    db: &Db,
    principals: &PrincipalCache,
    actor: Actor,
    session: SessionId,
) -> Result<(), ServiceError> {
    let Principal::User { id: user, .. } = actor.principal else {
        return Err(ServiceError::Unauthenticated);
    };
    db.write(move |conn| {
        accounts::revoke_session_of(conn, user, session)?;
        let id = user.to_string();
        audit::record(conn, &actor, "user.session_end", RecordKind::User, &id)
    })
    .await?;
    principals.forget_all();
    Ok(())
}

/// Ends every session of the actor's but the one whose token hashes to `current`.
pub async fn end_other_sessions(
    db: &Db,
    principals: &PrincipalCache,
    actor: Actor,
    current: String,
) -> Result<usize, ServiceError> {
    let Principal::User { id: user, .. } = actor.principal else {
        return Err(ServiceError::Unauthenticated);
    };
    let ended = db
        .write(move |conn| {
            let ended = accounts::revoke_sessions_of(conn, user, Some(&current))?;
            let id = user.to_string();
            audit::record(conn, &actor, "user.sessions_end", RecordKind::User, &id)?;
            Ok(ended)
        })
        .await?;
    principals.forget_all();
    Ok(ended)
}

/// A page of the program's people.
pub async fn users(
    db: &Db,
    program: ProgramId,
    page: PageRequest,
) -> Result<Vec<User>, StoreError> {
    db.run(move |conn| accounts::list_users(conn, program, page))
        .await
}

/// One of the program's people.
pub async fn user(db: &Db, program: ProgramId, id: UserId) -> Result<User, StoreError> {
    db.run(move |conn| accounts::get_user(conn, program, id))
        .await
}
