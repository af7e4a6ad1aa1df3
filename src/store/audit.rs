//! The audit trail: who read or changed which protected record, when, under which
//! request. Written in the same transaction as the change it records; the events of
//! candidate lists, which change nothing, are committed in groups ([`ReadLog`]).

use std::collections::HashMap;
use std::sync::{Condvar, Mutex};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::schema::audit_events;
use super::{AnyConnection, PageRequest, StoreError, Writer, now};
use crate::auth::Principal;
use crate::domain::ids::{AuditEventId, ProgramId};

/// Who is acting, for the audit trail.
#[derive(Debug, Clone)]
pub struct Actor {
    pub principal: Principal,
    pub request_id: String,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[strum(serialize_all = "snake_case")]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum RecordKind {
    Seeker,
    Consent,
    SponsorProfile,
    User,
    Invite,
    ApiKey,
    MatchingPolicy,
    Match,
    OutboxMessage,
    Webhook,
    /// A program report: aggregates only, named by the days it covers.
    Report,
    /// A program's sponsor roster: an import, named by its counts.
    Roster,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = audit_events)]
struct AuditRow {
    id: AuditEventId,
    actor_kind: String,
    actor_id: String,
    action: String,
    record_kind: String,
    record_id: String,
    request_id: Option<String>,
    occurred_at: NaiveDateTime,
}

/// An event as written: borrowed, so that writing many costs one allocation each (the id).
/// `None` is written as NULL, not as the column's default: rows that may take a default
/// diesel writes to SQLite one statement a row.
#[derive(Insertable)]
#[diesel(table_name = audit_events, treat_none_as_default_value = false)]
struct NewEvent<'a> {
    id: AuditEventId,
    program_id: ProgramId,
    actor_kind: &'a str,
    actor_id: &'a str,
    action: &'a str,
    record_kind: RecordKind,
    record_id: &'a str,
    request_id: Option<&'a str>,
    occurred_at: NaiveDateTime,
}

/// Records `action` (e.g. `seeker.read`) on one record. Never pass protected values here.
pub fn record(
    conn: &mut AnyConnection,
    actor: &Actor,
    action: &str,
    kind: RecordKind,
    record_id: &str,
) -> Result<(), StoreError> {
    record_in(
        conn,
        actor,
        actor.principal.program_id(),
        action,
        kind,
        record_id,
    )
}

/// Records an action on a record of `program`, which may not be the actor's own: a
/// sponsor answers requests from any program of the deployment, and each program's
/// trail must show what happened to its records.
pub fn record_in(
    conn: &mut AnyConnection,
    actor: &Actor,
    program: ProgramId,
    action: &str,
    kind: RecordKind,
    record_id: &str,
) -> Result<(), StoreError> {
    let (actor_kind, actor_id) = actor.principal.actor();
    diesel::insert_into(audit_events::table)
        .values(NewEvent {
            id: AuditEventId::new(),
            program_id: program,
            actor_kind,
            actor_id: &actor_id,
            action,
            record_kind: kind,
            record_id,
            request_id: Some(&actor.request_id),
            occurred_at: now(),
        })
        .execute(conn)?;
    Ok(())
}

/// Records `action` on each record named, each of the program named with it, in one
/// statement per 1,000 events whatever their number.
pub fn record_all_in(
    conn: &mut AnyConnection,
    actor: &Actor,
    action: &str,
    kind: RecordKind,
    records: &[(ProgramId, String)],
) -> Result<(), StoreError> {
    let (actor_kind, actor_id) = actor.principal.actor();
    let occurred_at = now();
    let rows: Vec<NewEvent> = records
        .iter()
        .map(|(program_id, record_id)| NewEvent {
            id: AuditEventId::new(),
            program_id: *program_id,
            actor_kind,
            actor_id: &actor_id,
            action,
            record_kind: kind,
            record_id,
            request_id: Some(&actor.request_id),
            occurred_at,
        })
        .collect();
    for chunk in rows.chunks(EVENTS_PER_STATEMENT) {
        super::insert_all!(conn, audit_events::table, chunk)?;
    }
    Ok(())
}

/// Audit events of reads, committed in groups. A read changes nothing for its events to
/// be atomic with, so concurrent requests' events share one transaction, written by
/// whichever request finds no group being written; each request answers only once its
/// own events are committed, so nothing shown goes unrecorded. Under load one commit
/// then serves several requests: fewer commits, and on SQLite fewer turns of the one
/// writer and fewer emptied page caches.
#[derive(Debug, Default)]
pub struct ReadLog {
    queue: Mutex<Queue>,
    settled: Condvar,
}

#[derive(Debug, Default)]
struct Queue {
    next_ticket: u64,
    pending: Vec<Pending>,
    /// A group is being written by one of the waiting requests.
    writing: bool,
    /// Outcomes of written groups, per ticket, until their requests collect them.
    outcomes: HashMap<u64, Result<(), String>>,
}

/// One request's events, owned: another request may write them. Each names the program
/// whose trail it goes to (a sponsor reads records of several programs).
#[derive(Debug)]
struct Pending {
    ticket: u64,
    actor_kind: &'static str,
    actor_id: String,
    request_id: String,
    occurred_at: NaiveDateTime,
    events: Vec<(ProgramId, &'static str, RecordKind, String)>,
}

impl ReadLog {
    /// Records actions on records, each on the trail of the program named with it,
    /// returning once committed.
    pub fn record(
        &self,
        conn: &mut AnyConnection,
        writer: &Writer,
        actor: &Actor,
        events: Vec<(ProgramId, &'static str, RecordKind, String)>,
    ) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let (actor_kind, actor_id) = actor.principal.actor();
        let mut queue = self.lock();
        let ticket = queue.next_ticket;
        queue.next_ticket += 1;
        queue.pending.push(Pending {
            ticket,
            actor_kind,
            actor_id,
            request_id: actor.request_id.clone(),
            occurred_at: now(),
            events,
        });
        loop {
            if let Some(outcome) = queue.outcomes.remove(&ticket) {
                return outcome.map_err(StoreError::Unavailable);
            }
            if queue.writing {
                queue = self.settled.wait(queue).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            // No group is being written, so this request's events are still pending:
            // write every pending request's events.
            queue.writing = true;
            let group = std::mem::take(&mut queue.pending);
            drop(queue);
            // A panic must not leave the others waiting for a group never settled.
            let written = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                writer.write(conn, |conn| insert_events(conn, &group))
            }))
            .unwrap_or_else(|_| {
                Err(StoreError::Unavailable(
                    "writing audit events panicked".into(),
                ))
            });
            queue = self.lock();
            queue.writing = false;
            // Every request of the group, this one included, gets the same outcome: a
            // failure refuses them all as unavailable (503).
            let outcome = written.map_err(|e| e.to_string());
            for pending in &group {
                queue.outcomes.insert(pending.ticket, outcome.clone());
            }
            self.settled.notify_all();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn insert_events(conn: &mut AnyConnection, group: &[Pending]) -> Result<(), StoreError> {
    let rows: Vec<NewEvent> = group
        .iter()
        .flat_map(|pending| {
            pending
                .events
                .iter()
                .map(|(program_id, action, kind, record_id)| NewEvent {
                    id: AuditEventId::new(),
                    program_id: *program_id,
                    actor_kind: pending.actor_kind,
                    actor_id: &pending.actor_id,
                    action,
                    record_kind: *kind,
                    record_id,
                    request_id: Some(&pending.request_id),
                    occurred_at: pending.occurred_at,
                })
        })
        .collect();
    for chunk in rows.chunks(EVENTS_PER_STATEMENT) {
        super::insert_all!(conn, audit_events::table, chunk)?;
    }
    Ok(())
}

/// Both backends cap the values one statement may bind (SQLite at 32,766; an event
/// binds 9).
const EVENTS_PER_STATEMENT: usize = 1_000;

/// Records what the service did on its own (expiry, a job), under `job`'s name.
pub fn record_service(
    conn: &mut AnyConnection,
    program: ProgramId,
    job: &str,
    action: &str,
    kind: RecordKind,
    record_id: &str,
) -> Result<(), StoreError> {
    diesel::insert_into(audit_events::table)
        .values(NewEvent {
            id: AuditEventId::new(),
            program_id: program,
            actor_kind: "service",
            actor_id: job,
            action,
            record_kind: kind,
            record_id,
            request_id: None,
            occurred_at: now(),
        })
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEvent {
    pub id: AuditEventId,
    pub actor_kind: String,
    pub actor_id: String,
    pub action: String,
    pub record_kind: String,
    pub record_id: String,
    pub request_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

pub fn list(
    conn: &mut AnyConnection,
    program: ProgramId,
    page: PageRequest,
) -> Result<Vec<AuditEvent>, StoreError> {
    let mut query = audit_events::table
        .filter(audit_events::program_id.eq(program))
        .select(AuditRow::as_select())
        .order(audit_events::id.asc())
        .limit(page.limit)
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(audit_events::id.gt(AuditEventId::from(after)));
    }
    Ok(query
        .load::<AuditRow>(conn)?
        .into_iter()
        .map(|row| AuditEvent {
            id: row.id,
            actor_kind: row.actor_kind,
            actor_id: row.actor_id,
            action: row.action,
            record_kind: row.record_kind,
            record_id: row.record_id,
            request_id: row.request_id,
            occurred_at: row.occurred_at.and_utc(),
        })
        .collect())
}
