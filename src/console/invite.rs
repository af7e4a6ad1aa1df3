//! The page an emailed invite links to: choose a password, and the account is created.
//! Opening it changes nothing (mail scanners follow links); guessing tokens is throttled
//! as the API's acceptance is (the same service function).

use actix_web::{HttpRequest, HttpResponse, web};

use super::error::ConsoleError;
use super::password::{choose_again, link_page, link_used, new_password};
use super::session::{Form, Visitor, client_address};
use crate::app::AppState;
use crate::service;

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
    // Unknown, used, expired, replaced, or for an address with an account: one page.
    link_page(&visitor, "console/invite.html", &token, usable)
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
    link_used(
        &visitor,
        "console/invite.html",
        accepted,
        "note-account-created",
    )
}
