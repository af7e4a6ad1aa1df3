//! Matching for people: a seeker's candidates, one sponsor's standing, and the cohort
//! plan for every waiting seeker of a program, each with the reasons, audited.
//!
//! Every search reads what it needs of the database through [`Search::load`] and ranks
//! and shows sponsors from ONE read of the pool ([`SponsorPool::pick_and_show`]), so an
//! answer agrees with itself while sponsors change.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Utc;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::ids::{ProgramId, SeekerId, UserId};
use crate::matching::cohort::{self, Mode, Unplaced};
use crate::matching::policy::MatchingPolicy;
use crate::matching::score::{Explanation, Query, explain};
use crate::pool::{SponsorPool, SponsorSummary};
use crate::store::audit::{Actor, RecordKind};
use crate::store::matches::{self, By, MatchRecord, Proposal};
use crate::store::matching::{self, PolicyRecord, Search, get_policy, query};
use crate::store::{Db, StoreError};

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

/// The best `limit` candidates of one of the caller's program's seekers.
pub async fn candidates(
    db: &Db,
    pool: &Arc<SponsorPool>,
    actor: Actor,
    seeker: SeekerId,
    limit: usize,
) -> Result<Candidates, StoreError> {
    let program = actor.principal.program_id();
    let mut zones = pool.zones();
    let today = Utc::now().date_naive();
    let pool = Arc::clone(pool);
    // Ranked on a database thread: a large pool takes milliseconds, better spent there
    // than on the workers that serve requests.
    db.read_then_write(move |conn, writer| {
        let search = Search::load(conn, program, seeker, &mut zones)?;
        let query = search.query(today);
        let ((), shown) = pool.pick_and_show(|index| {
            let ranked = index.top_k(&query, limit);
            ((), ranked.into_iter().map(|(id, _)| id).collect())
        });
        let ids: Vec<Uuid> = shown.iter().map(|(facts, _)| facts.id).collect();
        let candidates = shown
            .into_iter()
            .map(|(facts, sponsor)| Candidate {
                sponsor,
                explanation: explain(&query, &facts),
            })
            .collect();
        writer.audit_read(conn, &actor, candidate_events(&actor, seeker, &ids))?;
        Ok(Candidates {
            seeker_id: seeker,
            policy_version: search.policy.version,
            candidates,
        })
    })
    .await
}

/// One sponsor's standing for a seeker: the breakdown, or the filters they fail.
pub async fn candidate(
    db: &Db,
    pool: &SponsorPool,
    actor: Actor,
    seeker: SeekerId,
    sponsor: UserId,
) -> Result<Candidate, StoreError> {
    let (facts, summary) = pool
        .shown(&[sponsor.as_uuid()])
        .pop()
        .ok_or(StoreError::NotFound)?;
    let program = actor.principal.program_id();
    let mut zones = pool.zones();
    let today = Utc::now().date_naive();
    let explanation = db
        .read_then_write(move |conn, writer| {
            let search = Search::load(conn, program, seeker, &mut zones)?;
            let explanation = explain(&search.query(today), &facts);
            let events = candidate_events(&actor, seeker, &[sponsor.as_uuid()]);
            writer.audit_read(conn, &actor, events)?;
            Ok(explanation)
        })
        .await?;
    Ok(Candidate {
        sponsor: summary,
        explanation,
    })
}

/// The audit events of showing candidates: the seeker read (by people) and every sponsor
/// disclosed, whoever the caller; sponsors are in recovery too.
fn candidate_events(
    actor: &Actor,
    seeker: SeekerId,
    sponsors: &[Uuid],
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

/// The best pairings for every waiting seeker of the caller's program at once, within
/// each sponsor's free slots. Nothing is proposed; the sponsors shown are audited.
pub async fn plan(
    db: &Db,
    pool: &Arc<SponsorPool>,
    actor: Actor,
    mode: Mode,
) -> Result<CohortAssignment, StoreError> {
    let program = actor.principal.program_id();
    let mut zones = pool.zones();
    let today = Utc::now().date_naive();
    let pool = Arc::clone(pool);
    db.read_then_write(move |conn, writer| {
        let waiting = matches::waiting_seekers(conn, program, &mut zones)?;
        let policy = get_policy(conn, program)?;
        let (ready, unconsented): (Vec<_>, Vec<_>) =
            waiting.iter().partition(|seeker| seeker.consented);
        let queries: Vec<Query> = ready
            .iter()
            .map(|seeker| query(&seeker.facts, &policy, &seeker.barred, today))
            .collect();
        let (plan, shown) = pool.pick_and_show(|index| {
            let plan = cohort::plan(index, &queries, mode);
            let ids = plan.pairs.iter().map(|(_, id, _)| *id).collect();
            (plan, ids)
        });
        let shown: HashMap<Uuid, _> = shown
            .into_iter()
            .map(|(facts, summary)| (facts.id, (facts, summary)))
            .collect();
        let events = plan
            .pairs
            .iter()
            .map(|(_, id, _)| {
                let id = id.to_string();
                ("sponsor_profile.candidate", RecordKind::SponsorProfile, id)
            })
            .collect();
        writer.audit_read(conn, &actor, events)?;
        let pairs = plan
            .pairs
            .iter()
            .map(|&(at, sponsor, _)| {
                // Shown from the read the plan was made from: every planned sponsor is there.
                let (facts, summary) = &shown[&sponsor];
                CohortPair {
                    seeker_id: ready[at].id,
                    sponsor: summary.clone(),
                    explanation: explain(&queries[at], facts),
                }
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
    .await
}

/// Proposes accepted pairs of a plan, each as its own match with every check a single
/// proposal has; one that cannot be proposed does not stop the others. Every seeker must
/// be one of the caller's program's (else `NotFound` for the whole batch).
pub async fn accept_pairs(
    db: &Db,
    pool: &SponsorPool,
    actor: Actor,
    pairs: &[(SeekerId, UserId)],
) -> Result<Vec<Result<MatchRecord, StoreError>>, StoreError> {
    let program = actor.principal.program_id();
    let seekers: Vec<SeekerId> = pairs.iter().map(|(seeker, _)| *seeker).collect();
    let ours = db
        .run(move |conn| matches::all_of_program(conn, program, &seekers))
        .await?;
    if !ours {
        return Err(StoreError::NotFound);
    }
    let mut outcomes = Vec::with_capacity(pairs.len());
    for &(seeker, sponsor) in pairs {
        let caller = actor.clone();
        let mut zones = pool.zones();
        let outcome = db
            .write(move |conn| {
                let no_ranking = |_: &Query, _: usize| Vec::new();
                let proposal = Proposal {
                    chosen: Some(sponsor),
                    zones: &mut zones,
                    today: Utc::now().date_naive(),
                    rank: &no_ranking,
                };
                matches::propose(conn, By::Caller(&caller), program, seeker, proposal)
            })
            .await;
        outcomes.push(outcome);
    }
    pool.catch_up(db).await;
    Ok(outcomes)
}

/// Replaces the program's matching policy, naming the version replaced; versioned and
/// audited.
pub async fn save_policy(
    db: &Db,
    actor: Actor,
    policy: MatchingPolicy,
    expected: Option<i32>,
) -> Result<PolicyRecord, StoreError> {
    db.write(move |conn| matching::save_policy(conn, &actor, &policy, expected))
        .await
}

/// The program's matching policy in force, with its version.
pub async fn policy(db: &Db, program: ProgramId) -> Result<PolicyRecord, StoreError> {
    db.run(move |conn| get_policy(conn, program)).await
}
