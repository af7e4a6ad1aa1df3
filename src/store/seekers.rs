//! Seekers, their contact details (stored apart) and their consents to disclose.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::audit::{self, Actor, RecordKind};
use super::schema::{consents, seeker_contacts, seekers};
use super::sponsors::{availability_from_text, meeting_spec};
use super::{AnyConnection, PageRequest, StoreError, from_json, now, to_json};
use crate::domain::consent::{Consent, DisclosedItem, RecipientClass, is_in_force};
use crate::domain::ids::{ConsentId, ProgramId, SeekerId};
use crate::domain::seeker::{SeekerProfile, SoftPreferences};
use crate::domain::values::{
    Attribute, AvailabilityView, ContactDetails, ContactSpec, Fellowship, Gender, GenderRule,
    MeetingSpec,
};

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = seekers, treat_none_as_null = true)]
struct SeekerRow {
    id: SeekerId,
    program_id: ProgramId,
    alias: String,
    fellowships: String,
    gender: Gender,
    gender_preference: String,
    languages: String,
    time_zone: String,
    availability: String,
    meets_by_phone: bool,
    meets_by_video: bool,
    in_person_latitude: Option<f64>,
    in_person_longitude: Option<f64>,
    in_person_radius_km: Option<f64>,
    needs: String,
    preferences: String,
    discharge_date: Option<NaiveDate>,
    internal_notes: Option<String>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = seeker_contacts, treat_none_as_null = true)]
struct ContactRow {
    seeker_id: SeekerId,
    email: Option<String>,
    phone: Option<String>,
}

/// A seeker as the program (portal, case managers, admins) sees them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeekerRecord {
    pub id: SeekerId,
    pub alias: String,
    pub fellowships: Vec<Fellowship>,
    pub gender: Gender,
    pub gender_preference: GenderRule,
    pub languages: Vec<String>,
    pub time_zone: String,
    #[schema(value_type = Object)]
    pub availability: AvailabilityView,
    pub meeting: MeetingSpec,
    pub needs: Vec<Attribute>,
    pub preferences: SoftPreferences,
    pub discharge_date: Option<NaiveDate>,
    /// The program's own notes; never shown outside the program.
    pub internal_notes: Option<String>,
    pub contact: ContactSpec,
    /// Whether a consent to disclose a summary to candidate sponsors is in force.
    pub disclosure_permitted: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A line of the seeker list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeekerSummary {
    pub id: SeekerId,
    pub alias: String,
    pub fellowships: Vec<Fellowship>,
    pub discharge_date: Option<NaiveDate>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

fn seeker_row(
    id: SeekerId,
    program: ProgramId,
    profile: &SeekerProfile,
    version: i32,
    created_at: NaiveDateTime,
) -> Result<SeekerRow, StoreError> {
    let area = profile.meeting.in_person;
    Ok(SeekerRow {
        id,
        program_id: program,
        alias: profile.alias.as_str().to_owned(),
        fellowships: to_json(&profile.fellowships)?,
        gender: profile.gender,
        gender_preference: to_json(&profile.gender_preference)?,
        languages: to_json(&profile.languages)?,
        time_zone: profile.time_zone.name().to_owned(),
        availability: profile.availability.to_hex(),
        meets_by_phone: profile.meeting.phone,
        meets_by_video: profile.meeting.video,
        in_person_latitude: area.map(|a| a.center.latitude),
        in_person_longitude: area.map(|a| a.center.longitude),
        in_person_radius_km: area.map(|a| a.radius_km),
        needs: to_json(&profile.needs)?,
        preferences: to_json(&profile.preferences)?,
        discharge_date: profile.discharge_date,
        internal_notes: profile
            .internal_notes
            .as_ref()
            .map(|n| n.as_str().to_owned()),
        version,
        created_at,
        // A new record was created and updated in the same instant.
        updated_at: if version == 1 { created_at } else { now() },
    })
}

fn contact_row(id: SeekerId, contact: &ContactDetails) -> ContactRow {
    ContactRow {
        seeker_id: id,
        email: contact.email.as_ref().map(|e| e.as_str().to_owned()),
        phone: contact.phone.as_ref().map(|p| p.as_str().to_owned()),
    }
}

fn program_seeker(
    program: ProgramId,
    id: SeekerId,
) -> diesel::dsl::Filter<
    diesel::dsl::Find<seekers::table, SeekerId>,
    diesel::dsl::Eq<seekers::program_id, ProgramId>,
> {
    seekers::table
        .find(id)
        .filter(seekers::program_id.eq(program))
}

/// A consent of the seeker to disclose to `class` that is in force now, if any.
pub(crate) fn consent_for(
    conn: &mut AnyConnection,
    id: SeekerId,
    class: RecipientClass,
) -> Result<Option<ConsentId>, StoreError> {
    let rows = consents::table
        .filter(consents::seeker_id.eq(id))
        .filter(consents::recipient_class.eq(class))
        .filter(consents::revoked_at.is_null())
        .select((consents::id, consents::expires_at))
        .order(consents::id.desc())
        .load::<(ConsentId, NaiveDateTime)>(conn)?;
    let now = Utc::now();
    Ok(rows
        .into_iter()
        .find(|(_, expires)| is_in_force(expires.and_utc(), None, now))
        .map(|(consent, _)| consent))
}

/// One seeker of the program. Reading it is audited when the reader is a person.
pub fn get(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: SeekerId,
) -> Result<SeekerRecord, StoreError> {
    let record = load(conn, actor.principal.program_id(), id)?;
    if actor.principal.is_person() {
        audit::record(
            conn,
            actor,
            "seeker.read",
            RecordKind::Seeker,
            &id.to_string(),
        )?;
    }
    Ok(record)
}

fn load(
    conn: &mut AnyConnection,
    program: ProgramId,
    id: SeekerId,
) -> Result<SeekerRecord, StoreError> {
    let row = program_seeker(program, id)
        .select(SeekerRow::as_select())
        .first(conn)?;
    let contact = seeker_contacts::table
        .find(id)
        .select(ContactRow::as_select())
        .first(conn)?;
    Ok(SeekerRecord {
        id,
        alias: row.alias,
        fellowships: from_json("seekers.fellowships", &row.fellowships)?,
        gender: row.gender,
        gender_preference: from_json("seekers.gender_preference", &row.gender_preference)?,
        languages: from_json("seekers.languages", &row.languages)?,
        time_zone: row.time_zone,
        availability: availability_from_text("seekers.availability", &row.availability)?,
        meeting: meeting_spec(
            row.meets_by_phone,
            row.meets_by_video,
            row.in_person_latitude,
            row.in_person_longitude,
            row.in_person_radius_km,
        ),
        needs: from_json("seekers.needs", &row.needs)?,
        preferences: from_json("seekers.preferences", &row.preferences)?,
        discharge_date: row.discharge_date,
        internal_notes: row.internal_notes,
        contact: ContactSpec {
            email: contact.email,
            phone: contact.phone,
        },
        disclosure_permitted: consent_for(conn, id, RecipientClass::CandidateSponsors)?.is_some(),
        version: row.version,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    })
}

pub fn create(
    conn: &mut AnyConnection,
    actor: &Actor,
    profile: &SeekerProfile,
    contact: &ContactDetails,
) -> Result<SeekerRecord, StoreError> {
    let id = SeekerId::new();
    diesel::insert_into(seekers::table)
        .values(seeker_row(
            id,
            actor.principal.program_id(),
            profile,
            1,
            now(),
        )?)
        .execute(conn)?;
    diesel::insert_into(seeker_contacts::table)
        .values(contact_row(id, contact))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "seeker.create",
        RecordKind::Seeker,
        &id.to_string(),
    )?;
    load(conn, actor.principal.program_id(), id)
}

pub fn update(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: SeekerId,
    expected_version: Option<i32>,
    profile: &SeekerProfile,
    contact: &ContactDetails,
) -> Result<SeekerRecord, StoreError> {
    let program = actor.principal.program_id();
    let (current, created_at) = program_seeker(program, id)
        .select((seekers::version, seekers::created_at))
        .first::<(i32, NaiveDateTime)>(conn)?;
    let expected_version = expected_version.ok_or(StoreError::VersionRequired { current })?;
    if current != expected_version {
        return Err(StoreError::VersionMismatch { current });
    }
    let updated = diesel::update(seekers::table.find(id))
        .filter(seekers::version.eq(expected_version))
        .set(seeker_row(
            id,
            program,
            profile,
            expected_version + 1,
            created_at,
        )?)
        .execute(conn)?;
    if updated == 0 {
        return Err(StoreError::VersionMismatch {
            current: expected_version + 1,
        });
    }
    diesel::update(seeker_contacts::table.find(id))
        .set(contact_row(id, contact))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "seeker.update",
        RecordKind::Seeker,
        &id.to_string(),
    )?;
    load(conn, program, id)
}

/// A page of the program's seekers. Each seeker shown to a person is an audited read.
pub fn list(
    conn: &mut AnyConnection,
    actor: &Actor,
    page: PageRequest,
) -> Result<Vec<SeekerSummary>, StoreError> {
    let mut query = seekers::table
        .filter(seekers::program_id.eq(actor.principal.program_id()))
        .select((
            seekers::id,
            seekers::alias,
            seekers::fellowships,
            seekers::discharge_date,
            seekers::version,
            seekers::created_at,
        ))
        .order(seekers::id.asc())
        .limit(page.limit)
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(seekers::id.gt(SeekerId::from(after)));
    }
    let rows = query.load::<(
        SeekerId,
        String,
        String,
        Option<NaiveDate>,
        i32,
        NaiveDateTime,
    )>(conn)?;
    // The row past the page only tells whether another page follows: nobody sees it.
    let shown = usize::try_from(page.limit - 1).unwrap_or_default();
    let mut summaries = Vec::with_capacity(rows.len());
    for (index, (id, alias, fellowships, discharge_date, version, created_at)) in
        rows.into_iter().enumerate()
    {
        if actor.principal.is_person() && index < shown {
            audit::record(
                conn,
                actor,
                "seeker.list",
                RecordKind::Seeker,
                &id.to_string(),
            )?;
        }
        summaries.push(SeekerSummary {
            id,
            alias,
            fellowships: from_json("seekers.fellowships", &fellowships)?,
            discharge_date,
            version,
            created_at: created_at.and_utc(),
        });
    }
    Ok(summaries)
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = consents)]
struct ConsentRow {
    id: ConsentId,
    discloser: String,
    recipient_class: RecipientClass,
    information: String,
    purpose: String,
    signed_by: String,
    signed_at: NaiveDateTime,
    expires_at: NaiveDateTime,
    revocation_instructions: String,
    revoked_at: Option<NaiveDateTime>,
    recorded_by: String,
    created_at: NaiveDateTime,
}

/// A consent as recorded, with the 42 CFR 2.31 elements.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsentRecord {
    pub id: ConsentId,
    pub seeker_id: SeekerId,
    pub discloser: String,
    pub recipient_class: RecipientClass,
    pub information: Vec<DisclosedItem>,
    pub purpose: String,
    pub signed_by: String,
    pub signed_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revocation_instructions: String,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Whether it permits disclosure now: neither revoked nor expired.
    pub in_force: bool,
    /// The portal key or user that recorded it.
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
}

impl ConsentRecord {
    fn from_row(seeker_id: SeekerId, row: ConsentRow) -> Result<Self, StoreError> {
        let revoked_at = row.revoked_at.map(|t| t.and_utc());
        let expires_at = row.expires_at.and_utc();
        Ok(Self {
            id: row.id,
            seeker_id,
            discloser: row.discloser,
            recipient_class: row.recipient_class,
            information: from_json("consents.information", &row.information)?,
            purpose: row.purpose,
            signed_by: row.signed_by,
            signed_at: row.signed_at.and_utc(),
            expires_at,
            revocation_instructions: row.revocation_instructions,
            revoked_at,
            in_force: is_in_force(expires_at, revoked_at, Utc::now()),
            recorded_by: row.recorded_by,
            created_at: row.created_at.and_utc(),
        })
    }
}

/// Refuses (404) a seeker that is not of the program.
pub(crate) fn ensure_seeker(
    conn: &mut AnyConnection,
    program: ProgramId,
    id: SeekerId,
) -> Result<(), StoreError> {
    program_seeker(program, id)
        .select(seekers::id)
        .first::<SeekerId>(conn)?;
    Ok(())
}

pub fn record_consent(
    conn: &mut AnyConnection,
    actor: &Actor,
    seeker: SeekerId,
    consent: &Consent,
) -> Result<ConsentRecord, StoreError> {
    let program = actor.principal.program_id();
    ensure_seeker(conn, program, seeker)?;
    let id = ConsentId::new();
    let (actor_kind, actor_id) = actor.principal.actor();
    diesel::insert_into(consents::table)
        .values((
            consents::id.eq(id),
            consents::seeker_id.eq(seeker),
            consents::program_id.eq(program),
            consents::discloser.eq(consent.discloser.as_str()),
            consents::recipient_class.eq(consent.recipient_class),
            consents::information.eq(to_json(&consent.information)?),
            consents::purpose.eq(consent.purpose.as_str()),
            consents::signed_by.eq(consent.signed_by.as_str()),
            consents::signed_at.eq(consent.signed_at.naive_utc()),
            consents::expires_at.eq(consent.expires_at.naive_utc()),
            consents::revocation_instructions.eq(consent.revocation_instructions.as_str()),
            consents::recorded_by.eq(format!("{actor_kind}:{actor_id}")),
            consents::created_at.eq(now()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "consent.record",
        RecordKind::Consent,
        &id.to_string(),
    )?;
    get_consent(conn, program, seeker, id)
}

fn get_consent(
    conn: &mut AnyConnection,
    program: ProgramId,
    seeker: SeekerId,
    id: ConsentId,
) -> Result<ConsentRecord, StoreError> {
    let row = consents::table
        .find(id)
        .filter(consents::seeker_id.eq(seeker))
        .filter(consents::program_id.eq(program))
        .select(ConsentRow::as_select())
        .first(conn)?;
    ConsentRecord::from_row(seeker, row)
}

pub fn list_consents(
    conn: &mut AnyConnection,
    actor: &Actor,
    seeker: SeekerId,
) -> Result<Vec<ConsentRecord>, StoreError> {
    ensure_seeker(conn, actor.principal.program_id(), seeker)?;
    let rows = consents::table
        .filter(consents::seeker_id.eq(seeker))
        .select(ConsentRow::as_select())
        .order(consents::id.asc())
        .load(conn)?;
    if actor.principal.is_person() {
        audit::record(
            conn,
            actor,
            "consent.list",
            RecordKind::Seeker,
            &seeker.to_string(),
        )?;
    }
    rows.into_iter()
        .map(|row| ConsentRecord::from_row(seeker, row))
        .collect()
}

/// Revocation takes effect at once; revoking twice changes nothing. Whether this call
/// revoked it comes back with the record.
pub fn revoke_consent(
    conn: &mut AnyConnection,
    actor: &Actor,
    seeker: SeekerId,
    id: ConsentId,
) -> Result<(ConsentRecord, bool), StoreError> {
    let program = actor.principal.program_id();
    let consent = get_consent(conn, program, seeker, id)?;
    let revoking = consent.revoked_at.is_none();
    if revoking {
        diesel::update(consents::table.find(id))
            .filter(consents::revoked_at.is_null())
            .set(consents::revoked_at.eq(now()))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            "consent.revoke",
            RecordKind::Consent,
            &id.to_string(),
        )?;
    }
    Ok((get_consent(conn, program, seeker, id)?, revoking))
}
