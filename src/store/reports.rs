//! The facts a program's report is made from, in three set-based queries: the steps of
//! the matches the range touches, the slots each sponsor holds, the needs of those who
//! wait. The counting is `domain::report`'s.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::matching::states_where;
use super::schema::{match_transitions, matches, sponsor_profiles};
use super::{AnyConnection, StoreError, matches as match_store};
use crate::domain::ids::{MatchId, ProgramId};
use crate::domain::lifecycle::{Action, MatchState, Reason};
use crate::domain::report::{MatchFact, ReportFacts, ReportRange, StepFact};

diesel::alias!(match_transitions as step_in_range: StepInRange);

#[derive(Queryable)]
struct StepRow {
    match_id: MatchId,
    created_at: NaiveDateTime,
    /// An action's name, or `propose` (the creation).
    action: String,
    reason: Option<Reason>,
    occurred_at: NaiveDateTime,
}

/// The program's report facts for `range`, up to `as_of`.
pub fn facts(
    conn: &mut AnyConnection,
    program: ProgramId,
    range: ReportRange,
    as_of: NaiveDateTime,
) -> Result<ReportFacts, StoreError> {
    Ok(ReportFacts {
        matches: match_facts(conn, program, range, as_of)?,
        sponsor_loads: sponsor_loads(conn, program)?,
        waiting_needs: match_store::waiting_needs(conn, program)?,
    })
}

/// Matches requested in the range, or with a step in it (agreed, declined, ended ...),
/// with every step before `as_of`.
fn match_facts(
    conn: &mut AnyConnection,
    program: ProgramId,
    range: ReportRange,
    as_of: NaiveDateTime,
) -> Result<Vec<MatchFact>, StoreError> {
    let start = range.start();
    let rows: Vec<StepRow> = match_transitions::table
        .inner_join(matches::table)
        .filter(matches::program_id.eq(program))
        .filter(matches::created_at.lt(as_of))
        .filter(match_transitions::occurred_at.lt(as_of))
        .filter(
            matches::created_at.ge(start).or(diesel::dsl::exists(
                step_in_range
                    .filter(
                        step_in_range
                            .field(match_transitions::match_id)
                            .eq(matches::id),
                    )
                    .filter(
                        step_in_range
                            .field(match_transitions::occurred_at)
                            .ge(start),
                    )
                    .filter(
                        step_in_range
                            .field(match_transitions::occurred_at)
                            .lt(as_of),
                    ),
            )),
        )
        .order((
            match_transitions::match_id,
            match_transitions::occurred_at,
            match_transitions::id,
        ))
        .select((
            match_transitions::match_id,
            matches::created_at,
            match_transitions::action,
            match_transitions::reason,
            match_transitions::occurred_at,
        ))
        .load(conn)?;
    let mut facts: Vec<MatchFact> = Vec::new();
    let mut current: Option<MatchId> = None;
    for row in rows {
        if current != Some(row.match_id) {
            facts.push(MatchFact {
                created_at: row.created_at,
                steps: Vec::new(),
            });
            current = Some(row.match_id);
        }
        // `propose` is the creation itself, already in `created_at`.
        let Some(action) = Action::parse(&row.action) else {
            continue;
        };
        if let Some(fact) = facts.last_mut() {
            fact.steps.push(StepFact {
                action,
                reason: row.reason,
                at: row.occurred_at,
            });
        }
    }
    Ok(facts)
}

/// Slots held now by each of the program's sponsors, whichever program the matches
/// holding them belong to: a sponsor's capacity is one for all.
fn sponsor_loads(conn: &mut AnyConnection, program: ProgramId) -> Result<Vec<u32>, StoreError> {
    sponsor_profiles::table
        .left_join(
            matches::table.on(matches::sponsor_id
                .eq(sponsor_profiles::user_id)
                .and(matches::state.eq_any(states_where(MatchState::holds_slot)))),
        )
        .filter(sponsor_profiles::program_id.eq(program))
        .group_by(sponsor_profiles::user_id)
        .select(diesel::dsl::count(matches::id.nullable()))
        .load::<i64>(conn)?
        .into_iter()
        .map(|held| {
            u32::try_from(held).map_err(|_| StoreError::Corrupt("slots held: out of range".into()))
        })
        .collect()
}
