//! Matching: a program's policy, and a seeker's candidates with the reasons.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, Problem};
use super::extract::{Admins, Authorized, IfMatch, JsonBody, SeekerKeepers, Staff, query_pairs};
use super::versioned;
use crate::domain::ids::{SeekerId, UserId};
use crate::matching::facts::day_number;
use crate::matching::policy::MatchingPolicy;
use crate::matching::score::{Explanation, Query, explain};
use crate::pool::SponsorSummary;
use crate::startup::AppState;
use crate::store::audit::{Actor, RecordKind};
use crate::store::matches;
use crate::store::matching::{self, PolicyRecord};

/// The program's matching policy.
#[utoipa::path(get, path = "/api/v1/matching-policy", tag = "matching",
    security(("bearer" = [])),
    responses((status = 200, body = PolicyRecord, headers(("ETag" = String)))))]
pub async fn get_policy(
    auth: Authorized<Staff>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let program = auth.principal().program_id();
    let policy = state
        .db
        .run(move |conn| matching::get_policy(conn, program))
        .await?;
    Ok(versioned(HttpResponse::Ok(), policy.version, &policy))
}

/// Replace the program's matching policy. Requires `If-Match` with the current version.
///
/// Weights are 0 to 1000 and not all zero; only their ratios matter.
#[utoipa::path(put, path = "/api/v1/matching-policy", tag = "matching",
    security(("bearer" = [])), request_body = MatchingPolicy,
    params(("If-Match" = String, Header, description = "The version being replaced")),
    responses(
        (status = 200, body = PolicyRecord),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem),
    ))]
pub async fn put_policy(
    auth: Authorized<Admins>,
    state: web::Data<AppState>,
    if_match: IfMatch,
    JsonBody(body): JsonBody<MatchingPolicy>,
) -> Result<HttpResponse, ApiError> {
    let policy = MatchingPolicy::parse(body)?;
    let actor = auth.actor;
    let record = state
        .db
        .write(move |conn| matching::save_policy(conn, &actor, &policy, if_match.0))
        .await?;
    Ok(versioned(HttpResponse::Ok(), record.version, &record))
}

/// A candidate sponsor: only what may be shown before both sides agree (no contact
/// details, no location), and why they rank where they do.
#[derive(Debug, Serialize, ToSchema)]
pub struct Candidate {
    #[serde(flatten)]
    pub sponsor: SponsorSummary,
    #[serde(flatten)]
    pub explanation: Explanation,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Candidates {
    pub seeker_id: SeekerId,
    pub policy_version: i32,
    /// Best first; ties broken by sponsor id.
    pub candidates: Vec<Candidate>,
}

const MAX_CANDIDATES: usize = 50;

/// Ranked candidate sponsors for a seeker, each with its score breakdown.
///
/// Reading candidates is audited: the seeker read (by people) and each sponsor shown.
#[utoipa::path(get, path = "/api/v1/seekers/{id}/candidates", tag = "matching",
    security(("bearer" = [])),
    params(("limit" = Option<u32>, Query, description = "1 to 50, default 10")),
    responses((status = 200, body = Candidates), (status = 404, body = Problem)))]
pub async fn candidates(
    auth: Authorized<SeekerKeepers>,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<SeekerId>,
) -> Result<HttpResponse, ApiError> {
    let seeker = id.into_inner();
    let limit = candidate_limit(req.query_string())?;
    let program = auth.principal().program_id();
    let mut zones = state.pool.zones();
    let actor = auth.actor;
    let today = day_number(Utc::now().date_naive());
    // Ranked on a database thread: a large pool takes milliseconds, better spent there
    // than on the workers that serve requests.
    let work = state.clone();
    let (policy_version, candidates) = state
        .db
        .read_then_write(move |conn, writer| {
            let facts = matching::seeker_facts(conn, program, seeker, &mut zones)?;
            let excluded = matches::barred_sponsors(conn, seeker)?;
            let policy = matching::get_policy(conn, program)?;
            let query = Query {
                seeker: &facts,
                policy: &policy.policy,
                today,
                excluded: &excluded,
            };
            let ranked = work.pool.ranked_ids(&query, limit);
            let (ids, candidates): (Vec<uuid::Uuid>, Vec<Candidate>) = work
                .pool
                .shown(&ranked)
                .into_iter()
                .map(|(facts, sponsor)| {
                    let explanation = explain(&query, &facts);
                    (
                        facts.id,
                        Candidate {
                            sponsor,
                            explanation,
                        },
                    )
                })
                .unzip();
            writer.audit_read(conn, &actor, candidate_events(&actor, seeker, &ids))?;
            Ok((policy.version, candidates))
        })
        .await?;
    Ok(HttpResponse::Ok().json(Candidates {
        seeker_id: seeker,
        policy_version,
        candidates,
    }))
}

/// The audit events of showing candidates: the seeker read (by people) and every sponsor
/// disclosed, whoever the caller; sponsors are in recovery too.
fn candidate_events(
    actor: &Actor,
    seeker: SeekerId,
    sponsors: &[uuid::Uuid],
) -> Vec<(&'static str, RecordKind, String)> {
    let seeker_read = ("seeker.candidates", RecordKind::Seeker, seeker.to_string());
    actor
        .principal
        .is_person()
        .then_some(seeker_read)
        .into_iter()
        .chain(sponsors.iter().map(|id| {
            (
                "sponsor_profile.candidate",
                RecordKind::SponsorProfile,
                id.to_string(),
            )
        }))
        .collect()
}

/// `?limit=` 1 to 50, default 10; nothing else.
fn candidate_limit(query: &str) -> Result<usize, ApiError> {
    let pairs = query_pairs(query)?;
    let mut limit = 10;
    for (key, value) in pairs {
        match (key.as_str(), value.parse::<usize>()) {
            ("limit", Ok(n)) if (1..=MAX_CANDIDATES).contains(&n) => limit = n,
            ("limit", _) => {
                return Err(ApiError::field("limit", "out_of_range", "must be 1 to 50"));
            }
            (other, _) => {
                return Err(ApiError::field(
                    other,
                    "unknown_parameter",
                    "candidates take only limit",
                ));
            }
        }
    }
    Ok(limit)
}

/// One sponsor's standing for a seeker: the breakdown, or the filters they fail.
#[utoipa::path(get, path = "/api/v1/seekers/{id}/candidates/{sponsor_id}", tag = "matching",
    security(("bearer" = [])),
    responses((status = 200, body = Candidate), (status = 404, body = Problem)))]
pub async fn candidate(
    auth: Authorized<SeekerKeepers>,
    state: web::Data<AppState>,
    path: web::Path<(SeekerId, UserId)>,
) -> Result<HttpResponse, ApiError> {
    let (seeker, sponsor) = path.into_inner();
    let (facts_of_sponsor, summary) = state
        .pool
        .shown(&[sponsor.as_uuid()])
        .pop()
        .ok_or(ApiError::NotFound)?;
    let program = auth.principal().program_id();
    let mut zones = state.pool.zones();
    let actor = auth.actor;
    let explanation = state
        .db
        .read_then_write(move |conn, writer| {
            let facts = matching::seeker_facts(conn, program, seeker, &mut zones)?;
            let policy = matching::get_policy(conn, program)?;
            let excluded = matches::barred_sponsors(conn, seeker)?;
            let query = Query {
                seeker: &facts,
                policy: &policy.policy,
                today: day_number(Utc::now().date_naive()),
                excluded: &excluded,
            };
            let explanation = explain(&query, &facts_of_sponsor);
            let events = candidate_events(&actor, seeker, &[sponsor.as_uuid()]);
            writer.audit_read(conn, &actor, events)?;
            Ok(explanation)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Candidate {
        sponsor: summary,
        explanation,
    }))
}
