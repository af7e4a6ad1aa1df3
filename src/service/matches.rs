//! Matches: proposing one, the steps of the lifecycle, reassigning, and the expiry of
//! requests nobody answered in time.
//!
//! Proposals, steps and reassignments are functions of a connection: the front end runs
//! them in its write transaction (the JSON API keeps an idempotent answer in the same
//! one) and afterwards calls [`SponsorPool::catch_up`], so this instance counts at once
//! the slots they took or gave back.

use std::sync::Arc;

use chrono::Utc;

use crate::domain::ids::ProgramId;
use crate::domain::ids::{MatchId, SeekerId, UserId};
use crate::domain::lifecycle::Action;
use crate::matching::score::Query;
use crate::pool::SponsorPool;
use crate::store::PageRequest;
use crate::store::audit::Actor;
use crate::store::audit::{self, RecordKind};
use crate::store::matches::{
    self, By, LinkedRequest, MatchRecord, Proposal, Sponsee, SponsorRequest, StepDetails,
};
use crate::store::{AnyConnection, Db, StoreError, idempotency};

/// Proposes a match for one of the caller's program's seekers: the sponsor chosen, or
/// the best this instance's rank index offers, either checked again in the database.
pub fn propose(
    conn: &mut AnyConnection,
    pool: &SponsorPool,
    actor: &Actor,
    seeker: SeekerId,
    chosen: Option<UserId>,
) -> Result<MatchRecord, StoreError> {
    let program = actor.principal.program_id();
    with_proposal(pool, chosen, |proposal| {
        matches::propose(conn, By::Caller(actor), program, seeker, proposal)
    })
}

/// Withdraws an open match and proposes another sponsor (chosen, or the best available
/// other than the one left), in the caller's transaction.
pub fn reassign(
    conn: &mut AnyConnection,
    pool: &SponsorPool,
    actor: &Actor,
    id: MatchId,
    chosen: Option<UserId>,
) -> Result<MatchRecord, StoreError> {
    with_proposal(pool, chosen, |proposal| {
        matches::reassign(conn, By::Caller(actor), id, proposal)
    })
}

fn with_proposal<T>(
    pool: &SponsorPool,
    chosen: Option<UserId>,
    work: impl FnOnce(Proposal) -> T,
) -> T {
    let mut zones = pool.zones();
    let rank = |query: &Query, k: usize| pool.ranked_ids(query, k);
    work(Proposal {
        chosen,
        zones: &mut zones,
        today: Utc::now().date_naive(),
        rank: &rank,
    })
}

/// A step of the lifecycle taken by the caller, in the caller's transaction.
pub fn step(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: MatchId,
    action: Action,
    details: StepDetails,
) -> Result<MatchRecord, StoreError> {
    matches::act(conn, By::Caller(actor), id, action, details)
}

/// A step in a transaction of its own, this instance's pool current afterwards: for
/// front ends that keep no idempotent answer (the pages behind emailed links).
pub async fn take_step(
    db: &Db,
    pool: &SponsorPool,
    actor: Actor,
    id: MatchId,
    action: Action,
    details: StepDetails,
) -> Result<MatchRecord, StoreError> {
    let record = db
        .write(move |conn| step(conn, &actor, id, action, details))
        .await?;
    pool.catch_up(db).await;
    Ok(record)
}

/// What one round of the expiry job did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryRound {
    pub expired: usize,
    /// Expired requests whose seeker was proposed to the next candidate.
    pub advanced: usize,
}

/// Expires up to `batch` requests past their answer-by time, each in its own
/// transaction, proposing the next candidate where the policy says so; then forgets
/// idempotency keys a day old. Every instance runs it; row claims keep any request from
/// being expired twice. One request that fails holds up no other: it is logged and tried
/// again next round.
pub async fn expire_overdue(
    db: &Db,
    pool: &Arc<SponsorPool>,
    batch: i64,
) -> Result<ExpiryRound, StoreError> {
    let due = db.run(move |conn| matches::overdue(conn, batch)).await?;
    let mut round = ExpiryRound::default();
    for id in due {
        let ranking = Arc::clone(pool);
        let mut zones = pool.zones();
        let outcome = db
            .write(move |conn| {
                let rank = |query: &Query, k: usize| ranking.ranked_ids(query, k);
                matches::expire_one(conn, id, &mut zones, &rank)
            })
            .await;
        match outcome {
            Ok(Some(expiry)) => {
                round.expired += 1;
                round.advanced += usize::from(expiry.proposed.is_some());
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "expiring a request failed"),
        }
    }
    if round.expired > 0 {
        pool.catch_up(db).await;
    }
    db.write(|conn| idempotency::prune(conn, chrono::TimeDelta::hours(24)))
        .await?;
    Ok(round)
}

/// One match of the caller's program, with its breakdown and history.
pub async fn read(db: &Db, actor: Actor, id: MatchId) -> Result<MatchRecord, StoreError> {
    db.write(move |conn| matches::read(conn, &actor, id)).await
}

/// A seeker's matches, newest first.
pub async fn seeker_history(
    db: &Db,
    actor: Actor,
    seeker: SeekerId,
) -> Result<Vec<MatchRecord>, StoreError> {
    db.write(move |conn| matches::seeker_history(conn, &actor, seeker))
        .await
}

/// The requests addressed to a sponsor, newest first, each with only what the seeker
/// consented to disclose; each disclosure on record.
pub async fn sponsor_requests(
    db: &Db,
    actor: Actor,
    sponsor: UserId,
    page: PageRequest,
) -> Result<Vec<SponsorRequest>, StoreError> {
    db.read_then_write(move |conn, writer| {
        matches::sponsor_requests(conn, writer, &actor, sponsor, page)
    })
    .await
}

/// One request addressed to the sponsor, as their list shows it; on record.
pub async fn sponsor_request(
    db: &Db,
    actor: Actor,
    sponsor: UserId,
    id: MatchId,
) -> Result<SponsorRequest, StoreError> {
    db.read_then_write(move |conn, writer| {
        matches::sponsor_request(conn, writer, &actor, sponsor, id)
    })
    .await
}

/// The people the sponsor sponsors now, with their contact details once introduced;
/// each read on record.
pub async fn sponsees(db: &Db, actor: Actor, sponsor: UserId) -> Result<Vec<Sponsee>, StoreError> {
    db.read_then_write(move |conn, writer| matches::sponsees(conn, writer, &actor, sponsor))
        .await
}

/// Showing a request behind an emailed link discloses it again: on the trail of the
/// program that proposed it, as the sponsor's read.
pub async fn record_link_read(
    db: &Db,
    sponsor: Actor,
    program: ProgramId,
    id: MatchId,
) -> Result<(), StoreError> {
    let id = id.to_string();
    db.write(move |conn| {
        audit::record_in(
            conn,
            &sponsor,
            program,
            "match.read",
            RecordKind::Match,
            &id,
        )
    })
    .await
}

/// The request behind an emailed link, with what its page shows.
pub async fn linked_request(db: &Db, id: MatchId) -> Result<LinkedRequest, StoreError> {
    db.run(move |conn| matches::linked_request(conn, id)).await
}
