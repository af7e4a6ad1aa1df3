//! The audit trail: who read or changed which protected record, when, under which
//! request. Written in the same transaction as the change it records.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::schema::audit_events;
use super::{AnyConnection, PageRequest, StoreError, now, parse_id};
use crate::auth::Principal;
use crate::domain::ids::{AuditEventId, ProgramId};

/// Who is acting, for the audit trail.
#[derive(Debug, Clone)]
pub struct Actor {
    pub principal: Principal,
    pub request_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

impl RecordKind {
    fn as_str(self) -> &'static str {
        match self {
            RecordKind::Seeker => "seeker",
            RecordKind::Consent => "consent",
            RecordKind::SponsorProfile => "sponsor_profile",
            RecordKind::User => "user",
            RecordKind::Invite => "invite",
            RecordKind::ApiKey => "api_key",
            RecordKind::MatchingPolicy => "matching_policy",
            RecordKind::Match => "match",
            RecordKind::OutboxMessage => "outbox_message",
            RecordKind::Webhook => "webhook",
            RecordKind::Report => "report",
            RecordKind::Roster => "roster",
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = audit_events)]
struct AuditRow {
    id: String,
    actor_kind: String,
    actor_id: String,
    action: String,
    record_kind: String,
    record_id: String,
    request_id: Option<String>,
    occurred_at: NaiveDateTime,
}

/// An event as written: borrowed, so that writing many costs one allocation each (the id).
#[derive(Insertable)]
#[diesel(table_name = audit_events)]
struct NewEvent<'a> {
    id: String,
    program_id: &'a str,
    actor_kind: &'a str,
    actor_id: &'a str,
    action: &'a str,
    record_kind: &'static str,
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
            id: AuditEventId::new().to_string(),
            program_id: &program.to_string(),
            actor_kind,
            actor_id: &actor_id,
            action,
            record_kind: kind.as_str(),
            record_id,
            request_id: Some(&actor.request_id),
            occurred_at: now(),
        })
        .execute(conn)?;
    Ok(())
}

/// Records actions on many records of the actor's program, a thousand to a statement:
/// a candidate list shows many sponsors, and each is on record.
pub fn record_all(
    conn: &mut AnyConnection,
    actor: &Actor,
    events: &[(&str, RecordKind, &str)],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let (actor_kind, actor_id) = actor.principal.actor();
    let program = actor.principal.program_id().to_string();
    let occurred_at = now();
    let rows: Vec<NewEvent> = events
        .iter()
        .map(|&(action, kind, record_id)| NewEvent {
            id: AuditEventId::new().to_string(),
            program_id: &program,
            actor_kind,
            actor_id: &actor_id,
            action,
            record_kind: kind.as_str(),
            record_id,
            request_id: Some(&actor.request_id),
            occurred_at,
        })
        .collect();
    // Both backends cap the values one statement may bind (SQLite at 32,766).
    for chunk in rows.chunks(1_000) {
        super::insert_all!(conn, audit_events::table, chunk)?;
    }
    Ok(())
}

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
            id: AuditEventId::new().to_string(),
            program_id: &program.to_string(),
            actor_kind: "service",
            actor_id: job,
            action,
            record_kind: kind.as_str(),
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
        .filter(audit_events::program_id.eq(program.to_string()))
        .select(AuditRow::as_select())
        .order(audit_events::id.asc())
        .limit(page.limit)
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(audit_events::id.gt(after.to_string()));
    }
    query
        .load(conn)?
        .into_iter()
        .map(|row| {
            Ok(AuditEvent {
                id: parse_id("audit_events.id", &row.id)?,
                actor_kind: row.actor_kind,
                actor_id: row.actor_id,
                action: row.action,
                record_kind: row.record_kind,
                record_id: row.record_id,
                request_id: row.request_id,
                occurred_at: row.occurred_at.and_utc(),
            })
        })
        .collect()
}
