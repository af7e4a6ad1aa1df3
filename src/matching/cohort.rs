//! A cohort's pairings from the rank index: each waiting seeker's best candidates, then
//! the optimal or the stable [`assignment`](super::assignment) over them.
//!
//! Each seeker's best `n` candidates suffice, for `n` seekers, to keep both answers
//! exact: were a seeker placed with a sponsor outside their best `n`, the other `n - 1`
//! seekers fill at most `n - 1` of those `n` sponsors, so one of them has a free slot
//! and a score at least as good (for the optimum: moving there loses nothing; for
//! stability: the seeker would have proposed there first and been kept).
//!
//! Far fewer usually do, and weighing `n` each for 10,000 seekers is 37 million pairs.
//! So each seeker starts with their best [`FIRST_LIST`], and the lists that may be too
//! short grow (four times, up to `n`) until the answer is proven the same as with
//! every list whole:
//! - optimal: a seeker's list may be too short when a candidate left out could score
//!   above the seeker's value in the solver's dual ([`assignment::optimal_with_values`]);
//!   the candidates left out score at most the last one kept;
//! - stable: when the seeker went through their whole list unplaced. Otherwise every
//!   proposal made is one deferred acceptance over the whole lists makes too, in the
//!   same order (a list is the best of the whole, ties to the lower sponsor id on both),
//!   and its answer does not depend on the order in which seekers propose.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::assignment::{self, Assignment, Problem};
use super::index::RankIndex;
use super::score::Query;

/// How a cohort is paired.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The greatest total score.
    #[default]
    Optimal,
    /// No seeker and sponsor who would both rather have each other (seekers propose).
    Stable,
}

/// Why a seeker of the cohort is left without a sponsor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unplaced {
    /// No sponsor with a free slot passes every filter.
    NoCandidates,
    /// Their candidates' free slots went to pairings that serve the cohort better.
    SlotsTaken,
}

/// The pairings, by seeker position in the queries given.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortPlan {
    /// (seeker position, sponsor, score), in seeker order.
    pub pairs: Vec<(usize, Uuid, f64)>,
    pub unplaced: Vec<(usize, Unplaced)>,
    pub total: f64,
    /// Feasible pairs weighed.
    pub pairs_weighed: usize,
    /// Sponsors among them.
    pub sponsors_weighed: usize,
}

/// Candidates each seeker starts with.
const FIRST_LIST: usize = 32;
/// How much a list that may be too short grows.
const GROWTH: usize = 4;
/// Rounding in the solver's values, far below any difference of scores that matters.
const ROUNDING: f64 = 1e-9;

/// Pairs the seekers of `queries` (one per seeker) with the index's sponsors.
pub fn plan(index: &RankIndex, queries: &[Query], mode: Mode) -> CohortPlan {
    plan_from(index, queries, mode, FIRST_LIST)
}

/// [`plan`], each seeker starting with their best `first` candidates.
pub(super) fn plan_from(
    index: &RankIndex,
    queries: &[Query],
    mode: Mode,
    first: usize,
) -> CohortPlan {
    let cohort = queries.len();
    let mut wanted = vec![first.clamp(1, cohort.max(1)); cohort];
    let mut lists: Vec<Vec<(Uuid, f64)>> = vec![Vec::new(); cohort];
    let mut to_rank: Vec<usize> = (0..cohort).collect();
    loop {
        for (seeker, list) in to_rank
            .iter()
            .zip(ranked(index, queries, &to_rank, &wanted))
        {
            lists[*seeker] = list;
        }
        let (problem, sponsors) = problem_of(index, &lists);
        // A list is whole when it is shorter than asked for, or as long as the cohort.
        let whole =
            |seeker: usize| lists[seeker].len() < wanted[seeker] || wanted[seeker] >= cohort;
        let (assignment, too_short): (Assignment, Vec<usize>) = match mode {
            Mode::Optimal => {
                let (assignment, values) = assignment::optimal_with_values(&problem);
                let too_short = (0..cohort)
                    .filter(|&seeker| {
                        let last_kept = lists[seeker].last().map_or(0.0, |(_, score)| *score);
                        !whole(seeker) && last_kept > values[seeker] + ROUNDING
                    })
                    .collect();
                (assignment, too_short)
            }
            Mode::Stable => {
                let assignment = assignment::stable(&problem);
                let too_short = assignment
                    .unmatched
                    .iter()
                    .map(|&seeker| seeker as usize)
                    .filter(|&seeker| !whole(seeker))
                    .collect();
                (assignment, too_short)
            }
        };
        if too_short.is_empty() {
            return answer(&problem, &sponsors, &lists, &assignment);
        }
        for &seeker in &too_short {
            wanted[seeker] = (wanted[seeker] * GROWTH).min(cohort);
        }
        to_rank = too_short;
    }
}

/// Each of `seekers`' best `wanted` candidates, in the order of `seekers`, ranked on
/// every core: the seekers' queries are independent reads of one index.
fn ranked(
    index: &RankIndex,
    queries: &[Query],
    seekers: &[usize],
    wanted: &[usize],
) -> Vec<Vec<(Uuid, f64)>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let share = seekers.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = seekers
            .chunks(share)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|&seeker| index.top_k(&queries[seeker], wanted[seeker]))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|part| {
                part.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// The solver's problem from the lists, and its sponsors by position: in id order, so
/// that the stable answer's ties (to the lower position) go as the lists' (to the lower
/// id) do, however long the lists are.
fn problem_of(index: &RankIndex, lists: &[Vec<(Uuid, f64)>]) -> (Problem, Vec<Uuid>) {
    let mut sponsors: Vec<Uuid> = lists.iter().flatten().map(|(id, _)| *id).collect();
    sponsors.sort_unstable();
    sponsors.dedup();
    let capacities = sponsors
        .iter()
        .map(|id| u32::from(index.free_slots(*id).unwrap_or(0)))
        .collect();
    let position = |id: &Uuid| sponsors.binary_search(id).map_or(0, |at| at as u32);
    let rows = lists
        .iter()
        .map(|list| list.iter().map(|(id, score)| (position(id), *score)));
    (Problem::from_rows(capacities, rows), sponsors)
}

fn answer(
    problem: &Problem,
    sponsors: &[Uuid],
    lists: &[Vec<(Uuid, f64)>],
    assignment: &Assignment,
) -> CohortPlan {
    let pairs = assignment
        .pairs
        .iter()
        .map(|&(seeker, sponsor)| {
            let score = problem.score(seeker, sponsor).unwrap_or(0.0);
            (seeker as usize, sponsors[sponsor as usize], score)
        })
        .collect();
    let unplaced = assignment
        .unmatched
        .iter()
        .map(|&seeker| {
            let reason = if lists[seeker as usize].is_empty() {
                Unplaced::NoCandidates
            } else {
                Unplaced::SlotsTaken
            };
            (seeker as usize, reason)
        })
        .collect();
    CohortPlan {
        pairs,
        unplaced,
        total: assignment.total,
        pairs_weighed: problem.pair_count(),
        sponsors_weighed: sponsors.len(),
    }
}
