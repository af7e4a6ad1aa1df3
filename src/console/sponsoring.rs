//! A sponsor's own matches: the requests addressed to them (accept, decline), the
//! people they sponsor (mark active, end), and their check-ins. Every step is the
//! service's `take_step`, as the API's and the emailed links' are.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use minijinja::Value;

use super::error::ConsoleError;
use super::page::{done_note, page, page_with_status, see_other};
use super::session::{Form, SignedIn, Sponsors};
use crate::app::AppState;
use crate::domain::check_in::CheckInAnswer;
use crate::domain::ids::{CheckInId, MatchId, UserId};
use crate::domain::lifecycle::{Action, MatchState, Reason, ReasonCategory, Refusal};
use crate::service;
use crate::store::matches::StepDetails;
use crate::store::{PageRequest, StoreError};

/// Requests shown on one page of the list.
const PAGE_SIZE: i64 = 50;

/// The notes these pages show after a step.
const NOTES: &[&str] = &[
    "note-accepted",
    "note-declined",
    "note-activated",
    "note-ended",
    "note-check-in-answered",
];

/// The sponsor's own time zone, in which every time is shown; UTC before they have a
/// profile.
pub(super) async fn zone_of(state: &AppState, sponsor: UserId) -> Result<String, ConsoleError> {
    match service::sponsors::own_profile(&state.db, sponsor).await {
        Ok(profile) => Ok(profile.time_zone),
        Err(StoreError::NotFound) => Ok("UTC".to_owned()),
        Err(other) => Err(other.into()),
    }
}

/// Reasons a sponsor may give, in two groups: safety apart, since those reach the
/// program as a concern rather than a matter of fit.
pub(super) fn reasons(category: ReasonCategory) -> Vec<&'static str> {
    Reason::ALL
        .iter()
        .filter(|r| !r.is_service() && r.category() == category)
        .map(|r| r.as_str())
        .collect()
}

fn reason_from(form: &Form) -> Result<Option<Reason>, ConsoleError> {
    match form.get("reason").unwrap_or_default() {
        "" => Ok(None),
        text => Reason::parse(text)
            .filter(|r| !r.is_service())
            .map(Some)
            .ok_or(ConsoleError::Malformed),
    }
}

/// The catalogue's words for why a step could not be taken, in the second person.
fn refusal_words(refusal: &Refusal) -> &'static str {
    match refusal {
        Refusal::NoCapacity => "refusal-no-capacity",
        Refusal::InvalidTransition { .. } => "refusal-moved-on",
        Refusal::ConsentRequired(_) => "refusal-consent",
        _ => "refusal-other",
    }
}

#[derive(serde::Deserialize)]
pub struct ListQuery {
    after: Option<uuid::Uuid>,
}

pub async fn requests(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn<Sponsors>,
) -> Result<HttpResponse, ConsoleError> {
    let after = web::Query::<ListQuery>::from_query(req.query_string())
        .map_err(|_| ConsoleError::NotFound)?
        .into_inner()
        .after;
    let zone = zone_of(&state, signed_in.user).await?;
    let page_request = PageRequest {
        after,
        limit: PAGE_SIZE + 1,
    };
    let mut requests = service::matches::sponsor_requests(
        &state.db,
        signed_in.actor.clone(),
        signed_in.user,
        page_request,
    )
    .await?;
    let more = requests.len() > usize::try_from(PAGE_SIZE).unwrap_or_default();
    requests.truncate(usize::try_from(PAGE_SIZE).unwrap_or_default());
    let next = more
        .then(|| requests.last().map(|r| r.id.to_string()))
        .flatten();
    let (waiting, answered): (Vec<_>, Vec<_>) = requests
        .into_iter()
        .partition(|r| r.state == MatchState::AwaitingSponsor);
    Ok(page(
        &signed_in.visitor,
        "console/requests.html",
        minijinja::context! {
            nav => "nav-requests",
            zone,
            waiting,
            answered,
            next,
            note => done_note(req.query_string(), NOTES),
        },
    ))
}

/// One request, with the forms to answer it, and `problem` (a catalogue key) when the
/// last answer could not be taken.
async fn request_page(
    state: &AppState,
    signed_in: &SignedIn<Sponsors>,
    id: MatchId,
    status: StatusCode,
    problem: Option<&str>,
    note: Option<&str>,
) -> Result<HttpResponse, ConsoleError> {
    let zone = zone_of(state, signed_in.user).await?;
    let request =
        service::matches::sponsor_request(&state.db, signed_in.actor.clone(), signed_in.user, id)
            .await?;
    let context = minijinja::context! {
        nav => "nav-requests",
        zone,
        request => Value::from_serialize(&request),
        waiting => request.state == MatchState::AwaitingSponsor,
        fit_reasons => reasons(ReasonCategory::Fit),
        safety_reasons => reasons(ReasonCategory::Safety),
        problem,
        note,
    };
    Ok(page_with_status(
        &signed_in.visitor,
        status,
        "console/request.html",
        context,
    ))
}

pub async fn request(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn<Sponsors>,
    id: web::Path<MatchId>,
) -> Result<HttpResponse, ConsoleError> {
    let note = done_note(req.query_string(), NOTES);
    request_page(
        &state,
        &signed_in,
        id.into_inner(),
        StatusCode::OK,
        None,
        note,
    )
    .await
}

/// Which page a step's form is on: shown again, with why, when the step is refused.
#[derive(Clone, Copy)]
enum FormOn {
    Request,
    Sponsees,
}

/// Takes a step and sees the page `then` leads to (its path and note), or shows the
/// form's page again with why the step could not be taken.
async fn step(
    state: &AppState,
    signed_in: &SignedIn<Sponsors>,
    id: MatchId,
    action: Action,
    details: StepDetails,
    then: (&str, &str),
    form_on: FormOn,
) -> Result<HttpResponse, ConsoleError> {
    let taken = service::matches::take_step(
        &state.db,
        &state.pool,
        signed_in.actor.clone(),
        id,
        action,
        details,
    )
    .await;
    let words = match taken {
        Ok(_) => return Ok(see_other(then.0, Some(then.1))),
        Err(StoreError::Refused(refusal)) => Some(refusal_words(&refusal)),
        Err(other) => return Err(other.into()),
    };
    let status = StatusCode::CONFLICT;
    match form_on {
        FormOn::Request => request_page(state, signed_in, id, status, words, None).await,
        FormOn::Sponsees => sponsees_page(state, signed_in, status, words, None, None).await,
    }
}

pub async fn accept(
    state: web::Data<AppState>,
    signed_in: SignedIn<Sponsors>,
    id: web::Path<MatchId>,
    form: Form,
) -> Result<HttpResponse, ConsoleError> {
    let id = id.into_inner();
    if form.get("share_contact_details") != Some("yes") {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return request_page(
            &state,
            &signed_in,
            id,
            status,
            Some("accept-error-consent"),
            None,
        )
        .await;
    }
    let details = StepDetails {
        sponsor_shares_contact: true,
        ..StepDetails::default()
    };
    let path = format!("/app/requests/{id}");
    step(
        &state,
        &signed_in,
        id,
        Action::SponsorAccept,
        details,
        (&path, "note-accepted"),
        FormOn::Request,
    )
    .await
}

pub async fn decline(
    state: web::Data<AppState>,
    signed_in: SignedIn<Sponsors>,
    id: web::Path<MatchId>,
    form: Form,
) -> Result<HttpResponse, ConsoleError> {
    let id = id.into_inner();
    let details = StepDetails {
        reason: reason_from(&form)?,
        ..StepDetails::default()
    };
    let then = ("/app/requests", "note-declined");
    step(
        &state,
        &signed_in,
        id,
        Action::SponsorDecline,
        details,
        then,
        FormOn::Request,
    )
    .await
}

/// The people the sponsor sponsors, with `problem` when a step could not be taken; the
/// end form of `ending` open, when it was sent without a reason.
async fn sponsees_page(
    state: &AppState,
    signed_in: &SignedIn<Sponsors>,
    status: StatusCode,
    problem: Option<&str>,
    note: Option<&str>,
    ending: Option<MatchId>,
) -> Result<HttpResponse, ConsoleError> {
    let zone = zone_of(state, signed_in.user).await?;
    let sponsees =
        service::matches::sponsees(&state.db, signed_in.actor.clone(), signed_in.user).await?;
    Ok(page_with_status(
        &signed_in.visitor,
        status,
        "console/sponsees.html",
        minijinja::context! {
            nav => "nav-sponsees",
            zone,
            sponsees,
            fit_reasons => reasons(ReasonCategory::Fit),
            safety_reasons => reasons(ReasonCategory::Safety),
            problem,
            note,
            ending => ending.map(|id| id.to_string()),
        },
    ))
}

pub async fn sponsees(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn<Sponsors>,
) -> Result<HttpResponse, ConsoleError> {
    let note = done_note(req.query_string(), NOTES);
    sponsees_page(&state, &signed_in, StatusCode::OK, None, note, None).await
}

pub async fn activate(
    state: web::Data<AppState>,
    signed_in: SignedIn<Sponsors>,
    id: web::Path<MatchId>,
    _form: Form,
) -> Result<HttpResponse, ConsoleError> {
    let then = ("/app/sponsees", "note-activated");
    let details = StepDetails::default();
    step(
        &state,
        &signed_in,
        id.into_inner(),
        Action::Activate,
        details,
        then,
        FormOn::Sponsees,
    )
    .await
}

pub async fn end(
    state: web::Data<AppState>,
    signed_in: SignedIn<Sponsors>,
    id: web::Path<MatchId>,
    form: Form,
) -> Result<HttpResponse, ConsoleError> {
    let id = id.into_inner();
    let Some(reason) = reason_from(&form)? else {
        // The form again, open, with the error beside its list of reasons.
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        let problem = Some("end-error-reason");
        return sponsees_page(&state, &signed_in, status, problem, None, Some(id)).await;
    };
    let details = StepDetails {
        reason: Some(reason),
        ..StepDetails::default()
    };
    let then = ("/app/sponsees", "note-ended");
    step(
        &state,
        &signed_in,
        id,
        Action::End,
        details,
        then,
        FormOn::Sponsees,
    )
    .await
}

pub async fn check_ins(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn<Sponsors>,
) -> Result<HttpResponse, ConsoleError> {
    let zone = zone_of(&state, signed_in.user).await?;
    let check_ins = service::check_ins::for_sponsor(&state.db, signed_in.user).await?;
    let answers: Vec<&str> = CheckInAnswer::ALL.iter().map(|a| a.into()).collect();
    Ok(page(
        &signed_in.visitor,
        "console/check_ins.html",
        minijinja::context! {
            nav => "nav-check-ins",
            zone,
            check_ins,
            answers,
            note => done_note(req.query_string(), NOTES),
        },
    ))
}

pub async fn answer_check_in(
    state: web::Data<AppState>,
    signed_in: SignedIn<Sponsors>,
    id: web::Path<CheckInId>,
    form: Form,
) -> Result<HttpResponse, ConsoleError> {
    let answer = form
        .get("answer")
        .and_then(|a| a.parse::<CheckInAnswer>().ok())
        .ok_or(ConsoleError::Malformed)?;
    service::check_ins::answer_as_sponsor(
        &state.db,
        &state.pool,
        signed_in.user,
        id.into_inner(),
        answer,
    )
    .await?;
    Ok(see_other("/app/check-ins", Some("note-check-in-answered")))
}
