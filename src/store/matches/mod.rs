//! Matches: proposing one, moving it through the lifecycle, reading it.
//!
//! Each step runs inside the caller's write transaction: the match row, its transition,
//! the audit event, the outbox messages and the disclosure log land together or not at
//! all. The rank index proposes candidates; every one is checked again here against the
//! database, which is the source of truth.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::audit::{self, Actor, RecordKind};
use super::seekers::{consent_for, ensure_seeker};
use super::{AnyBackend, AnyConnection, PageRequest, StoreError, from_json, now, outbox, to_json};
use crate::auth::{Principal, Role, UserStatus};
use crate::domain::consent::{DisclosedItem, RecipientClass, is_in_force};
use crate::domain::ids::{ConsentId, DisclosureId, MatchId, ProgramId, SeekerId, StepId, UserId};
use crate::domain::lifecycle::{Action, MatchState, Party, Reason, Refusal, transition};
use crate::domain::review::{ReviewItem, ReviewKind};
use crate::domain::values::{Attribute, Fellowship};
use crate::matching::facts::SeekerFacts;
use crate::matching::hours::{ZoneCache, week_start};
use crate::matching::policy::LifecycleRules;
use crate::matching::score::{
    Component, DistanceBand, Explanation, Query, explain, failed_filters,
};
use crate::notify::MessageKind;
use crate::store::matching::{
    Search, SeekerFactsRow, get_policy, record_sponsor_change, sponsor_facts, states_where,
};
use crate::store::schema::{
    consents, disclosures, match_transitions, matches, seeker_contacts, seekers, sponsor_profiles,
};
use crate::store::webhooks::StepEvent;

mod expiry;
mod proposals;
mod steps;
mod views;
mod waiting;

pub use expiry::{Expiry, advance, expire_one, overdue};
pub use proposals::{Proposal, propose, reassign};
pub use steps::{
    StepDetails, act, decline_for_pause, introduce_agreed, introduce_if_consented,
    on_consent_revoked, record_introduction_sent,
};
pub use views::{
    DisclosureRecord, LinkedRequest, SeekerSummaryForSponsor, Sponsee, SponseeContact,
    SponsorRequest, disclosures, linked_request, read, seeker_history, sponsees, sponsor_request,
    sponsor_requests,
};
pub use waiting::{
    WaitingSeeker, all_of_program, is_urgent, review_queue, waiting_needs, waiting_seekers,
};

/// Who takes a step.
#[derive(Debug, Clone, Copy)]
pub enum By<'a> {
    /// A caller, as the party their role makes them.
    Caller(&'a Actor),
    /// The service: for a caller (a sponsor's pause declines their requests) or on its
    /// own, as the job named.
    Service {
        on_behalf_of: Option<&'a Actor>,
        job: &'static str,
    },
}

/// The party a caller is in the lifecycle.
pub fn party_of(principal: &Principal) -> Party {
    match principal {
        Principal::Portal { .. } => Party::Portal,
        Principal::User {
            role: Role::Sponsor,
            ..
        } => Party::Sponsor,
        Principal::User { .. } => Party::Staff,
    }
}

impl By<'_> {
    fn party(&self) -> Party {
        match self {
            By::Caller(actor) => party_of(&actor.principal),
            By::Service { .. } => Party::System,
        }
    }

    fn actor(&self) -> (String, String) {
        match self {
            By::Caller(actor)
            | By::Service {
                on_behalf_of: Some(actor),
                ..
            } => {
                let (kind, id) = actor.principal.actor();
                (kind.to_owned(), id)
            }
            By::Service {
                on_behalf_of: None,
                job,
            } => ("service".to_owned(), (*job).to_owned()),
        }
    }

    fn audit(
        &self,
        conn: &mut AnyConnection,
        program: ProgramId,
        action: &str,
        id: MatchId,
    ) -> Result<(), StoreError> {
        let id = id.to_string();
        match self {
            By::Caller(actor)
            | By::Service {
                on_behalf_of: Some(actor),
                ..
            } => audit::record_in(conn, actor, program, action, RecordKind::Match, &id),
            By::Service {
                on_behalf_of: None,
                job,
            } => audit::record_service(conn, program, job, action, RecordKind::Match, &id),
        }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = matches)]
struct MatchRow {
    id: MatchId,
    program_id: ProgramId,
    seeker_id: SeekerId,
    sponsor_id: UserId,
    state: MatchState,
    score: f64,
    breakdown: String,
    policy_version: i32,
    urgent: bool,
    answer_by: Option<NaiveDateTime>,
    reason: Option<Reason>,
    sponsor_contact_consent_at: Option<NaiveDateTime>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// A step of a match's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransitionRecord {
    /// `propose`, or the action taken.
    pub action: String,
    pub from_state: Option<MatchState>,
    pub to_state: MatchState,
    /// `user`, `api_key` or `service`.
    pub actor_kind: String,
    pub actor_id: String,
    pub reason: Option<Reason>,
    pub occurred_at: DateTime<Utc>,
}

/// A match as the seeker's program sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchRecord {
    pub id: MatchId,
    pub seeker_id: SeekerId,
    pub sponsor_id: UserId,
    pub state: MatchState,
    /// The score when proposed, and its breakdown.
    pub score: f64,
    pub breakdown: Explanation,
    pub policy_version: i32,
    /// The seeker leaves treatment within two days: shorter answer windows.
    pub urgent: bool,
    /// Until when the party now asked may answer.
    pub answer_by: Option<DateTime<Utc>>,
    /// Why it was declined, vetoed, withdrawn or ended.
    pub reason: Option<Reason>,
    /// The sponsor's consent to share contact details, given with their yes.
    pub sponsor_consent: Option<SponsorConsent>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Every step, oldest first.
    pub history: Vec<TransitionRecord>,
}

fn live_match(conn: &mut AnyConnection, seeker: SeekerId) -> Result<Option<MatchId>, StoreError> {
    Ok(matches::table
        .filter(matches::seeker_id.eq(seeker))
        .filter(matches::state.eq_any(states_where(MatchState::is_live)))
        .select(matches::id)
        .first::<MatchId>(conn)
        .optional()?)
}

/// The match row, if `by` may see it: the seeker's program, or the match's sponsor.
/// `None` reads for the service itself.
fn load_row(conn: &mut AnyConnection, id: MatchId, by: Option<By>) -> Result<MatchRow, StoreError> {
    let mut query = matches::table
        .find(id)
        .select(MatchRow::as_select())
        .into_boxed();
    if let Some(By::Caller(actor)) = by {
        query = match actor.principal {
            Principal::User {
                id: user,
                role: Role::Sponsor,
                ..
            } => query.filter(matches::sponsor_id.eq(user)),
            _ => query.filter(matches::program_id.eq(actor.principal.program_id())),
        };
    }
    Ok(query.first(conn)?)
}

fn get(conn: &mut AnyConnection, id: MatchId) -> Result<MatchRecord, StoreError> {
    let row = load_row(conn, id, None)?;
    let history = history(conn, &[row.id])?;
    record(row, history.into_iter().map(|(_, t)| t).collect())
}

fn record(row: MatchRow, history: Vec<TransitionRecord>) -> Result<MatchRecord, StoreError> {
    Ok(MatchRecord {
        id: row.id,
        seeker_id: row.seeker_id,
        sponsor_id: row.sponsor_id,
        state: row.state,
        score: row.score,
        breakdown: from_json("matches.breakdown", &row.breakdown)?,
        policy_version: row.policy_version,
        urgent: row.urgent,
        answer_by: row.answer_by.map(|t| t.and_utc()),
        reason: row.reason,
        sponsor_consent: row
            .sponsor_contact_consent_at
            .map(|at| SponsorConsent::given_at(at.and_utc())),
        version: row.version,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
        history,
    })
}

/// The transitions of the matches named, oldest first, each with its match's id.
fn history(
    conn: &mut AnyConnection,
    ids: &[MatchId],
) -> Result<Vec<(MatchId, TransitionRecord)>, StoreError> {
    let mut query = match_transitions::table.into_boxed();
    // One match by equality: PostgreSQL plans `= ANY($1)` over a parameter array as a
    // scan of the whole table.
    query = match ids {
        [one] => query.filter(match_transitions::match_id.eq(*one)),
        _ => query.filter(match_transitions::match_id.eq_any(ids.to_vec())),
    };
    Ok(query
        .order(match_transitions::id.asc())
        .select((
            match_transitions::match_id,
            match_transitions::action,
            match_transitions::from_state,
            match_transitions::to_state,
            match_transitions::actor_kind,
            match_transitions::actor_id,
            match_transitions::reason,
            match_transitions::occurred_at,
        ))
        .load::<(
            MatchId,
            String,
            Option<MatchState>,
            MatchState,
            String,
            String,
            Option<Reason>,
            NaiveDateTime,
        )>(conn)?
        .into_iter()
        .map(
            |(match_id, action, from_state, to_state, actor_kind, actor_id, reason, at)| {
                let step = TransitionRecord {
                    action,
                    from_state,
                    to_state,
                    actor_kind,
                    actor_id,
                    reason,
                    occurred_at: at.and_utc(),
                };
                (match_id, step)
            },
        )
        .collect())
}

/// The sponsor's consent to share their contact details with this match's seeker, with
/// the elements a written consent names (42 CFR 2.31 is about patients' records; the
/// sponsor is given the same clarity).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SponsorConsent {
    /// Who discloses: the sponsor, through the service.
    pub discloser: &'static str,
    /// To whom: the seeker of this match, once they agree too.
    pub recipient: &'static str,
    pub information: [DisclosedItem; 1],
    pub purpose: &'static str,
    /// When given: with the sponsor's yes.
    pub signed_at: DateTime<Utc>,
    pub expires: &'static str,
    pub revocation: &'static str,
}

impl SponsorConsent {
    pub(super) fn given_at(signed_at: DateTime<Utc>) -> Self {
        Self {
            discloser: "the sponsor, through the service",
            recipient: "the seeker of this match",
            information: [DisclosedItem::ContactDetails],
            purpose: "to introduce the sponsor and the seeker once both agreed",
            signed_at,
            expires: "when the match ends",
            revocation: "before the introduction, by withdrawing the yes \
                (POST /api/v1/matches/{id}/sponsor-withdraw, or asking the program); \
                after it, by ending the match",
        }
    }
}
