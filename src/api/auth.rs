//! Sessions: log in, log out, who am I, accept an invite.

use std::time::Instant;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, Problem, REQUEST_ID};
use super::extract::{Anyone, Authorized, JsonBody, People, bearer};
use crate::auth::Principal;
use crate::auth::credentials::{
    NewPassword, SESSION_TOKEN_PREFIX, dummy_password_hash, random_token, sha256_hex,
    verify_password,
};
use crate::domain::error::FieldErrors;
use crate::startup::AppState;
use crate::store::accounts::{self, Program, User};
use crate::store::audit::{self, Actor, RecordKind};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct Session {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

/// Log in with email and password.
///
/// Failed attempts are throttled per account and per client address; past the limit
/// the answer is 429 with `Retry-After`.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = Session),
        (status = 401, body = Problem, description = "Wrong email or password"),
        (status = 429, body = Problem, description = "Too many failed attempts"),
    ))]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    JsonBody(body): JsonBody<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = body.email.trim().to_lowercase();
    if email.is_empty() || body.password.is_empty() || body.password.len() > 1024 {
        return Err(ApiError::field(
            if email.is_empty() {
                "email"
            } else {
                "password"
            },
            "invalid",
            "email and password are required",
        ));
    }
    let address = client_address(&req);
    state
        .login_throttle
        .check(&email, &address, Instant::now())
        .map_err(|wait| ApiError::TooManyRequests {
            retry_after_secs: wait.as_secs().max(1),
        })?;

    let lookup_email = email.clone();
    let account = state
        .db
        .run(move |conn| accounts::find_login(conn, &lookup_email))
        .await?;
    // Verify against a dummy hash when there is no usable account, so the answer
    // takes as long either way and does not reveal which emails exist.
    let account = account.filter(|a| a.active);
    let hash = account.as_ref().map_or_else(
        || dummy_password_hash().to_owned(),
        |a| a.password_hash.clone(),
    );
    let password = body.password;
    let verified = web::block(move || verify_password(&password, &hash))
        .await
        .map_err(|_| ApiError::Internal)?;
    let Some(account) = account.filter(|_| verified) else {
        state
            .login_throttle
            .record_failure(&email, &address, Instant::now());
        tracing::info!("login failed");
        return Err(ApiError::Unauthenticated);
    };
    state.login_throttle.record_success(&email);

    let token = random_token(SESSION_TOKEN_PREFIX);
    let expires_at = Utc::now() + Duration::hours(i64::from(state.settings.auth.session_hours));
    let hash = sha256_hex(&token);
    let actor = Actor {
        principal: Principal::User {
            id: account.user_id,
            program_id: account.program_id,
            role: account.role,
        },
        request_id: REQUEST_ID.try_with(Clone::clone).unwrap_or_default(),
    };
    let user = state
        .db
        .write(move |conn| {
            accounts::create_session(conn, account.user_id, &hash, expires_at.naive_utc())?;
            let id = account.user_id.to_string();
            audit::record(conn, &actor, "user.login", RecordKind::User, &id)?;
            accounts::get_user(conn, account.program_id, account.user_id)
        })
        .await?;
    tracing::info!("login succeeded");
    Ok(HttpResponse::Ok().json(Session {
        token,
        expires_at,
        user,
    }))
}

/// End the current session; the token stops working at once.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem)))]
pub async fn logout(
    auth: Authorized<People>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let hash = sha256_hex(bearer(&req).unwrap_or_default());
    let actor = auth.actor;
    state
        .db
        .write(move |conn| {
            accounts::revoke_session(conn, &hash)?;
            let (_, id) = actor.principal.actor();
            audit::record(conn, &actor, "user.logout", RecordKind::User, &id)
        })
        .await?;
    state.principals.forget_all();
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    /// `user` for people, `portal` for a program's API key.
    pub kind: &'static str,
    pub user: Option<User>,
    pub program: Program,
}

/// Who the credential belongs to, and their program.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn me(
    auth: Authorized<Anyone>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let principal = *auth.principal();
    let me = state
        .db
        .run(move |conn| {
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
        .await?;
    Ok(HttpResponse::Ok().json(me))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvite {
    /// The invite token the program admin passed on.
    pub token: String,
    /// 12 to 256 characters.
    pub password: String,
}

/// Accept an invite: choose a password; the account is created.
///
/// An invite that is unknown, used, expired, or for an address that has an account
/// already is 404, without saying which.
#[utoipa::path(post, path = "/api/v1/invites/accept", tag = "users",
    request_body = AcceptInvite,
    responses(
        (status = 200, body = User),
        (status = 404, body = Problem),
        (status = 422, body = Problem),
    ))]
pub async fn accept_invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    JsonBody(body): JsonBody<AcceptInvite>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = FieldErrors::default();
    let Some(password) = errors.take("password", NewPassword::parse(body.password)) else {
        return Err(errors.into());
    };
    // Guessing invite tokens is throttled like guessing passwords, and a token is looked
    // up before any password is hashed, so bad tokens cost no argon2 work.
    let address = client_address(&req);
    let token_hash = sha256_hex(&body.token);
    // Each guess names a new token, so the address's limit is the one that bites.
    let guess = format!("invite:{token_hash}");
    state
        .invite_throttle
        .check(&guess, &address, Instant::now())
        .map_err(|wait| ApiError::TooManyRequests {
            retry_after_secs: wait.as_secs().max(1),
        })?;
    let lookup = token_hash.clone();
    let pending = state
        .db
        .run(move |conn| accounts::invite_pending(conn, &lookup))
        .await?;
    if !pending {
        state
            .invite_throttle
            .record_failure(&guess, &address, Instant::now());
        return Err(ApiError::NotFound);
    }
    let password_hash = web::block(move || password.hash())
        .await
        .map_err(|_| ApiError::Internal)?;
    let request_id = REQUEST_ID.try_with(Clone::clone).unwrap_or_default();
    let user = state
        .db
        .write(move |conn| accounts::accept_invite(conn, &token_hash, password_hash, &request_id))
        .await?;
    Ok(HttpResponse::Ok().json(user))
}

fn client_address(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default()
}
