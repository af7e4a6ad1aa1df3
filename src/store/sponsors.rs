//! Sponsor profiles and their contact details, stored apart.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::audit::{self, Actor, RecordKind};
use super::schema::{sponsor_contacts, sponsor_profiles};
use super::{AnyConnection, PageRequest, StoreError, from_json, now, to_json};
use crate::domain::ids::{ProgramId, UserId};
use crate::domain::sponsor::{SponsorProfile, SponsorStatus};
use crate::domain::values::{
    AgeBand, Attribute, AvailabilityView, ContactDetails, ContactSpec, Fellowship, Gender,
    GenderRule, InPersonAreaSpec, MeetingSpec, WeeklyAvailability,
};

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = sponsor_profiles, treat_none_as_null = true)]
struct SponsorRow {
    user_id: UserId,
    program_id: ProgramId,
    alias: String,
    fellowships: String,
    sobriety_date: NaiveDate,
    gender: Gender,
    sponsors_genders: String,
    age_band: Option<AgeBand>,
    languages: String,
    time_zone: String,
    availability: String,
    meets_by_phone: bool,
    meets_by_video: bool,
    in_person_latitude: Option<f64>,
    in_person_longitude: Option<f64>,
    in_person_radius_km: Option<f64>,
    capacity: i32,
    attributes: String,
    status: SponsorStatus,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = sponsor_contacts, treat_none_as_null = true)]
struct ContactRow {
    user_id: UserId,
    email: Option<String>,
    phone: Option<String>,
}

/// A sponsor's profile as the API shows it. `contact` is filled only for callers
/// allowed to see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SponsorProfileRecord {
    pub sponsor_id: UserId,
    pub program_id: ProgramId,
    pub alias: String,
    pub fellowships: Vec<Fellowship>,
    pub sobriety_date: NaiveDate,
    pub gender: Gender,
    pub sponsors: GenderRule,
    pub age_band: Option<AgeBand>,
    pub languages: Vec<String>,
    pub time_zone: String,
    #[schema(value_type = Object)]
    pub availability: AvailabilityView,
    pub meeting: MeetingSpec,
    pub capacity: i32,
    pub attributes: Vec<Attribute>,
    pub status: SponsorStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactSpec>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(crate) fn meeting_spec(
    phone: bool,
    video: bool,
    latitude: Option<f64>,
    longitude: Option<f64>,
    radius_km: Option<f64>,
) -> MeetingSpec {
    MeetingSpec {
        phone,
        video,
        in_person: match (latitude, longitude, radius_km) {
            (Some(latitude), Some(longitude), Some(radius_km)) => Some(InPersonAreaSpec {
                latitude,
                longitude,
                radius_km,
            }),
            _ => None,
        },
    }
}

pub(crate) fn availability_from_text(
    column: &str,
    hex: &str,
) -> Result<AvailabilityView, StoreError> {
    WeeklyAvailability::from_hex(hex)
        .map(|week| week.to_view())
        .ok_or_else(|| StoreError::Corrupt(format!("{column}: not an availability")))
}

impl SponsorProfileRecord {
    fn from_rows(row: SponsorRow, contact: Option<ContactRow>) -> Result<Self, StoreError> {
        Ok(Self {
            sponsor_id: row.user_id,
            program_id: row.program_id,
            alias: row.alias,
            fellowships: from_json("sponsor_profiles.fellowships", &row.fellowships)?,
            sobriety_date: row.sobriety_date,
            gender: row.gender,
            sponsors: from_json("sponsor_profiles.sponsors_genders", &row.sponsors_genders)?,
            age_band: row.age_band,
            languages: from_json("sponsor_profiles.languages", &row.languages)?,
            time_zone: row.time_zone,
            availability: availability_from_text(
                "sponsor_profiles.availability",
                &row.availability,
            )?,
            meeting: meeting_spec(
                row.meets_by_phone,
                row.meets_by_video,
                row.in_person_latitude,
                row.in_person_longitude,
                row.in_person_radius_km,
            ),
            capacity: row.capacity,
            attributes: from_json("sponsor_profiles.attributes", &row.attributes)?,
            status: row.status,
            contact: contact.map(|c| ContactSpec {
                email: c.email,
                phone: c.phone,
            }),
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        })
    }
}

/// The sponsor's own profile, with contact details.
pub fn get_own_profile(
    conn: &mut AnyConnection,
    sponsor: UserId,
) -> Result<SponsorProfileRecord, StoreError> {
    let row = sponsor_profiles::table
        .find(sponsor)
        .select(SponsorRow::as_select())
        .first(conn)?;
    let contact = sponsor_contacts::table
        .find(sponsor)
        .select(ContactRow::as_select())
        .first(conn)
        .optional()?;
    SponsorProfileRecord::from_rows(row, contact)
}

/// A sponsor of the program, as its staff see them; an audited read (sponsors are in
/// recovery too).
pub fn get_for_program(
    conn: &mut AnyConnection,
    actor: &Actor,
    sponsor: UserId,
) -> Result<SponsorProfileRecord, StoreError> {
    let record = get_own_profile(conn, sponsor)?;
    if record.program_id != actor.principal.program_id() {
        return Err(StoreError::NotFound);
    }
    audit::record(
        conn,
        actor,
        "sponsor_profile.read",
        RecordKind::SponsorProfile,
        &sponsor.to_string(),
    )?;
    Ok(record)
}

/// A page of the program's sponsors; each one shown is an audited read.
pub fn list_for_program(
    conn: &mut AnyConnection,
    actor: &Actor,
    page: PageRequest,
) -> Result<Vec<SponsorProfileRecord>, StoreError> {
    let mut query = sponsor_profiles::table
        .left_join(sponsor_contacts::table)
        .filter(sponsor_profiles::program_id.eq(actor.principal.program_id()))
        .select((SponsorRow::as_select(), Option::<ContactRow>::as_select()))
        .order(sponsor_profiles::user_id.asc())
        .limit(page.limit)
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(sponsor_profiles::user_id.gt(UserId::from(after)));
    }
    let rows = query.load::<(SponsorRow, Option<ContactRow>)>(conn)?;
    // The row past the page only tells whether another page follows: nobody sees it.
    let shown = usize::try_from(page.limit - 1).unwrap_or_default();
    let mut records = Vec::with_capacity(rows.len());
    for (index, (row, contact)) in rows.into_iter().enumerate() {
        if index < shown {
            let action = "sponsor_profile.list";
            audit::record(
                conn,
                actor,
                action,
                RecordKind::SponsorProfile,
                &row.user_id.to_string(),
            )?;
        }
        records.push(SponsorProfileRecord::from_rows(row, contact)?);
    }
    Ok(records)
}

/// Creates the profile, or replaces it if `expected_version` names the current one.
pub fn save_profile(
    conn: &mut AnyConnection,
    actor: &Actor,
    sponsor: UserId,
    profile: &SponsorProfile,
    contact: &ContactDetails,
    expected_version: Option<i32>,
) -> Result<SponsorProfileRecord, StoreError> {
    let current = sponsor_profiles::table
        .find(sponsor)
        .select((sponsor_profiles::version, sponsor_profiles::created_at))
        .first::<(i32, NaiveDateTime)>(conn)
        .optional()?;
    let at = now();
    let (version, created_at) = match (current, expected_version) {
        (None, None) => (1, at),
        (None, Some(_)) => return Err(StoreError::NotFound),
        (Some((current, _)), None) => return Err(StoreError::VersionRequired { current }),
        (Some((current, _)), Some(expected)) if current != expected => {
            return Err(StoreError::VersionMismatch { current });
        }
        (Some((current, created_at)), Some(_)) => (current + 1, created_at),
    };
    let area = profile.meeting.in_person;
    let row = SponsorRow {
        user_id: sponsor,
        program_id: actor.principal.program_id(),
        alias: profile.alias.as_str().to_owned(),
        fellowships: to_json(&profile.fellowships)?,
        sobriety_date: profile.sobriety_date.date(),
        gender: profile.gender,
        sponsors_genders: to_json(&profile.sponsors)?,
        age_band: profile.age_band,
        languages: to_json(&profile.languages)?,
        time_zone: profile.time_zone.name().to_owned(),
        availability: profile.availability.to_hex(),
        meets_by_phone: profile.meeting.phone,
        meets_by_video: profile.meeting.video,
        in_person_latitude: area.map(|a| a.center.latitude),
        in_person_longitude: area.map(|a| a.center.longitude),
        in_person_radius_km: area.map(|a| a.radius_km),
        capacity: i32::from(profile.capacity.get()),
        attributes: to_json(&profile.attributes)?,
        status: profile.status,
        version,
        created_at,
        updated_at: at,
    };
    let contact_row = ContactRow {
        user_id: sponsor,
        email: contact.email.as_ref().map(|e| e.as_str().to_owned()),
        phone: contact.phone.as_ref().map(|p| p.as_str().to_owned()),
    };
    if version == 1 {
        diesel::insert_into(sponsor_profiles::table)
            .values(&row)
            .execute(conn)?;
        diesel::insert_into(sponsor_contacts::table)
            .values(&contact_row)
            .execute(conn)?;
    } else {
        // The version condition makes a concurrent writer that read the same version lose.
        let updated = diesel::update(sponsor_profiles::table.find(sponsor))
            .filter(sponsor_profiles::version.eq(version - 1))
            .set(&row)
            .execute(conn)?;
        if updated == 0 {
            return Err(StoreError::VersionMismatch { current: version });
        }
        diesel::update(sponsor_contacts::table.find(sponsor))
            .set(&contact_row)
            .execute(conn)?;
    }
    super::matching::record_sponsor_change(conn, sponsor)?;
    let action = if version == 1 {
        "sponsor_profile.create"
    } else {
        "sponsor_profile.update"
    };
    audit::record(
        conn,
        actor,
        action,
        RecordKind::SponsorProfile,
        &sponsor.to_string(),
    )?;
    get_own_profile(conn, sponsor)
}

/// Pauses or resumes the sponsor, whatever version of the profile is current: the
/// sponsor's wish to take a break (or come back) holds over any edit made meanwhile.
pub fn set_status(
    conn: &mut AnyConnection,
    actor: &Actor,
    sponsor: UserId,
    status: SponsorStatus,
) -> Result<SponsorProfileRecord, StoreError> {
    let updated = diesel::update(sponsor_profiles::table.find(sponsor))
        .set((
            sponsor_profiles::status.eq(status),
            sponsor_profiles::version.eq(sponsor_profiles::version + 1),
            sponsor_profiles::updated_at.eq(now()),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(StoreError::NotFound);
    }
    super::matching::record_sponsor_change(conn, sponsor)?;
    audit::record(
        conn,
        actor,
        "sponsor_profile.update",
        RecordKind::SponsorProfile,
        &sponsor.to_string(),
    )?;
    get_own_profile(conn, sponsor)
}
