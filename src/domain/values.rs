//! Validated building blocks of profiles. Each type can only hold a valid value:
//! construct it with `parse`, which says precisely what is wrong otherwise.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime, Weekday};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{ValidateEmail, ValidateLength};

use super::error::{FieldError, FieldErrors, parse_list};

/// Refuses U+0000: no text the service takes may hold it. PostgreSQL cannot store it
/// in text (`invalid byte sequence for encoding "UTF8": 0x00`), and C code reading
/// the text would stop there.
pub fn refuse_nul(text: &str) -> Result<(), FieldError> {
    if text.contains('\0') {
        return Err(nul_refused(""));
    }
    Ok(())
}

/// A date written exactly as `YYYY-MM-DD`. chrono alone also takes `2015-3-1`,
/// `+2015-03-01` and ` 2015-03-01`, which the API documents as refused.
pub fn strict_date(text: &str) -> Option<NaiveDate> {
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(at, byte)| match at {
            4 | 7 => byte == b'-',
            _ => byte.is_ascii_digit(),
        });
    shaped
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
}

/// Reads a date of a JSON body as [`strict_date`] does.
pub fn date<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
    let text = String::deserialize(deserializer)?;
    strict_date(&text).ok_or_else(|| serde::de::Error::custom("must be a date as YYYY-MM-DD"))
}

/// [`date`], for an optional date (`null` or left out is none).
pub fn optional_date<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<NaiveDate>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        None => Ok(None),
        Some(text) => strict_date(&text)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom("must be a date as YYYY-MM-DD")),
    }
}

/// Writes a UTC time the database keeps without its zone as every time the API sends
/// is written: RFC 3339 with `Z` (`2026-12-04T13:55:32.625208996Z`).
pub fn utc<S: serde::Serializer>(at: &NaiveDateTime, serializer: S) -> Result<S::Ok, S::Error> {
    at.and_utc().serialize(serializer)
}

/// [`utc`], for an optional time.
pub fn optional_utc<S: serde::Serializer>(
    at: &Option<NaiveDateTime>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    at.map(|at| at.and_utc()).serialize(serializer)
}

/// The refusal of a NUL character at `field`.
pub fn nul_refused(field: &str) -> FieldError {
    FieldError::new(
        field,
        "invalid_character",
        "must not contain the NUL character (U+0000)",
    )
}

/// Trimmed text of 1..=MAX characters without NUL or other control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct BoundedText<const MAX: usize>(String);

impl<const MAX: usize> BoundedText<MAX> {
    pub fn parse(raw: String) -> Result<Self, FieldError> {
        refuse_nul(&raw)?;
        let text = raw.trim();
        if text.is_empty() {
            return Err(FieldError::new("", "empty", "must not be empty"));
        }
        if !text.validate_length(None, Some(MAX as u64), None) {
            return Err(FieldError::new(
                "",
                "too_long",
                format!("must be at most {MAX} characters"),
            ));
        }
        if text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(FieldError::new(
                "",
                "control_characters",
                "must not contain control characters",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The schema of text [`BoundedText::parse`] takes: 1 to `MAX` characters, not only
/// spaces, no control character but newline and tab; for the fields that hold one.
pub fn text_schema<const MAX: usize>() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .min_length(Some(1))
        .max_length(Some(MAX))
        .pattern(Some(
            "^[^\\x00-\\x08\\x0B-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B-\\x1F\\x7F-\\x9F]*$",
        ))
        .build()
}

/// A first name or alias, what sponsors and seekers know each other by before an introduction.
pub type Alias = BoundedText<60>;
/// A person's display name.
pub type PersonName = BoundedText<100>;
/// A short label, e.g. an API key's name.
pub type Label = BoundedText<100>;
/// Free text of paragraph length: a consent's purpose, revocation instructions.
pub type Statement = BoundedText<1000>;
/// A program's internal notes on a seeker.
pub type Notes = BoundedText<4000>;

/// An email address, trimmed and lower-cased so that it compares as people expect.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: String) -> Result<Self, FieldError> {
        refuse_nul(&raw)?;
        let email = raw.trim().to_lowercase();
        if email.len() > 254 || !email.validate_email() {
            return Err(FieldError::new(
                "",
                "invalid_email",
                "must be a valid email address",
            ));
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a program's webhooks go: HTTPS, or plain HTTP only to this machine (a portal
/// beside the service, or a test). No credentials in it: the signature authenticates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub fn parse(raw: String) -> Result<Self, FieldError> {
        let invalid = |message: &str| FieldError::new("", "invalid_url", message);
        if raw.len() > 2000 {
            return Err(FieldError::new("", "too_long", "at most 2000 characters"));
        }
        let url =
            reqwest::Url::parse(raw.trim()).map_err(|_| invalid("must be an absolute URL"))?;
        let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => return Err(invalid("must use https")),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("must not carry credentials"));
        }
        if url.fragment().is_some() {
            return Err(invalid("must not have a fragment"));
        }
        Ok(Self(url.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number in E.164 form: `+` and 8 to 15 digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(raw: String) -> Result<Self, FieldError> {
        let compact: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let digits = compact.strip_prefix('+').unwrap_or("");
        if !(8..=15).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(FieldError::new(
                "",
                "invalid_phone",
                "must be an international number such as +14155550123",
            ));
        }
        Ok(Self(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Mutual-aid fellowships and recovery programs a sponsorship can belong to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Fellowship {
    /// Alcoholics Anonymous
    Aa,
    /// Narcotics Anonymous
    Na,
    /// Cocaine Anonymous
    Ca,
    /// Crystal Meth Anonymous
    Cma,
    /// Marijuana Anonymous
    Ma,
    /// Heroin Anonymous
    Ha,
    /// SMART Recovery
    Smart,
    RefugeRecovery,
    RecoveryDharma,
    LifeRing,
    CelebrateRecovery,
}

impl Fellowship {
    pub const ALL: [Fellowship; 11] = [
        Fellowship::Aa,
        Fellowship::Na,
        Fellowship::Ca,
        Fellowship::Cma,
        Fellowship::Ma,
        Fellowship::Ha,
        Fellowship::Smart,
        Fellowship::RefugeRecovery,
        Fellowship::RecoveryDharma,
        Fellowship::LifeRing,
        Fellowship::CelebrateRecovery,
    ];
}

/// Sorted, de-duplicated, non-empty.
pub fn parse_fellowships(list: Vec<Fellowship>) -> Result<Vec<Fellowship>, FieldError> {
    non_empty_set(list, "at least one fellowship is required")
}

fn non_empty_set<T: Ord>(mut list: Vec<T>, message: &str) -> Result<Vec<T>, FieldError> {
    list.sort();
    list.dedup();
    if list.is_empty() {
        return Err(FieldError::new("", "empty", message));
    }
    Ok(list)
}

/// An ISO 639-1 language code, e.g. `en`, `es`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LanguageCode([u8; 2]);

impl LanguageCode {
    pub fn parse(raw: String) -> Result<Self, FieldError> {
        let code = raw.trim().to_ascii_lowercase();
        match (isolang::Language::from_639_1(&code), code.as_bytes()) {
            (Some(_), &[a, b]) => Ok(Self([a, b])),
            _ => Err(FieldError::new(
                "",
                "unknown_language",
                format!("`{code}` is not an ISO 639-1 language code"),
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII letters, checked by `parse`.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl Serialize for LanguageCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

pub fn parse_languages(list: Vec<String>) -> Result<Vec<LanguageCode>, FieldErrors> {
    let languages = parse_list(list, LanguageCode::parse)?;
    Ok(non_empty_set(
        languages,
        "at least one language is required",
    )?)
}

/// An IANA time zone, e.g. `America/Chicago`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub fn parse(raw: String) -> Result<Self, FieldError> {
        chrono_tz::Tz::from_str(raw.trim()).map(Self).map_err(|_| {
            FieldError::new(
                "",
                "unknown_time_zone",
                format!("`{raw}` is not an IANA time zone such as America/Chicago"),
            )
        })
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

impl Serialize for TimeZone {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Days of the week as written in requests.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Day {
    const ALL: [Day; 7] = [
        Day::Mon,
        Day::Tue,
        Day::Wed,
        Day::Thu,
        Day::Fri,
        Day::Sat,
        Day::Sun,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Day::Mon => "mon",
            Day::Tue => "tue",
            Day::Wed => "wed",
            Day::Thu => "thu",
            Day::Fri => "fri",
            Day::Sat => "sat",
            Day::Sun => "sun",
        }
    }

    pub fn weekday(self) -> Weekday {
        match self {
            Day::Mon => Weekday::Mon,
            Day::Tue => Weekday::Tue,
            Day::Wed => Weekday::Wed,
            Day::Thu => Weekday::Thu,
            Day::Fri => Weekday::Fri,
            Day::Sat => Weekday::Sat,
            Day::Sun => Weekday::Sun,
        }
    }
}

/// Availability as requests write it: hours of the day (0-23) per weekday (`mon` ...
/// `sun`), local time. Keys stay strings until parsed, so a bad day is named.
pub type AvailabilityInput = BTreeMap<String, Vec<u8>>;

/// Reads availability, refusing a day given twice rather than keeping one of them.
pub fn unique_days<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<AvailabilityInput, D::Error> {
    struct Days;
    impl<'de> serde::de::Visitor<'de> for Days {
        type Value = AvailabilityInput;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map of day to hours")
        }
        fn visit_map<M: serde::de::MapAccess<'de>>(
            self,
            mut map: M,
        ) -> Result<Self::Value, M::Error> {
            let mut days = AvailabilityInput::new();
            while let Some((day, hours)) = map.next_entry::<String, Vec<u8>>()? {
                if days.insert(day.clone(), hours).is_some() {
                    return Err(serde::de::Error::custom(format!("duplicate field `{day}`")));
                }
            }
            Ok(days)
        }
    }
    deserializer.deserialize_map(Days)
}

/// Availability as responses show it, days in week order.
pub type AvailabilityView = BTreeMap<Day, Vec<u8>>;

/// The hours of a week someone is free, in their own time zone: 168 bits, bit
/// `day * 24 + hour` with Monday 00:00 as bit 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WeeklyAvailability([u64; 3]);

impl WeeklyAvailability {
    pub const HOURS_PER_WEEK: usize = 168;

    pub fn parse(input: AvailabilityInput) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut week = Self::default();
        for (name, hours) in input {
            let Some(day) = Day::ALL.into_iter().find(|d| d.name() == name) else {
                errors.push(FieldError::new(
                    name,
                    "unknown_day",
                    "days are mon, tue, wed, thu, fri, sat, sun",
                ));
                continue;
            };
            for (index, hour) in hours.into_iter().enumerate() {
                if hour < 24 {
                    week.set(day.weekday().num_days_from_monday() as usize * 24 + hour as usize);
                } else {
                    errors.push(FieldError::new(
                        format!("{name}[{index}]"),
                        "out_of_range",
                        "hours are 0 to 23",
                    ));
                }
            }
        }
        if errors.is_empty() && week.hours() == 0 {
            errors.push(FieldError::new(
                "",
                "empty",
                "at least one hour is required",
            ));
        }
        if errors.is_empty() {
            Ok(week)
        } else {
            Err(errors)
        }
    }

    fn set(&mut self, slot: usize) {
        self.0[slot / 64] |= 1 << (slot % 64);
    }

    pub fn contains(&self, slot: usize) -> bool {
        slot < Self::HOURS_PER_WEEK && self.0[slot / 64] & (1 << (slot % 64)) != 0
    }

    pub fn hours(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }

    /// The 168 bits as three words, bit `slot % 64` of word `slot / 64`.
    pub fn words(&self) -> [u64; 3] {
        self.0
    }

    pub fn from_words(words: [u64; 3]) -> Self {
        // Bits past the 168th carry no hour.
        Self([words[0], words[1], words[2] & ((1 << 40) - 1)])
    }

    /// The form responses use.
    pub fn to_view(&self) -> AvailabilityView {
        let mut days = AvailabilityView::new();
        for (index, day) in Day::ALL.into_iter().enumerate() {
            let hours: Vec<u8> = (0..24u8)
                .filter(|hour| self.contains(index * 24 + *hour as usize))
                .collect();
            if !hours.is_empty() {
                days.insert(day, hours);
            }
        }
        days
    }

    /// 42 hex digits, the storage form.
    pub fn to_hex(&self) -> String {
        format!("{:010x}{:016x}{:016x}", self.0[2], self.0[1], self.0[0])
    }

    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 42 {
            return None;
        }
        let word = |range: std::ops::Range<usize>| u64::from_str_radix(hex.get(range)?, 16).ok();
        Some(Self([word(26..42)?, word(10..26)?, word(0..10)?]))
    }
}

/// A point on Earth.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GeoPoint {
    pub latitude: f64,
    pub longitude: f64,
}

/// Where someone can meet in person: around a point, within a radius.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct InPersonArea {
    #[serde(flatten)]
    pub center: GeoPoint,
    pub radius_km: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InPersonAreaSpec {
    /// Degrees, -90 to 90.
    pub latitude: f64,
    /// Degrees, -180 to 180.
    pub longitude: f64,
    /// Kilometres, 0.5 to 250.
    pub radius_km: f64,
}

impl InPersonArea {
    pub const MAX_RADIUS_KM: f64 = 250.0;

    pub fn parse(input: InPersonAreaSpec) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        if !(-90.0..=90.0).contains(&input.latitude) {
            errors.push(FieldError::new(
                "latitude",
                "out_of_range",
                "must be between -90 and 90",
            ));
        }
        if !(-180.0..=180.0).contains(&input.longitude) {
            errors.push(FieldError::new(
                "longitude",
                "out_of_range",
                "must be between -180 and 180",
            ));
        }
        if !(0.5..=Self::MAX_RADIUS_KM).contains(&input.radius_km) {
            errors.push(FieldError::new(
                "radius_km",
                "out_of_range",
                format!("must be between 0.5 and {}", Self::MAX_RADIUS_KM),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            center: GeoPoint {
                latitude: input.latitude,
                longitude: input.longitude,
            },
            radius_km: input.radius_km,
        })
    }
}

/// How someone can meet: at least one of phone, video, in person.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Meeting {
    pub phone: bool,
    pub video: bool,
    pub in_person: Option<InPersonArea>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingSpec {
    #[serde(default)]
    pub phone: bool,
    #[serde(default)]
    pub video: bool,
    /// Present when meeting in person is possible.
    #[serde(default)]
    pub in_person: Option<InPersonAreaSpec>,
}

impl Meeting {
    pub fn parse(input: MeetingSpec) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let in_person = match input.in_person {
            Some(area) => errors.take_all("in_person", InPersonArea::parse(area)),
            None => None,
        };
        if errors.is_empty() && !input.phone && !input.video && in_person.is_none() {
            errors.push(FieldError::new(
                "",
                "no_meeting_mode",
                "at least one of phone, video or in_person is required",
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            phone: input.phone,
            video: input.video,
            in_person,
        })
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MeetingMode {
    InPerson,
    Phone,
    Video,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
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
pub enum Gender {
    Woman,
    Man,
    NonBinary,
}

/// Whom someone will be paired with. Fellowship custom pairs people of the same gender;
/// either side may say otherwise explicitly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum GenderRule {
    #[default]
    SameGender,
    AnyGender,
    Listed {
        genders: Vec<Gender>,
    },
}

impl GenderRule {
    pub fn parse(rule: GenderRule) -> Result<Self, FieldError> {
        match rule {
            GenderRule::Listed { genders } => {
                let genders = non_empty_set(genders, "list at least one gender")
                    .map_err(|e| FieldError::new("genders", &e.code, e.message))?;
                Ok(GenderRule::Listed { genders })
            }
            other => Ok(other),
        }
    }
}

/// What a sponsor offers and a seeker may need.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Attribute {
    /// Accepts medication-assisted treatment (buprenorphine, methadone, naltrexone) as recovery.
    SupportsMat,
    LgbtqAffirming,
    Secular,
    FaithBased,
    TraumaInformed,
    Veteran,
    ParentingExperience,
    JusticeInvolvedExperience,
}

impl Attribute {
    pub const ALL: [Attribute; 8] = [
        Attribute::SupportsMat,
        Attribute::LgbtqAffirming,
        Attribute::Secular,
        Attribute::FaithBased,
        Attribute::TraumaInformed,
        Attribute::Veteran,
        Attribute::ParentingExperience,
        Attribute::JusticeInvolvedExperience,
    ];
}

pub fn parse_attributes(mut list: Vec<Attribute>) -> Vec<Attribute> {
    list.sort();
    list.dedup();
    list
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum AgeBand {
    #[serde(rename = "18_29")]
    #[strum(serialize = "18_29")]
    From18To29,
    #[serde(rename = "30_39")]
    #[strum(serialize = "30_39")]
    From30To39,
    #[serde(rename = "40_49")]
    #[strum(serialize = "40_49")]
    From40To49,
    #[serde(rename = "50_59")]
    #[strum(serialize = "50_59")]
    From50To59,
    #[serde(rename = "60_plus")]
    #[strum(serialize = "60_plus")]
    From60,
}

/// The day someone's continuous sobriety began: not in the future, not before 1935
/// (the founding of the first fellowship).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct SobrietyDate(NaiveDate);

impl SobrietyDate {
    pub fn parse(date: NaiveDate, today: NaiveDate) -> Result<Self, FieldError> {
        if date > today {
            return Err(FieldError::new(
                "",
                "in_future",
                "must not be in the future",
            ));
        }
        if date < NaiveDate::from_ymd_opt(1935, 6, 10).unwrap_or(NaiveDate::MIN) {
            return Err(FieldError::new("", "too_early", "must be after 1935-06-10"));
        }
        Ok(Self(date))
    }

    pub fn date(&self) -> NaiveDate {
        self.0
    }
}

/// How many sponsees a sponsor takes on at once: 1 up to the program's maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Capacity(u8);

impl Capacity {
    pub fn parse(requested: u32, max: u8) -> Result<Self, FieldError> {
        match u8::try_from(requested) {
            Ok(n) if (1..=max).contains(&n) => Ok(Self(n)),
            _ => Err(FieldError::new(
                "",
                "out_of_range",
                format!("must be between 1 and {max}"),
            )),
        }
    }

    pub fn get(&self) -> u8 {
        self.0
    }
}

/// Contact details, kept apart from matching data and shown to the other side only
/// after both agreed to an introduction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactDetails {
    pub email: Option<EmailAddress>,
    pub phone: Option<PhoneNumber>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactSpec {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

impl ContactDetails {
    pub fn parse(input: ContactSpec) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let email = input
            .email
            .and_then(|e| errors.take("email", EmailAddress::parse(e)));
        let phone = input
            .phone
            .and_then(|p| errors.take("phone", PhoneNumber::parse(p)));
        if errors.is_empty() && email.is_none() && phone.is_none() {
            errors.push(FieldError::new(
                "",
                "no_contact",
                "an email or a phone number is required",
            ));
        }
        if errors.is_empty() {
            Ok(Self { email, phone })
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_text_trims_and_bounds() {
        assert_eq!(Alias::parse("  Sam ".into()).unwrap().as_str(), "Sam");
        assert_eq!(Alias::parse("   ".into()).unwrap_err().code, "empty");
        assert_eq!(Alias::parse("x".repeat(61)).unwrap_err().code, "too_long");
        assert!(
            Alias::parse("é".repeat(60)).is_ok(),
            "counts characters, not bytes"
        );
        assert_eq!(
            Alias::parse("a\u{0}b".into()).unwrap_err().code,
            "invalid_character"
        );
        assert_eq!(
            EmailAddress::parse("a\u{0}@example.org".into())
                .unwrap_err()
                .code,
            "invalid_character"
        );
    }

    #[test]
    fn emails_and_phones() {
        assert_eq!(
            EmailAddress::parse(" Ann@Example.ORG ".into())
                .unwrap()
                .as_str(),
            "ann@example.org"
        );
        assert!(EmailAddress::parse("not-an-email".into()).is_err());
        assert_eq!(
            PhoneNumber::parse("+1 415-555-0123".into())
                .unwrap()
                .as_str(),
            "+14155550123"
        );
        assert!(PhoneNumber::parse("4155550123".into()).is_err());
        assert!(PhoneNumber::parse("+1415x550123".into()).is_err());
    }

    #[test]
    fn languages_are_iso_639_1() {
        let parsed = parse_languages(vec!["ES".into(), "en".into(), "es".into()]).unwrap();
        let codes: Vec<&str> = parsed.iter().map(|l| l.as_str()).collect();
        assert_eq!(codes, ["en", "es"]);
        let errors = parse_languages(vec!["en".into(), "xx".into(), "eng".into()])
            .unwrap_err()
            .into_vec();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["[1]", "[2]"]);
        assert_eq!(
            parse_languages(vec![]).unwrap_err().into_vec()[0].code,
            "empty"
        );
    }

    #[test]
    fn time_zones_are_iana() {
        assert_eq!(
            TimeZone::parse("Asia/Kolkata".into()).unwrap().name(),
            "Asia/Kolkata"
        );
        assert!(TimeZone::parse("Mars/Olympus".into()).is_err());
    }

    #[test]
    fn availability_round_trips_and_rejects_bad_hours() {
        let input =
            AvailabilityInput::from([("mon".into(), vec![0, 23]), ("sun".into(), vec![23])]);
        let week = WeeklyAvailability::parse(input).unwrap();
        assert_eq!(week.hours(), 3);
        assert!(week.contains(0) && week.contains(23) && week.contains(167));
        assert_eq!(WeeklyAvailability::from_hex(&week.to_hex()), Some(week));
        assert_eq!(
            week.to_view(),
            AvailabilityView::from([(Day::Mon, vec![0, 23]), (Day::Sun, vec![23])])
        );
        let errors = WeeklyAvailability::parse(AvailabilityInput::from([
            ("tue".into(), vec![9, 24]),
            ("funday".into(), vec![9]),
        ]))
        .unwrap_err()
        .into_vec();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["funday", "tue[1]"]);
        assert!(WeeklyAvailability::parse(AvailabilityInput::new()).is_err());
        assert_eq!(WeeklyAvailability::from_hex("zz"), None);
    }

    #[test]
    fn meeting_needs_a_mode_and_a_sane_area() {
        let none = MeetingSpec {
            phone: false,
            video: false,
            in_person: None,
        };
        assert_eq!(
            Meeting::parse(none).unwrap_err().into_vec()[0].code,
            "no_meeting_mode"
        );
        let far = MeetingSpec {
            phone: false,
            video: false,
            in_person: Some(InPersonAreaSpec {
                latitude: 91.0,
                longitude: 0.0,
                radius_km: 1000.0,
            }),
        };
        let fields: Vec<String> = Meeting::parse(far)
            .unwrap_err()
            .into_vec()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["in_person.latitude", "in_person.radius_km"]);
    }

    #[test]
    fn sobriety_date_and_capacity_bounds() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        assert!(SobrietyDate::parse(today, today).is_ok());
        assert_eq!(
            SobrietyDate::parse(today.succ_opt().unwrap(), today)
                .unwrap_err()
                .code,
            "in_future"
        );
        assert!(SobrietyDate::parse(NaiveDate::from_ymd_opt(1900, 1, 1).unwrap(), today).is_err());
        assert_eq!(Capacity::parse(3, 5).unwrap().get(), 3);
        assert!(Capacity::parse(0, 5).is_err());
        assert!(Capacity::parse(6, 5).is_err());
        assert!(Capacity::parse(300, 5).is_err());
    }

    #[test]
    fn contact_needs_email_or_phone() {
        let empty = ContactSpec {
            email: None,
            phone: None,
        };
        assert_eq!(
            ContactDetails::parse(empty).unwrap_err().into_vec()[0].code,
            "no_contact"
        );
        let bad = ContactSpec {
            email: Some("x".into()),
            phone: Some("1".into()),
        };
        assert_eq!(ContactDetails::parse(bad).unwrap_err().into_vec().len(), 2);
    }

    #[test]
    fn listed_gender_rule_needs_genders() {
        assert!(GenderRule::parse(GenderRule::Listed { genders: vec![] }).is_err());
        assert_eq!(
            GenderRule::parse(GenderRule::Listed {
                genders: vec![Gender::Woman, Gender::Woman]
            }),
            Ok(GenderRule::Listed {
                genders: vec![Gender::Woman]
            })
        );
    }
}
