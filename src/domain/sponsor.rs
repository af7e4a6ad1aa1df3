//! A sponsor's profile: what matching reads, apart from how to reach them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::FieldErrors;
use super::values::{
    AgeBand, Alias, Attribute, AvailabilityInput, Capacity, ContactDetails, ContactSpec,
    Fellowship, Gender, GenderRule, LanguageCode, Meeting, MeetingSpec, SobrietyDate, TimeZone,
    WeeklyAvailability, parse_attributes, parse_fellowships, parse_languages,
};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[strum(serialize_all = "snake_case")]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum SponsorStatus {
    /// Open to new sponsees.
    Active,
    /// Taking a break: never proposed while paused.
    Paused,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SponsorProfile {
    pub alias: Alias,
    pub fellowships: Vec<Fellowship>,
    pub sobriety_date: SobrietyDate,
    pub gender: Gender,
    pub sponsors: GenderRule,
    pub age_band: Option<AgeBand>,
    pub languages: Vec<LanguageCode>,
    pub time_zone: TimeZone,
    pub availability: WeeklyAvailability,
    pub meeting: Meeting,
    pub capacity: Capacity,
    pub attributes: Vec<Attribute>,
    pub status: SponsorStatus,
}

/// The body a sponsor sends to create or replace their profile. Serialized, it is also
/// how a roster import keeps a profile until the sponsor accepts their invite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SponsorProfileInput {
    /// First name or alias shown to seekers before an introduction, 1-60 characters.
    #[schema(schema_with = crate::domain::values::text_schema::<60>)]
    pub alias: String,
    /// At least one.
    #[schema(min_items = 1)]
    pub fellowships: Vec<Fellowship>,
    /// First day of continuous sobriety; not in the future.
    #[serde(deserialize_with = "crate::domain::values::date")]
    #[schema(schema_with = crate::domain::values::SobrietyDate::schema)]
    pub sobriety_date: NaiveDate,
    pub gender: Gender,
    /// Whom they sponsor; same gender unless said otherwise.
    #[serde(default)]
    pub sponsors: GenderRule,
    #[serde(default)]
    pub age_band: Option<AgeBand>,
    /// ISO 639-1 codes, at least one.
    #[schema(schema_with = crate::domain::values::languages_schema)]
    pub languages: Vec<String>,
    /// IANA time zone the availability is written in.
    #[schema(schema_with = crate::domain::values::TimeZone::schema)]
    pub time_zone: String,
    /// Free hours (0-23) per weekday, in `time_zone`.
    #[schema(schema_with = crate::domain::values::availability_schema, example = json!({"mon": [18, 19], "sat": [9, 10, 11]}))]
    #[serde(deserialize_with = "crate::domain::values::unique_days")]
    pub availability: AvailabilityInput,
    pub meeting: MeetingSpec,
    /// Sponsees at once, 1 up to the program's maximum (which is at most 50).
    #[schema(minimum = 1, maximum = 50)]
    pub capacity: u32,
    #[serde(default)]
    pub attributes: Vec<Attribute>,
    #[serde(default = "active")]
    pub status: SponsorStatus,
    /// How to reach them after an introduction; never shown before.
    pub contact: ContactSpec,
}

fn active() -> SponsorStatus {
    SponsorStatus::Active
}

impl SponsorProfile {
    pub fn parse(
        input: SponsorProfileInput,
        today: NaiveDate,
        max_capacity: u8,
    ) -> Result<(Self, ContactDetails), FieldErrors> {
        let mut errors = FieldErrors::default();
        let alias = errors.take("alias", Alias::parse(input.alias));
        let fellowships = errors.take("fellowships", parse_fellowships(input.fellowships));
        let sobriety_date = errors.take(
            "sobriety_date",
            SobrietyDate::parse(input.sobriety_date, today),
        );
        let sponsors = errors.take("sponsors", GenderRule::parse(input.sponsors));
        let languages = errors.take_all("languages", parse_languages(input.languages));
        let time_zone = errors.take("time_zone", TimeZone::parse(input.time_zone));
        let availability = errors.take_all(
            "availability",
            WeeklyAvailability::parse(input.availability),
        );
        let meeting = errors.take_all("meeting", Meeting::parse(input.meeting));
        let capacity = errors.take("capacity", Capacity::parse(input.capacity, max_capacity));
        let contact = errors.take_all("contact", ContactDetails::parse(input.contact));
        match (
            alias,
            fellowships,
            sobriety_date,
            sponsors,
            languages,
            time_zone,
            availability,
            meeting,
            capacity,
            contact,
        ) {
            (
                Some(alias),
                Some(fellowships),
                Some(sobriety_date),
                Some(sponsors),
                Some(languages),
                Some(time_zone),
                Some(availability),
                Some(meeting),
                Some(capacity),
                Some(contact),
            ) if errors.is_empty() => Ok((
                Self {
                    alias,
                    fellowships,
                    sobriety_date,
                    gender: input.gender,
                    sponsors,
                    age_band: input.age_band,
                    languages,
                    time_zone,
                    availability,
                    meeting,
                    capacity,
                    attributes: parse_attributes(input.attributes),
                    status: input.status,
                },
                contact,
            )),
            _ => Err(errors),
        }
    }
}
