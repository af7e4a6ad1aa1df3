//! Proposing a match: the sponsor chosen or the best the rank index offers, each checked
//! again against the database; reassigning an open match.

use super::steps::{Step, move_to, reach_sponsor, record_transition};
use super::*;

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
        let id = UserId::from(candidate);
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
        .find(seeker)
        .select(seekers::discharge_date)
        .first::<Option<NaiveDate>>(conn)?;
    let id = MatchId::new();
    let created = now();
    diesel::insert_into(matches::table)
        .values(MatchRow {
            id,
            program_id: program,
            seeker_id: seeker,
            sponsor_id: UserId::from(sponsor),
            state: MatchState::Proposed,
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
    let program = load_row(conn, id, None)?.program_id;
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
