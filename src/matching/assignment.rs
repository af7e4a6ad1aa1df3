//! Cohort assignment: the best set of pairings for many seekers at once.
//!
//! A [`Problem`] is one program's waiting seekers, its sponsors' free slots and the
//! feasible pairs with their scores (as [`super::score`] gives them, in [0, 1]). Two
//! answers, each an [`Assignment`]:
//!
//! - [`optimal`]: the greatest total score within the free slots, exactly (a min-cost
//!   flow, not a greedy pass). A seeker left unmatched counts 0.
//! - [`stable`]: deferred acceptance with seekers proposing, as in the residency match:
//!   no seeker and sponsor would both rather have each other than what they got.
//!
//! Seekers and sponsors are indices from 0; the caller keeps their ids.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A seeker's index in a [`Problem`].
pub type Seeker = u32;
/// A sponsor's index in a [`Problem`].
pub type Sponsor = u32;

/// One program's cohort: each sponsor's free slots, and the feasible pairs with their
/// scores in compressed rows. Seeker `i`'s pairs are `row_starts[i]..row_starts[i + 1]`
/// of `pair_sponsors` and `pair_scores`, sorted by sponsor; two columns rather than one
/// of tuples take 12 bytes a pair instead of 16.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    capacities: Vec<u32>,
    row_starts: Vec<usize>,
    pair_sponsors: Vec<Sponsor>,
    pair_scores: Vec<f64>,
}

impl Problem {
    /// From each seeker's pairs `(sponsor, score)`, one row per seeker in seeker order,
    /// each row in any order; `capacities[j]` is sponsor `j`'s free slots. Of a pair
    /// given twice, the higher score counts; a pair scored NaN is left out.
    ///
    /// # Panics
    ///
    /// If a pair names a sponsor without a capacity.
    pub fn from_rows<R>(capacities: Vec<u32>, rows: impl IntoIterator<Item = R>) -> Self
    where
        R: IntoIterator<Item = (Sponsor, f64)>,
    {
        let mut problem = Self {
            capacities,
            row_starts: vec![0],
            pair_sponsors: Vec::new(),
            pair_scores: Vec::new(),
        };
        let mut row = Vec::new();
        for pairs in rows {
            row.clear();
            row.extend(pairs.into_iter().filter(|(_, score)| !score.is_nan()));
            // Within a sponsor the highest score first, which is the one dedup keeps.
            row.sort_unstable_by(|a: &(Sponsor, f64), b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
            row.dedup_by_key(|(sponsor, _)| *sponsor);
            if let Some((last, _)) = row.last() {
                assert!(
                    (*last as usize) < problem.capacities.len(),
                    "sponsor {last} has no capacity"
                );
            }
            problem
                .pair_sponsors
                .extend(row.iter().map(|(sponsor, _)| sponsor));
            problem
                .pair_scores
                .extend(row.iter().map(|(_, score)| score));
            problem.row_starts.push(problem.pair_sponsors.len());
        }
        problem
    }

    /// From pairs `(seeker, sponsor, score)` in any order, for seekers `0..seekers`; as
    /// [`from_rows`](Self::from_rows) otherwise.
    ///
    /// # Panics
    ///
    /// If a pair names a seeker from `seekers` on, or a sponsor without a capacity.
    pub fn from_pairs(
        capacities: Vec<u32>,
        seekers: usize,
        pairs: impl IntoIterator<Item = (Seeker, Sponsor, f64)>,
    ) -> Self {
        let mut rows = vec![Vec::new(); seekers];
        for (seeker, sponsor, score) in pairs {
            rows[seeker as usize].push((sponsor, score));
        }
        Self::from_rows(capacities, rows)
    }

    pub fn seeker_count(&self) -> usize {
        self.row_starts.len() - 1
    }

    pub fn sponsor_count(&self) -> usize {
        self.capacities.len()
    }

    pub fn pair_count(&self) -> usize {
        self.pair_sponsors.len()
    }

    /// Each sponsor's free slots.
    pub fn capacities(&self) -> &[u32] {
        &self.capacities
    }

    /// The seeker's feasible sponsors, ascending, and the scores of those pairs.
    pub fn pairs(&self, seeker: Seeker) -> (&[Sponsor], &[f64]) {
        let range = self.row(seeker as usize);
        (&self.pair_sponsors[range.clone()], &self.pair_scores[range])
    }

    /// The pair's score, if the pair is feasible.
    pub fn score(&self, seeker: Seeker, sponsor: Sponsor) -> Option<f64> {
        let (sponsors, scores) = self.pairs(seeker);
        sponsors.binary_search(&sponsor).ok().map(|at| scores[at])
    }

    fn row(&self, seeker: usize) -> std::ops::Range<usize> {
        self.row_starts[seeker]..self.row_starts[seeker + 1]
    }
}

/// Who is paired with whom.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// Sorted by seeker, each seeker at most once.
    pub pairs: Vec<(Seeker, Sponsor)>,
    /// The sum of the pairs' scores.
    pub total: f64,
    /// The seekers not in `pairs`, ascending.
    pub unmatched: Vec<Seeker>,
}

impl Assignment {
    /// From each seeker's sponsor and the pair's score, in seeker order.
    fn collect(placements: impl Iterator<Item = Option<(Sponsor, f64)>>) -> Self {
        let mut assignment = Self {
            pairs: Vec::new(),
            total: 0.0,
            unmatched: Vec::new(),
        };
        for (seeker, placement) in (0..).zip(placements) {
            match placement {
                Some((sponsor, score)) => {
                    assignment.pairs.push((seeker, sponsor));
                    assignment.total += score;
                }
                None => assignment.unmatched.push(seeker),
            }
        }
        assignment
    }
}

/// The pairing with the greatest total score within the sponsors' free slots. Exact for
/// any finite scores; of equally good pairings, the same one for the same problem.
///
/// A min-cost flow: each seeker sends one unit to the sink, through a sponsor (cost
/// `top - score`, the sponsor passing at most its free slots on) or directly, unmatched
/// (cost `top`, at least every score, so no cost is negative); the least total cost is
/// the greatest total score. Seekers are added one at a time, each by a shortest path in
/// the residual graph (successive shortest paths, as in the Hungarian method), which
/// may move seekers already placed to other sponsors. Dijkstra on reduced costs with
/// node potentials, stopped once the sink is settled; O(n · (pairs + nodes) · log) at
/// worst, far less when free slots are plenty.
pub fn optimal(problem: &Problem) -> Assignment {
    optimal_with_values(problem).0
}

/// [`optimal`], and each seeker's value in the dual: a pair `(i, j)` left out of the
/// problem whose score is at most `values[i]` (plus rounding) could not raise the total,
/// whichever sponsor `j` is, one of the problem's or another with free slots. So a
/// problem that keeps each seeker's best pairs, and leaves out of seeker `i` only pairs
/// scored at most `values[i]`, has the same optimum as the problem with every pair.
///
/// Why: the search keeps reduced costs `cost + potential[from] - potential[to]` at least
/// 0 on every arc with room (for a seeker left unmatched too: it is never reached again,
/// and the potentials of the others only fall). Potentials start at 0 and only fall
/// (a settled node gains its distance less the sink's, which is at most 0), and the
/// sink's stays 0; so an added arc from seeker `i` to any sponsor `j`, of cost
/// `top - score`, has a reduced cost of at least `top - score + potential[i]`, not
/// negative when `score <= top + potential[i]`. With no arc of negative reduced cost
/// there is no cycle of negative cost: no exchange of pairs raises the total.
pub fn optimal_with_values(problem: &Problem) -> (Assignment, Vec<f64>) {
    let mut flow = Flow::new(problem);
    for source in 0..problem.seeker_count() {
        flow.shortest_path(source);
        flow.augment();
        flow.update_potentials();
    }
    let sink = flow.potentials[flow.sink()];
    let values = flow.potentials[..problem.seeker_count()]
        .iter()
        .map(|potential| flow.top + potential - sink)
        .collect();
    let assignment = Assignment::collect(flow.places.iter().map(|place| match *place {
        Place::Held { sponsor, slot } => {
            let (_, score) = flow.held[flow.held_starts[sponsor as usize] + slot as usize];
            Some((sponsor, score))
        }
        Place::Waiting | Place::Unmatched => None,
    }));
    (assignment, values)
}

/// Where a seeker stands while [`optimal`] runs.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// Not added yet.
    Waiting,
    /// Unmatched for good. Taking a sponsor later would mean a path from the sink's side
    /// through this seeker back to the sink; with the flow optimal so far, such a path
    /// costs at least 0, so it never beats leaving the newcomer unmatched instead. The
    /// search therefore never reaches unmatched seekers.
    Unmatched,
    /// In `slot` of the sponsor's held seekers.
    Held { sponsor: Sponsor, slot: u32 },
}

/// The state of [`optimal`]. Nodes: seekers `0..n`, sponsors `n..n + m`, the sink
/// `n + m`. Arcs with room left (the residual graph): a seeker to the sink (cost `top`)
/// and to each of its sponsors but its own (`top - score`); a sponsor with a free slot to
/// the sink (0); a sponsor to each seeker it holds (`score - top`, undoing the pair).
struct Flow<'a> {
    problem: &'a Problem,
    /// The cost of going unmatched: at least every score, so that no cost is negative.
    top: f64,
    places: Vec<Place>,
    /// Per sponsor: slots in use, and the seekers held with their pairs' scores, in
    /// `held[held_starts[j]..][..used[j]]`.
    used: Vec<u32>,
    held_starts: Vec<usize>,
    held: Vec<(Seeker, f64)>,
    /// Per node; reduced costs `cost + potential[from] - potential[to]` stay at least 0.
    potentials: Vec<f64>,
    // One search's state, per node, kept between searches: only the nodes in `touched`
    // are reset, so a search costs what it visits, not n + m.
    distances: Vec<f64>,
    predecessors: Vec<usize>,
    settled: Vec<bool>,
    touched: Vec<usize>,
    /// Per sponsor: the pair through which the search last reached it.
    reached_by: Vec<usize>,
    heap: BinaryHeap<Label>,
}

/// A heap entry: "greater" is nearer, then the lower node, so the heap's top is next.
#[derive(Debug, Clone, Copy)]
struct Label {
    distance: f64,
    node: usize,
}

impl PartialEq for Label {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Label {}
impl PartialOrd for Label {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Label {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .distance
            .total_cmp(&self.distance)
            .then(other.node.cmp(&self.node))
    }
}

impl<'a> Flow<'a> {
    fn new(problem: &'a Problem) -> Self {
        let (n, m) = (problem.seeker_count(), problem.sponsor_count());
        // A sponsor holds at most its capacity, and at most the seekers it pairs with.
        let mut degrees = vec![0usize; m];
        for sponsor in &problem.pair_sponsors {
            degrees[*sponsor as usize] += 1;
        }
        let mut held_starts = Vec::with_capacity(m + 1);
        held_starts.push(0);
        for (degree, capacity) in degrees.iter().zip(&problem.capacities) {
            held_starts
                .push(held_starts[held_starts.len() - 1] + (*degree).min(*capacity as usize));
        }
        let nodes = n + m + 1;
        Self {
            problem,
            top: problem.pair_scores.iter().copied().fold(1.0, f64::max),
            places: vec![Place::Waiting; n],
            used: vec![0; m],
            held: vec![(0, 0.0); held_starts[m]],
            held_starts,
            potentials: vec![0.0; nodes],
            distances: vec![f64::INFINITY; nodes],
            predecessors: vec![0; nodes],
            settled: vec![false; nodes],
            touched: Vec::new(),
            reached_by: vec![0; m],
            heap: BinaryHeap::new(),
        }
    }

    fn seekers(&self) -> usize {
        self.places.len()
    }

    fn sink(&self) -> usize {
        self.potentials.len() - 1
    }

    /// Dijkstra from `source` until the sink is settled. The sink is always reached: the
    /// source can go unmatched.
    fn shortest_path(&mut self, source: usize) {
        self.reach(source, 0.0, source);
        self.heap.push(Label {
            distance: 0.0,
            node: source,
        });
        while let Some(Label { distance, node }) = self.heap.pop() {
            // Entries are pushed only on improvement, so a stale one is of a settled node.
            if std::mem::replace(&mut self.settled[node], true) {
                continue;
            }
            if node == self.sink() {
                return;
            }
            if node < self.seekers() {
                self.leave_seeker(node, distance);
            } else {
                self.leave_sponsor(node - self.seekers(), distance);
            }
        }
    }

    /// Records a path to `node` of reduced length `distance` through `from`, if shorter
    /// than the one known and than the sink's: with no reduced cost negative, a path no
    /// shorter than the sink's cannot lead to a shorter one.
    fn reach(&mut self, node: usize, distance: f64, from: usize) -> bool {
        let best = self.distances[node].min(self.distances[self.sink()]);
        if distance >= best {
            return false;
        }
        if self.distances[node] == f64::INFINITY {
            self.touched.push(node);
        }
        self.distances[node] = distance;
        self.predecessors[node] = from;
        true
    }

    /// The arc's reduced cost; a rounding error below 0 is taken as 0.
    fn reduced(&self, cost: f64, from: usize, to: usize) -> f64 {
        (cost + self.potentials[from] - self.potentials[to]).max(0.0)
    }

    fn leave_seeker(&mut self, seeker: usize, distance: f64) {
        let sink = self.sink();
        let unmatched = distance + self.reduced(self.top, seeker, sink);
        if self.reach(sink, unmatched, seeker) {
            self.heap.push(Label {
                distance: unmatched,
                node: sink,
            });
        }
        let problem = self.problem;
        // The arc to the seeker's own sponsor is full; it needs no test, as that sponsor
        // is settled already and so cannot be reached shorter.
        for pair in problem.row(seeker) {
            let sponsor = problem.pair_sponsors[pair] as usize;
            if problem.capacities[sponsor] == 0 {
                continue;
            }
            let node = self.seekers() + sponsor;
            let cost = self.top - problem.pair_scores[pair];
            let to_sponsor = distance + self.reduced(cost, seeker, node);
            if !self.reach(node, to_sponsor, seeker) {
                continue;
            }
            self.reached_by[sponsor] = pair;
            // A sponsor with a free slot has never been settled, so its potential is
            // still 0, like the sink's: its arc to the sink costs 0 reduced, and nothing
            // past it can be nearer than the sink. It leads straight there (and `reach`
            // takes the sink: `to_sponsor` is below the sink's distance, as it was taken).
            let target = if self.used[sponsor] < problem.capacities[sponsor] {
                self.reach(sink, to_sponsor, node);
                sink
            } else {
                node
            };
            self.heap.push(Label {
                distance: to_sponsor,
                node: target,
            });
        }
    }

    /// A full sponsor: its arcs back to the seekers it holds.
    fn leave_sponsor(&mut self, sponsor: usize, distance: f64) {
        let node = self.seekers() + sponsor;
        let start = self.held_starts[sponsor];
        for slot in start..start + self.used[sponsor] as usize {
            let (seeker, score) = self.held[slot];
            let seeker = seeker as usize;
            let to_seeker = distance + self.reduced(score - self.top, node, seeker);
            if self.reach(seeker, to_seeker, node) {
                self.heap.push(Label {
                    distance: to_seeker,
                    node: seeker,
                });
            }
        }
    }

    /// Moves the seekers along the path found, from the sink back: the last one into a
    /// free slot (or out, unmatched), each one before it into the slot the next one left,
    /// until the source.
    fn augment(&mut self) {
        let seekers = self.seekers();
        let last = self.predecessors[self.sink()];
        // The sponsor and slot the seeker moves to; none when it goes unmatched.
        let (mut seeker, mut to) = if last < seekers {
            (last, None)
        } else {
            let sponsor = last - seekers;
            let slot = self.used[sponsor];
            self.used[sponsor] += 1;
            (self.predecessors[last], Some((sponsor, slot)))
        };
        loop {
            let place = match to {
                Some((sponsor, slot)) => {
                    let score = self.problem.pair_scores[self.reached_by[sponsor]];
                    self.held[self.held_starts[sponsor] + slot as usize] =
                        (seeker as Seeker, score);
                    Place::Held {
                        sponsor: sponsor as Sponsor,
                        slot,
                    }
                }
                None => Place::Unmatched,
            };
            match std::mem::replace(&mut self.places[seeker], place) {
                Place::Held { sponsor, slot } => {
                    let sponsor = sponsor as usize;
                    seeker = self.predecessors[seekers + sponsor];
                    to = Some((sponsor, slot));
                }
                Place::Waiting | Place::Unmatched => return,
            }
        }
    }

    /// Potentials for the next search, and its state cleared. Each settled node's
    /// potential gains its distance less the sink's; every other node is at least as far
    /// as the sink and keeps its potential. This keeps reduced costs at least 0 (the
    /// usual rule when a search stops at the sink).
    fn update_potentials(&mut self) {
        let to_sink = self.distances[self.sink()];
        for &node in &self.touched {
            if self.settled[node] {
                self.potentials[node] += self.distances[node] - to_sink;
            }
            self.distances[node] = f64::INFINITY;
            self.settled[node] = false;
        }
        self.touched.clear();
        self.heap.clear();
    }
}

/// Deferred acceptance with seekers proposing, as in the residency match: each seeker in
/// turn proposes to its sponsors from the best down; a sponsor holds up to its free slots,
/// giving up the one it likes least for a better proposal. The result is stable (no
/// seeker and sponsor would both rather have each other) and the best stable pairing for
/// every seeker.
///
/// Both sides rank by the pair's score: a seeker prefers the sponsor of the higher score
/// (ties to the lower sponsor index), a sponsor the seeker of the higher score (ties to
/// the lower seeker index).
pub fn stable(problem: &Problem) -> Assignment {
    let (n, m) = (problem.seeker_count(), problem.sponsor_count());
    let (sponsors, scores) = (&problem.pair_sponsors, &problem.pair_scores);
    let better = |a: &usize, b: &usize| {
        scores[*b]
            .total_cmp(&scores[*a])
            .then(sponsors[*a].cmp(&sponsors[*b]))
    };
    // Each seeker's pairs, best first, sorted as far as `sorted_to`: most seekers stop
    // after a few proposals, so sorting whole rows would be most of the work. When a
    // seeker needs more, the best of the rest (at least 8, and as many as it has gone
    // through) are selected and sorted.
    let mut preferences: Vec<usize> = (0..problem.pair_count()).collect();
    let mut sorted_to = problem.row_starts[..n].to_vec();
    let mut next_proposal = sorted_to.clone();
    let mut held: Vec<BinaryHeap<Proposal>> = vec![BinaryHeap::new(); m];
    let mut placements: Vec<Option<(Sponsor, f64)>> = vec![None; n];
    let mut free: Vec<usize> = (0..n).rev().collect();
    while let Some(seeker) = free.pop() {
        let row = problem.row(seeker);
        for at in next_proposal[seeker]..row.end {
            if at == sorted_to[seeker] {
                let rest = &mut preferences[at..row.end];
                let count = (at - row.start).max(8).min(rest.len());
                if count < rest.len() {
                    rest.select_nth_unstable_by(count, better);
                }
                rest[..count].sort_unstable_by(better);
                sorted_to[seeker] = at + count;
            }
            let pair = preferences[at];
            let (sponsor, score) = (sponsors[pair], scores[pair]);
            let proposal = Proposal {
                score,
                seeker: seeker as Seeker,
            };
            let holding = &mut held[sponsor as usize];
            let accepted = if holding.len() < problem.capacities[sponsor as usize] as usize {
                holding.push(proposal);
                true
            } else if let Some(mut least) = holding.peek_mut()
                && proposal < *least
            {
                let given_up = std::mem::replace(&mut *least, proposal).seeker as usize;
                placements[given_up] = None;
                free.push(given_up);
                true
            } else {
                false
            };
            if accepted {
                placements[seeker] = Some((sponsor, score));
                next_proposal[seeker] = at + 1;
                break;
            }
        }
    }
    Assignment::collect(placements.into_iter())
}

/// A seeker a sponsor holds in [`stable`]: "greater" is liked less by the sponsor (lower
/// score, then higher seeker index), so the heap's top is the one it gives up first.
#[derive(Debug, Clone, Copy)]
struct Proposal {
    score: f64,
    seeker: Seeker,
}

impl PartialEq for Proposal {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Proposal {}
impl PartialOrd for Proposal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Proposal {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then(self.seeker.cmp(&other.seeker))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    /// The greatest total by trying every choice for every seeker (a sponsor with a free
    /// slot, or none), remembering the best for each seeker and remaining slots.
    fn best_total(problem: &Problem) -> f64 {
        fn best(
            problem: &Problem,
            seeker: usize,
            free: &mut Vec<u32>,
            known: &mut HashMap<(usize, Vec<u32>), f64>,
        ) -> f64 {
            if seeker == problem.seeker_count() {
                return 0.0;
            }
            if let Some(total) = known.get(&(seeker, free.clone())) {
                return *total;
            }
            let mut total = best(problem, seeker + 1, free, known);
            let (sponsors, scores) = problem.pairs(seeker as Seeker);
            for (&sponsor, &score) in sponsors.iter().zip(scores) {
                let sponsor = sponsor as usize;
                if free[sponsor] > 0 {
                    free[sponsor] -= 1;
                    total = total.max(score + best(problem, seeker + 1, free, known));
                    free[sponsor] += 1;
                }
            }
            known.insert((seeker, free.clone()), total);
            total
        }
        best(
            problem,
            0,
            &mut problem.capacities().to_vec(),
            &mut HashMap::new(),
        )
    }

    /// Pairs feasible and sorted, each seeker once, no sponsor over capacity, the total
    /// the pairs' sum, the unmatched the other seekers.
    fn assert_valid(problem: &Problem, assignment: &Assignment) {
        let mut load = vec![0u32; problem.sponsor_count()];
        let mut total = 0.0;
        for window in assignment.pairs.windows(2) {
            assert!(
                window[0].0 < window[1].0,
                "pairs sorted by seeker, each once"
            );
        }
        for &(seeker, sponsor) in &assignment.pairs {
            total += problem.score(seeker, sponsor).expect("only feasible pairs");
            load[sponsor as usize] += 1;
        }
        for (load, capacity) in load.iter().zip(problem.capacities()) {
            assert!(load <= capacity, "capacity kept");
        }
        assert_eq!(assignment.total, total);
        let paired: Vec<Seeker> = assignment.pairs.iter().map(|(seeker, _)| *seeker).collect();
        let others: Vec<Seeker> = (0..problem.seeker_count() as Seeker)
            .filter(|seeker| paired.binary_search(seeker).is_err())
            .collect();
        assert_eq!(assignment.unmatched, others);
    }

    /// A feasible pair both of whom would rather have each other than what they got.
    fn blocking_pair(problem: &Problem, assignment: &Assignment) -> Option<(Seeker, Sponsor)> {
        let mut sponsor_of = vec![None; problem.seeker_count()];
        let mut held = vec![Vec::new(); problem.sponsor_count()];
        for &(seeker, sponsor) in &assignment.pairs {
            sponsor_of[seeker as usize] = Some(sponsor);
            held[sponsor as usize].push(seeker);
        }
        let score = |seeker, sponsor| problem.score(seeker, sponsor).unwrap();
        (0..problem.seeker_count() as Seeker).find_map(|seeker| {
            let (sponsors, scores) = problem.pairs(seeker);
            sponsors.iter().zip(scores).find_map(|(&sponsor, &wanted)| {
                let seeker_would = match sponsor_of[seeker as usize] {
                    None => true,
                    Some(own) => {
                        let had = score(seeker, own);
                        wanted > had || (wanted == had && sponsor < own)
                    }
                };
                let holding = &held[sponsor as usize];
                let sponsor_would = (holding.len() as u32) < problem.capacities()[sponsor as usize]
                    || holding.iter().any(|&other| {
                        let had = score(other, sponsor);
                        wanted > had || (wanted == had && seeker < other)
                    });
                (seeker_would && sponsor_would && sponsor_of[seeker as usize] != Some(sponsor))
                    .then_some((seeker, sponsor))
            })
        })
    }

    fn score() -> impl Strategy<Value = f64> {
        // Some scores from a few values, so that ties occur.
        prop_oneof![
            3 => 0.0..=1.0f64,
            1 => (0..=4u8).prop_map(|quarters| f64::from(quarters) / 4.0),
        ]
    }

    /// Up to `seekers` × `sponsors`, capacities 0 to 3, each pair feasible or not.
    fn problems(seekers: usize, sponsors: usize) -> impl Strategy<Value = Problem> {
        (0..=seekers, 0..=sponsors, 0.2..0.9f64)
            .prop_flat_map(|(n, m, density)| {
                (
                    prop::collection::vec(0..=3u32, m),
                    prop::collection::vec(
                        prop::collection::vec(prop::option::weighted(density, score()), m),
                        n,
                    ),
                )
            })
            .prop_map(|(capacities, cells)| {
                let rows = cells.into_iter().map(|row| {
                    (0..)
                        .zip(row)
                        .filter_map(|(sponsor, score)| Some((sponsor, score?)))
                        .collect::<Vec<_>>()
                });
                Problem::from_rows(capacities, rows)
            })
    }

    fn pairs_of(problem: &Problem) -> Vec<(Seeker, Sponsor, f64)> {
        (0..problem.seeker_count() as Seeker)
            .flat_map(|seeker| {
                let (sponsors, scores) = problem.pairs(seeker);
                let pairs = sponsors.iter().zip(scores);
                pairs.map(move |(&sponsor, &score)| (seeker, sponsor, score))
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn optimal_reaches_the_best_total(problem in problems(7, 5)) {
            let assignment = optimal(&problem);
            assert_valid(&problem, &assignment);
            let best = best_total(&problem);
            prop_assert!(
                (assignment.total - best).abs() <= 1e-9,
                "{} against {best}",
                assignment.total
            );
        }

        #[test]
        fn pairs_left_out_within_the_values_cannot_raise_the_total(
            problem in problems(7, 5),
            kept in prop::collection::vec(0..5usize, 7),
        ) {
            // Each seeker keeps its best `kept[i]` pairs; the rest are left out.
            let mut left_out = Vec::new();
            let rows: Vec<Vec<(Sponsor, f64)>> = (0..problem.seeker_count() as Seeker)
                .map(|seeker| {
                    let (sponsors, scores) = problem.pairs(seeker);
                    let mut row: Vec<(Sponsor, f64)> =
                        sponsors.iter().copied().zip(scores.iter().copied()).collect();
                    row.sort_by(|a, b| b.1.total_cmp(&a.1));
                    let keep = kept[seeker as usize].min(row.len());
                    left_out.extend(row[keep..].iter().map(|&(_, score)| (seeker, score)));
                    row.truncate(keep);
                    row
                })
                .collect();
            let kept_only = Problem::from_rows(problem.capacities().to_vec(), rows);
            let (assignment, values) = optimal_with_values(&kept_only);
            prop_assert_eq!(&assignment, &optimal(&kept_only));
            let certified = left_out
                .iter()
                .all(|&(seeker, score)| score <= values[seeker as usize] + 1e-9);
            if certified {
                let best = best_total(&problem);
                prop_assert!(
                    (assignment.total - best).abs() <= 1e-9,
                    "{} against {best}",
                    assignment.total
                );
            }
        }

        #[test]
        fn stable_has_no_blocking_pair_and_never_beats_optimal(problem in problems(7, 5)) {
            let assignment = stable(&problem);
            assert_valid(&problem, &assignment);
            prop_assert_eq!(blocking_pair(&problem, &assignment), None);
            prop_assert!(assignment.total <= optimal(&problem).total + 1e-9);
        }

        #[test]
        fn larger_cohorts_are_valid_and_stable_never_beats_optimal(problem in problems(40, 15)) {
            let best = optimal(&problem);
            let stable = stable(&problem);
            assert_valid(&problem, &best);
            assert_valid(&problem, &stable);
            prop_assert_eq!(blocking_pair(&problem, &stable), None);
            prop_assert!(stable.total <= best.total + 1e-9);
        }

        #[test]
        fn the_same_problem_gets_the_same_answer(
            (problem, shuffled) in problems(12, 6).prop_flat_map(|problem| {
                let pairs = pairs_of(&problem);
                (Just(problem), Just(pairs).prop_shuffle())
            })
        ) {
            // The same pairs in another order make the same problem.
            let capacities = problem.capacities().to_vec();
            let again = Problem::from_pairs(capacities, problem.seeker_count(), shuffled);
            prop_assert_eq!(&again, &problem);
            prop_assert_eq!(optimal(&problem), optimal(&again));
            prop_assert_eq!(stable(&problem), stable(&again));
        }
    }

    fn empty() -> Assignment {
        Assignment {
            pairs: vec![],
            total: 0.0,
            unmatched: vec![],
        }
    }

    #[test]
    fn no_seekers() {
        let problem = Problem::from_rows(vec![1, 2], Vec::<Vec<(Sponsor, f64)>>::new());
        assert_eq!(optimal(&problem), empty());
        assert_eq!(stable(&problem), empty());
    }

    #[test]
    fn no_sponsors_leaves_everyone_unmatched() {
        let problem = Problem::from_rows(vec![], vec![vec![], vec![]]);
        let unmatched = Assignment {
            unmatched: vec![0, 1],
            ..empty()
        };
        assert_eq!(optimal(&problem), unmatched);
        assert_eq!(stable(&problem), unmatched);
    }

    #[test]
    fn sponsors_without_free_slots_take_no_one() {
        let problem = Problem::from_pairs(vec![0, 0], 2, [(0, 0, 0.9), (0, 1, 0.5), (1, 1, 1.0)]);
        let unmatched = Assignment {
            unmatched: vec![0, 1],
            ..empty()
        };
        assert_eq!(optimal(&problem), unmatched);
        assert_eq!(stable(&problem), unmatched);
    }

    #[test]
    fn no_feasible_pair_leaves_everyone_unmatched() {
        let problem = Problem::from_pairs(vec![1, 3], 3, []);
        let unmatched = Assignment {
            unmatched: vec![0, 1, 2],
            ..empty()
        };
        assert_eq!(optimal(&problem), unmatched);
        assert_eq!(stable(&problem), unmatched);
    }

    #[test]
    fn a_seekers_value_is_what_a_pair_left_out_must_beat() {
        // Seeker 0 holds sponsor 0 (0.9) uncontested: a pair left out scored up to 0.9
        // could not help. Seeker 1 has no pair: any pair left out might.
        let problem = Problem::from_rows(vec![1, 1], [vec![(0, 0.9)], vec![]]);
        let (assignment, values) = optimal_with_values(&problem);
        assert_eq!(assignment.pairs, vec![(0, 0)]);
        assert!((values[0] - 0.9).abs() < 1e-12, "{values:?}");
        assert!(values[1].abs() < 1e-12, "{values:?}");
        // Both want sponsor 0 (one slot); seeker 1 would lose 0.5 going to sponsor 1, so
        // seeker 0's hold on sponsor 0 is worth 0.8 - 0.5 less to it: only a pair above
        // 0.3 could change the answer for seeker 0.
        let contested = Problem::from_rows(vec![1, 1], [vec![(0, 0.8)], vec![(0, 0.7), (1, 0.2)]]);
        let (assignment, values) = optimal_with_values(&contested);
        assert_eq!(assignment.pairs, vec![(0, 0), (1, 1)]);
        assert!((values[0] - 0.3).abs() < 1e-12, "{values:?}");
    }

    #[test]
    fn optimal_moves_a_seeker_off_its_best_sponsor_when_that_pays() {
        // Seeker 0 likes sponsor 0 best, but seeker 1 can only have sponsor 0: greedy
        // (by seeker or by score) gives 0.9; moving seeker 0 to sponsor 1 gives 1.65.
        let problem = Problem::from_pairs(vec![1, 1], 2, [(0, 0, 0.9), (0, 1, 0.8), (1, 0, 0.85)]);
        let best = optimal(&problem);
        assert_eq!(best.pairs, vec![(0, 1), (1, 0)]);
        assert!((best.total - 1.65).abs() < 1e-12);
        // Stable: sponsor 0 and seeker 0 would rather have each other.
        let stable = stable(&problem);
        assert_eq!(stable.pairs, vec![(0, 0)]);
        assert_eq!(stable.unmatched, vec![1]);
    }

    #[test]
    fn optimal_follows_a_chain_of_moves() {
        // Each newcomer takes its predecessor's sponsor, which moves one along; the last
        // sponsor is free.
        let pairs = [
            (0, 0, 1.0),
            (0, 1, 0.9),
            (1, 1, 1.0),
            (1, 2, 0.9),
            (2, 0, 0.95),
        ];
        let problem = Problem::from_pairs(vec![1, 1, 1], 3, pairs);
        let best = optimal(&problem);
        assert_eq!(best.pairs, vec![(0, 1), (1, 2), (2, 0)]);
        assert!((best.total - 2.75).abs() < 1e-12);
        assert!((best.total - best_total(&problem)).abs() < 1e-12);
    }

    #[test]
    fn a_pair_given_twice_keeps_its_higher_score_and_nan_pairs_are_left_out() {
        let problem = Problem::from_pairs(
            vec![1, 1],
            1,
            [(0, 1, 0.2), (0, 0, f64::NAN), (0, 1, 0.7), (0, 1, 0.4)],
        );
        assert_eq!(problem.pairs(0), (&[1][..], &[0.7][..]));
        assert_eq!(problem.pair_count(), 1);
        assert_eq!(problem.score(0, 0), None);
    }

    #[test]
    #[should_panic(expected = "sponsor 2 has no capacity")]
    fn a_pair_with_an_unknown_sponsor_is_refused() {
        Problem::from_pairs(vec![1, 1], 1, [(0, 2, 0.5)]);
    }
}
