//! Seekers: a program's records of the people it refers, each read by a person audited.
//! (Their consents are in `consents`.)

use chrono::Utc;

use super::ServiceError;
use crate::domain::ids::SeekerId;
use crate::domain::seeker::{SeekerProfile, SeekerProfileInput};
use crate::store::audit::Actor;
use crate::store::matches::{self, DisclosureRecord};
use crate::store::seekers::{self, ConsentRecord, SeekerRecord, SeekerSummary};
use crate::store::{Db, PageRequest, StoreError};

/// Creates a seeker of the caller's program from what was sent.
pub async fn create(
    db: &Db,
    actor: Actor,
    input: SeekerProfileInput,
) -> Result<SeekerRecord, ServiceError> {
    let (profile, contact) = SeekerProfile::parse(input, Utc::now().date_naive())?;
    Ok(db
        .write(move |conn| seekers::create(conn, &actor, &profile, &contact))
        .await?)
}

/// Replaces a seeker's profile (`expected`: the version replaced).
pub async fn update(
    db: &Db,
    actor: Actor,
    id: SeekerId,
    expected: Option<i32>,
    input: SeekerProfileInput,
) -> Result<SeekerRecord, ServiceError> {
    let (profile, contact) = SeekerProfile::parse(input, Utc::now().date_naive())?;
    Ok(db
        .write(move |conn| seekers::update(conn, &actor, id, expected, &profile, &contact))
        .await?)
}

/// One seeker, with contact details and notes.
pub async fn get(db: &Db, actor: Actor, id: SeekerId) -> Result<SeekerRecord, StoreError> {
    db.write(move |conn| seekers::get(conn, &actor, id)).await
}

/// A page of the program's seekers, by id.
pub async fn list(
    db: &Db,
    actor: Actor,
    page: PageRequest,
) -> Result<Vec<SeekerSummary>, StoreError> {
    db.write(move |conn| seekers::list(conn, &actor, page))
        .await
}

/// The seeker's consents, revoked and expired ones included.
pub async fn consents(
    db: &Db,
    actor: Actor,
    id: SeekerId,
) -> Result<Vec<ConsentRecord>, StoreError> {
    db.write(move |conn| seekers::list_consents(conn, &actor, id))
        .await
}

/// What of the seeker's record went to whom, when, under which consent.
pub async fn disclosures(
    db: &Db,
    actor: Actor,
    id: SeekerId,
) -> Result<Vec<DisclosureRecord>, StoreError> {
    db.write(move |conn| matches::disclosures(conn, &actor, id))
        .await
}
