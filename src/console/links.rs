//! The pages behind the links in emails: a sponsor answering a request, either side
//! answering a check-in, without signing in. The token in the address is the
//! credential. A GET shows what the link is for and asks to confirm; it never changes
//! anything (mail scanners follow links). The POST (with the CSRF token of the page's
//! form) takes the step, as the signed-in pages do, through the same service function.
//! A link that can no longer be used says why, to "you", and what can still be done.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use minijinja::Value;
use secrecy::ExposeSecret;

use super::error::ConsoleError;
use super::page::page_with_status;
use super::session::{Form, Visitor};
use super::sponsoring::{self, reasons};
use crate::app::AppState;
use crate::auth::Principal;
use crate::domain::check_in::{CheckInAnswer, CheckInParty};
use crate::domain::lifecycle::{Action, MatchState, Reason, ReasonCategory, Refusal};
use crate::notify::links::{
    CheckInClaim, LinkAction, LinkClaim, LinkError, sign, verify, verify_check_in,
};
use crate::service;
use crate::store::StoreError;
use crate::store::audit::Actor;
use crate::store::check_ins::LinkedCheckIn;
use crate::store::matches::{LinkedRequest, StepDetails};

/// Why a link cannot be used, as the catalogue's key of what the page says.
fn unusable(status: StatusCode, words: &'static str) -> Unusable {
    Unusable { status, words }
}

struct Unusable {
    status: StatusCode,
    words: &'static str,
}

impl From<ConsoleError> for Unusable {
    fn from(error: ConsoleError) -> Self {
        match error {
            ConsoleError::NotFound => unusable(StatusCode::NOT_FOUND, "link-invalid"),
            _ => unusable(StatusCode::SERVICE_UNAVAILABLE, "error-unavailable"),
        }
    }
}

impl From<StoreError> for Unusable {
    fn from(error: StoreError) -> Self {
        ConsoleError::from(error).into()
    }
}

fn unusable_page(visitor: &Visitor, why: Unusable) -> HttpResponse {
    page_with_status(
        visitor,
        why.status,
        "console/link_gone.html",
        minijinja::context! { words => why.words },
    )
}

fn signing_key(state: &AppState) -> &[u8] {
    state.secrets.token_signing_key.expose_secret().as_bytes()
}

/// The sponsor's own time zone, for the answer-by time; UTC without a profile.
async fn zone_of(state: &AppState, sponsor: Option<Principal>) -> String {
    // A page behind a link still shows, on the service's clock, if the zone cannot be read.
    match sponsor {
        Some(Principal::User { id, .. }) => sponsoring::zone_of(state, id)
            .await
            .unwrap_or_else(|_| "UTC".to_owned()),
        _ => "UTC".to_owned(),
    }
}

/// The link's claim and its request, if the link may still be used; else why not.
async fn open_request(
    state: &AppState,
    token: &str,
) -> Result<(LinkClaim, LinkedRequest), Unusable> {
    let claim = verify(signing_key(state), token, Utc::now()).map_err(|error| match error {
        LinkError::Invalid => unusable(StatusCode::NOT_FOUND, "link-invalid"),
        LinkError::Expired => unusable(StatusCode::GONE, "link-request-expired"),
    })?;
    let request = service::matches::linked_request(&state.db, claim.match_id).await?;
    if request.sponsor.is_none() {
        return Err(unusable(StatusCode::GONE, "link-account-disabled"));
    }
    let words = match request.state {
        MatchState::AwaitingSponsor if request.version == claim.version => {
            return Ok((claim, request));
        }
        // A step that kept it waiting (an approval, a reassignment) made a newer link.
        MatchState::AwaitingSponsor => "link-request-newer",
        MatchState::Withdrawn | MatchState::Vetoed => "link-request-withdrawn",
        MatchState::Expired => "link-request-expired",
        MatchState::Declined => "link-request-declined",
        _ => "link-request-answered",
    };
    Err(unusable(StatusCode::GONE, words))
}

struct RequestView<'a> {
    claim: LinkClaim,
    request: &'a LinkedRequest,
    zone: String,
    /// The form to show: the link's own, or a decline when accepting cannot work.
    form: LinkAction,
    problem: Option<&'static str>,
}

fn request_page(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    view: RequestView<'_>,
) -> HttpResponse {
    // The decline form of an accept link posts to the request's decline link.
    let decline_token = sign(
        signing_key(state),
        &LinkClaim {
            action: LinkAction::Decline,
            ..view.claim
        },
    );
    let context = minijinja::context! {
        seeker => Value::from_serialize(&view.request.seeker),
        answer_by => view.request.answer_by,
        zone => view.zone,
        form => match view.form { LinkAction::Accept => "accept", LinkAction::Decline => "decline" },
        decline_path => format!("/respond/{decline_token}"),
        fit_reasons => reasons(ReasonCategory::Fit),
        safety_reasons => reasons(ReasonCategory::Safety),
        problem => view.problem,
    };
    page_with_status(visitor, status, "console/respond.html", context)
}

/// Show the request behind an email link, with a form to confirm the answer.
pub async fn show_request(
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
) -> HttpResponse {
    let (claim, request) = match open_request(&state, &token).await {
        Ok(opened) => opened,
        Err(why) => return unusable_page(&visitor, why),
    };
    // Showing the request discloses it again: on record, as the sponsor's read.
    if let Some(principal) = request.sponsor {
        let actor = Actor {
            principal,
            request_id: visitor.request_id.clone(),
        };
        let logged =
            service::matches::record_link_read(&state.db, actor, request.program, claim.match_id)
                .await;
        if let Err(error) = logged {
            return unusable_page(&visitor, error.into());
        }
    }
    let zone = zone_of(&state, request.sponsor).await;
    let view = RequestView {
        claim,
        request: &request,
        zone,
        form: claim.action,
        problem: None,
    };
    request_page(&state, &visitor, StatusCode::OK, view)
}

/// Answer the request behind an email link (the page's form).
pub async fn answer_request(
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
    form: Form,
) -> HttpResponse {
    let (claim, request) = match open_request(&state, &token).await {
        Ok(opened) => opened,
        Err(why) => return unusable_page(&visitor, why),
    };
    let Some(principal) = request.sponsor else {
        return unusable_page(
            &visitor,
            unusable(StatusCode::GONE, "link-account-disabled"),
        );
    };
    let zone = zone_of(&state, request.sponsor).await;
    let again = |status, form, problem| {
        let view = RequestView {
            claim,
            request: &request,
            zone: zone.clone(),
            form,
            problem: Some(problem),
        };
        request_page(&state, &visitor, status, view)
    };
    let mut details = StepDetails::default();
    let action = match claim.action {
        LinkAction::Accept => {
            if form.get("share_contact_details") != Some("yes") {
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                return again(status, LinkAction::Accept, "accept-error-consent");
            }
            details.sponsor_shares_contact = true;
            Action::SponsorAccept
        }
        LinkAction::Decline => {
            match form.get("reason").unwrap_or_default() {
                "" => {}
                text => match Reason::parse(text).filter(|r| !r.is_service()) {
                    Some(reason) => details.reason = Some(reason),
                    None => {
                        let status = StatusCode::UNPROCESSABLE_ENTITY;
                        return again(status, LinkAction::Decline, "decline-error-reason");
                    }
                },
            }
            Action::SponsorDecline
        }
    };
    let actor = Actor {
        principal,
        request_id: visitor.request_id.clone(),
    };
    let taken = service::matches::take_step(
        &state.db,
        &state.pool,
        actor,
        claim.match_id,
        action,
        details,
    )
    .await;
    match taken {
        Ok(_) => {
            let words = match claim.action {
                LinkAction::Accept => "note-accepted",
                LinkAction::Decline => "note-declined",
            };
            page_with_status(
                &visitor,
                StatusCode::OK,
                "console/link_done.html",
                minijinja::context! { words },
            )
        }
        Err(StoreError::Refused(Refusal::NoCapacity)) => again(
            StatusCode::CONFLICT,
            LinkAction::Decline,
            "refusal-no-capacity",
        ),
        Err(StoreError::Refused(_)) => unusable_page(
            &visitor,
            unusable(StatusCode::GONE, "link-request-answered"),
        ),
        Err(other) => unusable_page(&visitor, other.into()),
    }
}

/// The check-in behind a link, if the link may still be used; else why not.
async fn open_check_in(
    state: &AppState,
    token: &str,
) -> Result<(CheckInClaim, LinkedCheckIn), Unusable> {
    let claim =
        verify_check_in(signing_key(state), token, Utc::now()).map_err(|error| match error {
            LinkError::Invalid => unusable(StatusCode::NOT_FOUND, "link-invalid"),
            LinkError::Expired => unusable(StatusCode::GONE, "link-check-in-expired"),
        })?;
    let check_in = service::check_ins::linked(&state.db, claim.check_in).await?;
    if !check_in.match_state.is_under_way() {
        return Err(unusable(StatusCode::GONE, "link-check-in-over"));
    }
    if check_in.party == CheckInParty::Sponsor && check_in.sponsor.is_none() {
        return Err(unusable(StatusCode::GONE, "link-account-disabled"));
    }
    Ok((claim, check_in))
}

fn check_in_page(
    visitor: &Visitor,
    answer: CheckInAnswer,
    party: CheckInParty,
    done: bool,
) -> HttpResponse {
    let context = minijinja::context! {
        answer => <&'static str>::from(answer),
        party => <&'static str>::from(party),
        done,
    };
    page_with_status(visitor, StatusCode::OK, "console/check_in.html", context)
}

/// Show the answer behind a check-in link, with a button to confirm it.
pub async fn show_check_in(
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
) -> HttpResponse {
    match open_check_in(&state, &token).await {
        Ok((claim, check_in)) => {
            let done = check_in.answer == Some(claim.answer);
            check_in_page(&visitor, claim.answer, check_in.party, done)
        }
        Err(why) => unusable_page(&visitor, why),
    }
}

/// Record the answer behind a check-in link (the confirm button's form).
pub async fn answer_check_in(
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
    _form: Form,
) -> HttpResponse {
    let (claim, check_in) = match open_check_in(&state, &token).await {
        Ok(opened) => opened,
        Err(why) => return unusable_page(&visitor, why),
    };
    let (answer, party) = (claim.answer, check_in.party);
    if check_in.answer != Some(answer)
        && let Err(error) =
            service::check_ins::answer(&state.db, &state.pool, check_in, answer).await
    {
        return unusable_page(&visitor, error.into());
    }
    check_in_page(&visitor, answer, party, true)
}
