//! Matches: proposing, the steps of the lifecycle, and reading them.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::error::{ApiError, Problem};
use super::extract::{
    Anyone, Authorized, IdempotencyKey, JsonBody, Page, Pagination, SeekerKeepers, Sponsors, Staff,
};
use crate::app::AppState;
use crate::auth::Principal;
use crate::domain::ids::{MatchId, SeekerId, UserId};
use crate::domain::lifecycle::{Action, Reason, permits, reason_required, takes_reason};
use crate::service;
use crate::store::audit::Actor;
use crate::store::idempotency::{self, StoredAnswer};
use crate::store::matches::{self, DisclosureRecord, MatchRecord, SponsorRequest, StepDetails};
use crate::store::{AnyConnection, StoreError, to_json};

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeInput {
    /// A sponsor chosen from the candidates; left out, the best available is proposed.
    #[serde(default)]
    pub sponsor_id: Option<UserId>,
}

/// Propose a match for the seeker: a chosen candidate, or the best one available.
///
/// The seeker needs a consent in force to disclose a summary to candidate sponsors, and
/// no other match under way. The proposal goes to review when the program's policy asks
/// for it, else straight to the sponsor. Send `Idempotency-Key` to retry safely.
#[utoipa::path(post, path = "/api/v1/seekers/{id}/matches", tag = "matches",
    security(("bearer" = [])), request_body = ProposeInput,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, body = MatchRecord, headers(("Location" = String))),
        (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem),
    ))]
pub async fn propose(
    auth: Authorized<SeekerKeepers>,
    req: HttpRequest,
    state: web::Data<AppState>,
    seeker: web::Path<SeekerId>,
    key: IdempotencyKey,
    JsonBody(input): JsonBody<ProposeInput>,
) -> Result<HttpResponse, ApiError> {
    let seeker = seeker.into_inner();
    let fingerprint = fingerprint(&req, &input);
    let (pool, actor) = (state.pool.clone(), auth.actor.clone());
    let answer = once(
        &state,
        &auth.actor,
        key,
        fingerprint,
        StatusCode::CREATED,
        move |conn| service::matches::propose(conn, &pool, &actor, seeker, input.sponsor_id),
    )
    .await?;
    Ok(answer.respond(true))
}

/// Reassign an open match: withdraw it and propose another sponsor, chosen or the best
/// available other than the one left, in one transaction. Case managers and admins.
#[utoipa::path(post, path = "/api/v1/matches/{id}/reassign", tag = "matches",
    security(("bearer" = [])), request_body = ProposeInput,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, body = MatchRecord, headers(("Location" = String))),
        (status = 404, body = Problem), (status = 409, body = Problem),
    ))]
pub async fn reassign(
    auth: Authorized<Staff>,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<MatchId>,
    key: IdempotencyKey,
    JsonBody(input): JsonBody<ProposeInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let fingerprint = fingerprint(&req, &input);
    let (pool, actor) = (state.pool.clone(), auth.actor.clone());
    let answer = once(
        &state,
        &auth.actor,
        key,
        fingerprint,
        StatusCode::CREATED,
        move |conn| service::matches::reassign(conn, &pool, &actor, id, input.sponsor_id),
    )
    .await?;
    state.pool.catch_up(&state.db).await;
    Ok(answer.respond(true))
}

/// What of the seeker's record went to whom, when, under which consent: the list a
/// program gives a person who asks. Reads by people are audited.
#[utoipa::path(get, path = "/api/v1/seekers/{id}/disclosures", tag = "matches",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<DisclosureRecord>), (status = 404, body = Problem)))]
pub async fn disclosures(
    auth: Authorized<SeekerKeepers>,
    state: web::Data<AppState>,
    seeker: web::Path<SeekerId>,
) -> Result<HttpResponse, ApiError> {
    let records = service::seekers::disclosures(&state.db, auth.actor, seeker.into_inner()).await?;
    Ok(HttpResponse::Ok().json(records))
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    /// Why; required to veto or end, optional to decline, withdraw or complete, and
    /// refused on other steps.
    #[serde(default)]
    pub reason: Option<Reason>,
    /// A sponsor's yes must confirm this: their contact details go to the seeker at
    /// introduction, once the seeker has agreed too.
    #[serde(default)]
    pub share_contact_details: Option<bool>,
}

/// The steps a caller may take, by path segment.
fn action_of(segment: &str) -> Option<Action> {
    Some(match segment {
        "approve" => Action::Approve,
        "veto" => Action::Veto,
        "withdraw" => Action::Withdraw,
        "sponsor-accept" => Action::SponsorAccept,
        "sponsor-decline" => Action::SponsorDecline,
        "sponsor-withdraw" => Action::SponsorWithdraw,
        "seeker-accept" => Action::SeekerAccept,
        "seeker-decline" => Action::SeekerDecline,
        "activate" => Action::Activate,
        "complete" => Action::Complete,
        "end" => Action::End,
        _ => return None,
    })
}

fn step_details(action: Action, input: &StepInput) -> Result<StepDetails, ApiError> {
    if input.reason.is_some_and(Reason::is_service) {
        return Err(ApiError::field(
            "reason",
            "reserved",
            "this reason is given only by the service",
        ));
    }
    if input.reason.is_some() && !takes_reason(action) {
        return Err(ApiError::field(
            "reason",
            "not_applicable",
            "only a step that stops or finishes a match takes a reason",
        ));
    }
    if reason_required(action) && input.reason.is_none() {
        return Err(ApiError::field("reason", "required", "say why"));
    }
    let shares = input.share_contact_details == Some(true);
    match (action, input.share_contact_details) {
        (Action::SponsorAccept, _) if !shares => {
            return Err(ApiError::field(
                "share_contact_details",
                "required",
                "accepting shares your contact details with the seeker at introduction; \
                 confirm with true",
            ));
        }
        (Action::SponsorAccept, _) | (_, None) => {}
        (_, Some(_)) => {
            return Err(ApiError::field(
                "share_contact_details",
                "not_applicable",
                "only a sponsor's accept takes this",
            ));
        }
    }
    Ok(StepDetails {
        reason: input.reason,
        sponsor_shares_contact: shares,
    })
}

/// Take a step of the lifecycle.
///
/// `approve` and `veto`: the program's staff. `withdraw`: the portal or staff.
/// `sponsor-accept` and `sponsor-decline`: the match's sponsor, who may also
/// `sponsor-withdraw` their yes until the introduction. `seeker-accept` and
/// `seeker-decline`: the portal relaying the seeker, or staff. `activate` (they have
/// met), `complete` and `end`: either side or staff. A step the match's state does not
/// allow is 409 naming the state. Send `Idempotency-Key` to retry safely.
#[utoipa::path(post, path = "/api/v1/matches/{id}/{action}", tag = "matches",
    security(("bearer" = [])), request_body = StepInput,
    params(
        ("action" = String, Path, description = "approve, veto, withdraw, sponsor-accept, \
            sponsor-decline, sponsor-withdraw, seeker-accept, seeker-decline, activate, \
            complete, end"),
        ("Idempotency-Key" = Option<String>, Header),
    ),
    responses(
        (status = 200, body = MatchRecord),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    ))]
pub async fn step(
    auth: Authorized<Anyone>,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(MatchId, String)>,
    key: IdempotencyKey,
    JsonBody(input): JsonBody<StepInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, segment) = path.into_inner();
    let action = action_of(&segment).ok_or(ApiError::NotFound)?;
    if !permits(action, matches::party_of(auth.principal())) {
        return Err(ApiError::Forbidden);
    }
    let details = step_details(action, &input)?;
    let fingerprint = fingerprint(&req, &input);
    let actor = auth.actor;
    let answer = once(&state, &actor, key, fingerprint, StatusCode::OK, {
        let actor = actor.clone();
        move |conn| {
            let record = service::matches::step(conn, &actor, id, action, details)?;
            // A sponsor learns the outcome, not the program's record of the seeker.
            let view = if is_sponsor(&actor) {
                serde_json::to_value(SponsorStep::from(&record))
            } else {
                serde_json::to_value(&record)
            };
            Ok(view.unwrap_or_default())
        }
    })
    .await?;
    state.pool.catch_up(&state.db).await;
    Ok(answer.respond(false))
}

fn is_sponsor(actor: &Actor) -> bool {
    matches::party_of(&actor.principal) == crate::domain::lifecycle::Party::Sponsor
}

/// What a sponsor is told after a step they took.
#[derive(Debug, Serialize, ToSchema)]
pub struct SponsorStep {
    pub id: MatchId,
    pub state: crate::domain::lifecycle::MatchState,
    pub answer_by: Option<chrono::DateTime<Utc>>,
}

impl From<&MatchRecord> for SponsorStep {
    fn from(record: &MatchRecord) -> Self {
        Self {
            id: record.id,
            state: record.state,
            answer_by: record.answer_by,
        }
    }
}

/// One match of the program, with its breakdown and history. Reads by people are audited.
#[utoipa::path(get, path = "/api/v1/matches/{id}", tag = "matches",
    security(("bearer" = [])),
    responses((status = 200, body = MatchRecord), (status = 404, body = Problem)))]
pub async fn get(
    auth: Authorized<SeekerKeepers>,
    state: web::Data<AppState>,
    id: web::Path<MatchId>,
) -> Result<HttpResponse, ApiError> {
    let record = service::matches::read(&state.db, auth.actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(record))
}

/// A seeker's full match history, newest first.
#[utoipa::path(get, path = "/api/v1/seekers/{id}/matches", tag = "matches",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<MatchRecord>), (status = 404, body = Problem)))]
pub async fn seeker_history(
    auth: Authorized<SeekerKeepers>,
    state: web::Data<AppState>,
    seeker: web::Path<SeekerId>,
) -> Result<HttpResponse, ApiError> {
    let records =
        service::matches::seeker_history(&state.db, auth.actor, seeker.into_inner()).await?;
    Ok(HttpResponse::Ok().json(records))
}

/// The requests addressed to the calling sponsor, newest first, each with only what the
/// seeker consented to disclose.
#[utoipa::path(get, path = "/api/v1/sponsors/me/requests", tag = "matches",
    security(("bearer" = [])),
    params(("limit" = Option<u32>, Query, minimum = 1, maximum = 100), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = Page<SponsorRequest>)))]
pub async fn sponsor_requests(
    auth: Authorized<Sponsors>,
    state: web::Data<AppState>,
    pagination: Pagination,
) -> Result<HttpResponse, ApiError> {
    let Principal::User { id: sponsor, .. } = auth.actor.principal else {
        return Err(ApiError::Forbidden);
    };
    let page = pagination.request();
    let requests = service::matches::sponsor_requests(&state.db, auth.actor, sponsor, page).await?;
    Ok(HttpResponse::Ok().json(pagination.page(requests, |r| r.id.as_uuid())))
}

/// The request's method, path and parsed body, digested: a key reused for a different
/// request is refused rather than answered with another request's response.
fn fingerprint(req: &HttpRequest, input: &impl Serialize) -> String {
    let mut digest = Sha256::new();
    digest.update(req.method().as_str());
    digest.update(req.path());
    digest.update(serde_json::to_vec(input).unwrap_or_default());
    hex::encode(digest.finalize())
}

/// An answer to a POST: fresh, or the first answer to the same idempotency key.
struct Answer {
    stored: StoredAnswer,
    replayed: bool,
}

impl Answer {
    fn respond(self, with_location: bool) -> HttpResponse {
        let status = StatusCode::from_u16(self.stored.status).unwrap_or(StatusCode::OK);
        let mut response = HttpResponse::build(status);
        response.content_type(mime::APPLICATION_JSON);
        if self.replayed {
            response.insert_header(("Idempotent-Replayed", "true"));
        }
        if with_location
            && let Some(id) = serde_json::from_str::<serde_json::Value>(&self.stored.body)
                .ok()
                .and_then(|v| v.get("id").and_then(|id| id.as_str().map(str::to_owned)))
        {
            response.insert_header(("Location", format!("/api/v1/matches/{id}")));
        }
        response.body(self.stored.body)
    }
}

/// Runs a POST's work in one write transaction. With an idempotency key, the answer is
/// stored in that transaction, and a repeat (or a request racing it) gets the stored
/// answer with no second effect.
async fn once<T, F>(
    state: &AppState,
    actor: &Actor,
    key: IdempotencyKey,
    fingerprint: String,
    status: StatusCode,
    work: F,
) -> Result<Answer, ApiError>
where
    T: Serialize + Send + 'static,
    F: FnOnce(&mut AnyConnection) -> Result<T, StoreError> + Send + 'static,
{
    let caller = {
        let (kind, id) = actor.principal.actor();
        format!("{kind}:{id}")
    };
    let Some(key) = key.0 else {
        let body = state
            .db
            .write(move |conn| work(conn).and_then(|value| to_json(&value)))
            .await?;
        return Ok(Answer {
            stored: StoredAnswer {
                request_hash: fingerprint,
                status: status.as_u16(),
                body,
            },
            replayed: false,
        });
    };
    let (write_caller, write_key, hash) = (caller.clone(), key.clone(), fingerprint.clone());
    let outcome = state
        .db
        .write(move |conn| {
            if let Some(stored) = idempotency::find(conn, &write_caller, &write_key)? {
                return Ok((stored, true));
            }
            let answer = StoredAnswer {
                request_hash: hash,
                status: status.as_u16(),
                body: to_json(&work(conn)?)?,
            };
            idempotency::remember(conn, &write_caller, &write_key, &answer)?;
            Ok((answer, false))
        })
        .await;
    let (stored, replayed) = match outcome {
        Ok(answer) => answer,
        // A request with the same key may have won a race and committed first.
        Err(error) => match state
            .db
            .run(move |conn| idempotency::find(conn, &caller, &key))
            .await?
        {
            Some(stored) => (stored, true),
            None => return Err(error.into()),
        },
    };
    if stored.request_hash != fingerprint {
        return Err(ApiError::field(
            "Idempotency-Key",
            "reused",
            "this key was used for a different request; use a new key",
        ));
    }
    Ok(Answer { stored, replayed })
}
