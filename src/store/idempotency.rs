//! Idempotency keys: the first answer to a POST carrying one, replayed for repeats.

use diesel::prelude::*;

use super::schema::idempotency_keys;
use super::{AnyConnection, StoreError, now};

/// The first answer given under a key.
#[derive(Debug, Clone)]
pub struct StoredAnswer {
    /// Digest of the request it answered, to refuse the key's reuse for another request.
    pub request_hash: String,
    pub status: u16,
    pub body: String,
}

pub fn find(
    conn: &mut AnyConnection,
    caller: &str,
    key: &str,
) -> Result<Option<StoredAnswer>, StoreError> {
    Ok(idempotency_keys::table
        .find((caller, key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::status,
            idempotency_keys::body,
        ))
        .first::<(String, i32, String)>(conn)
        .optional()?
        .map(|(request_hash, status, body)| StoredAnswer {
            request_hash,
            status: u16::try_from(status).unwrap_or(500),
            body,
        }))
}

/// Remembers the answer in the transaction that produced it.
pub fn remember(
    conn: &mut AnyConnection,
    caller: &str,
    key: &str,
    answer: &StoredAnswer,
) -> Result<(), StoreError> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::caller_id.eq(caller),
            idempotency_keys::idempotency_key.eq(key),
            idempotency_keys::request_hash.eq(&answer.request_hash),
            idempotency_keys::status.eq(i32::from(answer.status)),
            idempotency_keys::body.eq(&answer.body),
            idempotency_keys::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forgets answers older than `age`: a client retries within minutes, not days.
pub fn prune(conn: &mut AnyConnection, age: chrono::TimeDelta) -> Result<usize, StoreError> {
    Ok(
        diesel::delete(
            idempotency_keys::table.filter(idempotency_keys::created_at.lt(now() - age)),
        )
        .execute(conn)?,
    )
}
