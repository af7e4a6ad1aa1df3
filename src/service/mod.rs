//! The operations of the domain, each written once, for every front end (the JSON API
//! today, the console next). A front end parses, authorizes, calls one function here and
//! maps its error; this layer runs the transaction, drives the effects that cross records
//! (a revoked consent withdrawing requests, a pause declining them, an accepted invite
//! completing a roster entry) and keeps this instance's sponsor pool current afterwards.
//! Repositories (`store`) never call each other across records; this layer does.

pub mod accounts;
pub mod consents;
pub mod matching;
pub mod sponsors;
