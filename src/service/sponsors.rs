//! A sponsor's own profile.

use chrono::Utc;

use super::ServiceError;
use crate::domain::ids::UserId;
use crate::domain::sponsor::{SponsorProfile, SponsorProfileInput, SponsorStatus};
use crate::domain::values::ContactDetails;
use crate::pool::SponsorPool;
use crate::store::PageRequest;
use crate::store::audit::Actor;
use crate::store::sponsors::{self, SponsorProfileRecord};
use crate::store::{AnyConnection, Db, StoreError, accounts, matches};

/// Saves a sponsor's profile from what they sent (`expected`: the version replaced, none
/// for the first), parsed under their program's rules (its maximum capacity among them);
/// this instance's pool sees it at once, others follow the change log.
pub async fn save_profile(
    db: &Db,
    pool: &SponsorPool,
    actor: Actor,
    sponsor: UserId,
    input: SponsorProfileInput,
    expected: Option<i32>,
) -> Result<SponsorProfileRecord, ServiceError> {
    let (profile, contact) = parse_profile(db, &actor, input).await?;
    let record = db
        .write(move |conn| save_profile_in(conn, &actor, sponsor, &profile, &contact, expected))
        .await?;
    pool.catch_up(db).await;
    Ok(record)
}

/// Whether `input` would be taken as the caller's profile under their program's rules;
/// nothing is saved. For a form that already has problems of its own (a missing
/// choice), so that the sponsor learns every problem at once.
pub async fn check_profile(
    db: &Db,
    actor: &Actor,
    input: SponsorProfileInput,
) -> Result<(), ServiceError> {
    parse_profile(db, actor, input).await.map(|_| ())
}

/// The profile and contact details in `input`, parsed under the caller's program's
/// rules (its maximum capacity among them).
async fn parse_profile(
    db: &Db,
    actor: &Actor,
    input: SponsorProfileInput,
) -> Result<(SponsorProfile, ContactDetails), ServiceError> {
    let program_id = actor.principal.program_id();
    let program = db
        .run(move |conn| accounts::get_program(conn, program_id))
        .await?;
    Ok(SponsorProfile::parse(
        input,
        Utc::now().date_naive(),
        program.max_capacity(),
    )?)
}

/// The same in the caller's transaction.
pub(super) fn save_profile_in(
    conn: &mut AnyConnection,
    actor: &Actor,
    sponsor: UserId,
    profile: &SponsorProfile,
    contact: &ContactDetails,
    expected: Option<i32>,
) -> Result<SponsorProfileRecord, StoreError> {
    let record = sponsors::save_profile(conn, actor, sponsor, profile, contact, expected)?;
    follow_status(conn, actor, sponsor, profile.status)?;
    Ok(record)
}

/// Pauses or resumes the signed-in sponsor, whatever else their profile says (a break
/// is never refused because of a rule the profile would now break, such as a program
/// maximum lowered since); this instance's pool sees it at once.
pub async fn set_status(
    db: &Db,
    pool: &SponsorPool,
    actor: Actor,
    sponsor: UserId,
    status: SponsorStatus,
) -> Result<SponsorProfileRecord, ServiceError> {
    let record = db
        .write(move |conn| {
            let record = sponsors::set_status(conn, &actor, sponsor, status)?;
            follow_status(conn, &actor, sponsor, status)?;
            Ok(record)
        })
        .await?;
    pool.catch_up(db).await;
    Ok(record)
}

/// What a sponsor's status means for the requests they hold: a pause declines them
/// (those awaiting the sponsor) or withdraws them (those still in review).
fn follow_status(
    conn: &mut AnyConnection,
    actor: &Actor,
    sponsor: UserId,
    status: SponsorStatus,
) -> Result<(), StoreError> {
    if status == SponsorStatus::Paused {
        matches::decline_for_pause(conn, actor, sponsor)?;
    }
    Ok(())
}

/// A page of the caller's program's sponsors, with contact details; audited.
pub async fn list(
    db: &Db,
    actor: Actor,
    page: PageRequest,
) -> Result<Vec<SponsorProfileRecord>, StoreError> {
    db.write(move |conn| sponsors::list_for_program(conn, &actor, page))
        .await
}

/// One of the caller's program's sponsors; audited.
pub async fn get(db: &Db, actor: Actor, id: UserId) -> Result<SponsorProfileRecord, StoreError> {
    db.write(move |conn| sponsors::get_for_program(conn, &actor, id))
        .await
}

/// The signed-in sponsor's own profile, contact details included.
pub async fn own_profile(db: &Db, id: UserId) -> Result<SponsorProfileRecord, StoreError> {
    db.run(move |conn| sponsors::get_own_profile(conn, id))
        .await
}
