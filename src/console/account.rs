//! A person's own account: who they are signed in as, changing their password, and
//! the sessions they have in force (ending one, or all but this browser's).

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::error::ConsoleError;
use super::page::{done_note, field_errors, page_with_status, see_other};
use super::password::new_password;
use super::render::with_retry_after;
use super::session::{Form, People, SignedIn, client_address, session_token};
use super::sponsoring::zone_of;
use crate::app::AppState;
use crate::auth::Role;
use crate::auth::credentials::sha256_hex;
use crate::domain::ids::SessionId;
use crate::service::{self, ServiceError};

/// Notes the account page may show after a redirect.
const NOTES: &[&str] = &[
    "note-password-changed",
    "note-session-ended",
    "note-sessions-ended",
];

/// Longer than any password the service keeps; not worth an argon2 check.
const MAX_PASSWORD: usize = 1024;

/// The hash of this browser's session token: how the service tells this session apart.
fn this_session(req: &HttpRequest, state: &AppState) -> String {
    sha256_hex(&session_token(req, state).unwrap_or_default())
}

async fn account_page(
    req: &HttpRequest,
    state: &AppState,
    signed_in: &SignedIn<People>,
    status: StatusCode,
    errors: BTreeMap<String, String>,
    note: Option<&str>,
) -> Result<HttpResponse, ConsoleError> {
    let me = service::accounts::me(&state.db, signed_in.actor.principal).await?;
    let user = me.user.ok_or(ConsoleError::Forbidden)?;
    let sessions =
        service::accounts::sessions(&state.db, signed_in.user, this_session(req, state)).await?;
    let others = sessions.iter().any(|s| !s.current);
    // Times on the viewer's clock: a sponsor's own zone; staff have none on record.
    let zone = match signed_in.role {
        Role::Sponsor => zone_of(state, signed_in.user).await?,
        Role::ProgramAdmin | Role::CaseManager => "UTC".to_owned(),
    };
    let sessions: Vec<minijinja::Value> = sessions
        .into_iter()
        .map(|s| {
            minijinja::context! {
                id => s.id.to_string(),
                started => s.started_at,
                ends => s.ends_at,
                current => s.current,
            }
        })
        .collect();
    Ok(page_with_status(
        &signed_in.visitor,
        status,
        "console/account.html",
        minijinja::context! {
            nav => "nav-account",
            name => user.display_name,
            email => user.email,
            account_role => <&'static str>::from(user.role),
            program => me.program.name,
            sessions,
            zone,
            others,
            errors,
            note,
        },
    ))
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn<People>,
) -> Result<HttpResponse, ConsoleError> {
    let note = done_note(req.query_string(), NOTES);
    account_page(
        &req,
        &state,
        &signed_in,
        StatusCode::OK,
        BTreeMap::new(),
        note,
    )
    .await
}

pub async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn<People>,
    form: Form,
) -> Result<HttpResponse, ConsoleError> {
    let current = form.text("current_password");
    let mut errors: Vec<(&str, &str)> = Vec::new();
    if current.is_empty() {
        errors.push(("current_password", "password-error-current-missing"));
    }
    let new = new_password(form.text("new_password"))
        .map_err(|key| errors.push(("new_password", key)))
        .ok();
    let again = |status, errors: &[(&str, &str)]| {
        account_page(&req, &state, &signed_in, status, field_errors(errors), None)
    };
    let (Some(new), true) = (new, errors.is_empty()) else {
        return again(StatusCode::UNPROCESSABLE_ENTITY, &errors).await;
    };
    let wrong = [("current_password", "password-error-current-wrong")];
    if current.len() > MAX_PASSWORD {
        return again(StatusCode::UNPROCESSABLE_ENTITY, &wrong).await;
    }
    let changed = service::accounts::change_password(
        &state.db,
        &state.principals,
        &state.login_throttle,
        signed_in.actor.clone(),
        this_session(&req, &state),
        current,
        new,
        &client_address(&req),
    )
    .await;
    match changed {
        Ok(()) => Ok(see_other("/app/account", Some("note-password-changed"))),
        Err(ServiceError::Invalid(_)) => again(StatusCode::UNPROCESSABLE_ENTITY, &wrong).await,
        Err(ServiceError::Throttled(wait)) => {
            let throttled = [("current_password", "password-error-throttled")];
            let page = again(StatusCode::TOO_MANY_REQUESTS, &throttled).await?;
            Ok(with_retry_after(page, wait))
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn revoke_session(
    state: web::Data<AppState>,
    signed_in: SignedIn<People>,
    id: web::Path<String>,
    _form: Form,
) -> Result<HttpResponse, ConsoleError> {
    let id: SessionId = id.parse().map_err(|_| ConsoleError::NotFound)?;
    service::accounts::end_session(&state.db, &state.principals, signed_in.actor, id).await?;
    Ok(see_other("/app/account", Some("note-session-ended")))
}

pub async fn revoke_other_sessions(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn<People>,
    _form: Form,
) -> Result<HttpResponse, ConsoleError> {
    service::accounts::end_other_sessions(
        &state.db,
        &state.principals,
        signed_in.actor,
        this_session(&req, &state),
    )
    .await?;
    Ok(see_other("/app/account", Some("note-sessions-ended")))
}
