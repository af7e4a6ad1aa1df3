//! Cohort assignment: pairings for every waiting seeker of the program at once, which a
//! case manager accepts in whole or in part; accepted pairs enter the lifecycle as
//! proposals.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, Problem};
use super::extract::{Authorized, JsonBody, ModeQuery, QueryMode, Staff};
use crate::app::AppState;
use crate::domain::ids::{SeekerId, UserId};
use crate::matching::cohort::Mode;
use crate::service;
use crate::service::matching::CohortAssignment;
use crate::store::matches::MatchRecord;

/// The best pairings for every waiting seeker of the program at once, within each
/// sponsor's free slots: `optimal` (the greatest total score, exactly) or `stable` (no
/// seeker and sponsor who would both rather have each other). Nothing is proposed until
/// the pairs are accepted. Case managers and admins; the sponsors shown are audited.
#[utoipa::path(get, path = "/api/v1/cohort-assignment", tag = "case managers",
    security(("bearer" = [])),
    params(("mode" = Option<Mode>, Query, description = "optimal (default) or stable")),
    responses((status = 200, body = CohortAssignment), (status = 422, body = Problem)))]
pub async fn plan(
    auth: Authorized<Staff>,
    ModeQuery(mode): ModeQuery<Mode>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let plan = service::matching::plan(&state.db, &state.pool, auth.actor, mode).await?;
    Ok(HttpResponse::Ok().json(plan))
}

impl QueryMode for Mode {
    const NAMES: &'static str = "optimal or stable";
}

/// Pairs a case manager accepts from a plan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInput {
    /// 1 to 500 pairs, each seeker at most once.
    #[schema(min_items = 1, max_items = 500)]
    pub pairs: Vec<PairInput>,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PairInput {
    pub seeker_id: SeekerId,
    pub sponsor_id: UserId,
}

/// One accepted pair: the match proposed, or the problem that stopped it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PairOutcome {
    pub seeker_id: SeekerId,
    pub sponsor_id: UserId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposed: Option<MatchRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptOutcome {
    /// In the order given.
    pub outcomes: Vec<PairOutcome>,
}

const MAX_ACCEPTED: usize = 500;

/// Propose the accepted pairs, each as its own match with every check a single proposal
/// has (the database re-checks filters, capacity and consent). A pair that cannot be
/// proposed does not stop the others: each outcome says what happened. Every seeker
/// must be one of the program's (else 404).
#[utoipa::path(post, path = "/api/v1/cohort-assignment/accept", tag = "case managers",
    security(("bearer" = [])), request_body = AcceptInput,
    responses(
        (status = 200, body = AcceptOutcome), (status = 404, body = Problem),
        (status = 422, body = Problem),
    ))]
pub async fn accept(
    auth: Authorized<Staff>,
    state: web::Data<AppState>,
    JsonBody(input): JsonBody<AcceptInput>,
) -> Result<HttpResponse, ApiError> {
    let pairs: Vec<(SeekerId, UserId)> = accepted_pairs(input)?
        .into_iter()
        .map(|pair| (pair.seeker_id, pair.sponsor_id))
        .collect();
    let results =
        service::matching::accept_pairs(&state.db, &state.pool, auth.actor, &pairs).await?;
    let outcomes = pairs
        .into_iter()
        .zip(results)
        .map(|((seeker_id, sponsor_id), result)| {
            let (proposed, problem) = match result {
                Ok(record) => (Some(record), None),
                Err(error) => (None, Some(ApiError::from(error).problem())),
            };
            PairOutcome {
                seeker_id,
                sponsor_id,
                proposed,
                problem,
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(AcceptOutcome { outcomes }))
}

fn accepted_pairs(input: AcceptInput) -> Result<Vec<PairInput>, ApiError> {
    if !(1..=MAX_ACCEPTED).contains(&input.pairs.len()) {
        return Err(ApiError::field(
            "pairs",
            "out_of_range",
            "give 1 to 500 pairs",
        ));
    }
    let mut seekers: Vec<SeekerId> = input.pairs.iter().map(|p| p.seeker_id).collect();
    seekers.sort_by_key(|s| s.as_uuid());
    if seekers.windows(2).any(|w| w[0] == w[1]) {
        return Err(ApiError::field(
            "pairs",
            "duplicate_seeker",
            "each seeker may appear once",
        ));
    }
    Ok(input.pairs)
}
