//! Cohort assignment: pairings for every waiting seeker of the program at once, which a
//! case manager accepts in whole or in part; accepted pairs enter the lifecycle as
//! proposals.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, Problem};
use super::extract::{Authorized, JsonBody, ModeQuery, QueryMode, Staff};
use crate::domain::ids::{SeekerId, UserId};
use crate::matching::cohort::{self, Mode, Unplaced};
use crate::matching::facts::{SponsorFacts, day_number};
use crate::matching::score::{Explanation, Query, explain};
use crate::pool::SponsorSummary;
use crate::startup::AppState;
use crate::store::audit::RecordKind;
use crate::store::matches::{self, By, MatchRecord, Proposal};
use crate::store::matching;

/// A pairing of the plan, with what may be shown of the sponsor and why they fit.
#[derive(Debug, Serialize, ToSchema)]
pub struct CohortPair {
    pub seeker_id: SeekerId,
    pub sponsor: SponsorSummary,
    #[serde(flatten)]
    pub explanation: Explanation,
}

/// Why a waiting seeker has no pairing in the plan.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnplacedReason {
    /// No consent in force to disclose their summary to candidate sponsors.
    ConsentRequired,
    /// No sponsor with a free slot passes every filter.
    NoCandidates,
    /// Their candidates' free slots went to pairings that serve the cohort better.
    SlotsTaken,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnplacedSeeker {
    pub seeker_id: SeekerId,
    pub reason: UnplacedReason,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CohortAssignment {
    pub mode: Mode,
    pub policy_version: i32,
    /// The sum of the pairs' scores.
    pub total: f64,
    /// Seekers of the program without a live match.
    pub seekers_waiting: usize,
    /// Feasible pairs weighed (each seeker's best, as many as there are seekers).
    pub pairs_weighed: usize,
    /// By seeker id.
    pub pairs: Vec<CohortPair>,
    pub unplaced: Vec<UnplacedSeeker>,
}

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
    let program = auth.principal().program_id();
    let actor = auth.actor;
    let mut zones = state.pool.zones();
    let today = day_number(Utc::now().date_naive());
    let work = state.clone();
    let assignment = state
        .db
        .read_then_write(move |conn, writer| {
            let waiting = matches::waiting_seekers(conn, program, &mut zones)?;
            let policy = matching::get_policy(conn, program)?;
            let (ready, unconsented): (Vec<_>, Vec<_>) =
                waiting.iter().partition(|seeker| seeker.consented);
            let queries: Vec<Query> = ready
                .iter()
                .map(|seeker| Query {
                    seeker: &seeker.facts,
                    policy: &policy.policy,
                    today,
                    excluded: &seeker.barred,
                })
                .collect();
            let plan = work
                .pool
                .with_index(|index| cohort::plan(index, &queries, mode));
            let sponsor_ids: Vec<uuid::Uuid> = plan.pairs.iter().map(|(_, id, _)| *id).collect();
            let shown: HashMap<uuid::Uuid, (SponsorFacts, SponsorSummary)> = work
                .pool
                .shown(&sponsor_ids)
                .into_iter()
                .map(|(facts, summary)| (facts.id, (facts, summary)))
                .collect();
            let events = sponsor_ids
                .iter()
                .map(|id| {
                    (
                        "sponsor_profile.candidate",
                        RecordKind::SponsorProfile,
                        id.to_string(),
                    )
                })
                .collect();
            writer.audit_read(conn, &actor, events)?;
            let pairs = plan
                .pairs
                .iter()
                .filter_map(|&(at, sponsor, _)| {
                    let (facts, summary) = shown.get(&sponsor)?;
                    Some(CohortPair {
                        seeker_id: ready[at].id,
                        sponsor: summary.clone(),
                        explanation: explain(&queries[at], facts),
                    })
                })
                .collect();
            let mut unplaced: Vec<UnplacedSeeker> = plan
                .unplaced
                .iter()
                .map(|&(at, reason)| UnplacedSeeker {
                    seeker_id: ready[at].id,
                    reason: match reason {
                        Unplaced::NoCandidates => UnplacedReason::NoCandidates,
                        Unplaced::SlotsTaken => UnplacedReason::SlotsTaken,
                    },
                })
                .chain(unconsented.iter().map(|seeker| UnplacedSeeker {
                    seeker_id: seeker.id,
                    reason: UnplacedReason::ConsentRequired,
                }))
                .collect();
            unplaced.sort_by_key(|u| u.seeker_id.as_uuid());
            Ok(CohortAssignment {
                mode,
                policy_version: policy.version,
                total: plan.total,
                seekers_waiting: waiting.len(),
                pairs_weighed: plan.pairs_weighed,
                pairs,
                unplaced,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(assignment))
}

impl QueryMode for Mode {
    const NAMES: &'static str = "optimal or stable";
}

/// Pairs a case manager accepts from a plan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInput {
    /// 1 to 500 pairs, each seeker at most once.
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
    let pairs = accepted_pairs(input)?;
    let program = auth.principal().program_id();
    // Another program's seeker anywhere in the batch: as for any record of theirs.
    let seekers: Vec<SeekerId> = pairs.iter().map(|p| p.seeker_id).collect();
    let ours = state
        .db
        .run(move |conn| matches::all_of_program(conn, program, &seekers))
        .await?;
    if !ours {
        return Err(ApiError::NotFound);
    }
    let mut outcomes = Vec::with_capacity(pairs.len());
    for pair in pairs {
        let caller = auth.actor.clone();
        let mut zones = state.pool.zones();
        let result = state
            .db
            .write(move |conn| {
                let no_ranking = |_: &Query, _: usize| Vec::new();
                let proposal = Proposal {
                    chosen: Some(pair.sponsor_id),
                    zones: &mut zones,
                    today: Utc::now().date_naive(),
                    rank: &no_ranking,
                };
                matches::propose(conn, By::Caller(&caller), program, pair.seeker_id, proposal)
            })
            .await;
        let (proposed, problem) = match result {
            Ok(record) => (Some(record), None),
            Err(error) => (None, Some(ApiError::from(error).problem())),
        };
        outcomes.push(PairOutcome {
            seeker_id: pair.seeker_id,
            sponsor_id: pair.sponsor_id,
            proposed,
            problem,
        });
    }
    state.pool.catch_up(&state.db).await;
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
