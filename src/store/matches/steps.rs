//! The steps of the lifecycle: each moves a match, records its transition, audit event,
//! outbox messages and disclosures in the caller's transaction; and the steps other
//! records set in motion (a pause, a revoked consent).

use super::*;

/// What a step carries besides its action.
#[derive(Debug, Clone, Copy, Default)]
pub struct StepDetails {
    pub reason: Option<Reason>,
    /// The sponsor's consent, given with their yes, to share their contact details
    /// with the seeker at introduction.
    pub sponsor_shares_contact: bool,
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
    let current = row.state;
    // Only a new match's submission depends on the program's review rule.
    let review_required = action == Action::Submit
        && get_policy(conn, row.program_id)?
            .policy
            .lifecycle
            .review_required;
    let next =
        transition(current, action, by.party(), review_required).map_err(StoreError::Refused)?;
    match action {
        Action::SponsorAccept => ensure_free_slot(conn, row.sponsor_id)?,
        // The sponsor may have paused, filled up or changed since the proposal.
        Action::Approve => ensure_still_a_candidate(conn, &row)?,
        _ => {}
    }
    move_to(conn, &row, action, next, details, by)?;
    by.audit(
        conn,
        row.program_id,
        &format!("match.{}", action.as_str()),
        id,
    )?;
    get(conn, id)
}

/// Moves the match on from the state in `row`, or refuses if it has moved since, then
/// does what arriving in the new state entails.
pub(super) fn move_to(
    conn: &mut AnyConnection,
    row: &MatchRow,
    action: Action,
    next: MatchState,
    details: StepDetails,
    by: By,
) -> Result<(), StoreError> {
    let current = row.state;
    let id = row.id;
    // Someone is now asked to answer, within the program's window.
    let answer_by = if matches!(
        next,
        MatchState::AwaitingSponsor | MatchState::AwaitingSeeker
    ) {
        let rules = get_policy(conn, row.program_id)?.policy.lifecycle;
        Some(now() + rules.answer_window(row.urgent))
    } else {
        None
    };
    let contact_consent = if action == Action::SponsorAccept && details.sponsor_shares_contact {
        Some(now())
    } else {
        row.sponsor_contact_consent_at
    };
    let updated = diesel::update(matches::table.find(row.id))
        .filter(matches::version.eq(row.version))
        .set((
            matches::state.eq(next),
            matches::answer_by.eq(answer_by),
            matches::reason.eq(details.reason.or(row.reason)),
            matches::sponsor_contact_consent_at.eq(contact_consent),
            matches::version.eq(row.version + 1),
            matches::updated_at.eq(now()),
        ))
        .execute(conn)?;
    if updated == 0 {
        let now_state = load_row(conn, id, None)?.state;
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
        record_sponsor_change(conn, row.sponsor_id)?;
    }
    let program = row.program_id;
    match next {
        MatchState::AwaitingSponsor if current == MatchState::PendingReview => {
            let consent = consent_for(conn, row.seeker_id, RecipientClass::CandidateSponsors)?;
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
pub(super) fn reach_sponsor(
    conn: &mut AnyConnection,
    row: &MatchRow,
    consent: Option<ConsentId>,
) -> Result<(), StoreError> {
    let id = row.id;
    record_disclosure(conn, row, row.sponsor_id, consent, |item| {
        item != DisclosedItem::ContactDetails
    })?;
    outbox::enqueue(conn, row.program_id, id, MessageKind::SponsorRequest)?;
    Ok(())
}

/// Introduces an agreed pair once both have consented to share contact details: the
/// sponsor with their yes, the seeker through a consent naming the matched sponsor.
pub fn introduce_if_consented(conn: &mut AnyConnection, id: MatchId) -> Result<(), StoreError> {
    let row = load_row(conn, id, None)?;
    if row.state != MatchState::Agreed || row.sponsor_contact_consent_at.is_none() {
        return Ok(());
    }
    if consent_for(conn, row.seeker_id, RecipientClass::MatchedSponsor)?.is_none() {
        return Ok(());
    }
    let program = row.program_id;
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
    outbox::enqueue(conn, program, id, MessageKind::IntroductionToSponsor)?;
    outbox::enqueue(conn, program, id, MessageKind::IntroductionToSeeker)?;
    system.audit(conn, program, "match.introduce", id)
}

/// A consent for the matched sponsor arrived: introduces the seeker's agreed match, or
/// queues again the introductions a revoked consent had stopped.
pub fn introduce_agreed(conn: &mut AnyConnection, seeker: SeekerId) -> Result<(), StoreError> {
    let live = matches::table
        .filter(matches::seeker_id.eq(seeker))
        .filter(matches::state.eq_any([MatchState::Agreed, MatchState::Introduced]))
        .select(MatchRow::as_select())
        .first::<MatchRow>(conn)
        .optional()?;
    let Some(row) = live else {
        return Ok(());
    };
    let id = row.id;
    if row.state == MatchState::Agreed {
        return introduce_if_consented(conn, id);
    }
    for kind in MessageKind::INTRODUCTIONS {
        outbox::enqueue(conn, row.program_id, id, kind)?;
    }
    Ok(())
}

/// The introduction to the sponsor went out: what the seeker's `consent` covers, their
/// contact details included, has been disclosed to the sponsor, and is logged now.
pub fn record_introduction_sent(
    conn: &mut AnyConnection,
    id: MatchId,
    consent: ConsentId,
) -> Result<(), StoreError> {
    let row = load_row(conn, id, None)?;
    record_disclosure(conn, &row, row.sponsor_id, Some(consent), |_| true)
}

/// Logs what of the seeker's record went to `recipient` under `consent`.
fn record_disclosure(
    conn: &mut AnyConnection,
    row: &MatchRow,
    recipient: UserId,
    consent: Option<ConsentId>,
    keep: impl Fn(DisclosedItem) -> bool,
) -> Result<(), StoreError> {
    let Some(consent) = consent else {
        return Ok(());
    };
    let (information, purpose) = consents::table
        .find(consent)
        .select((consents::information, consents::purpose))
        .first::<(String, String)>(conn)?;
    let items: Vec<DisclosedItem> = from_json("consents.information", &information)?;
    let items: Vec<DisclosedItem> = items.into_iter().filter(|i| keep(*i)).collect();
    diesel::insert_into(disclosures::table)
        .values((
            disclosures::id.eq(DisclosureId::new()),
            disclosures::program_id.eq(row.program_id),
            disclosures::seeker_id.eq(row.seeker_id),
            disclosures::match_id.eq(row.id),
            disclosures::recipient_id.eq(recipient),
            disclosures::items.eq(to_json(&items)?),
            disclosures::purpose.eq(purpose),
            disclosures::consent_id.eq(Some(consent)),
            disclosures::disclosed_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// One step of a match's history.
pub(super) struct Step {
    /// `propose`, or the action taken.
    pub(super) action: &'static str,
    pub(super) from: Option<MatchState>,
    pub(super) to: MatchState,
    pub(super) reason: Option<Reason>,
}

/// Records the step, and queues its webhook when the program has one.
pub(super) fn record_transition(
    conn: &mut AnyConnection,
    row: &MatchRow,
    step: &Step,
    by: By,
) -> Result<(), StoreError> {
    let (actor_kind, actor_id) = by.actor();
    let step_id = StepId::new();
    let occurred_at = now();
    diesel::insert_into(match_transitions::table)
        .values((
            match_transitions::id.eq(step_id),
            match_transitions::match_id.eq(row.id),
            match_transitions::action.eq(step.action),
            match_transitions::from_state.eq(step.from),
            match_transitions::to_state.eq(step.to),
            match_transitions::actor_kind.eq(&actor_kind),
            match_transitions::actor_id.eq(actor_id),
            match_transitions::reason.eq(step.reason),
            match_transitions::occurred_at.eq(occurred_at),
        ))
        .execute(conn)?;
    let event = StepEvent {
        event: "match.step",
        step_id: step_id.as_uuid(),
        match_id: row.id,
        seeker_id: row.seeker_id,
        action: step.action,
        from_state: step.from,
        to_state: step.to,
        reason: step.reason,
        by: actor_kind,
        occurred_at: occurred_at.and_utc(),
    };
    crate::store::webhooks::queue(conn, row.program_id, &event)
}

/// Refuses a sponsor's yes when their slots are taken. On PostgreSQL the sponsor's row is
/// locked first, so concurrent answers for one sponsor count one after another; SQLite
/// write transactions already run one at a time.
fn ensure_free_slot(conn: &mut AnyConnection, sponsor: UserId) -> Result<(), StoreError> {
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

/// A sponsor going on pause declines the requests waiting for them, and withdraws the
/// ones still under review, in the pausing transaction.
pub fn decline_for_pause(
    conn: &mut AnyConnection,
    actor: &Actor,
    sponsor: UserId,
) -> Result<usize, StoreError> {
    let waiting = matches::table
        .filter(matches::sponsor_id.eq(sponsor))
        .filter(matches::state.eq_any([MatchState::PendingReview, MatchState::AwaitingSponsor]))
        .select((matches::id, matches::state))
        .load::<(MatchId, MatchState)>(conn)?;
    let by = By::Service {
        on_behalf_of: Some(actor),
        job: "pause",
    };
    for &(id, state) in &waiting {
        let action = if state == MatchState::AwaitingSponsor {
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
        .filter(matches::seeker_id.eq(seeker))
        .filter(matches::state.eq_any(states_where(MatchState::is_live)))
        .select(MatchRow::as_select())
        .load::<MatchRow>(conn)?;
    for row in rows {
        let id = row.id;
        match class {
            RecipientClass::CandidateSponsors if row.state.is_open() => {
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

/// Checks the pair against every filter again, on the records as they are now.
pub(super) fn ensure_still_a_candidate(
    conn: &mut AnyConnection,
    row: &MatchRow,
) -> Result<(), StoreError> {
    let program = row.program_id;
    let seeker = row.seeker_id;
    let now = Utc::now();
    let mut zones = ZoneCache::new(week_start(now));
    let search = Search::load(conn, program, seeker, &mut zones)?;
    let query = search.query(now.date_naive());
    let sponsor = sponsor_facts(conn, Some(&[row.sponsor_id]), &mut zones)?
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
