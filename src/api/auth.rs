//! Sessions: log in, log out, who am I, accept an invite (through the API, or on the
//! page an emailed invite links to).

use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::error::{ApiError, Problem, REQUEST_ID};
use super::extract::{Anyone, Authorized, JsonBody, JsonBodyAsSent, People, bearer};
use super::respond::{form_fields, render_page, unknown_form_field, wants_html};
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
    let user = spend_invite(&state, &req, &body.token, password).await?;
    Ok(HttpResponse::Ok().json(user))
}

/// The hash of `token`, if it names an invite that can be accepted. Guessing invite
/// tokens is throttled like guessing passwords: each unusable token is a failure of the
/// client address.
async fn usable_invite(
    state: &AppState,
    req: &HttpRequest,
    token: &str,
) -> Result<String, ApiError> {
    let address = client_address(req);
    let token_hash = sha256_hex(token);
    // Each guess names a new token, so the address's limit is the one that bites.
    let guess = format!("invite:{token_hash}");
    state
        .invite_throttle
        .check(&guess, &address, Instant::now())
        .map_err(|wait| ApiError::TooManyRequests {
            retry_after_secs: wait.as_secs().max(1),
        })?;
    let pending = service::accounts::invite_pending(&state.db, token_hash.clone()).await?;
    if !pending {
        state
            .invite_throttle
            .record_failure(&guess, &address, Instant::now());
        return Err(ApiError::NotFound);
    }
    Ok(token_hash)
}

/// Accepts an invite: the token is looked up before the password is hashed, so bad
/// tokens cost no argon2 work. A sponsor whose invite came with their roster profile
/// joins this instance's pool at once.
async fn spend_invite(
    state: &AppState,
    req: &HttpRequest,
    token: &str,
    password: NewPassword,
) -> Result<User, ApiError> {
    let token_hash = usable_invite(state, req, token).await?;
    let password_hash = web::block(move || password.hash())
        .await
        .map_err(|_| ApiError::Internal)?;
    let request_id = REQUEST_ID.try_with(Clone::clone).unwrap_or_default();
    Ok(service::accounts::accept_invite(
        &state.db,
        &state.pool,
        token_hash,
        password_hash,
        request_id,
    )
    .await?)
}

/// The page behind an emailed invite: a form to choose a password. Opening it changes
/// nothing (mail scanners follow links).
#[utoipa::path(get, path = "/invite/{token}", tag = "users",
    responses((status = 200, description = "An HTML page", content_type = "text/html", body = String), (status = 404), (status = 429)))]
pub async fn invite_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> HttpResponse {
    match usable_invite(&state, &req, &token).await {
        Ok(_) => invite_html(
            StatusCode::OK,
            "Create your account",
            "Choose a password. You will sign in with the email address this invite came to.",
            true,
        ),
        Err(error) => invite_refusal(&req, error),
    }
}

/// The invite page's form, as the document describes it (`password_of` reads it).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteForm {
    /// 12 to 256 characters.
    #[schema(min_length = 12, max_length = 256, pattern = "^[^\\x00]*$")]
    pub password: String,
}

/// Accept the invite behind an emailed link (the page's form).
#[utoipa::path(post, path = "/invite/{token}", tag = "users",
    request_body(content = InviteForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "An HTML page", content_type = "text/html", body = String), (status = 400), (status = 404),
        (status = 422), (status = 429)))]
pub async fn invite_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let accepted = match password_of(&body) {
        Ok(password) => spend_invite(&state, &req, &token, password).await,
        Err(error) => Err(error),
    };
    match accepted {
        Ok(_) => invite_html(
            StatusCode::OK,
            "Your account is ready",
            "Sign in with your email address and the password you chose.",
            false,
        ),
        Err(error) => invite_refusal(&req, error),
    }
}

/// The form's one field, `password`, checked as the API checks it.
fn password_of(body: &[u8]) -> Result<NewPassword, ApiError> {
    let mut password = None;
    for (name, value) in form_fields(body)? {
        match name.as_str() {
            "password" => password = Some(value),
            other => return Err(unknown_form_field(other)),
        }
    }
    let password =
        password.ok_or_else(|| ApiError::field("password", "required", "choose a password"))?;
    let mut errors = FieldErrors::default();
    errors
        .take("password", NewPassword::parse(password))
        .ok_or_else(|| errors.into())
}

fn invite_html(status: StatusCode, title: &str, message: &str, form: bool) -> HttpResponse {
    render_page(
        status,
        "invite.html",
        minijinja::context! { title, message, form },
    )
}

/// People get a page, programs a problem document.
fn invite_refusal(req: &HttpRequest, error: ApiError) -> HttpResponse {
    if !wants_html(req) {
        return error.error_response();
    }
    let (message, form) = match &error {
        ApiError::NotFound => (
            "This invite cannot be used: it was used already, has expired, or a newer one \
             replaced it. Ask the program that invited you."
                .to_owned(),
            false,
        ),
        ApiError::Validation(errors) => (
            errors
                .first()
                .map(|e| e.message.clone())
                .unwrap_or_default(),
            true,
        ),
        other => (other.to_string(), false),
    };
    invite_html(error.status_code(), "Create your account", &message, form)
}

fn client_address(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default()
}
