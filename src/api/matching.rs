//! Matching: a program's policy, and a seeker's candidates with the reasons.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, Problem};
use super::extract::{Admins, Authorized, IfMatch, JsonBody, SeekerKeepers, Staff, query_pairs};
use super::versioned;
use crate::app::AppState;
use crate::domain::ids::{SeekerId, UserId};
use crate::matching::policy::{LifecycleRules, MatchingPolicy, Weights};
use crate::service;
use crate::service::matching::{Candidate, Candidates};
use crate::store::matching::PolicyRecord;

/// The program's policy as answered: the policy's fields, its version (also the
/// `ETag`) and when it last changed. Spelt out rather than flattened from the policy,
/// whose schema (a request body's) admits no other field.
#[derive(Serialize, ToSchema)]
pub struct PolicyAnswer {
    pub min_sobriety_days: u32,
    pub sobriety_half_life_days: u32,
    pub weights: Weights,
    pub lifecycle: LifecycleRules,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

impl From<&PolicyRecord> for PolicyAnswer {
    fn from(record: &PolicyRecord) -> Self {
        let MatchingPolicy {
            min_sobriety_days,
            sobriety_half_life_days,
            weights,
            lifecycle,
        } = record.policy;
        Self {
            min_sobriety_days,
            sobriety_half_life_days,
            weights,
            lifecycle,
            version: record.version,
            updated_at: record.updated_at,
        }
    }
}

/// The program's matching policy.
#[utoipa::path(get, path = "/api/v1/matching-policy", tag = "matching",
    security(("bearer" = [])),
    responses((status = 200, body = PolicyAnswer, headers(("ETag" = String)))))]
pub async fn get_policy(
    auth: Authorized<Staff>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let program = auth.principal().program_id();
    let policy = service::matching::policy(&state.db, program).await?;
    Ok(versioned(
        HttpResponse::Ok(),
        policy.version,
        &PolicyAnswer::from(&policy),
    ))
}

/// Replace the program's matching policy. Requires `If-Match` with the current version.
///
/// Weights are 0 to 1000 and not all zero; only their ratios matter.
#[utoipa::path(put, path = "/api/v1/matching-policy", tag = "matching",
    security(("bearer" = [])), request_body = MatchingPolicy,
    params(("If-Match" = String, Header, description = "The version being replaced")),
    responses(
        (status = 200, body = PolicyAnswer, headers(("ETag" = String))),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem),
    ))]
pub async fn put_policy(
    auth: Authorized<Admins>,
    state: web::Data<AppState>,
    if_match: IfMatch,
    JsonBody(body): JsonBody<MatchingPolicy>,
) -> Result<HttpResponse, ApiError> {
    let policy = MatchingPolicy::parse(body)?;
    let record = service::matching::save_policy(&state.db, auth.actor, policy, if_match.0).await?;
    Ok(versioned(
        HttpResponse::Ok(),
        record.version,
        &PolicyAnswer::from(&record),
    ))
}

const MAX_CANDIDATES: usize = 50;

/// Ranked candidate sponsors for a seeker, each with its score breakdown.
///
/// Reading candidates is audited: the seeker read (by people) and each sponsor shown.
#[utoipa::path(get, path = "/api/v1/seekers/{id}/candidates", tag = "matching",
    security(("bearer" = [])),
    params(("limit" = Option<u32>, Query, minimum = 1, maximum = 50, description = "1 to 50, default 10")),
    responses((status = 200, body = Candidates), (status = 404, body = Problem)))]
pub async fn candidates(
    auth: Authorized<SeekerKeepers>,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<SeekerId>,
) -> Result<HttpResponse, ApiError> {
    let limit = candidate_limit(req.query_string())?;
    let candidates =
        service::matching::candidates(&state.db, &state.pool, auth.actor, id.into_inner(), limit)
            .await?;
    Ok(HttpResponse::Ok().json(candidates))
}

/// `?limit=` 1 to 50, default 10; nothing else.
fn candidate_limit(query: &str) -> Result<usize, ApiError> {
    let pairs = query_pairs(query, &[])?;
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
    let candidate =
        service::matching::candidate(&state.db, &state.pool, auth.actor, seeker, sponsor).await?;
    Ok(HttpResponse::Ok().json(candidate))
}
