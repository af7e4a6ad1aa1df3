//! Integration tests: one binary, real HTTP to a running service, a real database.

mod audit;
mod auth;
mod authorization;
mod helpers;
mod lifecycle;
mod matching;
mod operations;
mod seekers;
mod sponsors;
mod validation;
