//! Sessions: log in, log out, who am I, accept an invite (the page an emailed invite
//! links to is the console's).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::error::{ApiError, Problem, REQUEST_ID};
use super::extract::{Anyone, Authorized, JsonBody, JsonBodyAsSent, People, bearer};
use crate::app::AppState;
use crate::auth::credentials::{NewPassword, sha256_hex};
use crate::domain::error::FieldErrors;
use crate::service;
use crate::service::accounts::{Me, Session};
use crate::store::accounts::User;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Not blank; an address without an account is 401, as a wrong password.
    #[schema(pattern = "[^\\s\\x85]")]
    pub email: String,
    /// Up to 256 characters (a longer one is 401, and past 1024 bytes 422).
    #[schema(min_length = 1, max_length = 256)]
    pub password: String,
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
    JsonBodyAsSent(body): JsonBodyAsSent<LoginRequest>,
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
    let session = service::accounts::sign_in(
        &state.db,
        &state.login_throttle,
        state.settings.auth.session_hours,
        &email,
        body.password,
        &client_address(&req),
        REQUEST_ID.try_with(Clone::clone).unwrap_or_default(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(session))
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
    service::accounts::sign_out(&state.db, &state.principals, auth.actor, hash).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Who the credential belongs to, and their program.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn me(
    auth: Authorized<Anyone>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let me = service::accounts::me(&state.db, *auth.principal()).await?;
    Ok(HttpResponse::Ok().json(me))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvite {
    /// The invite token the program admin passed on.
    #[schema(min_length = 1, pattern = "^[^\\x00]*$")]
    pub token: String,
    /// 12 to 256 characters.
    #[schema(min_length = 12, max_length = 256, pattern = "^[^\\x00]*$")]
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
        (status = 429, body = Problem, description = "Too many failed attempts"),
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
    let user = service::accounts::accept_invite_token(
        &state.db,
        &state.pool,
        &state.link_throttle,
        &body.token,
        &client_address(&req),
        password,
        REQUEST_ID.try_with(Clone::clone).unwrap_or_default(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(user))
}

fn client_address(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default()
}
