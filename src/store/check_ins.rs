//! Check-ins: rounds opened some days after an introduction, the answers given through
//! their links, and what case managers see and follow up.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::audit::{self, Actor, RecordKind};
use super::matches::{By, StepDetails, act, advance};
use super::matching::states_where;
use super::schema::{check_ins, match_transitions, matches, seekers, users};
use super::{AnyConnection, StoreError, now, outbox};
use crate::auth::{Principal, Role, UserStatus};
use crate::domain::check_in::{
    CheckInAnswer, CheckInParty, CheckInSchedule, CheckInStatus, Concern, concern, links_expire,
};
use crate::domain::ids::{CheckInId, MatchId, ProgramId, SeekerId, UserId};
use crate::domain::lifecycle::{Action, MatchState, Reason};
use crate::domain::review::{CheckInConcern, ReviewItem, ReviewKind};
use crate::matching::hours::ZoneCache;
use crate::matching::score::Query;
use crate::notify::MessageKind;

/// A round to open: the match and the day after its introduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueRound {
    pub match_id: MatchId,
    pub program: ProgramId,
    pub day: u32,
}

/// Matches under way whose latest round has come and is not yet opened, oldest
/// introduction first.
pub fn due_rounds(
    conn: &mut AnyConnection,
    schedule: &CheckInSchedule,
    at: NaiveDateTime,
    limit: usize,
) -> Result<Vec<DueRound>, StoreError> {
    let Some(first_day) = schedule.first_day() else {
        return Ok(Vec::new());
    };
    let introduced_by = at - chrono::TimeDelta::days(i64::from(first_day));
    let introduced: Vec<(MatchId, ProgramId, NaiveDateTime)> = matches::table
        .inner_join(match_transitions::table)
        .filter(matches::state.eq_any(states_where(MatchState::is_under_way)))
        .filter(match_transitions::action.eq(Action::Introduce))
        .filter(match_transitions::occurred_at.le(introduced_by))
        .order(match_transitions::occurred_at.asc())
        .select((
            matches::id,
            matches::program_id,
            match_transitions::occurred_at,
        ))
        .load(conn)?;
    let mut due = Vec::new();
    for chunk in introduced.chunks(500) {
        let ids: Vec<MatchId> = chunk.iter().map(|(id, ..)| *id).collect();
        let opened: Vec<(MatchId, i32)> = check_ins::table
            .filter(check_ins::match_id.eq_any(&ids))
            .select((check_ins::match_id, check_ins::day))
            .distinct()
            .load(conn)?;
        for (id, program, introduced_at) in chunk {
            let days: Vec<u32> = opened
                .iter()
                .filter(|(m, _)| m == id)
                .filter_map(|(_, day)| u32::try_from(*day).ok())
                .collect();
            if let Some(day) = schedule.due_round(*introduced_at, &days, at) {
                due.push(DueRound {
                    match_id: *id,
                    program: *program,
                    day,
                });
                if due.len() == limit {
                    return Ok(due);
                }
            }
        }
    }
    Ok(due)
}

/// Opens a round: a check-in for each side and its email, in the caller's write
/// transaction. Whether it opened anything: a match that moved on, or a round another
/// instance opened first, is left alone.
pub fn open_round(conn: &mut AnyConnection, round: DueRound) -> Result<bool, StoreError> {
    let id = round.match_id;
    let under_way = matches::table
        .find(id)
        .filter(matches::state.eq_any(states_where(MatchState::is_under_way)))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    let day = i32::try_from(round.day).map_err(|_| StoreError::Corrupt("check-in day".into()))?;
    let opened = check_ins::table
        .filter(check_ins::match_id.eq(id))
        .filter(check_ins::day.eq(day))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if !under_way || opened {
        return Ok(false);
    }
    let sent_at = now();
    for &party in CheckInParty::BOTH {
        let check_in = CheckInId::new();
        diesel::insert_into(check_ins::table)
            .values((
                check_ins::id.eq(check_in),
                check_ins::match_id.eq(id),
                check_ins::program_id.eq(round.program),
                check_ins::party.eq(party),
                check_ins::day.eq(day),
                check_ins::sent_at.eq(sent_at),
            ))
            .execute(conn)?;
        let kind = match party {
            CheckInParty::Seeker => MessageKind::CheckInToSeeker,
            CheckInParty::Sponsor => MessageKind::CheckInToSponsor,
        };
        let dedupe_key = format!("{id}:{}:{day}", kind.as_str());
        outbox::enqueue_payload(
            conn,
            round.program,
            round.match_id,
            kind,
            &dedupe_key,
            &check_in.to_string(),
        )?;
    }
    audit::record_service(
        conn,
        round.program,
        "check_in",
        "match.check_in",
        RecordKind::Match,
        &id.to_string(),
    )?;
    Ok(true)
}

/// A check-in as its link's holder reaches it.
#[derive(Debug, Clone)]
pub struct LinkedCheckIn {
    pub id: CheckInId,
    pub match_id: MatchId,
    pub program: ProgramId,
    pub seeker: SeekerId,
    pub party: CheckInParty,
    pub day: u32,
    pub sent_at: NaiveDateTime,
    pub answer: Option<CheckInAnswer>,
    pub match_state: MatchState,
    /// For the sponsor's check-in: the sponsor, if their account is active.
    pub sponsor: Option<Principal>,
}

#[derive(Queryable)]
struct CheckInRow {
    id: CheckInId,
    match_id: MatchId,
    program_id: ProgramId,
    party: CheckInParty,
    day: i32,
    sent_at: NaiveDateTime,
    answer: Option<CheckInAnswer>,
    answered_at: Option<NaiveDateTime>,
    followed_up_at: Option<NaiveDateTime>,
    followed_up_by: Option<UserId>,
}

type CheckInColumns = (
    check_ins::id,
    check_ins::match_id,
    check_ins::program_id,
    check_ins::party,
    check_ins::day,
    check_ins::sent_at,
    check_ins::answer,
    check_ins::answered_at,
    check_ins::followed_up_at,
    check_ins::followed_up_by,
);

const CHECK_IN_COLUMNS: CheckInColumns = (
    check_ins::id,
    check_ins::match_id,
    check_ins::program_id,
    check_ins::party,
    check_ins::day,
    check_ins::sent_at,
    check_ins::answer,
    check_ins::answered_at,
    check_ins::followed_up_at,
    check_ins::followed_up_by,
);

impl CheckInRow {
    fn day(&self) -> Result<u32, StoreError> {
        u32::try_from(self.day).map_err(|_| StoreError::Corrupt("check_ins.day".into()))
    }
}

pub fn linked(conn: &mut AnyConnection, id: CheckInId) -> Result<LinkedCheckIn, StoreError> {
    let row: CheckInRow = check_ins::table
        .find(id)
        .select(CHECK_IN_COLUMNS)
        .first(conn)?;
    let (seeker, sponsor, match_state): (SeekerId, UserId, MatchState) = matches::table
        .find(row.match_id)
        .select((matches::seeker_id, matches::sponsor_id, matches::state))
        .first(conn)?;
    let program = row.program_id;
    let sponsor = if row.party == CheckInParty::Sponsor {
        let active = users::table
            .find(sponsor)
            .filter(users::status.eq(UserStatus::Active))
            .count()
            .get_result::<i64>(conn)?
            > 0;
        active.then_some(Principal::User {
            id: sponsor,
            program_id: program,
            role: Role::Sponsor,
        })
    } else {
        None
    };
    Ok(LinkedCheckIn {
        id,
        match_id: row.match_id,
        program,
        seeker,
        party: row.party,
        day: row.day()?,
        sent_at: row.sent_at,
        answer: row.answer,
        match_state,
        sponsor,
    })
}

/// A check-in of a sponsor's, as their own list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct SponsorCheckIn {
    pub id: CheckInId,
    pub match_id: MatchId,
    /// The sponsee's alias.
    pub alias: String,
    pub day: u32,
    pub sent_at: DateTime<Utc>,
    /// Until when an answer is taken.
    pub open_until: DateTime<Utc>,
    pub answer: Option<CheckInAnswer>,
}

/// The sponsor's check-ins on matches still under way whose links still work, newest
/// first: those to answer and those answered (an answer may be changed).
pub fn for_sponsor(
    conn: &mut AnyConnection,
    sponsor: UserId,
    now: NaiveDateTime,
) -> Result<Vec<SponsorCheckIn>, StoreError> {
    let under_way = [MatchState::Introduced, MatchState::Active];
    let rows = check_ins::table
        .inner_join(matches::table.inner_join(seekers::table))
        .filter(matches::sponsor_id.eq(sponsor))
        .filter(matches::state.eq_any(under_way))
        .filter(check_ins::party.eq(CheckInParty::Sponsor))
        .order(check_ins::sent_at.desc())
        .select((
            check_ins::id,
            check_ins::match_id,
            seekers::alias,
            check_ins::day,
            check_ins::sent_at,
            check_ins::answer,
        ))
        .load::<(
            CheckInId,
            MatchId,
            String,
            i32,
            NaiveDateTime,
            Option<CheckInAnswer>,
        )>(conn)?;
    let mut shown = Vec::new();
    for (id, match_id, alias, day, sent_at, answer) in rows {
        let open_until = links_expire(sent_at);
        if open_until <= now {
            continue;
        }
        shown.push(SponsorCheckIn {
            id,
            match_id,
            alias,
            day: u32::try_from(day).map_err(|_| StoreError::Corrupt("check_ins.day".into()))?,
            sent_at: sent_at.and_utc(),
            open_until: open_until.and_utc(),
            answer,
        });
    }
    Ok(shown)
}

/// What an answer led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answered {
    /// The match ended for a rematch.
    pub rematch: bool,
    /// The seeker's next candidate, proposed when the policy auto-advances.
    pub proposed: Option<MatchId>,
}

/// Records an answer, in the caller's write transaction. A wish for a change ends the
/// match without blame (the pair is barred from then on, like every ended pair) and, when
/// the policy auto-advances, proposes the seeker's next candidate. The answer may be
/// changed while the match is under way; after a rematch it stands.
pub fn answer(
    conn: &mut AnyConnection,
    check_in: &LinkedCheckIn,
    answer: CheckInAnswer,
    zones: &mut ZoneCache,
    rank: &dyn Fn(&Query, usize) -> Vec<uuid::Uuid>,
) -> Result<Answered, StoreError> {
    diesel::update(check_ins::table.find(check_in.id))
        .set((
            check_ins::answer.eq(answer),
            check_ins::answered_at.eq(now()),
            // A new answer needs a new look.
            check_ins::followed_up_at.eq(None::<NaiveDateTime>),
            check_ins::followed_up_by.eq(None::<UserId>),
        ))
        .execute(conn)?;
    let actor = check_in.sponsor.map(|principal| Actor {
        principal,
        request_id: String::new(),
    });
    let by = By::Service {
        on_behalf_of: actor.as_ref(),
        job: "check_in",
    };
    let match_id = check_in.match_id.to_string();
    let (program, kind) = (check_in.program, RecordKind::Match);
    match &actor {
        Some(actor) => {
            audit::record_in(conn, actor, program, "check_in.answer", kind, &match_id)?;
        }
        None => {
            audit::record_service(
                conn,
                program,
                "check_in",
                "check_in.answer",
                kind,
                &match_id,
            )?;
        }
    }
    if answer != CheckInAnswer::WantChange {
        return Ok(Answered {
            rematch: false,
            proposed: None,
        });
    }
    let details = StepDetails {
        reason: Some(Reason::RematchRequested),
        ..StepDetails::default()
    };
    act(conn, by, check_in.match_id, Action::End, details)?;
    let proposed = advance(conn, by, check_in.program, check_in.seeker, zones, rank)?;
    Ok(Answered {
        rematch: true,
        proposed,
    })
}

/// A check-in as case managers see it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CheckInRecord {
    pub id: CheckInId,
    pub match_id: MatchId,
    pub party: CheckInParty,
    /// Days after the introduction.
    pub day: u32,
    #[serde(serialize_with = "crate::domain::values::utc")]
    pub sent_at: NaiveDateTime,
    pub status: CheckInStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<CheckInAnswer>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::domain::values::optional_utc"
    )]
    pub answered_at: Option<NaiveDateTime>,
    /// What needs a case manager: a call for help, a wish for a change, silence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concern: Option<Concern>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::domain::values::optional_utc"
    )]
    pub followed_up_at: Option<NaiveDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub followed_up_by: Option<UserId>,
}

fn to_record(
    row: CheckInRow,
    schedule: &CheckInSchedule,
    at: NaiveDateTime,
) -> Result<CheckInRecord, StoreError> {
    let answer = row.answer;
    let status = schedule.status(row.sent_at, answer.is_some(), at);
    Ok(CheckInRecord {
        id: row.id,
        match_id: row.match_id,
        party: row.party,
        day: row.day()?,
        sent_at: row.sent_at,
        status,
        answer,
        answered_at: row.answered_at,
        concern: concern(status, answer),
        followed_up_at: row.followed_up_at,
        followed_up_by: row.followed_up_by,
    })
}

/// A match's check-ins, oldest round first, for the program's staff; audited.
pub fn for_match(
    conn: &mut AnyConnection,
    actor: &Actor,
    match_id: MatchId,
    schedule: &CheckInSchedule,
) -> Result<Vec<CheckInRecord>, StoreError> {
    let program = actor.principal.program_id();
    let exists = matches::table
        .find(match_id)
        .filter(matches::program_id.eq(program))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if !exists {
        return Err(StoreError::NotFound);
    }
    audit::record(
        conn,
        actor,
        "match.check_ins.read",
        RecordKind::Match,
        &match_id.to_string(),
    )?;
    let at = now();
    check_ins::table
        .filter(check_ins::match_id.eq(match_id))
        .order((check_ins::day.asc(), check_ins::party.asc()))
        .select(CHECK_IN_COLUMNS)
        .load::<CheckInRow>(conn)?
        .into_iter()
        .map(|row| to_record(row, schedule, at))
        .collect()
}

/// A case manager has looked into a check-in: it leaves the review queue.
pub fn follow_up(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: CheckInId,
    schedule: &CheckInSchedule,
) -> Result<CheckInRecord, StoreError> {
    let Principal::User { id: user, .. } = actor.principal else {
        return Err(StoreError::NotFound);
    };
    let updated = diesel::update(
        check_ins::table
            .filter(check_ins::id.eq(id))
            .filter(check_ins::program_id.eq(actor.principal.program_id())),
    )
    .set((
        check_ins::followed_up_at.eq(now()),
        check_ins::followed_up_by.eq(user),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(StoreError::NotFound);
    }
    let row: CheckInRow = check_ins::table
        .find(id)
        .select(CHECK_IN_COLUMNS)
        .first(conn)?;
    audit::record(
        conn,
        actor,
        "check_in.follow_up",
        RecordKind::Match,
        &row.match_id.to_string(),
    )?;
    to_record(row, schedule, now())
}

/// The program's check-ins that need a case manager and have not been followed up, as
/// review queue entries. Silence on a match no longer under way is nobody's to chase.
pub fn concerns(
    conn: &mut AnyConnection,
    program: ProgramId,
    schedule: &CheckInSchedule,
) -> Result<Vec<ReviewItem>, StoreError> {
    let at = now();
    let rows: Vec<(
        CheckInRow,
        SeekerId,
        String,
        Option<chrono::NaiveDate>,
        MatchState,
    )> = check_ins::table
        .inner_join(matches::table.inner_join(seekers::table))
        .filter(check_ins::program_id.eq(program))
        .filter(check_ins::followed_up_at.is_null())
        .filter(
            check_ins::answer
                .eq_any([CheckInAnswer::NeedHelp, CheckInAnswer::WantChange])
                .or(check_ins::answer.is_null()),
        )
        .select((
            CHECK_IN_COLUMNS,
            matches::seeker_id,
            seekers::alias,
            seekers::discharge_date,
            matches::state,
        ))
        .load(conn)?;
    let mut items = Vec::new();
    for (row, seeker, alias, discharge_date, state) in rows {
        let record = to_record(row, schedule, at)?;
        let Some(concern) = record.concern else {
            continue;
        };
        if concern == Concern::Silent && !state.is_under_way() {
            continue;
        }
        items.push(ReviewItem {
            kind: ReviewKind::CheckIn,
            seeker_id: seeker,
            seeker_alias: alias,
            match_id: Some(record.match_id),
            urgent: concern.urgent(),
            discharge_date,
            since: record
                .answered_at
                .unwrap_or_else(|| schedule.silent_from(record.sent_at)),
            due: None,
            check_in: Some(CheckInConcern {
                id: record.id,
                party: record.party,
                concern,
            }),
        });
    }
    Ok(items)
}
