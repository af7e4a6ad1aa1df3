//! A cohort's pairings from the rank index: each waiting seeker's candidates, then the
//! optimal or the stable [`assignment`](super::assignment) over them.
//!
//! Each seeker's best `n` candidates suffice, for `n` seekers, to keep both answers
//! exact: were a seeker placed with a sponsor outside their best `n`, the other `n - 1`
//! seekers fill at most `n - 1` of those `n` sponsors, so one of them has a free slot
//! and a score at least as good (for the optimum: moving there loses nothing; for
//! stability: the seeker would have proposed there first and been kept).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::assignment::{self, Problem};
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

/// Pairs the seekers of `queries` (one per seeker) with the index's sponsors.
pub fn plan(index: &RankIndex, queries: &[Query], mode: Mode) -> CohortPlan {
    let mut sponsors: Vec<Uuid> = Vec::new();
    let mut capacities: Vec<u32> = Vec::new();
    let mut position: HashMap<Uuid, u32> = HashMap::new();
    let rows: Vec<Vec<(u32, f64)>> = queries
        .iter()
        .map(|query| {
            index
                .top_k(query, queries.len())
                .into_iter()
                .map(|(id, score)| {
                    let at = *position.entry(id).or_insert_with(|| {
                        sponsors.push(id);
                        capacities.push(u32::from(index.free_slots(id).unwrap_or(0)));
                        (sponsors.len() - 1) as u32
                    });
                    (at, score)
                })
                .collect()
        })
        .collect();
    let problem = Problem::from_rows(capacities, rows.iter().map(|row| row.iter().copied()));
    let assignment = match mode {
        Mode::Optimal => assignment::optimal(&problem),
        Mode::Stable => assignment::stable(&problem),
    };
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
            let reason = if rows[seeker as usize].is_empty() {
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
