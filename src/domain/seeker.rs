//! A seeker: someone new to recovery whom a program wants to pair with a sponsor.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{FieldError, FieldErrors};
use super::values::{
    AgeBand, Alias, Attribute, AvailabilityInput, ContactDetails, ContactSpec, Fellowship, Gender,
    GenderRule, LAST_DATE, LanguageCode, Meeting, MeetingMode, MeetingSpec, Notes, TimeZone,
    WeeklyAvailability, date_schema, or_null, parse_attributes, parse_fellowships, parse_languages,
};

/// Nice-to-haves that raise a sponsor's score but never exclude one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SoftPreferences {
    #[serde(default)]
    pub attributes: Vec<Attribute>,
    #[serde(default)]
    pub age_bands: Vec<AgeBand>,
    #[serde(default)]
    pub meeting_modes: Vec<MeetingMode>,
}

impl SoftPreferences {
    fn normalized(mut self) -> Self {
        self.attributes = parse_attributes(self.attributes);
        self.age_bands.sort();
        self.age_bands.dedup();
        self.meeting_modes.sort();
        self.meeting_modes.dedup();
        self
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SeekerProfile {
    pub alias: Alias,
    pub fellowships: Vec<Fellowship>,
    pub gender: Gender,
    pub gender_preference: GenderRule,
    pub languages: Vec<LanguageCode>,
    pub time_zone: TimeZone,
    pub availability: WeeklyAvailability,
    pub meeting: Meeting,
    /// Hard requirements: a sponsor must offer every one.
    pub needs: Vec<Attribute>,
    pub preferences: SoftPreferences,
    /// When they leave treatment; a near date makes the request urgent.
    pub discharge_date: Option<NaiveDate>,
    /// The program's own notes; never shown to sponsors.
    pub internal_notes: Option<Notes>,
}

/// The body a portal or case manager sends to create or replace a seeker.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeekerProfileInput {
    /// First name or alias, 1-60 characters.
    #[schema(schema_with = crate::domain::values::text_schema::<60>)]
    pub alias: String,
    /// Fellowships the seeker wants a sponsor from; at least one.
    #[schema(min_items = 1)]
    pub fellowships: Vec<Fellowship>,
    pub gender: Gender,
    /// Whom they want as a sponsor; same gender unless said otherwise.
    #[serde(default)]
    pub gender_preference: GenderRule,
    /// ISO 639-1 codes, at least one.
    #[schema(schema_with = crate::domain::values::languages_schema)]
    pub languages: Vec<String>,
    /// IANA time zone.
    #[schema(schema_with = crate::domain::values::TimeZone::schema)]
    pub time_zone: String,
    /// Hours (0-23) per weekday, in `time_zone`, when they could talk or meet.
    #[schema(schema_with = crate::domain::values::availability_schema, example = json!({"tue": [19, 20], "sun": [10, 11]}))]
    #[serde(deserialize_with = "crate::domain::values::unique_days")]
    pub availability: AvailabilityInput,
    pub meeting: MeetingSpec,
    #[serde(default)]
    pub needs: Vec<Attribute>,
    #[serde(default)]
    pub preferences: SoftPreferences,
    /// YYYY-MM-DD, not more than a year (365 days) before today (UTC).
    #[serde(default, deserialize_with = "crate::domain::values::optional_date")]
    #[schema(schema_with = discharge_date_schema)]
    pub discharge_date: Option<NaiveDate>,
    /// Up to 4000 characters; visible to the program only.
    #[serde(default)]
    #[schema(schema_with = crate::domain::values::text_schema::<4000>)]
    pub internal_notes: Option<String>,
    pub contact: ContactSpec,
}

/// A discharge more than a year back is a typo, not an urgency signal.
fn earliest_discharge(today: NaiveDate) -> NaiveDate {
    today - chrono::Days::new(365)
}

/// The schema of a discharge date: `YYYY-MM-DD` from a year before today (UTC) on, or
/// null.
fn discharge_date_schema() -> utoipa::openapi::schema::Schema {
    let today = chrono::Utc::now().date_naive();
    or_null(date_schema(earliest_discharge(today), LAST_DATE).build())
}

impl SeekerProfile {
    pub fn parse(
        input: SeekerProfileInput,
        today: NaiveDate,
    ) -> Result<(Self, ContactDetails), FieldErrors> {
        let mut errors = FieldErrors::default();
        let alias = errors.take("alias", Alias::parse(input.alias));
        let fellowships = errors.take("fellowships", parse_fellowships(input.fellowships));
        let gender_preference = errors.take(
            "gender_preference",
            GenderRule::parse(input.gender_preference),
        );
        let languages = errors.take_all("languages", parse_languages(input.languages));
        let time_zone = errors.take("time_zone", TimeZone::parse(input.time_zone));
        let availability = errors.take_all(
            "availability",
            WeeklyAvailability::parse(input.availability),
        );
        let meeting = errors.take_all("meeting", Meeting::parse(input.meeting));
        let contact = errors.take_all("contact", ContactDetails::parse(input.contact));
        let internal_notes = match input.internal_notes {
            Some(notes) if !notes.trim().is_empty() => {
                errors.take("internal_notes", Notes::parse(notes)).map(Some)
            }
            _ => Some(None),
        };
        if let Some(date) = input.discharge_date
            && date < earliest_discharge(today)
        {
            errors.push(FieldError::new(
                "discharge_date",
                "too_early",
                "must be within the past year or in the future",
            ));
        }
        match (
            alias,
            fellowships,
            gender_preference,
            languages,
            time_zone,
            availability,
            meeting,
            contact,
            internal_notes,
        ) {
            (
                Some(alias),
                Some(fellowships),
                Some(gender_preference),
                Some(languages),
                Some(time_zone),
                Some(availability),
                Some(meeting),
                Some(contact),
                Some(internal_notes),
            ) if errors.is_empty() => Ok((
                Self {
                    alias,
                    fellowships,
                    gender: input.gender,
                    gender_preference,
                    languages,
                    time_zone,
                    availability,
                    meeting,
                    needs: parse_attributes(input.needs),
                    preferences: input.preferences.normalized(),
                    discharge_date: input.discharge_date,
                    internal_notes,
                },
                contact,
            )),
            _ => Err(errors),
        }
    }
}
