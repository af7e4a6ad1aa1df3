//! Check-ins: the rounds some days after an introduction, and the answers to them.

use std::sync::Arc;

use crate::auth::Principal;
use crate::domain::check_in::{CheckInAnswer, CheckInParty, CheckInSchedule, links_expire};
use crate::domain::ids::{CheckInId, MatchId, UserId};
use crate::matching::score::Query;
use crate::pool::SponsorPool;
use crate::store::audit::Actor;
use crate::store::check_ins::{self, Answered, CheckInRecord, LinkedCheckIn, SponsorCheckIn};
use crate::store::{Db, StoreError, now};

/// Records an answer from an emailed link. A wish for a change ends the match without
/// blame and, where the policy auto-advances, proposes the seeker's next candidate from
/// this instance's rank index; the sponsor's freed slot counts here at once.
pub async fn answer(
    db: &Db,
    pool: &Arc<SponsorPool>,
    check_in: LinkedCheckIn,
    answer: CheckInAnswer,
) -> Result<Answered, StoreError> {
    let ranking = Arc::clone(pool);
    let mut zones = pool.zones();
    let answered = db
        .write(move |conn| {
            let rank = |query: &Query, k: usize| ranking.ranked_ids(query, k);
            check_ins::answer(conn, &check_in, answer, &mut zones, &rank)
        })
        .await?;
    if answered.rematch {
        pool.catch_up(db).await;
    }
    Ok(answered)
}

/// The sponsor's check-ins still open to an answer.
pub async fn for_sponsor(db: &Db, sponsor: UserId) -> Result<Vec<SponsorCheckIn>, StoreError> {
    db.run(move |conn| check_ins::for_sponsor(conn, sponsor, now()))
        .await
}

/// Records a signed-in sponsor's answer to one of their own check-ins, as its emailed
/// link would. Anyone else's check-in, or one no longer open, is not found for them.
pub async fn answer_as_sponsor(
    db: &Db,
    pool: &Arc<SponsorPool>,
    sponsor: UserId,
    id: CheckInId,
    answer: CheckInAnswer,
) -> Result<Answered, StoreError> {
    let check_in = linked(db, id).await?;
    let theirs = matches!(check_in.sponsor, Some(Principal::User { id, .. }) if id == sponsor);
    let open = check_in.party == CheckInParty::Sponsor
        && theirs
        && check_in.match_state.is_under_way()
        && links_expire(check_in.sent_at) > now();
    if !open {
        return Err(StoreError::NotFound);
    }
    self::answer(db, pool, check_in, answer).await
}

/// Opens up to `batch` check-in rounds that have come, each in its own transaction, and
/// says how many it opened. Every instance runs it; the rounds' unique key and a re-check
/// in the write keep any round from being opened twice (a round another instance opened
/// first is logged and looked at again next time).
pub async fn open_due_rounds(
    db: &Db,
    schedule: &CheckInSchedule,
    batch: usize,
) -> Result<usize, StoreError> {
    let schedule = schedule.clone();
    let due = db
        .run(move |conn| check_ins::due_rounds(conn, &schedule, now(), batch))
        .await?;
    let mut opened = 0;
    for round in due {
        match db
            .write(move |conn| check_ins::open_round(conn, round))
            .await
        {
            Ok(true) => opened += 1,
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, "opening a check-in round failed"),
        }
    }
    Ok(opened)
}

/// Marks a check-in as followed up by the caller: it leaves the review queue until it is
/// answered again.
pub async fn follow_up(
    db: &Db,
    schedule: &CheckInSchedule,
    actor: Actor,
    id: CheckInId,
) -> Result<CheckInRecord, StoreError> {
    let schedule = schedule.clone();
    db.write(move |conn| check_ins::follow_up(conn, &actor, id, &schedule))
        .await
}

/// A match's check-ins with their answers and silences, for the program's staff.
pub async fn for_match(
    db: &Db,
    schedule: &CheckInSchedule,
    actor: Actor,
    id: MatchId,
) -> Result<Vec<CheckInRecord>, StoreError> {
    let schedule = schedule.clone();
    db.write(move |conn| check_ins::for_match(conn, &actor, id, &schedule))
        .await
}

/// The check-in behind an emailed link, with what its page shows.
pub async fn linked(db: &Db, id: CheckInId) -> Result<LinkedCheckIn, StoreError> {
    db.run(move |conn| check_ins::linked(conn, id)).await
}
