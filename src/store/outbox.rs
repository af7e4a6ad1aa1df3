//! The transactional outbox: messages queued in the transaction of the change that
//! causes them, claimed by delivery workers with a lease.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::audit::{self, Actor, RecordKind};
use super::schema::outbox_messages;
use super::{AnyConnection, PageRequest, StoreError, now};
use crate::domain::ids::{MatchId, MessageId, ProgramId};
use crate::notify::MessageKind;

/// Queues one message of `kind` for the match. Queuing it again changes nothing while
/// it waits or once it went; a cancelled one is queued anew (a consent given again).
/// Whether anything was queued.
pub fn enqueue(
    conn: &mut AnyConnection,
    program: ProgramId,
    match_id: MatchId,
    kind: MessageKind,
) -> Result<bool, StoreError> {
    let dedupe_key = format!("{match_id}:{}", kind.as_str());
    let existing = outbox_messages::table
        .filter(outbox_messages::dedupe_key.eq(&dedupe_key))
        .select(outbox_messages::status)
        .first::<String>(conn)
        .optional()?;
    match existing.as_deref() {
        Some("cancelled") => {
            diesel::update(
                outbox_messages::table.filter(outbox_messages::dedupe_key.eq(&dedupe_key)),
            )
            .set((
                outbox_messages::status.eq("pending"),
                outbox_messages::attempts.eq(0),
                outbox_messages::next_attempt_at.eq(now()),
                outbox_messages::last_error.eq(None::<String>),
            ))
            .execute(conn)?;
            Ok(true)
        }
        Some(_) => Ok(false),
        None => {
            let message = NewMessage::pending(program, Some(match_id), kind, dedupe_key, None);
            diesel::insert_into(outbox_messages::table)
                .values(&message)
                .execute(conn)?;
            Ok(true)
        }
    }
}

/// A message as queued: pending, due at once.
#[derive(Insertable)]
#[diesel(table_name = outbox_messages, treat_none_as_default_value = false)]
struct NewMessage {
    id: MessageId,
    program_id: ProgramId,
    match_id: Option<MatchId>,
    kind: MessageKind,
    dedupe_key: String,
    payload: Option<String>,
    status: &'static str,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    created_at: NaiveDateTime,
}

impl NewMessage {
    fn pending(
        program: ProgramId,
        match_id: Option<MatchId>,
        kind: MessageKind,
        dedupe_key: String,
        payload: Option<String>,
    ) -> Self {
        let created = now();
        Self {
            id: MessageId::new(),
            program_id: program,
            match_id,
            kind,
            dedupe_key,
            payload,
            status: "pending",
            attempts: 0,
            next_attempt_at: created,
            created_at: created,
        }
    }
}

/// Queues a message that carries its content (a webhook's event), once per key.
pub fn enqueue_payload(
    conn: &mut AnyConnection,
    program: ProgramId,
    match_id: MatchId,
    kind: MessageKind,
    dedupe_key: &str,
    payload: &str,
) -> Result<(), StoreError> {
    let message = NewMessage::pending(
        program,
        Some(match_id),
        kind,
        dedupe_key.to_owned(),
        Some(payload.to_owned()),
    );
    diesel::insert_into(outbox_messages::table)
        .values(&message)
        .execute(conn)?;
    Ok(())
}

/// Queues messages of `kind` about no match (invites), one per `(dedupe key, payload)`,
/// in one statement.
pub fn enqueue_unmatched(
    conn: &mut AnyConnection,
    program: ProgramId,
    kind: MessageKind,
    messages: Vec<(String, String)>,
) -> Result<(), StoreError> {
    let rows: Vec<NewMessage> = messages
        .into_iter()
        .map(|(key, payload)| NewMessage::pending(program, None, kind, key, Some(payload)))
        .collect();
    super::insert_all!(conn, outbox_messages::table, &rows)?;
    Ok(())
}

/// Cancels the match's messages of these kinds that still wait.
pub fn cancel(
    conn: &mut AnyConnection,
    match_id: MatchId,
    kinds: &[MessageKind],
) -> Result<usize, StoreError> {
    Ok(diesel::update(
        outbox_messages::table
            .filter(outbox_messages::match_id.eq(match_id))
            .filter(outbox_messages::status.eq("pending"))
            .filter(outbox_messages::kind.eq_any(kinds)),
    )
    .set(outbox_messages::status.eq("cancelled"))
    .execute(conn)?)
}

/// A message claimed for delivery, as the claim read it: text, not typed ids and kinds,
/// so that a row that does not read fails its own delivery (retried, then dead-lettered)
/// instead of every claim.
#[derive(Debug, Clone, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub program_id: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub match_id: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub kind: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub payload: Option<String>,
    /// The lease this claim holds: settling is refused once another worker took over.
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamp>)]
    pub lease_until: Option<NaiveDateTime>,
    /// Including this one.
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub attempts: i32,
}

/// Claims up to `limit` messages that are due and not leased to another worker, leasing
/// them until `lease_until`. On PostgreSQL rows locked by another worker's claim are
/// skipped, so workers never wait on each other and never take the same message; SQLite
/// runs one write transaction at a time. Run it in a write transaction.
pub fn claim(
    conn: &mut AnyConnection,
    lease_until: NaiveDateTime,
    limit: i64,
) -> Result<Vec<Claimed>, StoreError> {
    use diesel::sql_types::{BigInt, Timestamp};
    let at = now();
    let claimed = match conn {
        AnyConnection::Postgresql(pg) => diesel::sql_query(
            "UPDATE outbox_messages SET lease_until = $1, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox_messages \
                 WHERE status = 'pending' AND next_attempt_at <= $2 \
                   AND (lease_until IS NULL OR lease_until <= $2) \
                 ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING id, program_id, match_id, kind, payload, lease_until, attempts",
        )
        .bind::<Timestamp, _>(lease_until)
        .bind::<Timestamp, _>(at)
        .bind::<BigInt, _>(limit)
        .load::<Claimed>(pg)?,
        AnyConnection::Sqlite(sqlite) => diesel::sql_query(
            "UPDATE outbox_messages SET lease_until = ?, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox_messages \
                 WHERE status = 'pending' AND next_attempt_at <= ? \
                   AND (lease_until IS NULL OR lease_until <= ?) \
                 ORDER BY next_attempt_at, id LIMIT ?) \
             RETURNING id, program_id, match_id, kind, payload, lease_until, attempts",
        )
        .bind::<Timestamp, _>(lease_until)
        .bind::<Timestamp, _>(at)
        .bind::<Timestamp, _>(at)
        .bind::<BigInt, _>(limit)
        .load::<Claimed>(sqlite)?,
    };
    Ok(claimed)
}

/// How a delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Try again at the time given.
    Retry {
        at: NaiveDateTime,
        error: String,
    },
    /// Failed for good (or too often): kept for a program admin to see and retry.
    Dead {
        error: String,
    },
    /// No longer wanted: the match moved on or a consent was revoked.
    Cancelled {
        why: String,
    },
}

/// Records the outcome of an attempt, if the message is still the claimant's to settle:
/// pending, and under the lease this claim took (a worker that overran its lease does
/// not overwrite the one that took over).
pub fn settle(
    conn: &mut AnyConnection,
    claimed: &Claimed,
    outcome: &Outcome,
) -> Result<(), StoreError> {
    let pending = outbox_messages::table
        .find(&claimed.id)
        .filter(outbox_messages::status.eq("pending"))
        .filter(outbox_messages::lease_until.eq(claimed.lease_until));
    let at = now();
    // Only a retry stays pending; for the others the next attempt time no longer counts.
    let (status, error, next_attempt_at, sent_at) = match outcome {
        Outcome::Sent => ("sent", None, at, Some(at)),
        Outcome::Retry { at: next, error } => ("pending", Some(error.as_str()), *next, None),
        Outcome::Dead { error } => ("dead", Some(error.as_str()), at, None),
        Outcome::Cancelled { why } => ("cancelled", Some(why.as_str()), at, None),
    };
    diesel::update(pending)
        .set((
            outbox_messages::status.eq(status),
            outbox_messages::lease_until.eq(None::<NaiveDateTime>),
            outbox_messages::last_error.eq(error),
            outbox_messages::next_attempt_at.eq(next_attempt_at),
            outbox_messages::sent_at.eq(sent_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// A message as a program admin sees it: what, for which match, how delivery went.
/// Never its content: that is rendered at delivery and not kept.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageRecord {
    pub id: uuid::Uuid,
    pub match_id: Option<MatchId>,
    pub kind: MessageKind,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = outbox_messages)]
struct MessageRow {
    id: MessageId,
    match_id: Option<MatchId>,
    kind: MessageKind,
    status: String,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    last_error: Option<String>,
    created_at: NaiveDateTime,
    sent_at: Option<NaiveDateTime>,
}

impl MessageRow {
    fn record(self) -> MessageRecord {
        MessageRecord {
            id: self.id.as_uuid(),
            match_id: self.match_id,
            kind: self.kind,
            status: self.status,
            attempts: self.attempts,
            next_attempt_at: self.next_attempt_at.and_utc(),
            last_error: self.last_error,
            created_at: self.created_at.and_utc(),
            sent_at: self.sent_at.map(|t| t.and_utc()),
        }
    }
}

/// The program's messages in one status, oldest first.
pub fn list(
    conn: &mut AnyConnection,
    program: ProgramId,
    status: &str,
    page: PageRequest,
) -> Result<Vec<MessageRecord>, StoreError> {
    let mut query = outbox_messages::table
        .filter(outbox_messages::program_id.eq(program))
        .filter(outbox_messages::status.eq(status.to_owned()))
        .order(outbox_messages::id.asc())
        .limit(page.limit)
        .select(MessageRow::as_select())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(outbox_messages::id.gt(MessageId::from(after)));
    }
    Ok(query
        .load::<MessageRow>(conn)?
        .into_iter()
        .map(MessageRow::record)
        .collect())
}

/// Puts a dead message of the program back in the queue, due now, with fresh attempts.
pub fn retry_dead(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: uuid::Uuid,
) -> Result<MessageRecord, StoreError> {
    let id = MessageId::from(id);
    let mine = outbox_messages::table
        .find(id)
        .filter(outbox_messages::program_id.eq(actor.principal.program_id()));
    let status = mine.select(outbox_messages::status).first::<String>(conn)?;
    if status != "dead" {
        return Err(StoreError::Conflict("only a dead message can be retried"));
    }
    diesel::update(mine)
        .set((
            outbox_messages::status.eq("pending"),
            outbox_messages::attempts.eq(0),
            outbox_messages::next_attempt_at.eq(now()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "outbox_message.retry",
        RecordKind::OutboxMessage,
        &id.to_string(),
    )?;
    Ok(outbox_messages::table
        .find(id)
        .select(MessageRow::as_select())
        .first::<MessageRow>(conn)?
        .record())
}
