//! The operations of the domain, each written once, for every front end (the JSON API
//! today, the console next). A front end parses, authorizes, calls one function here and
//! maps its error; this layer runs the transaction, drives the effects that cross records
//! (a revoked consent withdrawing requests, a pause declining them, an accepted invite
//! completing a roster entry) and keeps this instance's sponsor pool current afterwards.
//! Repositories (`store`) never call each other across records; this layer does.

pub mod accounts;
pub mod audit;
pub mod check_ins;
pub mod consents;
pub mod credentials;
pub mod matches;
pub mod matching;
pub mod outbox;
pub mod reports;
pub mod review;
pub mod roster;
pub mod seekers;
pub mod sponsors;

use crate::domain::error::FieldErrors;
use crate::domain::roster::Rejection;
use crate::store::StoreError;

/// Why an operation did not happen. Each front end maps it once (the API to problem
/// details).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input breaks the domain's rules; every problem at once.
    #[error(transparent)]
    Invalid(#[from] FieldErrors),
    /// Nothing was imported: the roster's header does not name its columns (the problems
    /// are on line 1), or, all or nothing, these rows were rejected.
    #[error("nothing was imported: {} rejected", .0.len())]
    RosterRejected(Vec<Rejection>),
    /// Wrong credentials, without saying which part was wrong.
    #[error("unauthenticated")]
    Unauthenticated,
    /// Too many failed attempts; try again after this long.
    #[error("too many attempts; retry after {0:?}")]
    Throttled(std::time::Duration),
    /// Something of this process failed (a task panicked); the cause is logged.
    #[error("internal: {0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}
