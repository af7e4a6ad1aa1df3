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
use super::schema::{consents, disclosures, match_transitions, matches, seekers, sponsor_profiles};
use super::seekers::{consent_for, ensure_seeker};
use super::{
    AnyBackend, AnyConnection, PageRequest, StoreError, enum_to_text, from_json, now, outbox,
    parse_id, to_json,
};
use crate::auth::{Principal, Role};
use crate::domain::consent::{DisclosedItem, RecipientClass, is_in_force};
use crate::domain::ids::{ConsentId, MatchId, ProgramId, SeekerId, UserId};
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
use crate::store::webhooks::StepEvent;

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
    id: String,
    program_id: String,
    seeker_id: String,
    sponsor_id: String,
    state: String,
    score: f64,
    breakdown: String,
    policy_version: i32,
    urgent: bool,
    answer_by: Option<NaiveDateTime>,
    reason: Option<String>,
    sponsor_contact_consent_at: Option<NaiveDateTime>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl MatchRow {
    fn state(&self) -> Result<MatchState, StoreError> {
        MatchState::parse(&self.state).ok_or_else(|| StoreError::Corrupt("matches.state".into()))
    }

    fn id(&self) -> Result<MatchId, StoreError> {
        parse_id("matches.id", &self.id)
    }

    fn program(&self) -> Result<ProgramId, StoreError> {
        parse_id("matches.program_id", &self.program_id)
    }

    fn seeker(&self) -> Result<SeekerId, StoreError> {
        parse_id("matches.seeker_id", &self.seeker_id)
    }
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
    fn given_at(signed_at: DateTime<Utc>) -> Self {
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

/// A request as its sponsor sees it: only what the seeker consented to disclose.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SponsorRequest {
    pub id: MatchId,
    pub state: MatchState,
    pub answer_by: Option<DateTime<Utc>>,
    pub seeker: SeekerSummaryForSponsor,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct SeekerSummaryForSponsor {
    pub alias: Option<String>,
    pub fellowships: Option<Vec<Fellowship>>,
    pub languages: Option<Vec<String>>,
    pub needs: Option<Vec<crate::domain::values::Attribute>>,
    /// Hours a week both are free.
    pub shared_hours: Option<u32>,
    /// How far apart they are, as a band; only when they could meet in person.
    pub distance_band: Option<DistanceBand>,
}

/// What a step carries besides its action.
#[derive(Debug, Clone, Copy, Default)]
pub struct StepDetails {
    pub reason: Option<Reason>,
    /// The sponsor's consent, given with their yes, to share their contact details
    /// with the seeker at introduction.
    pub sponsor_shares_contact: bool,
}

/// How the seeker's program asks for a match: a chosen sponsor, or the best candidate
/// the rank index offers (`rank` returns sponsor ids, best first).
pub struct Proposal<'a> {
    pub chosen: Option<UserId>,
    pub zones: &'a mut ZoneCache,
    pub today: NaiveDate,
    pub rank: &'a dyn Fn(&Query, usize) -> Vec<uuid::Uuid>,
}

/// How many of the index's best are checked against the database before giving up:
/// the index may be a moment behind it.
const CANDIDATES_CHECKED: usize = 10;

/// Proposes a match for a seeker of the caller's program and submits it: to review, or
/// straight to the sponsor.
pub fn propose(
    conn: &mut AnyConnection,
    by: By,
    program: ProgramId,
    seeker: SeekerId,
    proposal: Proposal,
) -> Result<MatchRecord, StoreError> {
    let search = Search::load(conn, program, seeker, proposal.zones)?;
    if live_match(conn, seeker)?.is_some() {
        return Err(StoreError::Refused(Refusal::SeekerHasLiveMatch));
    }
    let consent = consent_for(conn, seeker, RecipientClass::CandidateSponsors)?.ok_or(
        StoreError::Refused(Refusal::ConsentRequired(
            "the seeker's consent to disclose a summary to candidate sponsors",
        )),
    )?;
    let query = search.query(proposal.today);
    let policy = &search.policy;
    let candidates = match proposal.chosen {
        Some(sponsor) => vec![sponsor.as_uuid()],
        None => (proposal.rank)(&query, CANDIDATES_CHECKED),
    };
    let mut picked = None;
    for candidate in candidates {
        let id = candidate.to_string();
        let Some((facts, _)) = sponsor_facts(conn, Some(&[id]), proposal.zones)?.pop() else {
            if proposal.chosen.is_some() {
                return Err(StoreError::NotFound);
            }
            continue;
        };
        let failed = failed_filters(&query, &facts);
        if failed.is_empty() {
            picked = Some((candidate, explain(&query, &facts)));
            break;
        }
        if proposal.chosen.is_some() {
            return Err(StoreError::Refused(Refusal::NotEligible(failed)));
        }
    }
    let (sponsor, explanation) = picked.ok_or(StoreError::Refused(Refusal::NoCandidate))?;
    let discharge = seekers::table
        .find(seeker.to_string())
        .select(seekers::discharge_date)
        .first::<Option<NaiveDate>>(conn)?;
    let id = MatchId::new();
    let created = now();
    diesel::insert_into(matches::table)
        .values(MatchRow {
            id: id.to_string(),
            program_id: program.to_string(),
            seeker_id: seeker.to_string(),
            sponsor_id: sponsor.to_string(),
            state: MatchState::Proposed.as_str().to_owned(),
            score: explanation.score.unwrap_or_default(),
            breakdown: to_json(&explanation)?,
            policy_version: policy.version,
            urgent: is_urgent(discharge, proposal.today),
            answer_by: None,
            reason: None,
            sponsor_contact_consent_at: None,
            version: 1,
            created_at: created,
            updated_at: created,
        })
        .execute(conn)
        .map_err(|error| match StoreError::from(error) {
            // Another request for this seeker won the race.
            StoreError::Conflict(_) => StoreError::Refused(Refusal::SeekerHasLiveMatch),
            other => other,
        })?;
    let row = load_row(conn, id, None)?;
    let created = Step {
        action: "propose",
        from: None,
        to: MatchState::Proposed,
        reason: None,
    };
    record_transition(conn, &row, &created, by)?;
    by.audit(conn, program, "match.propose", id)?;
    let rules = policy.policy.lifecycle;
    let submitted = transition(
        MatchState::Proposed,
        Action::Submit,
        Party::System,
        rules.review_required,
    )
    .map_err(StoreError::Refused)?;
    let system = By::Service {
        on_behalf_of: None,
        job: "submit",
    };
    move_to(
        conn,
        &row,
        Action::Submit,
        submitted,
        StepDetails::default(),
        system,
    )?;
    if submitted == MatchState::AwaitingSponsor {
        reach_sponsor(conn, &row, Some(consent))?;
    }
    get(conn, id)
}

/// Takes `action` on a match the caller can see.
pub fn act(
    conn: &mut AnyConnection,
    by: By,
    id: MatchId,
    action: Action,
    details: StepDetails,
) -> Result<MatchRecord, StoreError> {
    let row = load_row(conn, id, Some(by))?;
    let current = row.state()?;
    // Only a new match's submission depends on the program's review rule.
    let review_required = action == Action::Submit
        && get_policy(conn, row.program()?)?
            .policy
            .lifecycle
            .review_required;
    let next =
        transition(current, action, by.party(), review_required).map_err(StoreError::Refused)?;
    match action {
        Action::SponsorAccept => ensure_free_slot(conn, &row.sponsor_id)?,
        // The sponsor may have paused, filled up or changed since the proposal.
        Action::Approve => ensure_still_a_candidate(conn, &row)?,
        _ => {}
    }
    move_to(conn, &row, action, next, details, by)?;
    by.audit(
        conn,
        row.program()?,
        &format!("match.{}", action.as_str()),
        id,
    )?;
    get(conn, id)
}

/// Reassigns an open match: withdraws it (reason `reassigned`) and proposes another
/// sponsor, chosen or the best available, in one transaction. The sponsor left is not
/// barred: reassigning is about the program's choice, not their conduct.
pub fn reassign(
    conn: &mut AnyConnection,
    by: By,
    id: MatchId,
    proposal: Proposal,
) -> Result<MatchRecord, StoreError> {
    let withdrawn = act(
        conn,
        by,
        id,
        Action::Withdraw,
        StepDetails {
            reason: Some(Reason::Reassigned),
            sponsor_shares_contact: false,
        },
    )?;
    let program = load_row(conn, id, None)?.program()?;
    let left = withdrawn.sponsor_id.as_uuid();
    let rank = proposal.rank;
    // The best available other than the sponsor just left.
    let others = move |query: &Query, k: usize| -> Vec<uuid::Uuid> {
        rank(query, k + 1)
            .into_iter()
            .filter(|id| *id != left)
            .take(k)
            .collect()
    };
    propose(
        conn,
        by,
        program,
        withdrawn.seeker_id,
        Proposal {
            chosen: proposal.chosen,
            zones: proposal.zones,
            today: proposal.today,
            rank: &others,
        },
    )
}

/// Every disclosure of a seeker's record through matching: what went to whom, when,
/// under which consent, so the program can answer the person's request for that list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DisclosureRecord {
    pub match_id: MatchId,
    /// The sponsor who received it.
    pub recipient_id: UserId,
    pub items: Vec<DisclosedItem>,
    pub purpose: String,
    pub consent_id: Option<ConsentId>,
    pub disclosed_at: DateTime<Utc>,
}

pub fn disclosures(
    conn: &mut AnyConnection,
    actor: &Actor,
    seeker: SeekerId,
) -> Result<Vec<DisclosureRecord>, StoreError> {
    ensure_seeker(conn, actor.principal.program_id(), seeker)?;
    if actor.principal.is_person() {
        audit::record(
            conn,
            actor,
            "seeker.disclosures",
            RecordKind::Seeker,
            &seeker.to_string(),
        )?;
    }
    disclosures::table
        .filter(disclosures::seeker_id.eq(seeker.to_string()))
        .order(disclosures::id.asc())
        .select((
            disclosures::match_id,
            disclosures::recipient_id,
            disclosures::items,
            disclosures::purpose,
            disclosures::consent_id,
            disclosures::disclosed_at,
        ))
        .load::<(
            String,
            String,
            String,
            String,
            Option<String>,
            NaiveDateTime,
        )>(conn)?
        .into_iter()
        .map(|(match_id, recipient, items, purpose, consent, at)| {
            Ok(DisclosureRecord {
                match_id: parse_id("disclosures.match_id", &match_id)?,
                recipient_id: parse_id("disclosures.recipient_id", &recipient)?,
                items: from_json("disclosures.items", &items)?,
                purpose,
                consent_id: consent
                    .map(|c| parse_id("disclosures.consent_id", &c))
                    .transpose()?,
                disclosed_at: at.and_utc(),
            })
        })
        .collect()
}

/// Moves the match on from the state in `row`, or refuses if it has moved since, then
/// does what arriving in the new state entails.
fn move_to(
    conn: &mut AnyConnection,
    row: &MatchRow,
    action: Action,
    next: MatchState,
    details: StepDetails,
    by: By,
) -> Result<(), StoreError> {
    let current = row.state()?;
    let id = row.id()?;
    // Someone is now asked to answer, within the program's window.
    let answer_by = if matches!(
        next,
        MatchState::AwaitingSponsor | MatchState::AwaitingSeeker
    ) {
        let rules = get_policy(conn, row.program()?)?.policy.lifecycle;
        Some(now() + rules.answer_window(row.urgent))
    } else {
        None
    };
    let contact_consent = if action == Action::SponsorAccept && details.sponsor_shares_contact {
        Some(now())
    } else {
        row.sponsor_contact_consent_at
    };
    let updated = diesel::update(matches::table.find(&row.id))
        .filter(matches::version.eq(row.version))
        .set((
            matches::state.eq(next.as_str()),
            matches::answer_by.eq(answer_by),
            matches::reason.eq(details
                .reason
                .map(|r| r.as_str().to_owned())
                .or(row.reason.clone())),
            matches::sponsor_contact_consent_at.eq(contact_consent),
            matches::version.eq(row.version + 1),
            matches::updated_at.eq(now()),
        ))
        .execute(conn)?;
    if updated == 0 {
        let now_state = load_row(conn, id, None)?.state()?;
        return Err(StoreError::Refused(Refusal::InvalidTransition {
            action,
            current: now_state,
        }));
    }
    let step = Step {
        action: action.as_str(),
        from: Some(current),
        to: next,
        reason: details.reason,
    };
    record_transition(conn, row, &step, by)?;
    if current.holds_slot() != next.holds_slot() {
        record_sponsor_change(conn, &row.sponsor_id)?;
    }
    let program = row.program()?;
    match next {
        MatchState::AwaitingSponsor if current == MatchState::PendingReview => {
            let consent = consent_for(conn, row.seeker()?, RecipientClass::CandidateSponsors)?;
            if consent.is_none() {
                return Err(StoreError::Refused(Refusal::ConsentRequired(
                    "the seeker's consent to disclose a summary to candidate sponsors",
                )));
            }
            reach_sponsor(conn, row, consent)?;
        }
        MatchState::Declined => {
            outbox::cancel(conn, id, &MessageKind::TO_THE_PAIR)?;
            outbox::enqueue(conn, program, id, MessageKind::DeclineNotice)?;
        }
        MatchState::Expired => {
            outbox::cancel(conn, id, &MessageKind::TO_THE_PAIR)?;
            outbox::enqueue(conn, program, id, MessageKind::ExpiryNotice)?;
        }
        MatchState::Withdrawn | MatchState::Vetoed => {
            outbox::cancel(conn, id, &MessageKind::TO_THE_PAIR)?;
        }
        MatchState::Agreed => introduce_if_consented(conn, id)?,
        _ => {}
    }
    Ok(())
}

/// The request reaches the sponsor: what the seeker's consent covers is disclosed to
/// them (and logged), and the request email is queued.
fn reach_sponsor(
    conn: &mut AnyConnection,
    row: &MatchRow,
    consent: Option<ConsentId>,
) -> Result<(), StoreError> {
    let id = row.id()?;
    record_disclosure(conn, row, &row.sponsor_id, consent, |item| {
        item != DisclosedItem::ContactDetails
    })?;
    outbox::enqueue(conn, row.program()?, id, MessageKind::SponsorRequest)?;
    Ok(())
}

/// Introduces an agreed pair once both have consented to share contact details: the
/// sponsor with their yes, the seeker through a consent naming the matched sponsor.
pub fn introduce_if_consented(conn: &mut AnyConnection, id: MatchId) -> Result<(), StoreError> {
    let row = load_row(conn, id, None)?;
    if row.state()? != MatchState::Agreed || row.sponsor_contact_consent_at.is_none() {
        return Ok(());
    }
    let Some(consent) = consent_for(conn, row.seeker()?, RecipientClass::MatchedSponsor)? else {
        return Ok(());
    };
    let program = row.program()?;
    let system = By::Service {
        on_behalf_of: None,
        job: "introduce",
    };
    move_to(
        conn,
        &row,
        Action::Introduce,
        MatchState::Introduced,
        StepDetails::default(),
        system,
    )?;
    record_disclosure(conn, &row, &row.sponsor_id, Some(consent), |_| true)?;
    outbox::enqueue(conn, program, id, MessageKind::IntroductionToSponsor)?;
    outbox::enqueue(conn, program, id, MessageKind::IntroductionToSeeker)?;
    system.audit(conn, program, "match.introduce", id)
}

/// A consent for the matched sponsor arrived: introduces the seeker's agreed match, or
/// queues again the introductions a revoked consent had stopped.
pub fn introduce_agreed(conn: &mut AnyConnection, seeker: SeekerId) -> Result<(), StoreError> {
    let live = matches::table
        .filter(matches::seeker_id.eq(seeker.to_string()))
        .filter(
            matches::state.eq_any([MatchState::Agreed.as_str(), MatchState::Introduced.as_str()]),
        )
        .select(MatchRow::as_select())
        .first::<MatchRow>(conn)
        .optional()?;
    let Some(row) = live else {
        return Ok(());
    };
    let id = row.id()?;
    if row.state()? == MatchState::Agreed {
        return introduce_if_consented(conn, id);
    }
    let mut queued = false;
    for kind in MessageKind::INTRODUCTIONS {
        queued |= outbox::enqueue(conn, row.program()?, id, kind)?;
    }
    if queued {
        let consent = consent_for(conn, seeker, RecipientClass::MatchedSponsor)?;
        record_disclosure(conn, &row, &row.sponsor_id, consent, |_| true)?;
    }
    Ok(())
}

/// Logs what of the seeker's record went to `recipient` under `consent`.
fn record_disclosure(
    conn: &mut AnyConnection,
    row: &MatchRow,
    recipient: &str,
    consent: Option<ConsentId>,
    keep: impl Fn(DisclosedItem) -> bool,
) -> Result<(), StoreError> {
    let Some(consent) = consent else {
        return Ok(());
    };
    let (information, purpose) = consents::table
        .find(consent.to_string())
        .select((consents::information, consents::purpose))
        .first::<(String, String)>(conn)?;
    let items: Vec<DisclosedItem> = from_json("consents.information", &information)?;
    let items: Vec<DisclosedItem> = items.into_iter().filter(|i| keep(*i)).collect();
    diesel::insert_into(disclosures::table)
        .values((
            disclosures::id.eq(uuid::Uuid::now_v7().to_string()),
            disclosures::program_id.eq(&row.program_id),
            disclosures::seeker_id.eq(&row.seeker_id),
            disclosures::match_id.eq(&row.id),
            disclosures::recipient_id.eq(recipient),
            disclosures::items.eq(to_json(&items)?),
            disclosures::purpose.eq(purpose),
            disclosures::consent_id.eq(Some(consent.to_string())),
            disclosures::disclosed_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// One step of a match's history.
struct Step {
    /// `propose`, or the action taken.
    action: &'static str,
    from: Option<MatchState>,
    to: MatchState,
    reason: Option<Reason>,
}

/// Records the step, and queues its webhook when the program has one.
fn record_transition(
    conn: &mut AnyConnection,
    row: &MatchRow,
    step: &Step,
    by: By,
) -> Result<(), StoreError> {
    let (actor_kind, actor_id) = by.actor();
    let step_id = uuid::Uuid::now_v7();
    let occurred_at = now();
    diesel::insert_into(match_transitions::table)
        .values((
            match_transitions::id.eq(step_id.to_string()),
            match_transitions::match_id.eq(&row.id),
            match_transitions::action.eq(step.action),
            match_transitions::from_state.eq(step.from.map(|s| s.as_str())),
            match_transitions::to_state.eq(step.to.as_str()),
            match_transitions::actor_kind.eq(&actor_kind),
            match_transitions::actor_id.eq(actor_id),
            match_transitions::reason.eq(step.reason.map(|r| r.as_str())),
            match_transitions::occurred_at.eq(occurred_at),
        ))
        .execute(conn)?;
    let event = StepEvent {
        event: "match.step",
        step_id,
        match_id: row.id()?,
        seeker_id: row.seeker()?,
        action: step.action,
        from_state: step.from,
        to_state: step.to,
        reason: step.reason,
        by: actor_kind,
        occurred_at: occurred_at.and_utc(),
    };
    super::webhooks::queue(conn, row.program()?, &event)
}

/// Refuses a sponsor's yes when their slots are taken. On PostgreSQL the sponsor's row is
/// locked first, so concurrent answers for one sponsor count one after another; SQLite
/// write transactions already run one at a time.
fn ensure_free_slot(conn: &mut AnyConnection, sponsor: &str) -> Result<(), StoreError> {
    if let AnyConnection::Postgresql(pg) = conn {
        diesel::sql_query("SELECT user_id FROM sponsor_profiles WHERE user_id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::Text, _>(sponsor)
            .execute(pg)?;
    }
    let capacity = sponsor_profiles::table
        .find(sponsor)
        .select(sponsor_profiles::capacity)
        .first::<i32>(conn)?;
    let held = matches::table
        .filter(matches::sponsor_id.eq(sponsor))
        .filter(matches::state.eq_any(states_where(MatchState::holds_slot)))
        .count()
        .get_result::<i64>(conn)?;
    if held >= i64::from(capacity) {
        return Err(StoreError::Refused(Refusal::NoCapacity));
    }
    Ok(())
}

/// What the expiry job did with one overdue request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expiry {
    pub expired: MatchId,
    /// The next candidate proposed in its place, when the policy auto-advances.
    pub proposed: Option<MatchId>,
}

/// Requests whose answer is overdue, oldest first: what the expiry job works through,
/// each in its own transaction ([`expire_one`]), so one that fails holds up no other.
pub fn overdue(conn: &mut AnyConnection, limit: i64) -> Result<Vec<MatchId>, StoreError> {
    matches::table
        .filter(matches::answer_by.le(now()))
        .filter(matches::state.eq_any([
            MatchState::AwaitingSponsor.as_str(),
            MatchState::AwaitingSeeker.as_str(),
        ]))
        .order(matches::answer_by.asc())
        .limit(limit)
        .select(matches::id)
        .load::<String>(conn)?
        .iter()
        .map(|id| parse_id("matches.id", id))
        .collect()
}

/// Expires one overdue request with its notice, and proposes the seeker's next
/// candidate when the policy says so (and one is left). `None` when it is no longer
/// overdue or another instance has it: on PostgreSQL the row is locked here and skipped
/// by the others; SQLite runs one write transaction at a time. Run it in a write
/// transaction.
pub fn expire_one(
    conn: &mut AnyConnection,
    id: MatchId,
    zones: &mut ZoneCache,
    rank: &dyn Fn(&Query, usize) -> Vec<uuid::Uuid>,
) -> Result<Option<Expiry>, StoreError> {
    use diesel::sql_types::{Text, Timestamp};
    #[derive(QueryableByName)]
    struct Due {
        #[diesel(sql_type = Text)]
        id: String,
    }
    let still_due = "SELECT id FROM matches WHERE id = {id} AND answer_by <= {at} \
         AND state IN ('awaiting_sponsor', 'awaiting_seeker')";
    let at = now();
    let due: Vec<Due> = match conn {
        AnyConnection::Postgresql(pg) => diesel::sql_query(format!(
            "{} FOR UPDATE SKIP LOCKED",
            still_due.replace("{id}", "$1").replace("{at}", "$2")
        ))
        .bind::<Text, _>(id.to_string())
        .bind::<Timestamp, _>(at)
        .load(pg)?,
        AnyConnection::Sqlite(sqlite) => {
            diesel::sql_query(still_due.replace("{id}", "?").replace("{at}", "?"))
                .bind::<Text, _>(id.to_string())
                .bind::<Timestamp, _>(at)
                .load(sqlite)?
        }
    };
    if !due.iter().any(|row| row.id == id.to_string()) {
        return Ok(None);
    }
    let by = By::Service {
        on_behalf_of: None,
        job: "expiry",
    };
    let record = act(conn, by, id, Action::Expire, StepDetails::default())?;
    let program = load_row(conn, id, None)?.program()?;
    let proposed = advance(conn, by, program, record.seeker_id, zones, rank)?;
    Ok(Some(Expiry {
        expired: id,
        proposed,
    }))
}

/// Proposes the seeker's next candidate after a match stopped, when the program's policy
/// auto-advances and a candidate is left; earlier pairs stay barred.
pub fn advance(
    conn: &mut AnyConnection,
    by: By,
    program: ProgramId,
    seeker: SeekerId,
    zones: &mut ZoneCache,
    rank: &dyn Fn(&Query, usize) -> Vec<uuid::Uuid>,
) -> Result<Option<MatchId>, StoreError> {
    if !get_policy(conn, program)?.policy.lifecycle.auto_advance {
        return Ok(None);
    }
    let proposal = Proposal {
        chosen: None,
        zones,
        today: Utc::now().date_naive(),
        rank,
    };
    match propose(conn, by, program, seeker, proposal) {
        Ok(next) => Ok(Some(next.id)),
        // Nobody left, or the seeker moved on: the queue shows them waiting.
        Err(StoreError::Refused(refusal)) => {
            tracing::info!(%refusal, "no next candidate to propose");
            Ok(None)
        }
        Err(other) => Err(other),
    }
}

/// Checks the pair against every filter again, on the records as they are now.
fn ensure_still_a_candidate(conn: &mut AnyConnection, row: &MatchRow) -> Result<(), StoreError> {
    let program = row.program()?;
    let seeker = row.seeker()?;
    let now = Utc::now();
    let mut zones = ZoneCache::new(week_start(now));
    let search = Search::load(conn, program, seeker, &mut zones)?;
    let query = search.query(now.date_naive());
    let sponsor = sponsor_facts(
        conn,
        Some(std::slice::from_ref(&row.sponsor_id)),
        &mut zones,
    )?
    .pop()
    .map(|(facts, _)| facts)
    .ok_or(StoreError::NotFound)?;
    let failed = failed_filters(&query, &sponsor);
    if failed.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Refused(Refusal::NotEligible(failed)))
    }
}

/// A seeker is urgent when they leave treatment within two days (or have left).
pub fn is_urgent(discharge: Option<NaiveDate>, today: NaiveDate) -> bool {
    discharge
        .is_some_and(|d| d <= today + chrono::Days::new(LifecycleRules::URGENT_WITHIN_DAYS as u64))
}

/// A seeker of the program with no live match: who they are as matching sees them, the
/// sponsors barred for them, and whether a proposal may disclose their summary.
pub struct WaitingSeeker {
    pub id: SeekerId,
    pub facts: SeekerFacts,
    pub barred: Vec<uuid::Uuid>,
    pub consented: bool,
}

/// The program's seekers without a live match, by id. Three queries whatever their
/// number (the seekers with their facts, the barred sponsors, the consents), joined here
/// by seeker id.
pub fn waiting_seekers(
    conn: &mut AnyConnection,
    program: ProgramId,
    zones: &mut ZoneCache,
) -> Result<Vec<WaitingSeeker>, StoreError> {
    let rows = waiting(program)
        .select((seekers::id, SeekerFactsRow::as_select()))
        .load::<(String, SeekerFactsRow)>(conn)?;
    let mut barred = barred_in_program(conn, program)?;
    let consented = consented_in_program(conn, program, RecipientClass::CandidateSponsors)?;
    rows.into_iter()
        .map(|(id, row)| {
            let mut barred = barred.remove(&id).unwrap_or_default();
            barred.sort();
            barred.dedup();
            Ok(WaitingSeeker {
                facts: row.facts(zones)?,
                barred,
                consented: consented.contains(&id),
                id: parse_id("seekers.id", &id)?,
            })
        })
        .collect()
}

/// [`barred_sponsors`] of every seeker of the program, by seeker id, unsorted. (A match
/// is of its seeker's program.)
fn barred_in_program(
    conn: &mut AnyConnection,
    program: ProgramId,
) -> Result<HashMap<String, Vec<uuid::Uuid>>, StoreError> {
    let mut barred: HashMap<String, Vec<uuid::Uuid>> = HashMap::new();
    for (seeker, sponsor) in matches::table
        .filter(matches::state.eq_any(states_where(MatchState::bars_pair)))
        .filter(matches::program_id.eq(program.to_string()))
        .select((matches::seeker_id, matches::sponsor_id))
        .load::<(String, String)>(conn)?
    {
        barred
            .entry(seeker)
            .or_default()
            .push(parse_id("matches.sponsor_id", &sponsor)?);
    }
    Ok(barred)
}

/// The seekers of the program with a consent to disclose to `class` in force now
/// ([`consent_for`] for them all). Named by a subquery, not by a list of ids, which
/// SQLite caps in length.
fn consented_in_program(
    conn: &mut AnyConnection,
    program: ProgramId,
    class: RecipientClass,
) -> Result<HashSet<String>, StoreError> {
    let now = Utc::now();
    Ok(consents::table
        .filter(consents::recipient_class.eq(enum_to_text(&class)?))
        .filter(consents::revoked_at.is_null())
        .filter(
            consents::seeker_id.eq_any(
                seekers::table
                    .filter(seekers::program_id.eq(program.to_string()))
                    .select(seekers::id),
            ),
        )
        .select((consents::seeker_id, consents::expires_at))
        .load::<(String, NaiveDateTime)>(conn)?
        .into_iter()
        .filter(|(_, expires)| is_in_force(expires.and_utc(), None, now))
        .map(|(seeker, _)| seeker)
        .collect())
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = seekers)]
struct WaitingRow {
    id: String,
    alias: String,
    discharge_date: Option<NaiveDate>,
    created_at: NaiveDateTime,
}

/// The program's seekers without a live match, by id: the one query for everyone who
/// asks who waits.
fn waiting(program: ProgramId) -> seekers::BoxedQuery<'static, AnyBackend> {
    seekers::table
        .filter(seekers::program_id.eq(program.to_string()))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            matches::table
                .filter(matches::seeker_id.eq(seekers::id))
                .filter(matches::state.eq_any(states_where(MatchState::is_live))),
        )))
        .order(seekers::id)
        .into_boxed()
}

fn waiting_rows(
    conn: &mut AnyConnection,
    program: ProgramId,
) -> Result<Vec<WaitingRow>, StoreError> {
    Ok(waiting(program)
        .select(WaitingRow::as_select())
        .load(conn)?)
}

/// The needs of each seeker of the program without a live match.
pub fn waiting_needs(
    conn: &mut AnyConnection,
    program: ProgramId,
) -> Result<Vec<Vec<Attribute>>, StoreError> {
    waiting(program)
        .select(seekers::needs)
        .load::<String>(conn)?
        .iter()
        .map(|needs| from_json("seekers.needs", needs))
        .collect()
}

/// How far ahead a sponsor's unanswered request counts as near its end.
const NEAR_EXPIRY_HOURS: i64 = 24;

/// What in the program waits on a case manager: seekers without a match under way,
/// proposals waiting for review, requests running out within a day. Unordered.
pub fn review_queue(
    conn: &mut AnyConnection,
    program: ProgramId,
    today: NaiveDate,
) -> Result<Vec<ReviewItem>, StoreError> {
    let waiting = waiting_rows(conn, program)?;
    let program = program.to_string();
    // A seeker whose match ended waits again from its end.
    let ended: HashMap<String, NaiveDateTime> = matches::table
        .filter(matches::program_id.eq(&program))
        .filter(matches::state.ne_all(states_where(MatchState::is_live)))
        .group_by(matches::seeker_id)
        .select((matches::seeker_id, diesel::dsl::max(matches::updated_at)))
        .load::<(String, Option<NaiveDateTime>)>(conn)?
        .into_iter()
        .filter_map(|(seeker, at)| Some((seeker, at?)))
        .collect();
    let horizon = now() + chrono::TimeDelta::hours(NEAR_EXPIRY_HOURS);
    let open: Vec<OpenRow> = matches::table
        .inner_join(seekers::table)
        .filter(matches::program_id.eq(&program))
        .filter(
            matches::state.eq("pending_review").or(matches::state
                .eq("awaiting_sponsor")
                .and(matches::answer_by.le(horizon))),
        )
        .select(OpenRow::as_select())
        .load(conn)?;
    let mut items = Vec::with_capacity(waiting.len() + open.len());
    for WaitingRow {
        id,
        alias,
        discharge_date,
        created_at,
    } in waiting
    {
        let since = ended
            .get(&id)
            .map_or(created_at, |end| created_at.max(*end));
        items.push(ReviewItem {
            kind: ReviewKind::WaitingSeeker,
            seeker_id: parse_id("seekers.id", &id)?,
            seeker_alias: alias,
            match_id: None,
            urgent: is_urgent(discharge_date, today),
            discharge_date,
            since,
            due: None,
            check_in: None,
        });
    }
    for row in open {
        let in_review = row.state == "pending_review";
        items.push(ReviewItem {
            kind: if in_review {
                ReviewKind::PendingReview
            } else {
                ReviewKind::NearExpiry
            },
            seeker_id: parse_id("matches.seeker_id", &row.seeker_id)?,
            seeker_alias: row.alias,
            match_id: Some(parse_id("matches.id", &row.id)?),
            urgent: row.urgent,
            discharge_date: row.discharge_date,
            since: row.updated_at,
            due: if in_review { None } else { row.answer_by },
            check_in: None,
        });
    }
    Ok(items)
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = matches)]
struct OpenRow {
    id: String,
    seeker_id: String,
    state: String,
    urgent: bool,
    answer_by: Option<NaiveDateTime>,
    updated_at: NaiveDateTime,
    #[diesel(select_expression = seekers::alias)]
    alias: String,
    #[diesel(select_expression = seekers::discharge_date)]
    discharge_date: Option<NaiveDate>,
}

/// Whether every seeker named (each once) is one of the program's.
pub fn all_of_program(
    conn: &mut AnyConnection,
    program: ProgramId,
    seekers: &[SeekerId],
) -> Result<bool, StoreError> {
    let ids: Vec<String> = seekers.iter().map(ToString::to_string).collect();
    let found: i64 = seekers::table
        .filter(seekers::program_id.eq(program.to_string()))
        .filter(seekers::id.eq_any(ids))
        .count()
        .get_result(conn)?;
    Ok(usize::try_from(found).is_ok_and(|found| found == seekers.len()))
}

fn live_match(conn: &mut AnyConnection, seeker: SeekerId) -> Result<Option<String>, StoreError> {
    Ok(matches::table
        .filter(matches::seeker_id.eq(seeker.to_string()))
        .filter(matches::state.eq_any(states_where(MatchState::is_live)))
        .select(matches::id)
        .first::<String>(conn)
        .optional()?)
}

/// The match row, if `by` may see it: the seeker's program, or the match's sponsor.
/// `None` reads for the service itself.
fn load_row(conn: &mut AnyConnection, id: MatchId, by: Option<By>) -> Result<MatchRow, StoreError> {
    let mut query = matches::table
        .find(id.to_string())
        .select(MatchRow::as_select())
        .into_boxed();
    if let Some(By::Caller(actor)) = by {
        query = match actor.principal {
            Principal::User {
                id: user,
                role: Role::Sponsor,
                ..
            } => query.filter(matches::sponsor_id.eq(user.to_string())),
            _ => query.filter(matches::program_id.eq(actor.principal.program_id().to_string())),
        };
    }
    Ok(query.first(conn)?)
}

fn get(conn: &mut AnyConnection, id: MatchId) -> Result<MatchRecord, StoreError> {
    let row = load_row(conn, id, None)?;
    let history = history(conn, std::slice::from_ref(&row.id))?;
    record(row, history.into_iter().map(|(_, t)| t).collect())
}

fn record(row: MatchRow, history: Vec<TransitionRecord>) -> Result<MatchRecord, StoreError> {
    Ok(MatchRecord {
        id: row.id()?,
        seeker_id: row.seeker()?,
        sponsor_id: parse_id("matches.sponsor_id", &row.sponsor_id)?,
        state: row.state()?,
        score: row.score,
        breakdown: from_json("matches.breakdown", &row.breakdown)?,
        policy_version: row.policy_version,
        urgent: row.urgent,
        answer_by: row.answer_by.map(|t| t.and_utc()),
        reason: row.reason.as_deref().and_then(Reason::parse),
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
    ids: &[String],
) -> Result<Vec<(String, TransitionRecord)>, StoreError> {
    let mut query = match_transitions::table.into_boxed();
    // One match by equality: PostgreSQL plans `= ANY($1)` over a parameter array as a
    // scan of the whole table.
    query = match ids {
        [one] => query.filter(match_transitions::match_id.eq(one.clone())),
        _ => query.filter(match_transitions::match_id.eq_any(ids.to_vec())),
    };
    query
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
            String,
            String,
            Option<String>,
            String,
            String,
            String,
            Option<String>,
            NaiveDateTime,
        )>(conn)?
        .into_iter()
        .map(
            |(match_id, action, from, to, actor_kind, actor_id, reason, at)| {
                let state = |s: &str| {
                    MatchState::parse(s)
                        .ok_or_else(|| StoreError::Corrupt("match_transitions".into()))
                };
                let step = TransitionRecord {
                    action,
                    from_state: from.as_deref().map(state).transpose()?,
                    to_state: state(&to)?,
                    actor_kind,
                    actor_id,
                    reason: reason.as_deref().and_then(Reason::parse),
                    occurred_at: at.and_utc(),
                };
                Ok((match_id, step))
            },
        )
        .collect()
}

/// One match of the caller's program, or addressed to the calling sponsor. Reads by
/// people are audited.
pub fn read(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: MatchId,
) -> Result<MatchRecord, StoreError> {
    let row = load_row(conn, id, Some(By::Caller(actor)))?;
    let program = row.program()?;
    if actor.principal.is_person() {
        audit::record_in(
            conn,
            actor,
            program,
            "match.read",
            RecordKind::Match,
            &row.id,
        )?;
    }
    let history = history(conn, std::slice::from_ref(&row.id))?;
    record(row, history.into_iter().map(|(_, t)| t).collect())
}

/// Every match of a seeker of the caller's program, newest first, with their histories.
pub fn seeker_history(
    conn: &mut AnyConnection,
    actor: &Actor,
    seeker: SeekerId,
) -> Result<Vec<MatchRecord>, StoreError> {
    ensure_seeker(conn, actor.principal.program_id(), seeker)?;
    let rows = matches::table
        .filter(matches::seeker_id.eq(seeker.to_string()))
        .order(matches::id.desc())
        .select(MatchRow::as_select())
        .load::<MatchRow>(conn)?;
    if actor.principal.is_person() {
        audit::record(
            conn,
            actor,
            "seeker.matches",
            RecordKind::Seeker,
            &seeker.to_string(),
        )?;
    }
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut steps: std::collections::HashMap<String, Vec<TransitionRecord>> =
        std::collections::HashMap::new();
    for (match_id, step) in history(conn, &ids)? {
        steps.entry(match_id).or_default().push(step);
    }
    rows.into_iter()
        .map(|row| {
            let mine = steps.remove(&row.id).unwrap_or_default();
            record(row, mine)
        })
        .collect()
}

/// The requests that reached the calling sponsor, newest first, whatever became of them.
/// Requests still under review, or stopped before they reached the sponsor, are not
/// theirs to see. Three statements whatever the page's length: the requests with their
/// seekers, what was disclosed to the sponsor over the page's range of ids, the audit
/// events.
pub fn sponsor_requests(
    conn: &mut AnyConnection,
    actor: &Actor,
    sponsor: UserId,
    page: PageRequest,
) -> Result<Vec<SponsorRequest>, StoreError> {
    let sponsor = sponsor.to_string();
    let reached = disclosures::table
        .filter(disclosures::recipient_id.eq(sponsor.clone()))
        .select(disclosures::match_id);
    let mut query = matches::table
        .inner_join(seekers::table)
        .filter(matches::sponsor_id.eq(sponsor.clone()))
        .filter(matches::id.eq_any(reached))
        .select((MatchRow::as_select(), DisclosableSeeker::as_select()))
        .order(matches::id.desc())
        .limit(page.limit)
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(matches::id.lt(after.to_string()));
    }
    let rows = query.load::<(MatchRow, DisclosableSeeker)>(conn)?;
    let (Some((newest, _)), Some((oldest, _))) = (rows.first(), rows.last()) else {
        return Ok(Vec::new());
    };
    // The page is every request of the sponsor between its oldest and newest id, so
    // that range names its disclosures without a list of ids.
    let mut disclosed: HashMap<String, Vec<DisclosedItem>> = HashMap::new();
    for (match_id, text) in disclosures::table
        .filter(disclosures::recipient_id.eq(&sponsor))
        .filter(disclosures::match_id.between(&oldest.id, &newest.id))
        .select((disclosures::match_id, disclosures::items))
        .load::<(String, String)>(conn)?
    {
        disclosed
            .entry(match_id)
            .or_default()
            .extend(from_json::<Vec<DisclosedItem>>("disclosures.items", &text)?);
    }
    // The row past the page only tells whether another page follows: nobody sees it.
    let shown = usize::try_from(page.limit - 1).unwrap_or_default();
    let read = rows
        .iter()
        .take(shown)
        .map(|(row, _)| Ok((row.program()?, row.id.as_str())))
        .collect::<Result<Vec<_>, StoreError>>()?;
    audit::record_all_in(conn, actor, "match.read", RecordKind::Match, &read)?;
    rows.into_iter()
        .map(|(row, seeker)| {
            let items = disclosed.remove(&row.id).unwrap_or_default();
            Ok(SponsorRequest {
                id: row.id()?,
                state: row.state()?,
                answer_by: row.answer_by.map(|t| t.and_utc()),
                created_at: row.created_at.and_utc(),
                seeker: summary(&row, &items, seeker)?,
            })
        })
        .collect()
}

/// The seeker's fields a sponsor may be shown, if disclosed.
#[derive(Queryable, Selectable)]
#[diesel(table_name = seekers)]
struct DisclosableSeeker {
    alias: String,
    fellowships: String,
    languages: String,
    needs: String,
}

/// What was disclosed to the sponsor about the seeker, as they may see it now.
fn summary_for_sponsor(
    conn: &mut AnyConnection,
    row: &MatchRow,
) -> Result<SeekerSummaryForSponsor, StoreError> {
    let disclosed = disclosures::table
        .filter(disclosures::match_id.eq(&row.id))
        .filter(disclosures::recipient_id.eq(&row.sponsor_id))
        .select(disclosures::items)
        .load::<String>(conn)?;
    let mut items = Vec::new();
    for text in disclosed {
        items.extend(from_json::<Vec<DisclosedItem>>("disclosures.items", &text)?);
    }
    let seeker = seekers::table
        .find(&row.seeker_id)
        .select(DisclosableSeeker::as_select())
        .first(conn)?;
    summary(row, &items, seeker)
}

/// The seeker's summary from the items disclosed to the match's sponsor.
fn summary(
    row: &MatchRow,
    items: &[DisclosedItem],
    seeker: DisclosableSeeker,
) -> Result<SeekerSummaryForSponsor, StoreError> {
    let has = |item| items.contains(&item);
    let breakdown: Explanation = from_json("matches.breakdown", &row.breakdown)?;
    let mut summary = SeekerSummaryForSponsor {
        alias: has(DisclosedItem::Alias).then_some(seeker.alias),
        fellowships: has(DisclosedItem::Fellowships)
            .then(|| from_json("seekers.fellowships", &seeker.fellowships))
            .transpose()?,
        languages: has(DisclosedItem::Languages)
            .then(|| from_json("seekers.languages", &seeker.languages))
            .transpose()?,
        needs: has(DisclosedItem::Needs)
            .then(|| from_json("seekers.needs", &seeker.needs))
            .transpose()?,
        ..SeekerSummaryForSponsor::default()
    };
    for component in breakdown.components {
        match component {
            Component::Availability { shared_hours, .. } if has(DisclosedItem::Availability) => {
                summary.shared_hours = Some(shared_hours);
            }
            Component::Distance { band, .. } if has(DisclosedItem::MeetingArea) => {
                summary.distance_band = band;
            }
            _ => {}
        }
    }
    Ok(summary)
}

/// A sponsor going on pause declines the requests waiting for them, and withdraws the
/// ones still under review, in the pausing transaction.
pub fn decline_for_pause(
    conn: &mut AnyConnection,
    actor: &Actor,
    sponsor: &str,
) -> Result<usize, StoreError> {
    let waiting = matches::table
        .filter(matches::sponsor_id.eq(sponsor))
        .filter(matches::state.eq_any([
            MatchState::PendingReview.as_str(),
            MatchState::AwaitingSponsor.as_str(),
        ]))
        .select((matches::id, matches::state))
        .load::<(String, String)>(conn)?;
    let by = By::Service {
        on_behalf_of: Some(actor),
        job: "pause",
    };
    for (id, state) in &waiting {
        let id: MatchId = parse_id("matches.id", id)?;
        let action = if state == MatchState::AwaitingSponsor.as_str() {
            Action::SponsorDecline
        } else {
            Action::Withdraw
        };
        let details = StepDetails {
            reason: Some(Reason::SponsorPaused),
            sponsor_shares_contact: false,
        };
        act(conn, by, id, action, details)?;
    }
    Ok(waiting.len())
}

/// Revoking a seeker's last consent to disclose to candidate sponsors withdraws their
/// open requests at once; revoking the last consent for the matched sponsor stops
/// introductions not yet sent. Another consent of the same kind still in force keeps
/// things as they are.
pub fn on_consent_revoked(
    conn: &mut AnyConnection,
    actor: &Actor,
    seeker: SeekerId,
    class: RecipientClass,
) -> Result<(), StoreError> {
    if consent_for(conn, seeker, class)?.is_some() {
        return Ok(());
    }
    let rows = matches::table
        .filter(matches::seeker_id.eq(seeker.to_string()))
        .filter(matches::state.eq_any(states_where(MatchState::is_live)))
        .select(MatchRow::as_select())
        .load::<MatchRow>(conn)?;
    for row in rows {
        let id = row.id()?;
        match class {
            RecipientClass::CandidateSponsors if row.state()?.is_open() => {
                let by = By::Service {
                    on_behalf_of: Some(actor),
                    job: "consent_revoked",
                };
                act(
                    conn,
                    by,
                    id,
                    Action::Withdraw,
                    StepDetails {
                        reason: Some(Reason::ConsentRevoked),
                        sponsor_shares_contact: false,
                    },
                )?;
            }
            RecipientClass::MatchedSponsor => {
                outbox::cancel(conn, id, &MessageKind::INTRODUCTIONS)?;
            }
            RecipientClass::CandidateSponsors => {}
        }
    }
    Ok(())
}

/// A request as its email link shows it: enough to decide, and who would answer.
#[derive(Debug, Clone)]
pub struct LinkedRequest {
    /// The program whose request it is.
    pub program: ProgramId,
    pub state: MatchState,
    pub version: i32,
    /// The sponsor as the caller the link stands for; `None` when the account is disabled.
    pub sponsor: Option<Principal>,
    pub seeker: SeekerSummaryForSponsor,
}

pub fn linked_request(conn: &mut AnyConnection, id: MatchId) -> Result<LinkedRequest, StoreError> {
    let row = load_row(conn, id, None)?;
    let (program, status) = super::schema::users::table
        .find(&row.sponsor_id)
        .select((
            super::schema::users::program_id,
            super::schema::users::status,
        ))
        .first::<(String, String)>(conn)?;
    let sponsor = (status == "active")
        .then(|| -> Result<Principal, StoreError> {
            Ok(Principal::User {
                id: parse_id("matches.sponsor_id", &row.sponsor_id)?,
                program_id: parse_id("users.program_id", &program)?,
                role: Role::Sponsor,
            })
        })
        .transpose()?;
    Ok(LinkedRequest {
        program: row.program()?,
        state: row.state()?,
        version: row.version,
        sponsor,
        seeker: summary_for_sponsor(conn, &row)?,
    })
}
