//! Delivery: the outbox worker that claims queued messages, has `notify` render them from
//! the records as they are, and sends them (SMTP or files, signed webhook POSTs), with
//! leases, retries and dead letters.

pub mod transport;
pub mod webhook;
pub mod worker;
