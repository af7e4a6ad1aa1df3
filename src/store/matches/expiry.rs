//! Requests not answered in time: found, expired, and moved on to the next candidate
//! where the program's policy says so.

use super::*;

/// What the expiry job did with one overdue request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expiry {
    pub expired: MatchId,
    /// The next candidate proposed in its place, when the policy auto-advances.
    pub proposed: Option<MatchId>,
}

/// The states in which a request waits for an answer by a time.
const WAITING: [MatchState; 2] = [MatchState::AwaitingSponsor, MatchState::AwaitingSeeker];

/// Requests whose answer is overdue, oldest first: what the expiry job works through,
/// each in its own transaction ([`expire_one`]), so one that fails holds up no other.
pub fn overdue(conn: &mut AnyConnection, limit: i64) -> Result<Vec<MatchId>, StoreError> {
    Ok(matches::table
        .filter(matches::answer_by.le(now()))
        .filter(matches::state.eq_any(WAITING))
        .order(matches::answer_by.asc())
        .limit(limit)
        .select(matches::id)
        .load::<MatchId>(conn)?)
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
        id: MatchId,
    }
    let still_due = "SELECT id FROM matches WHERE id = $1 AND answer_by <= $2 \
         AND state IN ($3, $4)";
    let [waiting, or_waiting] = WAITING;
    let at = now();
    let due: Vec<Due> = match conn {
        AnyConnection::Postgresql(pg) => {
            diesel::sql_query(format!("{still_due} FOR UPDATE SKIP LOCKED"))
                .bind::<Text, _>(id)
                .bind::<Timestamp, _>(at)
                .bind::<Text, _>(waiting)
                .bind::<Text, _>(or_waiting)
                .load(pg)?
        }
        AnyConnection::Sqlite(sqlite) => {
            let positional = ["$1", "$2", "$3", "$4"]
                .iter()
                .fold(still_due.to_owned(), |sql, n| sql.replace(n, "?"));
            diesel::sql_query(positional)
                .bind::<Text, _>(id)
                .bind::<Timestamp, _>(at)
                .bind::<Text, _>(waiting)
                .bind::<Text, _>(or_waiting)
                .load(sqlite)?
        }
    };
    if !due.iter().any(|row| row.id == id) {
        return Ok(None);
    }
    let by = By::Service {
        on_behalf_of: None,
        job: "expiry",
    };
    let record = act(conn, by, id, Action::Expire, StepDetails::default())?;
    let program = load_row(conn, id, None)?.program_id;
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
