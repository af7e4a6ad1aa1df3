//! Integration tests: one binary, real HTTP to a running service, a real database.

mod audit;
mod auth;
mod authorization;
mod check_ins;
mod cohort;
mod consistency;
mod console;
mod contention;
mod email;
mod headers;
mod helpers;
mod journey;
mod lifecycle;
mod matching;
mod openapi;
mod operations;
mod reads;
mod reports;
mod review;
mod roster;
mod seekers;
mod smtp;
mod sponsors;
mod validation;
mod webhooks;
