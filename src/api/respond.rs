//! The pages behind the links in request emails, for sponsors answering without logging
//! in. A GET shows the request and asks to confirm; it never changes anything (mail
//! scanners follow links). The POST answers as the sponsor the link was made for.

use std::sync::LazyLock;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use chrono::Utc;
use minijinja::Environment;
use secrecy::ExposeSecret;
use utoipa::ToSchema;

use super::error::{ApiError, REQUEST_ID};
use super::extract::refuse_nul_in_pairs;
use crate::app::AppState;
use crate::domain::lifecycle::{Action, MatchState, Reason};
use crate::notify::links::{LinkAction, LinkClaim, LinkError, verify};
use crate::service;
use crate::store::audit::Actor;
use crate::store::matches::{LinkedRequest, StepDetails};

/// The pages behind emailed links.
pub(super) static PAGES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, source) in [
        (
            "layout.html",
            include_str!("../../templates/pages/layout.html"),
        ),
        (
            "respond.html",
            include_str!("../../templates/pages/respond.html"),
        ),
        (
            "check_in.html",
            include_str!("../../templates/pages/check_in.html"),
        ),
    ] {
        if let Err(error) = env.add_template(name, source) {
            // The templates are part of the binary; a broken one fails every test.
            panic!("page template {name}: {error}");
        }
    }
    env
});

/// Show the request behind an email link, with a form to confirm the answer.
#[utoipa::path(get, path = "/respond/{token}", tag = "matches",
    responses((status = 200, description = "An HTML page", content_type = "text/html", body = String), (status = 404), (status = 410)))]
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> HttpResponse {
    match open(&state, &token).await {
        Ok((claim, request)) => {
            // Showing the request discloses it again: on record, as the sponsor's read.
            if let Some(principal) = request.sponsor {
                let actor = Actor {
                    principal,
                    request_id: REQUEST_ID.try_with(Clone::clone).unwrap_or_default(),
                };
                let logged = service::matches::record_link_read(
                    &state.db,
                    actor,
                    request.program,
                    claim.match_id,
                )
                .await;
                if let Err(error) = logged {
                    return failure(&req, error.into());
                }
            }
            let (title, message, form) = match claim.action {
                LinkAction::Accept => (
                    "Accept this request?",
                    "Here is what they agreed to share. Nothing changes until you confirm.",
                    "accept",
                ),
                LinkAction::Decline => (
                    "Decline this request?",
                    "Nothing changes until you confirm. Declining is always fine.",
                    "decline",
                ),
            };
            page(StatusCode::OK, title, message, Some(&request), form)
        }
        Err(error) => failure(&req, error),
    }
}

/// The confirmation form, as the document describes it (`form_details` reads it):
/// `share_contact_details=yes` on an accept link; on a decline link, an optional
/// `reason` (not one the service gives itself).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RespondForm {
    #[schema(pattern = "^yes$")]
    pub share_contact_details: Option<String>,
    #[schema(
        pattern = "^(|schedule_conflict|not_a_good_fit|no_capacity|personal_circumstances|unresponsive|goals_met|reassigned|other|safety_concern|boundary_violation|harassment)$"
    )]
    pub reason: Option<String>,
}

/// Answer the request behind an email link (a form post from the page).
#[utoipa::path(post, path = "/respond/{token}", tag = "matches",
    request_body(content = RespondForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "An HTML page", content_type = "text/html", body = String), (status = 404), (status = 409),
        (status = 410), (status = 422)))]
pub async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    match answer_link(&state, &token, &body).await {
        Ok(LinkAction::Accept) => page(
            StatusCode::OK,
            "Thank you",
            "You accepted. Once they say yes too, you will both get an email to introduce you.",
            None,
            "",
        ),
        Ok(LinkAction::Decline) => page(
            StatusCode::OK,
            "Thank you",
            "You declined. They will be offered someone else.",
            None,
            "",
        ),
        Err(error) => failure(&req, error),
    }
}

async fn answer_link(state: &AppState, token: &str, body: &[u8]) -> Result<LinkAction, ApiError> {
    let (claim, request) = open(state, token).await?;
    let details = form_details(claim.action, body)?;
    let principal = request
        .sponsor
        .ok_or_else(|| ApiError::Gone("this account is disabled".into()))?;
    let actor = Actor {
        principal,
        request_id: REQUEST_ID.try_with(Clone::clone).unwrap_or_default(),
    };
    let action = match claim.action {
        LinkAction::Accept => Action::SponsorAccept,
        LinkAction::Decline => Action::SponsorDecline,
    };
    let id = claim.match_id;
    service::matches::take_step(&state.db, &state.pool, actor, id, action, details).await?;
    Ok(claim.action)
}

/// The link's claim and the request, if the link may still be used.
async fn open(state: &AppState, token: &str) -> Result<(LinkClaim, LinkedRequest), ApiError> {
    let key = state.secrets.token_signing_key.expose_secret().as_bytes();
    let claim = verify(key, token, Utc::now()).map_err(|error| match error {
        LinkError::Invalid => ApiError::NotFound,
        LinkError::Expired => ApiError::Gone("this link has expired".into()),
    })?;
    let id = claim.match_id;
    let request = service::matches::linked_request(&state.db, id).await?;
    if request.version != claim.version || request.state != MatchState::AwaitingSponsor {
        return Err(ApiError::Gone(
            "this request has already been answered or has moved on".into(),
        ));
    }
    if request.sponsor.is_none() {
        return Err(ApiError::Gone("this account is disabled".into()));
    }
    Ok((claim, request))
}

/// The fields of a form post from one of the emailed-link pages, in order.
pub fn form_fields(body: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    let fields = serde_urlencoded::from_bytes(body).map_err(|_| ApiError::Malformed {
        detail: "the form could not be read".into(),
    })?;
    refuse_nul_in_pairs(fields)
}

/// A field the page's form does not have.
pub fn unknown_form_field(name: &str) -> ApiError {
    ApiError::field(name, "unknown_field", "this form has no such field")
}

/// The confirmation form: `share_contact_details=yes` to accept, an optional `reason`
/// to decline.
fn form_details(action: LinkAction, body: &[u8]) -> Result<StepDetails, ApiError> {
    let mut details = StepDetails::default();
    for (name, value) in form_fields(body)? {
        match (action, name.as_str()) {
            (LinkAction::Accept, "share_contact_details") => {
                details.sponsor_shares_contact = value == "yes";
            }
            (LinkAction::Decline, "reason") if value.is_empty() => {}
            (LinkAction::Decline, "reason") => {
                let reason = Reason::parse(&value)
                    .filter(|r| !r.is_service())
                    .ok_or_else(|| ApiError::field("reason", "invalid", "not a reason to give"))?;
                details.reason = Some(reason);
            }
            (_, other) => return Err(unknown_form_field(other)),
        }
    }
    if action == LinkAction::Accept && !details.sponsor_shares_contact {
        return Err(ApiError::field(
            "share_contact_details",
            "required",
            "accepting shares your contact details once they agree; tick the box",
        ));
    }
    Ok(details)
}

fn page(
    status: StatusCode,
    title: &str,
    message: &str,
    request: Option<&LinkedRequest>,
    form: &str,
) -> HttpResponse {
    let reasons: Vec<&str> = Reason::ALL
        .iter()
        .copied()
        .filter(|r| !r.is_service())
        .map(Reason::as_str)
        .collect();
    let seeker = request.map(|r| minijinja::Value::from_serialize(&r.seeker));
    let context = minijinja::context! { title, message, seeker, form, reasons };
    render_page(status, "respond.html", context)
}

/// A page behind an emailed link, from its template.
pub(super) fn render_page(
    status: StatusCode,
    template: &str,
    context: minijinja::Value,
) -> HttpResponse {
    let html = PAGES
        .get_template(template)
        .and_then(|t| t.render(context))
        .unwrap_or_else(|error| {
            tracing::error!(%error, "rendering a page failed");
            String::from("Something went wrong on our side.")
        });
    html_page(status, html)
}

/// An HTML page behind an emailed link.
pub(super) fn html_page(status: StatusCode, html: String) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    // The token is in the address: no referrer may carry it away, no cache keep it.
    response
        .content_type("text/html; charset=utf-8")
        .insert_header((header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
            ),
        ));
    response.body(html)
}

/// Whether the caller is a person's browser, who gets a page rather than a problem
/// document.
pub(super) fn wants_html(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// People get a page, programs a problem document.
fn failure(req: &HttpRequest, error: ApiError) -> HttpResponse {
    if !wants_html(req) {
        return error.error_response();
    }
    let message = match &error {
        ApiError::NotFound => "This link is not valid. Sign in to see your requests.".to_owned(),
        ApiError::Gone(why) => format!("Sorry: {why}. Sign in to see your requests."),
        ApiError::Validation(errors) => errors
            .first()
            .map(|e| e.message.clone())
            .unwrap_or_default(),
        other => other.to_string(),
    };
    page(
        error.status_code(),
        "This link cannot be used",
        &message,
        None,
        "",
    )
}
