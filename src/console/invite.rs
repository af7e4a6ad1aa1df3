//! The page an emailed invite links to: choose a password, and the account is created.
//! Opening it changes nothing (mail scanners follow links); guessing tokens is throttled
//! as the API's acceptance is (the same service function).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::error::ConsoleError;
use super::page::{page, page_with_status, see_other};
use super::password::{choose_again, new_password};
use super::session::{Form, Visitor, client_address};
use crate::app::AppState;
use crate::service::{self, ServiceError};
use crate::store::StoreError;

/// An invite that is unknown, used, expired, replaced, or for an address with an
/// account: the same page for each.
fn dead_invite(visitor: &Visitor) -> HttpResponse {
    page_with_status(
        visitor,
        StatusCode::NOT_FOUND,
        "console/invite.html",
        minijinja::context! { dead => true },
    )
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let usable = service::accounts::usable_invite(
        &state.db,
        &state.link_throttle,
        &token,
        &client_address(&req),
    )
    .await;
    match usable {
        Ok(_) => Ok(page(
            &visitor,
            "console/invite.html",
            minijinja::context! { token => token.as_str() },
        )),
        Err(ServiceError::Store(StoreError::NotFound)) => Ok(dead_invite(&visitor)),
        Err(other) => Err(other.into()),
    }
}

pub async fn accept(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, ConsoleError> {
    let password = match new_password(form.text("password")) {
        Ok(password) => password,
        Err(key) => return Ok(choose_again(&visitor, "console/invite.html", &token, key)),
    };
    let accepted = service::accounts::accept_invite_token(
        &state.db,
        &state.pool,
        &state.link_throttle,
        &token,
        &client_address(&req),
        password,
        visitor.request_id.clone(),
    )
    .await;
    match accepted {
        Ok(_) => Ok(see_other("/sign-in", Some("note-account-created"))),
        Err(ServiceError::Store(StoreError::NotFound)) => Ok(dead_invite(&visitor)),
        Err(other) => Err(other.into()),
    }
}
