//! A program's webhook: where signed notifications of its match steps go.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::audit::{self, Actor, RecordKind};
use super::schema::program_webhooks;
use super::{AnyConnection, StoreError, now, outbox, to_json};
use crate::domain::ids::{MatchId, ProgramId, SeekerId};
use crate::domain::lifecycle::{MatchState, Reason};
use crate::domain::values::WebhookUrl;
use crate::notify::MessageKind;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookRecord {
    pub url: String,
    pub created_at: DateTime<Utc>,
}

pub fn get(conn: &mut AnyConnection, program: ProgramId) -> Result<WebhookRecord, StoreError> {
    let (url, created_at) = program_webhooks::table
        .find(program)
        .select((program_webhooks::url, program_webhooks::created_at))
        .first::<(String, NaiveDateTime)>(conn)?;
    Ok(WebhookRecord {
        url,
        created_at: created_at.and_utc(),
    })
}

/// Sets the program's webhook with a new secret, replacing any before.
pub fn set(
    conn: &mut AnyConnection,
    actor: &Actor,
    url: &WebhookUrl,
    secret: &str,
) -> Result<WebhookRecord, StoreError> {
    let program = actor.principal.program_id();
    diesel::delete(program_webhooks::table.find(program)).execute(conn)?;
    diesel::insert_into(program_webhooks::table)
        .values((
            program_webhooks::program_id.eq(program),
            program_webhooks::url.eq(url.as_str()),
            program_webhooks::secret.eq(secret),
            program_webhooks::created_at.eq(now()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "webhook.set",
        RecordKind::Webhook,
        &program.to_string(),
    )?;
    get(conn, program)
}

/// Removes the program's webhook; deliveries still queued are cancelled when their turn
/// comes.
pub fn delete(conn: &mut AnyConnection, actor: &Actor) -> Result<(), StoreError> {
    let program = actor.principal.program_id();
    let removed = diesel::delete(program_webhooks::table.find(program)).execute(conn)?;
    if removed == 0 {
        return Err(StoreError::NotFound);
    }
    audit::record(
        conn,
        actor,
        "webhook.delete",
        RecordKind::Webhook,
        &program.to_string(),
    )
}

/// Where and with which secret the program's webhooks go, if it has one; the program
/// as a claimed message names it (`outbox::Claimed`).
pub fn target(
    conn: &mut AnyConnection,
    program: &str,
) -> Result<Option<(String, String)>, StoreError> {
    Ok(program_webhooks::table
        .find(program)
        .select((program_webhooks::url, program_webhooks::secret))
        .first::<(String, String)>(conn)
        .optional()?)
}

/// Queues the step's webhook, in the step's transaction, when the program has one.
pub fn queue(
    conn: &mut AnyConnection,
    program: ProgramId,
    event: &StepEvent,
) -> Result<(), StoreError> {
    let has_webhook = program_webhooks::table
        .find(program)
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if !has_webhook {
        return Ok(());
    }
    outbox::enqueue_payload(
        conn,
        program,
        event.match_id,
        MessageKind::Webhook,
        &format!("{}:webhook:{}", event.match_id, event.step_id),
        &to_json(event)?,
    )
}

/// What a program's webhook is told of a step: ids the portal knows, never what the
/// portal does not already hold.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StepEvent {
    /// Always `match.step`.
    pub event: &'static str,
    /// Unique per step: a receiver can drop repeats by it.
    pub step_id: uuid::Uuid,
    pub match_id: MatchId,
    pub seeker_id: SeekerId,
    pub action: &'static str,
    pub from_state: Option<MatchState>,
    pub to_state: MatchState,
    pub reason: Option<Reason>,
    /// `user`, `api_key` or `service`.
    pub by: String,
    pub occurred_at: DateTime<Utc>,
}
