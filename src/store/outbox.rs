//! The transactional outbox: messages queued in the transaction of the change that
//! causes them, claimed by delivery workers with a lease.

use diesel::prelude::*;

use super::schema::outbox_messages;
use super::{AnyConnection, StoreError, now};
use crate::domain::ids::{MatchId, ProgramId};
use crate::notify::MessageKind;

/// Queues one message of `kind` for the match; queuing it again changes nothing.
pub fn enqueue(
    conn: &mut AnyConnection,
    program: ProgramId,
    match_id: MatchId,
    kind: MessageKind,
) -> Result<(), StoreError> {
    let dedupe_key = format!("{match_id}:{}", kind.as_str());
    let queued = outbox_messages::table
        .filter(outbox_messages::dedupe_key.eq(&dedupe_key))
        .count()
        .get_result::<i64>(conn)?;
    if queued > 0 {
        return Ok(());
    }
    let created = now();
    diesel::insert_into(outbox_messages::table)
        .values((
            outbox_messages::id.eq(uuid::Uuid::now_v7().to_string()),
            outbox_messages::program_id.eq(program.to_string()),
            outbox_messages::match_id.eq(Some(match_id.to_string())),
            outbox_messages::kind.eq(kind.as_str()),
            outbox_messages::dedupe_key.eq(dedupe_key),
            outbox_messages::status.eq("pending"),
            outbox_messages::attempts.eq(0),
            outbox_messages::next_attempt_at.eq(created),
            outbox_messages::created_at.eq(created),
        ))
        .execute(conn)?;
    Ok(())
}

/// Cancels the match's messages still waiting that it no longer wants sent.
pub fn cancel_for_match(conn: &mut AnyConnection, match_id: MatchId) -> Result<usize, StoreError> {
    let kinds: Vec<&str> = MessageKind::ALL
        .into_iter()
        .filter(|k| k.cancelled_with_match())
        .map(MessageKind::as_str)
        .collect();
    Ok(diesel::update(
        outbox_messages::table
            .filter(outbox_messages::match_id.eq(match_id.to_string()))
            .filter(outbox_messages::status.eq("pending"))
            .filter(outbox_messages::kind.eq_any(kinds)),
    )
    .set(outbox_messages::status.eq("cancelled"))
    .execute(conn)?)
}
