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
    let program_id = actor.principal.program_id();
    let program = db
        .run(move |conn| accounts::get_program(conn, program_id))
        .await?;
    let (profile, contact) =
        SponsorProfile::parse(input, Utc::now().date_naive(), program.max_capacity())?;
    let record = db
        .write(move |conn| save_profile_in(conn, &actor, sponsor, &profile, &contact, expected))
        .await?;
    pool.catch_up(db).await;
    Ok(record)
}

/// The same in the caller's transaction: pausing declines the requests the sponsor holds.
pub(super) fn save_profile_in(
    conn: &mut AnyConnection,
    actor: &Actor,
    sponsor: UserId,
    profile: &SponsorProfile,
    contact: &ContactDetails,
    expected: Option<i32>,
) -> Result<SponsorProfileRecord, StoreError> {
    let record = sponsors::save_profile(conn, actor, sponsor, profile, contact, expected)?;
    if profile.status == SponsorStatus::Paused {
        matches::decline_for_pause(conn, actor, sponsor)?;
    }
    Ok(record)
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
