//! Read models for case managers: the program's waiting seekers (for cohort plans) and
//! the review queue.

use super::*;

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
        .load::<(SeekerId, SeekerFactsRow)>(conn)?;
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
                id,
            })
        })
        .collect()
}

/// [`barred_sponsors`] of every seeker of the program, by seeker id, unsorted. (A match
/// is of its seeker's program.)
fn barred_in_program(
    conn: &mut AnyConnection,
    program: ProgramId,
) -> Result<HashMap<SeekerId, Vec<uuid::Uuid>>, StoreError> {
    let mut barred: HashMap<SeekerId, Vec<uuid::Uuid>> = HashMap::new();
    for (seeker, sponsor) in matches::table
        .filter(matches::state.eq_any(states_where(MatchState::bars_pair)))
        .filter(matches::program_id.eq(program))
        .select((matches::seeker_id, matches::sponsor_id))
        .load::<(SeekerId, UserId)>(conn)?
    {
        barred.entry(seeker).or_default().push(sponsor.as_uuid());
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
) -> Result<HashSet<SeekerId>, StoreError> {
    let now = Utc::now();
    Ok(consents::table
        .filter(consents::recipient_class.eq(class))
        .filter(consents::revoked_at.is_null())
        .filter(
            consents::seeker_id.eq_any(
                seekers::table
                    .filter(seekers::program_id.eq(program))
                    .select(seekers::id),
            ),
        )
        .select((consents::seeker_id, consents::expires_at))
        .load::<(SeekerId, NaiveDateTime)>(conn)?
        .into_iter()
        .filter(|(_, expires)| is_in_force(expires.and_utc(), None, now))
        .map(|(seeker, _)| seeker)
        .collect())
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = seekers)]
struct WaitingRow {
    id: SeekerId,
    alias: String,
    discharge_date: Option<NaiveDate>,
    created_at: NaiveDateTime,
}

/// The program's seekers without a live match, by id: the one query for everyone who
/// asks who waits.
fn waiting(program: ProgramId) -> seekers::BoxedQuery<'static, AnyBackend> {
    seekers::table
        .filter(seekers::program_id.eq(program))
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
    // A seeker whose match ended waits again from its end.
    let ended: HashMap<SeekerId, NaiveDateTime> = matches::table
        .filter(matches::program_id.eq(program))
        .filter(matches::state.ne_all(states_where(MatchState::is_live)))
        .group_by(matches::seeker_id)
        .select((matches::seeker_id, diesel::dsl::max(matches::updated_at)))
        .load::<(SeekerId, Option<NaiveDateTime>)>(conn)?
        .into_iter()
        .filter_map(|(seeker, at)| Some((seeker, at?)))
        .collect();
    let horizon = now() + chrono::TimeDelta::hours(NEAR_EXPIRY_HOURS);
    let open: Vec<OpenRow> = matches::table
        .inner_join(seekers::table)
        .filter(matches::program_id.eq(program))
        .filter(
            matches::state
                .eq(MatchState::PendingReview)
                .or(matches::state
                    .eq(MatchState::AwaitingSponsor)
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
            seeker_id: id,
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
        let in_review = row.state == MatchState::PendingReview;
        items.push(ReviewItem {
            kind: if in_review {
                ReviewKind::PendingReview
            } else {
                ReviewKind::NearExpiry
            },
            seeker_id: row.seeker_id,
            seeker_alias: row.alias,
            match_id: Some(row.id),
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
    id: MatchId,
    seeker_id: SeekerId,
    state: MatchState,
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
    let found: i64 = seekers::table
        .filter(seekers::program_id.eq(program))
        .filter(seekers::id.eq_any(seekers))
        .count()
        .get_result(conn)?;
    Ok(usize::try_from(found).is_ok_and(|found| found == seekers.len()))
}
