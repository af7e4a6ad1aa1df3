//! Sponsor matching service: pairs people new to recovery with sponsors.
//! Read docs/architecture.md first.

pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod console;
pub mod delivery;
pub mod demo;
pub mod domain;
pub mod matching;
pub mod notify;
pub mod pool;
pub mod service;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod templates;
