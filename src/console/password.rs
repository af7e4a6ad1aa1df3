//! A forgotten password: asking for a link by email, and the page the link opens to
//! choose a new one. The answer to asking is the same whether or not an account has
//! that address, so the page tells nobody which addresses have accounts.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::error::ConsoleError;
use super::page::{field_errors, page, page_with_status, see_other};
use super::render::with_retry_after;
use super::session::{Form, Visitor, client_address};
use crate::app::AppState;
use crate::auth::credentials::NewPassword;
use crate::notify::links::LinkSigner;
use crate::service::{self, ServiceError};
use crate::store::StoreError;

/// Longer than any email address (RFC 5321 allows 254 characters).
const MAX_EMAIL: usize = 320;

pub async fn forgot_form(visitor: Visitor) -> HttpResponse {
    page(
        &visitor,
        "console/forgot_password.html",
        minijinja::context! { email => "" },
    )
}

pub async fn forgot(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    form: Form,
) -> Result<HttpResponse, ConsoleError> {
    let email = form.text("email");
    let again = |status, key: &str| {
        page_with_status(
            &visitor,
            status,
            "console/forgot_password.html",
            minijinja::context! { email, errors => field_errors(&[("email", key)]) },
        )
    };
    if email.trim().is_empty() {
        return Ok(again(
            StatusCode::UNPROCESSABLE_ENTITY,
            "forgot-error-missing",
        ));
    }
    if email.len() > MAX_EMAIL {
        return Ok(again(
            StatusCode::UNPROCESSABLE_ENTITY,
            "forgot-error-too-long",
        ));
    }
    let minutes = state.settings.auth.password_reset_minutes;
    let asked = service::accounts::request_password_reset(
        &state.db,
        &state.reset_throttle,
        &LinkSigner::from_settings(&state.settings, &state.secrets),
        minutes,
        &email,
        &client_address(&req),
    )
    .await;
    match asked {
        Ok(()) => Ok(page(
            &visitor,
            "console/forgot_password.html",
            minijinja::context! { sent => true, minutes },
        )),
        Err(ServiceError::Throttled(wait)) => Ok(with_retry_after(
            again(StatusCode::TOO_MANY_REQUESTS, "forgot-error-throttled"),
            wait,
        )),
        Err(other) => Err(other.into()),
    }
}

/// The page of a link that chooses a password (a reset, an invite) when the link cannot
/// be used: unknown, used, expired or replaced, said the same way.
fn dead_link(visitor: &Visitor, template: &str) -> HttpResponse {
    page_with_status(
        visitor,
        StatusCode::NOT_FOUND,
        template,
        minijinja::context! { dead => true },
    )
}

/// What a link that chooses a password shows when opened: its form if the service found
/// the link usable, else the page saying it cannot be used.
pub fn link_page<T>(
    visitor: &Visitor,
    template: &str,
    token: &str,
    usable: Result<T, ServiceError>,
) -> Result<HttpResponse, ConsoleError> {
    match usable {
        Ok(_) => Ok(page(visitor, template, minijinja::context! { token })),
        Err(ServiceError::Store(StoreError::NotFound)) => Ok(dead_link(visitor, template)),
        Err(other) => Err(other.into()),
    }
}

/// What a link that chooses a password leads to once used: `done`, or the page saying
/// the link cannot be used.
pub fn link_used<T>(
    visitor: &Visitor,
    template: &str,
    used: Result<T, ServiceError>,
    done: &str,
) -> Result<HttpResponse, ConsoleError> {
    match used {
        Ok(_) => Ok(see_other("/sign-in", Some(done))),
        Err(ServiceError::Store(StoreError::NotFound)) => Ok(dead_link(visitor, template)),
        Err(other) => Err(other.into()),
    }
}

/// Opening the link changes nothing (mail scanners follow links).
pub async fn reset_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let usable = service::accounts::usable_password_reset(
        &state.db,
        &state.link_throttle,
        &token,
        &client_address(&req),
    )
    .await;
    link_page(&visitor, "console/reset_password.html", &token, usable)
}

/// The catalogue's key of what is wrong with a new password.
pub fn password_error_key(code: &str) -> &'static str {
    match code {
        "too_short" => "password-error-too-short",
        "too_long" => "password-error-too-long",
        _ => "password-error-invalid",
    }
}

/// The new password, or the catalogue's key of what is wrong with it.
pub fn new_password(raw: String) -> Result<NewPassword, &'static str> {
    if raw.is_empty() {
        return Err("password-error-missing");
    }
    NewPassword::parse(raw).map_err(|error| password_error_key(&error.code))
}

/// A page behind an emailed link that chooses a password (a reset, an invite), again
/// with what is wrong with the password typed.
pub fn choose_again(visitor: &Visitor, template: &str, token: &str, key: &str) -> HttpResponse {
    page_with_status(
        visitor,
        StatusCode::UNPROCESSABLE_ENTITY,
        template,
        minijinja::context! { token, errors => field_errors(&[("password", key)]) },
    )
}

pub async fn reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, ConsoleError> {
    let password = match new_password(form.text("password")) {
        Ok(password) => password,
        Err(key) => {
            return Ok(choose_again(
                &visitor,
                "console/reset_password.html",
                &token,
                key,
            ));
        }
    };
    let reset = service::accounts::reset_password(
        &state.db,
        &state.principals,
        &state.link_throttle,
        &token,
        &client_address(&req),
        password,
        visitor.request_id.clone(),
    )
    .await;
    link_used(
        &visitor,
        "console/reset_password.html",
        reset,
        "note-password-reset",
    )
}
