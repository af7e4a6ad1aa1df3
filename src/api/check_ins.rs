//! Check-ins: the pages behind the one-click answers in check-in emails, and what case
//! managers read and follow up. A GET shows the answer and asks to confirm; it never
//! changes anything (mail scanners follow links). The POST records it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use chrono::Utc;
use secrecy::ExposeSecret;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, Problem};
use super::extract::{Authorized, Staff};
use super::respond::{render_page, wants_html};
use crate::app::AppState;
use crate::domain::check_in::{CheckInAnswer, CheckInParty};
use crate::domain::ids::{CheckInId, MatchId};
use crate::domain::lifecycle::MatchState;
use crate::notify::links::{CheckInClaim, LinkError, verify_check_in};
use crate::service;
use crate::store::check_ins::{CheckInRecord, LinkedCheckIn};

/// Show the answer behind a check-in link, with a button to confirm it.
#[utoipa::path(get, path = "/check-in/{token}", tag = "check-ins",
    responses((status = 200, description = "An HTML page", content_type = "text/html", body = String), (status = 404), (status = 410)))]
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> HttpResponse {
    match open(&state, &token).await {
        Ok((claim, check_in)) if check_in.answer == Some(claim.answer) => page(
            StatusCode::OK,
            "Thank you",
            &format!(
                "You answered: {}. You can close this page.",
                claim.answer.wording(check_in.party)
            ),
            None,
        ),
        Ok((claim, check_in)) => page(
            StatusCode::OK,
            "Send this answer?",
            "Only your program sees it. Nothing is sent until you press the button.",
            Some(claim.answer.wording(check_in.party)),
        ),
        Err(error) => failure(&req, error),
    }
}

/// The confirm button's form: no fields, the link names the answer.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInForm {}

/// Record the answer behind a check-in link (the confirm button's post).
#[utoipa::path(post, path = "/check-in/{token}", tag = "check-ins",
    request_body(content = CheckInForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "An HTML page", content_type = "text/html", body = String), (status = 404), (status = 409),
        (status = 410), (status = 422)))]
pub async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    if !body.is_empty() {
        let error = ApiError::field("body", "unexpected", "this form has no fields");
        return failure(&req, error);
    }
    match record(&state, &token).await {
        Ok((answer, party)) => {
            let message = match (answer, party) {
                (CheckInAnswer::GoingWell, _) => "Good to hear. Thank you for letting us know.",
                (CheckInAnswer::NeedHelp, _) => "Someone from your program will be in touch soon.",
                (CheckInAnswer::WantChange, CheckInParty::Seeker) => {
                    "That is fine, and nobody is blamed. Your program will find you someone else."
                }
                (CheckInAnswer::WantChange, CheckInParty::Sponsor) => {
                    "Thank you for saying so. Your program will find them someone else; nobody is blamed."
                }
            };
            page(StatusCode::OK, "Thank you", message, None)
        }
        Err(error) => failure(&req, error),
    }
}

async fn record(
    state: &web::Data<AppState>,
    token: &str,
) -> Result<(CheckInAnswer, CheckInParty), ApiError> {
    let (claim, check_in) = open(state, token).await?;
    let (answer, party) = (claim.answer, check_in.party);
    if check_in.answer == Some(answer) {
        return Ok((answer, party));
    }
    service::check_ins::answer(&state.db, &state.pool, check_in, answer).await?;
    Ok((answer, party))
}

/// The link's claim and its check-in, if the link may still be used.
async fn open(state: &AppState, token: &str) -> Result<(CheckInClaim, LinkedCheckIn), ApiError> {
    let key = state.secrets.token_signing_key.expose_secret().as_bytes();
    let claim = verify_check_in(key, token, Utc::now()).map_err(|error| match error {
        LinkError::Invalid => ApiError::NotFound,
        LinkError::Expired => ApiError::Gone("this link has expired".into()),
    })?;
    let id = claim.check_in;
    let check_in = service::check_ins::linked(&state.db, id).await?;
    if !matches!(
        check_in.match_state,
        MatchState::Introduced | MatchState::Active
    ) {
        return Err(ApiError::Gone(
            "this match has ended; your program can help with anything else".into(),
        ));
    }
    if check_in.party == CheckInParty::Sponsor && check_in.sponsor.is_none() {
        return Err(ApiError::Gone("this account is disabled".into()));
    }
    Ok((claim, check_in))
}

fn page(status: StatusCode, title: &str, message: &str, answer: Option<&str>) -> HttpResponse {
    let context = minijinja::context! { title, message, answer };
    render_page(status, "check_in.html", context)
}

/// People get a page, programs a problem document.
fn failure(req: &HttpRequest, error: ApiError) -> HttpResponse {
    if !wants_html(req) {
        return error.error_response();
    }
    let message = match &error {
        ApiError::NotFound => "This link is not valid.".to_owned(),
        ApiError::Gone(why) => format!("Sorry: {why}."),
        other => other.to_string(),
    };
    page(
        error.status_code(),
        "This link cannot be used",
        &message,
        None,
    )
}

#[derive(Serialize, ToSchema)]
pub struct CheckIns {
    /// Oldest round first; in each round the seeker's, then the sponsor's.
    pub check_ins: Vec<CheckInRecord>,
}

/// A match's check-ins: what each side answered, and which stayed silent.
#[utoipa::path(get, path = "/api/v1/matches/{id}/check-ins", tag = "check-ins",
    security(("bearer" = [])),
    responses((status = 200, body = CheckIns), (status = 404, body = Problem)))]
pub async fn for_match(
    auth: Authorized<Staff>,
    state: web::Data<AppState>,
    id: web::Path<MatchId>,
) -> Result<HttpResponse, ApiError> {
    let schedule = &state.check_in_schedule;
    let check_ins =
        service::check_ins::for_match(&state.db, schedule, auth.actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(CheckIns { check_ins }))
}

/// Mark a check-in as followed up: it leaves the review queue until it is answered again.
#[utoipa::path(post, path = "/api/v1/check-ins/{id}/follow-up", tag = "check-ins",
    security(("bearer" = [])),
    responses((status = 200, body = CheckInRecord), (status = 404, body = Problem)))]
pub async fn follow_up(
    auth: Authorized<Staff>,
    state: web::Data<AppState>,
    id: web::Path<CheckInId>,
) -> Result<HttpResponse, ApiError> {
    let schedule = &state.check_in_schedule;
    let record =
        service::check_ins::follow_up(&state.db, schedule, auth.actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(record))
}
