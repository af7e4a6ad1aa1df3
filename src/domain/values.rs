//! Validated building blocks of profiles. Each type can only hold a valid value:
//! construct it with `parse`, which says precisely what is wrong otherwise.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime, Weekday};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::{
    AdditionalProperties, AllOfBuilder, AnyOfBuilder, Array, ArrayBuilder, Object, ObjectBuilder,
    Schema, Type,
};
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

/// The earliest date [`strict_date`] reads (four digits of year).
pub const FIRST_DATE: NaiveDate = NaiveDate::from_ymd_opt(0, 1, 1).expect("a date");

/// The latest date [`strict_date`] reads (four digits of year).
pub const LAST_DATE: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a date");

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

/// A regular expression (for a schema's `pattern`) matching exactly the dates
/// [`strict_date`] reads from `first` to `last`, both included: the first and last
/// years month by month, the years between whole, 29 February only in leap years.
pub fn date_range_pattern(first: NaiveDate, last: NaiveDate) -> String {
    use chrono::Datelike;
    let mut alternatives = Vec::new();
    if first.year() == last.year() {
        alternatives.push(part_of_year(first, last));
    } else {
        alternatives.push(part_of_year(first, year_end(first.year())));
        let (from, to) = (first.year() + 1, last.year() - 1);
        if from <= to {
            let years = number_range(from as u32, to as u32, 4);
            alternatives.push(format!(
                "(?:{years})-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
            ));
            if let Some(leap) = leap_years(from as u32, to as u32) {
                alternatives.push(format!("(?:{leap})-02-29"));
            }
        }
        let january = NaiveDate::from_ymd_opt(last.year(), 1, 1).unwrap_or(last);
        alternatives.push(part_of_year(january, last));
    }
    format!("^(?:{})$", alternatives.join("|"))
}

fn year_end(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// The dates from `first` to `last` of one year.
fn part_of_year(first: NaiveDate, last: NaiveDate) -> String {
    use chrono::Datelike;
    let months: Vec<String> = (first.month()..=last.month())
        .map(|month| {
            let start = if month == first.month() {
                first.day()
            } else {
                1
            };
            let end = if month == last.month() {
                last.day()
            } else {
                days_in_month(first.year(), month)
            };
            format!("{month:02}-(?:{})", number_range(start, end, 2))
        })
        .collect();
    format!("{:04}-(?:{})", first.year(), months.join("|"))
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    next.and_then(|next| next.pred_opt())
        .map_or(28, |last| chrono::Datelike::day(&last))
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

/// The leap years from `from` to `to` (4 digits): those of a partial century listed,
/// those of whole centuries by their last two digits.
fn leap_years(from: u32, to: u32) -> Option<String> {
    let mut alternatives = Vec::new();
    let listed = |from: u32, to: u32, into: &mut Vec<String>| {
        into.extend(
            (from..=to)
                .filter(|y| is_leap(*y))
                .map(|y| format!("{y:04}")),
        );
    };
    let (first_century, last_century) = (from / 100, to / 100);
    if first_century == last_century || to - from < 200 {
        listed(from, to, &mut alternatives);
    } else {
        let whole_from = if from.is_multiple_of(100) {
            first_century
        } else {
            listed(from, first_century * 100 + 99, &mut alternatives);
            first_century + 1
        };
        let whole_to = if to % 100 == 99 {
            last_century
        } else {
            listed(last_century * 100, to, &mut alternatives);
            last_century - 1
        };
        if whole_from <= whole_to {
            let centuries = number_range(whole_from, whole_to, 2);
            alternatives.push(format!("(?:{centuries})(?:0[48]|[2468][048]|[13579][26])"));
            alternatives.extend(
                (whole_from..=whole_to)
                    .filter(|c| c.is_multiple_of(4))
                    .map(|c| format!("{c:02}00")),
            );
        }
    }
    (!alternatives.is_empty()).then(|| alternatives.join("|"))
}

/// A regular expression matching exactly the numbers from `low` to `high`, written with
/// `width` digits (leading zeros).
pub fn number_range(low: u32, high: u32, width: usize) -> String {
    fn digits(low: &[u8], high: &[u8]) -> Vec<String> {
        let Some((&first_low, rest_low)) = low.split_first() else {
            return vec![String::new()];
        };
        let (&first_high, rest_high) = high.split_first().unwrap_or((&b'9', &[]));
        let any = "[0-9]".repeat(rest_low.len());
        let prefixed = |digit: u8, tails: Vec<String>| -> Vec<String> {
            tails
                .into_iter()
                .map(|tail| format!("{}{tail}", digit as char))
                .collect()
        };
        let class = |from: u8, to: u8| {
            if from == to {
                (from as char).to_string()
            } else {
                format!("[{}-{}]", from as char, to as char)
            }
        };
        if first_low == first_high {
            return prefixed(first_low, digits(rest_low, rest_high));
        }
        let low_whole = rest_low.iter().all(|d| *d == b'0');
        let high_whole = rest_high.iter().all(|d| *d == b'9');
        let mut out = Vec::new();
        let mut middle_from = first_low + 1;
        let mut middle_to = first_high - 1;
        if low_whole {
            middle_from = first_low;
        } else {
            let nines = vec![b'9'; rest_high.len()];
            out.extend(prefixed(first_low, digits(rest_low, &nines)));
        }
        let tail_high = if high_whole {
            middle_to = first_high;
            None
        } else {
            let zeros = vec![b'0'; rest_low.len()];
            Some(prefixed(first_high, digits(&zeros, rest_high)))
        };
        if middle_from <= middle_to {
            out.push(format!("{}{any}", class(middle_from, middle_to)));
        }
        out.extend(tail_high.into_iter().flatten());
        out
    }
    let (low, high) = (format!("{low:0width$}"), format!("{high:0width$}"));
    digits(low.as_bytes(), high.as_bytes()).join("|")
}

/// A date field's schema: `YYYY-MM-DD` from `first` to `last` as a pattern (not
/// `format: date`, which would add nothing but make generators filter its dates).
pub fn date_schema(first: NaiveDate, last: NaiveDate) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(date_range_pattern(first, last)))
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
    /// The longest address, in bytes once trimmed (RFC 5321's path limit less `<>`).
    pub const MAX_LENGTH: usize = 254;

    /// The addresses the document promises [`EmailAddress::parse`] takes: a local part of
    /// 1 to 64 of the characters HTML's email inputs allow, `@`, and a host name of
    /// letters, digits and inner hyphens in dot-separated labels of 1 to 63 (the rule of
    /// the `validator` crate the parse applies). The parse also takes the address with
    /// spaces around it, in any case, an IP literal or an internationalised domain.
    pub const PATTERN: &str = "^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$";

    pub fn parse(raw: String) -> Result<Self, FieldError> {
        refuse_nul(&raw)?;
        let email = raw.trim().to_lowercase();
        if email.len() > Self::MAX_LENGTH || !email.validate_email() {
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

    /// The schema of an email field: [`EmailAddress::PATTERN`], at most
    /// [`EmailAddress::MAX_LENGTH`] characters.
    pub fn schema() -> Object {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(Self::MAX_LENGTH))
            .pattern(Some(Self::PATTERN))
            .build()
    }
}

/// Where a program's webhooks go: HTTPS, or plain HTTP only to this machine (a portal
/// beside the service, or a test). No credentials in it: the signature authenticates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub const MAX_LENGTH: usize = 2000;

    /// The URLs the document promises [`WebhookUrl::parse`] takes: `https://` and a host
    /// name (dot-separated labels of letters and digits with single inner hyphens, the
    /// last starting with a letter), or `http://` and `localhost`, `127.0.0.1` or
    /// `[::1]`; a port up to 65535; a path or query of visible ASCII without `#`. The
    /// parse takes more (IP addresses, international names, any case of scheme).
    pub const PATTERN: &str = "^(?:https://(?:[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*\\.)*[a-zA-Z][a-zA-Z0-9]*(?:-[a-zA-Z0-9]+)*|http://(?:localhost|127\\.0\\.0\\.1|\\[::1\\]))(?::(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(?:[/?][!-\"$-~]*)?$";

    /// The schema of a webhook URL: [`WebhookUrl::PATTERN`], at most
    /// [`WebhookUrl::MAX_LENGTH`] characters.
    pub fn schema() -> Object {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(Self::MAX_LENGTH))
            .pattern(Some(Self::PATTERN))
            .build()
    }

    pub fn parse(raw: String) -> Result<Self, FieldError> {
        let invalid = |message: &str| FieldError::new("", "invalid_url", message);
        if raw.len() > Self::MAX_LENGTH {
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
    /// How many digits follow the `+`.
    pub const DIGITS: std::ops::RangeInclusive<usize> = 8..=15;

    /// What [`PhoneNumber::parse`] takes: `+` and 8 to 15 digits, with spaces and
    /// hyphens anywhere (they are dropped).
    pub const PATTERN: &str = "^[ -]*\\+[ -]*(?:[0-9][ -]*){8,15}$";

    pub fn parse(raw: String) -> Result<Self, FieldError> {
        let compact: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let digits = compact.strip_prefix('+').unwrap_or("");
        if !Self::DIGITS.contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
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

    /// The schema of a phone field: [`PhoneNumber::PATTERN`].
    pub fn schema() -> Object {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(Self::PATTERN))
            .build()
    }
}

/// Mutual-aid fellowships and recovery programs a sponsorship can belong to.
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
    strum::VariantArray,
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
///
/// Its schema: `#[schema(min_items = 1)]` on the field (repeats are taken, so not
/// `unique_items`).
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

    /// Every code [`LanguageCode::parse`] takes, as it writes them, in order.
    pub fn all() -> Vec<String> {
        let letters = || 'a'..='z';
        letters()
            .flat_map(|a| letters().map(move |b| format!("{a}{b}")))
            .filter(|code| isolang::Language::from_639_1(code).is_some())
            .collect()
    }

    /// The schema of a language code: one of [`LanguageCode::all`]. The parse also takes
    /// one in capitals or with spaces around it.
    pub fn schema() -> Object {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(Self::all()))
            .build()
    }
}

/// The schema of a list of languages: at least one code (repeats are taken).
pub fn languages_schema() -> Array {
    ArrayBuilder::new()
        .items(LanguageCode::schema())
        .min_items(Some(1))
        .build()
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

    /// The schema of a time zone: one of the IANA names [`TimeZone::parse`] takes (those
    /// of the tz database chrono-tz holds), written exactly.
    pub fn schema() -> Object {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())))
            .build()
    }
}

impl Serialize for TimeZone {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Days of the week as written in requests.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    strum::VariantArray,
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
    pub const ALL: [Day; 7] = [
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

/// The schema of [`AvailabilityInput`], what [`WeeklyAvailability::parse`] takes: an
/// object of days (`mon` ... `sun`), each a list of hours 0 to 23 (repeats are taken),
/// with at least one hour in the week.
pub fn availability_schema() -> Schema {
    let hours = |at_least: usize| {
        let hour = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(0))
            .maximum(Some(WeeklyAvailability::LAST_HOUR));
        ArrayBuilder::new()
            .items(hour)
            .min_items((at_least > 0).then_some(at_least))
    };
    let mut days = ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(AdditionalProperties::FreeForm(false)));
    let mut some_hour = AnyOfBuilder::new();
    for day in Day::ALL {
        days = days.property(day.name(), hours(0));
        some_hour = some_hour.item(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property(day.name(), hours(1))
                .required(day.name()),
        );
    }
    AllOfBuilder::new()
        .item(days)
        .item(some_hour)
        .description(Some(
            "Hours (0-23) per day (`mon` ... `sun`); at least one hour in the week.",
        ))
        .into()
}

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
    /// The last hour of a day a request may name (hours are 0 to this).
    pub const LAST_HOUR: u8 = 23;

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
                if hour <= Self::LAST_HOUR {
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

/// The limits are [`InPersonArea`]'s constants (a test holds the two together).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InPersonAreaSpec {
    /// Degrees, -90 to 90.
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: f64,
    /// Degrees, -180 to 180.
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: f64,
    /// Kilometres, 0.5 to 250.
    #[schema(minimum = 0.5, maximum = 250)]
    pub radius_km: f64,
}

impl InPersonArea {
    pub const LATITUDE: std::ops::RangeInclusive<f64> = -90.0..=90.0;
    pub const LONGITUDE: std::ops::RangeInclusive<f64> = -180.0..=180.0;
    pub const MIN_RADIUS_KM: f64 = 0.5;
    pub const MAX_RADIUS_KM: f64 = 250.0;

    pub fn parse(input: InPersonAreaSpec) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        if !Self::LATITUDE.contains(&input.latitude) {
            errors.push(FieldError::new(
                "latitude",
                "out_of_range",
                "must be between -90 and 90",
            ));
        }
        if !Self::LONGITUDE.contains(&input.longitude) {
            errors.push(FieldError::new(
                "longitude",
                "out_of_range",
                "must be between -180 and 180",
            ));
        }
        if !(Self::MIN_RADIUS_KM..=Self::MAX_RADIUS_KM).contains(&input.radius_km) {
            errors.push(FieldError::new(
                "radius_km",
                "out_of_range",
                format!(
                    "must be between {} and {}",
                    Self::MIN_RADIUS_KM,
                    Self::MAX_RADIUS_KM
                ),
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

/// What [`Meeting::parse`] asks beyond each field's shape: `phone` or `video` true, or
/// an `in_person` area. The document adds it to `MeetingSpec`'s schema.
pub fn meeting_rule() -> Schema {
    let mut any = AnyOfBuilder::new();
    for mode in ["phone", "video"] {
        let yes = ObjectBuilder::new()
            .schema_type(Type::Boolean)
            .enum_values(Some([true]));
        any = any.item(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property(mode, yes)
                .required(mode),
        );
    }
    any.item(
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .property("in_person", ObjectBuilder::new().schema_type(Type::Object))
            .required("in_person"),
    )
    .description(Some(
        "At least one way to meet: `phone` or `video` true, or an `in_person` area.",
    ))
    .into()
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
    strum::VariantArray,
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
        /// At least one (repeats are taken).
        #[schema(min_items = 1)]
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
    strum::VariantArray,
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
    /// The earliest: the founding of Alcoholics Anonymous.
    pub const FIRST: NaiveDate = NaiveDate::from_ymd_opt(1935, 6, 10).expect("a date");

    pub fn parse(date: NaiveDate, today: NaiveDate) -> Result<Self, FieldError> {
        if date > today {
            return Err(FieldError::new(
                "",
                "in_future",
                "must not be in the future",
            ));
        }
        if date < Self::FIRST {
            return Err(FieldError::new("", "too_early", "must be after 1935-06-10"));
        }
        Ok(Self(date))
    }

    /// The schema of a sobriety date: `YYYY-MM-DD` from [`SobrietyDate::FIRST`] to
    /// today (UTC), as a pattern (a document served today holds until midnight).
    pub fn schema() -> Object {
        date_schema(Self::FIRST, chrono::Utc::now().date_naive())
            .description(Some("YYYY-MM-DD, from 1935-06-10 to today (UTC)."))
            .build()
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
    /// The highest maximum a program may set (the database holds programs to it), so
    /// the most any sponsor's capacity can be.
    pub const HIGHEST_MAXIMUM: u8 = 50;

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
    #[schema(schema_with = email_or_null)]
    pub email: Option<String>,
    /// E.164: `+` and 8 to 15 digits; spaces and hyphens are dropped.
    #[serde(default)]
    #[schema(schema_with = phone_or_null)]
    pub phone: Option<String>,
}

fn email_or_null() -> Schema {
    or_null(EmailAddress::schema())
}

fn phone_or_null() -> Schema {
    or_null(PhoneNumber::schema())
}

/// `schema`, or null (a field that may be left out or null).
pub fn or_null(schema: impl Into<utoipa::openapi::RefOr<Schema>>) -> Schema {
    utoipa::openapi::schema::OneOfBuilder::new()
        .item(schema)
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .into()
}

/// What [`ContactDetails::parse`] asks beyond each field's shape: an `email` or a
/// `phone` (not null). The document adds it to `ContactSpec`'s schema.
pub fn contact_rule() -> Schema {
    let mut any = AnyOfBuilder::new();
    for field in ["email", "phone"] {
        any = any.item(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property(field, ObjectBuilder::new().schema_type(Type::String))
                .required(field),
        );
    }
    any.description(Some("An `email`, a `phone` or both."))
        .into()
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

    fn full(pattern: &str) -> regex::Regex {
        regex::Regex::new(pattern).expect("a pattern the regex crate reads")
    }

    #[test]
    fn number_ranges_match_exactly_their_numbers() {
        for width in [2usize, 3, 4] {
            let top = 10u32.pow(width as u32) - 1;
            let step = (top / 40).max(1);
            for low in (0..=top).step_by(step as usize * 3 + 1) {
                for high in (low..=top).step_by(step as usize * 5 + 2) {
                    let pattern = full(&format!("^(?:{})$", number_range(low, high, width)));
                    for n in (0..=top).step_by(step as usize) {
                        let text = format!("{n:0width$}");
                        assert_eq!(
                            pattern.is_match(&text),
                            (low..=high).contains(&n),
                            "{low}..={high} at {text}"
                        );
                    }
                    for edge in [low, high] {
                        assert!(pattern.is_match(&format!("{edge:0width$}")));
                    }
                }
            }
        }
    }

    #[test]
    fn date_range_patterns_take_exactly_the_dates_of_the_range() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let ranges = [
            (SobrietyDate::FIRST, day(2026, 12, 4)),
            (day(2025, 12, 4), LAST_DATE),
            (day(2024, 2, 29), day(2024, 3, 1)),
            (day(2023, 1, 31), day(2023, 11, 30)),
            (day(1999, 12, 31), day(2000, 1, 1)),
            (day(1896, 3, 1), day(2104, 2, 28)),
        ];
        for (first, last) in ranges {
            let pattern = full(&date_range_pattern(first, last));
            let start = first - chrono::Days::new(800);
            let end = (last.min(day(9000, 1, 1))) + chrono::Days::new(800);
            let mut date = start;
            while date <= end {
                let text = date.format("%Y-%m-%d").to_string();
                assert_eq!(
                    pattern.is_match(&text),
                    first <= date && date <= last,
                    "{first}..={last} at {text}"
                );
                date = date + chrono::Days::new(1);
            }
            // Dates of years far apart, and text that is no date.
            for year in (0..=9999).step_by(37) {
                for (month, d) in [(1, 1), (2, 28), (2, 29), (6, 30), (12, 31)] {
                    if let Some(date) = NaiveDate::from_ymd_opt(year, month, d) {
                        let text = date.format("%Y-%m-%d").to_string();
                        assert_eq!(
                            pattern.is_match(&text),
                            first <= date && date <= last,
                            "{text}"
                        );
                    }
                }
            }
            for text in [
                "2023-02-29",
                "2100-02-29",
                "2024-04-31",
                "2024-13-01",
                "2024-00-10",
                "2024-01-00",
                "2024-1-01",
                " 2024-01-01",
                "2024-01-01\n",
                "20240101",
                "",
            ] {
                assert!(
                    strict_date(text).is_none() && !pattern.is_match(text),
                    "{text:?}"
                );
            }
        }
        assert!(full(&date_range_pattern(day(1999, 1, 1), LAST_DATE)).is_match("2000-02-29"));
        assert!(full(&date_range_pattern(day(1999, 1, 1), LAST_DATE)).is_match("9996-02-29"));
        assert!(!full(&date_range_pattern(day(1999, 1, 1), LAST_DATE)).is_match("9900-02-29"));
        assert!(full(&date_range_pattern(day(1999, 1, 1), LAST_DATE)).is_match("9999-12-31"));
    }

    #[test]
    fn the_phone_pattern_is_the_parse() {
        let pattern = full(PhoneNumber::PATTERN);
        let mut texts = vec![
            "+12345678".to_owned(),
            "+1234567".into(),
            "+123456789012345".into(),
            "+1234567890123456".into(),
            " +1 415-555-0123 ".into(),
            "- +-1-2-3-4-5-6-7-8-".into(),
            "++12345678".into(),
            "12345678".into(),
            "+1234567a".into(),
            "+12345678\n".into(),
            "+１２３４５６７８".into(),
        ];
        // Every arrangement of a few characters the two could disagree on.
        let alphabet = ['+', '1', ' ', '-', 'x'];
        for n in 0..5usize.pow(6) {
            let mut text = String::from("+1234567");
            let mut k = n;
            for _ in 0..6 {
                text.push(alphabet[k % 5]);
                k /= 5;
            }
            texts.push(text);
        }
        for text in texts {
            assert_eq!(
                pattern.is_match(&text),
                PhoneNumber::parse(text.clone()).is_ok(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn what_the_email_pattern_takes_the_parse_takes() {
        let pattern = full(EmailAddress::PATTERN);
        let local64 = "a".repeat(64);
        let label63 = "b".repeat(63);
        let long_domain = [label63.as_str(); 3].join(".");
        for (text, taken) in [
            ("ann@example.org".to_owned(), true),
            ("Ann.O'Neil+x@Example-1.ORG".into(), true),
            ("a@b".into(), true),
            (format!("{local64}@example.org"), true),
            (format!("a{local64}@example.org"), false),
            (format!("a@{label63}.org"), true),
            (format!("a@b{label63}.org"), false),
            (
                format!("{local64}@{long_domain}.abcdefghijklmnopqrstuvwxyzabc"),
                true,
            ),
            ("a@-b.org".into(), false),
            ("a@b-.org".into(), false),
            ("a@b..org".into(), false),
            ("a b@example.org".into(), false),
            ("a@@example.org".into(), false),
            ("@example.org".into(), false),
            ("ann@".into(), false),
        ] {
            assert_eq!(pattern.is_match(&text), taken, "{text}");
            if pattern.is_match(&text) {
                assert!(
                    text.len() > EmailAddress::MAX_LENGTH
                        || EmailAddress::parse(text.clone()).is_ok(),
                    "{text}"
                );
            } else if !text.contains(' ') {
                assert!(EmailAddress::parse(text.clone()).is_err(), "{text}");
            }
        }
    }

    #[test]
    fn the_language_codes_listed_are_those_the_parse_takes() {
        let all = LanguageCode::all();
        assert!(all.len() > 150 && all.contains(&"en".into()) && all.contains(&"zu".into()));
        for a in b'a'..=b'z' {
            for b in b'a'..=b'z' {
                let code = String::from_utf8(vec![a, b]).unwrap();
                assert_eq!(
                    LanguageCode::parse(code.clone()).is_ok(),
                    all.contains(&code),
                    "{code}"
                );
            }
        }
    }

    #[test]
    fn every_time_zone_listed_parses() {
        for tz in chrono_tz::TZ_VARIANTS {
            assert_eq!(TimeZone::parse(tz.name().into()).unwrap().name(), tz.name());
        }
    }

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
