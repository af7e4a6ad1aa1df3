//! Matching: who could sponsor a seeker, and how well. Pure: no I/O, no clock.
//!
//! - [`facts`]: both sides in compact form (bit sets, small numbers).
//! - [`hours`]: local weekly availability converted to UTC hours for the coming week.
//! - [`score`]: the hard filters, the weighted components, the explanation; and
//!   [`score::rank_all`], the brute-force reference ranking.
//! - [`index`]: the rank index that gives the same answers as the reference, fast.
//! - [`policy`]: a program's weights and thresholds.
//! - [`assignment`]: pairings for a whole cohort at once, optimal or stable, and
//!   [`cohort`], which poses the problem from the rank index.
//! - [`population`]: a deterministic synthetic sponsor pool for benchmarks and demos.
//!
//! See docs/matching.md for the model and the reasons behind it.

pub mod assignment;
pub mod cohort;
pub mod facts;
pub mod hours;
pub mod index;
pub mod policy;
pub mod population;
pub mod score;

#[cfg(test)]
mod tests;
