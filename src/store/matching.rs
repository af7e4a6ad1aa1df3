//! What matching reads from the database: policies, the sponsor pool as compact facts,
//! a seeker's facts, and the change log instances follow to keep their indexes current.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::connection::DefaultLoadingMode;
use diesel::prelude::*;

use super::audit::{self, Actor, RecordKind};
use super::schema::{
    matches, matching_policies, seekers, sponsor_changes, sponsor_profiles, users,
};
use super::{AnyConnection, StoreError, from_json, now};
use crate::auth::UserStatus;
use crate::domain::ids::{ProgramId, SeekerId, UserId};
use crate::domain::lifecycle::MatchState;
use crate::domain::seeker::SoftPreferences;
use crate::domain::sponsor::SponsorStatus;
use crate::domain::values::{
    AgeBand, Attribute, Fellowship, Gender, GenderRule, LanguageCode, TimeZone, WeeklyAvailability,
};
use crate::matching::facts::{
    Area, Preferences, SeekerFacts, SponsorFacts, accepted_genders, attribute_bit, bits,
    day_number, fellowship_bit, modes,
};
use crate::matching::hours::ZoneCache;
use crate::matching::policy::{LifecycleRules, MatchingPolicy, Weights};
use crate::matching::score::Query;

#[derive(Debug, Clone)]
pub struct PolicyRecord {
    pub policy: MatchingPolicy,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

type PolicyRow = (
    (i32, i32, f64, f64, f64, f64, f64),
    (bool, i32, i32, bool),
    i32,
    NaiveDateTime,
);

pub fn get_policy(
    conn: &mut AnyConnection,
    program: ProgramId,
) -> Result<PolicyRecord, StoreError> {
    let ((min, half, s, a, p, d, l), (review, answer, urgent, advance), version, updated_at) =
        matching_policies::table
            .find(program)
            .select((
                (
                    matching_policies::min_sobriety_days,
                    matching_policies::sobriety_half_life_days,
                    matching_policies::weight_sobriety,
                    matching_policies::weight_availability,
                    matching_policies::weight_preferences,
                    matching_policies::weight_distance,
                    matching_policies::weight_load,
                ),
                (
                    matching_policies::review_required,
                    matching_policies::answer_within_hours,
                    matching_policies::urgent_answer_within_hours,
                    matching_policies::auto_advance,
                ),
                matching_policies::version,
                matching_policies::updated_at,
            ))
            .first::<PolicyRow>(conn)?;
    let hours = |h: i32| u32::try_from(h).unwrap_or(1);
    Ok(PolicyRecord {
        policy: MatchingPolicy {
            min_sobriety_days: u32::try_from(min).unwrap_or_default(),
            sobriety_half_life_days: u32::try_from(half).unwrap_or(1),
            weights: Weights {
                sobriety: s,
                availability: a,
                preferences: p,
                distance: d,
                load: l,
            },
            lifecycle: LifecycleRules {
                review_required: review,
                answer_within_hours: hours(answer),
                urgent_answer_within_hours: hours(urgent),
                auto_advance: advance,
            },
        },
        version,
        updated_at: updated_at.and_utc(),
    })
}

type PolicyValues = (
    diesel::dsl::Eq<matching_policies::min_sobriety_days, i32>,
    diesel::dsl::Eq<matching_policies::sobriety_half_life_days, i32>,
    diesel::dsl::Eq<matching_policies::weight_sobriety, f64>,
    diesel::dsl::Eq<matching_policies::weight_availability, f64>,
    diesel::dsl::Eq<matching_policies::weight_preferences, f64>,
    diesel::dsl::Eq<matching_policies::weight_distance, f64>,
    diesel::dsl::Eq<matching_policies::weight_load, f64>,
    diesel::dsl::Eq<matching_policies::updated_at, NaiveDateTime>,
    diesel::dsl::Eq<matching_policies::review_required, bool>,
    diesel::dsl::Eq<matching_policies::answer_within_hours, i32>,
    diesel::dsl::Eq<matching_policies::urgent_answer_within_hours, i32>,
    diesel::dsl::Eq<matching_policies::auto_advance, bool>,
);

fn policy_values(policy: &MatchingPolicy) -> PolicyValues {
    let int = |d: u32| i32::try_from(d).unwrap_or(i32::MAX);
    (
        matching_policies::min_sobriety_days.eq(int(policy.min_sobriety_days)),
        matching_policies::sobriety_half_life_days.eq(int(policy.sobriety_half_life_days)),
        matching_policies::weight_sobriety.eq(policy.weights.sobriety),
        matching_policies::weight_availability.eq(policy.weights.availability),
        matching_policies::weight_preferences.eq(policy.weights.preferences),
        matching_policies::weight_distance.eq(policy.weights.distance),
        matching_policies::weight_load.eq(policy.weights.load),
        matching_policies::updated_at.eq(now()),
        matching_policies::review_required.eq(policy.lifecycle.review_required),
        matching_policies::answer_within_hours.eq(int(policy.lifecycle.answer_within_hours)),
        matching_policies::urgent_answer_within_hours
            .eq(int(policy.lifecycle.urgent_answer_within_hours)),
        matching_policies::auto_advance.eq(policy.lifecycle.auto_advance),
    )
}

/// A new program's first policy, version 1.
pub(crate) fn insert_policy(
    conn: &mut AnyConnection,
    program: ProgramId,
    policy: &MatchingPolicy,
) -> Result<(), StoreError> {
    diesel::insert_into(matching_policies::table)
        .values((
            matching_policies::program_id.eq(program),
            policy_values(policy),
            matching_policies::version.eq(1),
        ))
        .execute(conn)?;
    Ok(())
}

/// Creates a program's policy (version 1) or replaces it at `expected_version`.
pub fn save_policy(
    conn: &mut AnyConnection,
    actor: &Actor,
    policy: &MatchingPolicy,
    expected_version: Option<i32>,
) -> Result<PolicyRecord, StoreError> {
    let program = actor.principal.program_id();
    let current = matching_policies::table
        .find(program)
        .select(matching_policies::version)
        .first::<i32>(conn)
        .optional()?;
    match (current, expected_version) {
        (None, _) => insert_policy(conn, program, policy)?,
        (Some(current), None) => return Err(StoreError::VersionRequired { current }),
        (Some(current), Some(expected)) if current != expected => {
            return Err(StoreError::VersionMismatch { current });
        }
        (Some(current), Some(_)) => {
            let updated = diesel::update(matching_policies::table.find(program))
                .filter(matching_policies::version.eq(current))
                .set((
                    policy_values(policy),
                    matching_policies::version.eq(current + 1),
                ))
                .execute(conn)?;
            if updated == 0 {
                return Err(StoreError::VersionMismatch {
                    current: current + 1,
                });
            }
        }
    }
    let program_id = program.to_string();
    audit::record(
        conn,
        actor,
        "matching_policy.update",
        RecordKind::MatchingPolicy,
        &program_id,
    )?;
    get_policy(conn, program)
}

/// Notes that a sponsor's matching facts changed, in the changing transaction.
pub fn record_sponsor_change(conn: &mut AnyConnection, sponsor: UserId) -> Result<(), StoreError> {
    diesel::insert_into(sponsor_changes::table)
        .values((
            sponsor_changes::sponsor_id.eq(sponsor),
            sponsor_changes::changed_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// How far back each look at the change log reaches regardless of sequence numbers.
pub const CHANGE_WINDOW: chrono::TimeDelta = chrono::TimeDelta::seconds(10);

/// The newest change's sequence number (0 when none).
pub fn latest_change(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    Ok(sponsor_changes::table
        .select(diesel::dsl::max(sponsor_changes::seq))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}

/// Change-log entries (sequence number, sponsor) after `seq` or within the last
/// [`CHANGE_WINDOW`]. The window catches changes whose transactions committed out of
/// sequence order (PostgreSQL hands out numbers before commit); re-applying a change is
/// harmless, and the pool skips entries it has applied.
pub fn changes_since(conn: &mut AnyConnection, seq: i64) -> Result<Vec<(i64, UserId)>, StoreError> {
    let window_start = now() - CHANGE_WINDOW;
    let columns = (sponsor_changes::seq, sponsor_changes::sponsor_id);
    // Two indexed reads rather than one with OR, which would scan the whole log.
    let mut rows = sponsor_changes::table
        .filter(sponsor_changes::seq.gt(seq))
        .order(sponsor_changes::seq.asc())
        .select(columns)
        .limit(10_000)
        .load::<(i64, UserId)>(conn)?;
    rows.extend(
        sponsor_changes::table
            .filter(sponsor_changes::changed_at.gt(window_start))
            .filter(sponsor_changes::seq.le(seq))
            .select(columns)
            .load::<(i64, UserId)>(conn)?,
    );
    Ok(rows)
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = sponsor_profiles)]
struct SponsorMatchRow {
    user_id: UserId,
    alias: String,
    fellowships: String,
    sobriety_date: chrono::NaiveDate,
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
    #[diesel(select_expression = users::status)]
    account_status: UserStatus,
}

fn corrupt(column: &str) -> StoreError {
    StoreError::Corrupt(format!("sponsor_profiles.{column}"))
}

fn area(lat: Option<f64>, lon: Option<f64>, radius: Option<f64>) -> Option<Area> {
    match (lat, lon, radius) {
        (Some(lat), Some(lon), Some(radius)) => Some(Area::new(lat, lon, radius)),
        _ => None,
    }
}

fn languages(column: &str, text: &str) -> Result<Vec<LanguageCode>, StoreError> {
    from_json::<Vec<String>>(column, text)?
        .into_iter()
        .map(|code| LanguageCode::parse(code).map_err(|_| corrupt("languages")))
        .collect()
}

/// Decodes the text columns that repeat across sponsors (fellowships, attributes,
/// languages, rules, zones) once per distinct value: building the index from a million
/// rows is then dominated by reading them, not by parsing JSON.
#[derive(Default)]
struct Decoder {
    fellowships: HashMap<String, u16>,
    attributes: HashMap<String, u8>,
    languages: HashMap<String, Vec<LanguageCode>>,
    accepts: HashMap<Gender, HashMap<String, u8>>,
    zones: HashMap<String, TimeZone>,
}

fn memo<V: Clone>(
    cache: &mut HashMap<String, V>,
    text: &str,
    decode: impl FnOnce(&str) -> Result<V, StoreError>,
) -> Result<V, StoreError> {
    if let Some(value) = cache.get(text) {
        return Ok(value.clone());
    }
    let value = decode(text)?;
    cache.insert(text.to_owned(), value.clone());
    Ok(value)
}

impl SponsorMatchRow {
    fn facts(
        self,
        zones: &mut ZoneCache,
        decoder: &mut Decoder,
    ) -> Result<(SponsorFacts, String), StoreError> {
        let gender = self.gender;
        let by_gender = decoder.accepts.entry(gender).or_default();
        let accepts = memo(by_gender, &self.sponsors_genders, |text| {
            let rule: GenderRule = from_json("sponsor_profiles.sponsors_genders", text)?;
            Ok(accepted_genders(&rule, gender))
        })?;
        let fellowships = memo(&mut decoder.fellowships, &self.fellowships, |text| {
            let list: Vec<Fellowship> = from_json("sponsor_profiles.fellowships", text)?;
            Ok(bits(&list, fellowship_bit))
        })?;
        let attributes = memo(&mut decoder.attributes, &self.attributes, |text| {
            let list: Vec<Attribute> = from_json("sponsor_profiles.attributes", text)?;
            Ok(bits(&list, attribute_bit))
        })?;
        let languages = memo(&mut decoder.languages, &self.languages, |text| {
            languages("sponsor_profiles.languages", text)
        })?;
        let zone = memo(&mut decoder.zones, &self.time_zone, |text| {
            TimeZone::parse(text.to_owned()).map_err(|_| corrupt("time_zone"))
        })?;
        let week = WeeklyAvailability::from_hex(&self.availability)
            .ok_or_else(|| corrupt("availability"))?;
        let area = area(
            self.in_person_latitude,
            self.in_person_longitude,
            self.in_person_radius_km,
        );
        let facts = SponsorFacts {
            id: self.user_id.as_uuid(),
            // A paused profile or a disabled account is out of matching.
            active: self.status == SponsorStatus::Active
                && self.account_status == UserStatus::Active,
            fellowships,
            languages,
            gender,
            accepts,
            age_band: self.age_band,
            attributes,
            modes: modes(self.meets_by_phone, self.meets_by_video, area.is_some()),
            area,
            sober_since: day_number(self.sobriety_date),
            capacity: u8::try_from(self.capacity).map_err(|_| corrupt("capacity"))?,
            // Filled in from the matches by `sponsor_facts`.
            load: 0,
            hours: zones.to_utc(zone.tz(), &week),
        };
        Ok((facts, self.alias))
    }
}

/// The sponsor pool as matching sees it, every sponsor or just the ones named, each with
/// the alias candidate lists show.
pub fn sponsor_facts(
    conn: &mut AnyConnection,
    only: Option<&[UserId]>,
    zones: &mut ZoneCache,
) -> Result<Vec<(SponsorFacts, String)>, StoreError> {
    let mut decoder = Decoder::default();
    let mut query = sponsor_profiles::table
        .inner_join(users::table)
        .select(SponsorMatchRow::as_select())
        .into_boxed();
    if let Some(ids) = only {
        query = query.filter(sponsor_profiles::user_id.eq_any(ids.to_vec()));
    }
    // Row by row: a million rows of text never sit in memory at once.
    let mut facts = query
        .load_iter::<SponsorMatchRow, DefaultLoadingMode>(conn)?
        .map(|row| row?.facts(zones, &mut decoder))
        .collect::<Result<Vec<(SponsorFacts, String)>, StoreError>>()?;
    let held: HashMap<uuid::Uuid, i64> = held_slots(conn, only)?
        .into_iter()
        .map(|(id, count)| (id.as_uuid(), count))
        .collect();
    if !held.is_empty() {
        for (sponsor, _) in &mut facts {
            if let Some(count) = held.get(&sponsor.id) {
                sponsor.load = u8::try_from(*count).unwrap_or(u8::MAX);
            }
        }
    }
    Ok(facts)
}

/// The columns of a seeker that matching reads.
#[derive(Queryable, Selectable)]
#[diesel(table_name = seekers)]
pub(crate) struct SeekerFactsRow {
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
}

impl SeekerFactsRow {
    pub(crate) fn facts(self, zones: &mut ZoneCache) -> Result<SeekerFacts, StoreError> {
        let bad = |column: &str| StoreError::Corrupt(format!("seekers.{column}"));
        let gender = self.gender;
        let rule: GenderRule = from_json("seekers.gender_preference", &self.gender_preference)?;
        let fellowships: Vec<Fellowship> = from_json("seekers.fellowships", &self.fellowships)?;
        let needs: Vec<Attribute> = from_json("seekers.needs", &self.needs)?;
        let preferences: SoftPreferences = from_json("seekers.preferences", &self.preferences)?;
        let zone = TimeZone::parse(self.time_zone).map_err(|_| bad("time_zone"))?;
        let week =
            WeeklyAvailability::from_hex(&self.availability).ok_or_else(|| bad("availability"))?;
        let area = area(
            self.in_person_latitude,
            self.in_person_longitude,
            self.in_person_radius_km,
        );
        Ok(SeekerFacts {
            fellowships: bits(&fellowships, fellowship_bit),
            languages: languages("seekers.languages", &self.languages)?,
            gender,
            accepts: accepted_genders(&rule, gender),
            needs: bits(&needs, attribute_bit),
            modes: modes(self.meets_by_phone, self.meets_by_video, area.is_some()),
            area,
            hours: zones.to_utc(zone.tz(), &week),
            preferences: Preferences::of(&preferences),
        })
    }
}

/// A seeker of the program as matching sees them.
pub fn seeker_facts(
    conn: &mut AnyConnection,
    program: ProgramId,
    seeker: SeekerId,
    zones: &mut ZoneCache,
) -> Result<SeekerFacts, StoreError> {
    seekers::table
        .find(seeker)
        .filter(seekers::program_id.eq(program))
        .select(SeekerFactsRow::as_select())
        .first(conn)?
        .facts(zones)
}

/// What ranking a seeker needs from the database, read in one place for every search
/// (candidates, one candidate, proposals, auto-advance): the seeker's facts, the
/// program's policy and the sponsors the seeker may not be offered again.
pub struct Search {
    pub seeker: SeekerFacts,
    pub policy: PolicyRecord,
    /// Sorted.
    pub barred: Vec<uuid::Uuid>,
}

impl Search {
    pub fn load(
        conn: &mut AnyConnection,
        program: ProgramId,
        seeker: SeekerId,
        zones: &mut ZoneCache,
    ) -> Result<Self, StoreError> {
        Ok(Search {
            seeker: seeker_facts(conn, program, seeker, zones)?,
            policy: get_policy(conn, program)?,
            barred: barred_sponsors(conn, seeker)?,
        })
    }

    /// The query on `today` (the UTC date, as sobriety is counted).
    pub fn query(&self, today: chrono::NaiveDate) -> Query<'_> {
        query(&self.seeker, &self.policy, &self.barred, today)
    }
}

/// A seeker's search under their program's policy on `today`, `barred` sorted: the one
/// place a [`Query`] is put together.
pub fn query<'a>(
    seeker: &'a SeekerFacts,
    policy: &'a PolicyRecord,
    barred: &'a [uuid::Uuid],
    today: chrono::NaiveDate,
) -> Query<'a> {
    Query {
        seeker,
        policy: &policy.policy,
        today: day_number(today),
        excluded: barred,
    }
}

/// The match states that pass `test`, from the lifecycle's own rules.
pub fn states_where(test: fn(MatchState) -> bool) -> Vec<MatchState> {
    MatchState::ALL
        .iter()
        .copied()
        .filter(|state| test(*state))
        .collect()
}

/// Sponsors this seeker may not be offered again, sorted.
pub fn barred_sponsors(
    conn: &mut AnyConnection,
    seeker: SeekerId,
) -> Result<Vec<uuid::Uuid>, StoreError> {
    let mut ids = matches::table
        .filter(matches::seeker_id.eq(seeker))
        .filter(matches::state.eq_any(states_where(MatchState::bars_pair)))
        .select(matches::sponsor_id)
        .load::<UserId>(conn)?
        .iter()
        .map(UserId::as_uuid)
        .collect::<Vec<uuid::Uuid>>();
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// Slots held per sponsor (all sponsors, or those named), for the rank index's load.
pub fn held_slots(
    conn: &mut AnyConnection,
    only: Option<&[UserId]>,
) -> Result<Vec<(UserId, i64)>, StoreError> {
    let mut query = matches::table
        .filter(matches::state.eq_any(states_where(MatchState::holds_slot)))
        .group_by(matches::sponsor_id)
        .select((matches::sponsor_id, diesel::dsl::count_star()))
        .into_boxed();
    if let Some(ids) = only {
        query = query.filter(matches::sponsor_id.eq_any(ids.to_vec()));
    }
    Ok(query.load::<(UserId, i64)>(conn)?)
}
