//! The domain: validated values and profiles. Pure: no I/O, no clock (callers pass `today`).

pub mod check_in;
pub mod consent;
pub mod error;
pub mod filter;
pub mod ids;
pub mod lifecycle;
pub mod report;
pub mod review;
pub mod roster;
pub mod seeker;
pub mod sponsor;
pub mod values;
