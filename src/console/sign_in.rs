//! Signing in and out. Sign-in is throttled as the API's login is (the same service
//! function), and every sign-in starts a new session: a cookie set before it is never
//! the session after it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::error::ConsoleError;
use super::page::{done_note, page, page_with_status, see_other};
use super::render::with_retry_after;
use super::session::{
    Form, People, SignedIn, Visitor, client_address, expired_session_cookie, local_path,
    session_cookie, session_token,
};
use crate::app::AppState;
use crate::auth::credentials::sha256_hex;
use crate::service::{self, ServiceError};

/// Notes the sign-in page may show after a redirect.
const NOTES: &[&str] = &[
    "note-signed-out",
    "note-password-reset",
    "note-account-created",
];

/// `/`: the console's home when signed in, else the sign-in page.
pub async fn root(visitor: Visitor) -> HttpResponse {
    if visitor.principal.is_some() {
        see_other("/app", None)
    } else {
        see_other("/sign-in", None)
    }
}

#[derive(serde::Deserialize)]
pub struct BackTo {
    back_to: Option<String>,
}

fn back_to(req: &HttpRequest) -> String {
    web::Query::<BackTo>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.into_inner().back_to)
        .and_then(|path| local_path(&path).map(str::to_owned))
        .unwrap_or_default()
}

pub async fn show(req: HttpRequest, visitor: Visitor) -> HttpResponse {
    if visitor.principal.is_some() {
        return see_other("/app", None);
    }
    let note = done_note(req.query_string(), NOTES);
    page(
        &visitor,
        "console/sign_in.html",
        minijinja::context! { back_to => back_to(&req), note },
    )
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    form: Form,
) -> Result<HttpResponse, ConsoleError> {
    let email = form.text("email");
    let password = form.text("password");
    let back_to = local_path(&form.text("back_to"))
        .unwrap_or("/app")
        .to_owned();
    let again = |status, error: &str, retry_after: Option<u64>| {
        page_with_status(
            &visitor,
            status,
            "console/sign_in.html",
            minijinja::context! { email, back_to, error, retry_after },
        )
    };
    if email.trim().is_empty() || password.is_empty() || password.len() > 1024 {
        return Ok(again(
            StatusCode::UNPROCESSABLE_ENTITY,
            "sign-in-error-missing",
            None,
        ));
    }
    let signed_in = service::accounts::sign_in(
        &state.db,
        &state.login_throttle,
        state.settings.auth.session_hours,
        &email,
        password,
        &client_address(&req),
        visitor.request_id.clone(),
    )
    .await;
    match signed_in {
        Ok(session) => {
            let mut response = see_other(&back_to, None);
            response
                .add_cookie(&session_cookie(&state, session.token))
                .map_err(|_| ConsoleError::Internal)?;
            Ok(response)
        }
        Err(ServiceError::Unauthenticated) => {
            Ok(again(StatusCode::UNAUTHORIZED, "sign-in-error-wrong", None))
        }
        Err(ServiceError::Throttled(wait)) => {
            let minutes = wait.as_secs().max(1).div_ceil(60);
            let page = again(
                StatusCode::TOO_MANY_REQUESTS,
                "sign-in-error-throttled",
                Some(minutes),
            );
            Ok(with_retry_after(page, wait))
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn<People>,
    _form: Form,
) -> Result<HttpResponse, ConsoleError> {
    let hash = sha256_hex(&session_token(&req, &state).unwrap_or_default());
    service::accounts::sign_out(&state.db, &state.principals, signed_in.actor, hash).await?;
    let mut response = see_other("/sign-in", Some("note-signed-out"));
    response
        .add_cookie(&expired_session_cookie(&state))
        .map_err(|_| ConsoleError::Internal)?;
    Ok(response)
}
