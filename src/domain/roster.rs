//! A program's sponsor roster as a CSV file: each row a person to invite as a sponsor,
//! with the profile they start with. Every row is checked as the API checks the same
//! fields: the profile columns are built into the body `PUT /sponsors/me` takes and
//! parsed by `SponsorProfile::parse`; the email and display name as an invite's are.
//! Errors name the field as the API does (`languages[1]`, `meeting.in_person.radius_km`).
//! Pure: the caller reads the file and passes `today`.

use std::collections::HashMap;

use chrono::NaiveDate;
use csv::{ByteRecord, StringRecord};
use serde::de::{DeserializeOwned, IntoDeserializer};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::error::{FieldError, FieldErrors, parse_list};
use super::sponsor::{SponsorProfile, SponsorProfileInput, SponsorStatus};
use super::values::{
    AvailabilityInput, BoundedText, ContactSpec, EmailAddress, GenderRule, InPersonAreaSpec,
    MeetingMode, MeetingSpec, PersonName,
};

/// The columns of a roster file, every one required in the header, in any order. The
/// profile's columns are named by their field in `PUT /sponsors/me`.
pub const COLUMNS: [&str; 21] = [
    "external_id",
    "email",
    "display_name",
    "alias",
    "fellowships",
    "sobriety_date",
    "gender",
    "sponsors",
    "age_band",
    "languages",
    "time_zone",
    "availability",
    "meeting",
    "meeting.in_person.latitude",
    "meeting.in_person.longitude",
    "meeting.in_person.radius_km",
    "capacity",
    "attributes",
    "status",
    "contact.email",
    "contact.phone",
];

/// Separates the items of a list in one cell: `aa;na`, `mon:18,19;sat:9`.
pub const LIST_SEPARATOR: char = ';';

/// The program's own id for a person on its roster (from its volunteer or HR system):
/// 1 to 64 characters, no control characters. It is what makes importing the same file
/// again change nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternalId(String);

impl ExternalId {
    pub fn parse(raw: String) -> Result<Self, FieldError> {
        let text = BoundedText::<64>::parse(raw)?;
        // BoundedText keeps newlines and tabs for prose; an id has none.
        if text.as_str().contains(['\n', '\t']) {
            return Err(FieldError::new(
                "",
                "control_characters",
                "must not contain control characters",
            ));
        }
        Ok(Self(text.as_str().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A row of the file the import leaves out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Rejection {
    /// The row's line in the file, counting from 1 as an editor does (the header is
    /// line 1; a quoted cell over several lines counts them all).
    pub line: u64,
    /// The column, as the API names the field (`languages[1]`, `availability.mon[0]`);
    /// `row` for a row with the wrong number of cells.
    pub field: String,
    /// The API's code for the problem, e.g. `invalid_email`, `out_of_range`, `duplicate`.
    pub reason: String,
    pub message: String,
}

impl Rejection {
    fn new(line: u64, error: FieldError) -> Self {
        Self {
            line,
            field: error.field,
            reason: error.code,
            message: error.message,
        }
    }

    /// A rejection of one entry for a reason found outside the file (the database).
    pub fn of(entry: &RosterEntry, field: &str, reason: &str, message: impl Into<String>) -> Self {
        Self::new(entry.line, FieldError::new(field, reason, message))
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}: {}: {} ({})",
            self.line, self.field, self.reason, self.message
        )
    }
}

/// One valid row: a person to invite as a sponsor, and their profile.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterEntry {
    pub line: u64,
    pub external_id: ExternalId,
    pub email: EmailAddress,
    pub display_name: PersonName,
    /// Passed `SponsorProfile::parse`. Kept in the API's form, so that accepting the
    /// invite parses it again under the rules of that day.
    pub profile: SponsorProfileInput,
}

impl RosterEntry {
    pub fn profile_json(&self) -> serde_json::Result<String> {
        serde_json::to_string(&self.profile)
    }

    /// SHA-256 of what the row says (email, display name, profile): equal for a row
    /// imported again unchanged.
    pub fn content_hash(&self) -> serde_json::Result<String> {
        let digest = Sha256::new()
            .chain_update(self.email.as_str())
            .chain_update([0])
            .chain_update(self.display_name.as_str())
            .chain_update([0])
            .chain_update(self.profile_json()?)
            .finalize();
        Ok(hex::encode(digest))
    }
}

/// A file read: the valid rows and the rejected ones.
#[derive(Debug, Default)]
pub struct Roster {
    pub entries: Vec<RosterEntry>,
    pub rejected: Vec<Rejection>,
}

/// How an import treats rejected rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ImportMode {
    /// Any rejected row and nothing is written.
    #[default]
    AllOrNothing,
    /// The valid rows are written; the rejected ones are listed.
    SkipInvalid,
}

impl std::str::FromStr for ImportMode {
    type Err = String;

    /// By its name in the API: `all-or-nothing`, `skip-invalid`.
    fn from_str(text: &str) -> Result<Self, String> {
        named(text).map_err(|_| "all-or-nothing or skip-invalid".to_owned())
    }
}

/// What an import did, row by row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportReport {
    /// New external ids: each an invite, emailed.
    pub created: usize,
    /// Rows changed since the last import whose invite is not accepted yet: the pending
    /// profile and name replaced, and a new invite emailed when the email changed or the
    /// invite had expired or been replaced.
    pub updated: usize,
    /// Rows as last imported.
    pub unchanged: usize,
    /// Rows changed since the last import of a sponsor who has accepted their invite:
    /// their profile is theirs to keep, so the change is not applied.
    pub left_to_sponsor: usize,
    /// Why rows were left out, in line order: one entry per field at fault.
    pub rejected: Vec<Rejection>,
}

impl ImportReport {
    /// How many rows were rejected: a row may be rejected for several fields.
    pub fn rejected_rows(&self) -> usize {
        let mut lines: Vec<u64> = self.rejected.iter().map(|r| r.line).collect();
        lines.dedup();
        lines.len()
    }

    pub fn add(&mut self, other: ImportReport) {
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.left_to_sponsor += other.left_to_sponsor;
        self.rejected.extend(other.rejected);
    }
}

/// Reads a roster file. The header row must name every column of [`COLUMNS`] once and
/// nothing else; otherwise nothing can be read, and the problems come back on line 1.
/// A later row repeating an external id or email of an earlier one is rejected.
pub fn parse(csv: &[u8], today: NaiveDate, max_capacity: u8) -> Result<Roster, Vec<Rejection>> {
    // Spreadsheets often start a UTF-8 file with a byte order mark.
    let csv = csv.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(csv);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(csv);
    // Reading bytes from memory cannot fail: rows may differ in length (flexible) and
    // need not be UTF-8 (byte records); both are checked row by row below.
    let mut records = reader.byte_records().map_while(Result::ok);
    let Some(header) = records.next() else {
        return Err(vec![Rejection::new(
            1,
            FieldError::new("header", "required", "the file needs a header row"),
        )]);
    };
    let header = Header::parse(&header)?;
    let mut roster = Roster::default();
    let mut seen = Seen::default();
    let mut lines = Lines::new(csv);
    for record in records {
        let line = lines.at(record.position().map_or(0, |p| p.byte()));
        let checked = header
            .row(record)
            .and_then(|row| seen.check(line, row.entry(line, today, max_capacity)));
        match checked {
            Ok(entry) => roster.entries.push(entry),
            Err(errors) => roster.rejected.extend(
                errors
                    .into_vec()
                    .into_iter()
                    .map(|e| Rejection::new(line, e)),
            ),
        }
    }
    Ok(roster)
}

/// Counts lines as an editor does, up to each record's first character. (The reader's
/// own count leaves out the blank lines it skips, and its record positions start before
/// them.)
struct Lines<'f> {
    file: &'f [u8],
    counted_to: usize,
    line: u64,
}

impl<'f> Lines<'f> {
    fn new(file: &'f [u8]) -> Self {
        Self {
            file,
            counted_to: 0,
            line: 1,
        }
    }

    /// The line of the first character at or after `offset` that is not white space;
    /// offsets come in increasing order.
    fn at(&mut self, offset: u64) -> u64 {
        let offset = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.file.len());
        let blank = self.file[offset..]
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
        let offset = offset + blank;
        let between = self.file.get(self.counted_to..offset).unwrap_or_default();
        self.line += between.iter().filter(|b| **b == b'\n').count() as u64;
        self.counted_to = self.counted_to.max(offset);
        self.line
    }
}

/// Where each column of [`COLUMNS`] is in the file.
struct Header([usize; COLUMNS.len()]);

impl Header {
    fn parse(record: &ByteRecord) -> Result<Self, Vec<Rejection>> {
        let mut problems = Vec::new();
        let mut found: [Option<usize>; COLUMNS.len()] = [None; COLUMNS.len()];
        for (index, name) in record.iter().enumerate() {
            let name = String::from_utf8_lossy(name);
            match COLUMNS.iter().position(|c| *c == name) {
                Some(column) if found[column].is_some() => problems.push(FieldError::new(
                    name,
                    "duplicate_column",
                    "the header names this column twice",
                )),
                Some(column) => found[column] = Some(index),
                None => problems.push(FieldError::new(
                    name,
                    "unknown_column",
                    "not a roster column; see docs/case-managers.md",
                )),
            }
        }
        for (column, name) in found.iter().zip(COLUMNS) {
            if column.is_none() {
                problems.push(FieldError::new(
                    name,
                    "missing_column",
                    "the header must name every roster column",
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems.into_iter().map(|e| Rejection::new(1, e)).collect());
        }
        Ok(Self(found.map(Option::unwrap_or_default)))
    }

    /// The record's cells by column, if it has one cell per column, all UTF-8.
    fn row(&self, record: ByteRecord) -> Result<Row<'_>, FieldErrors> {
        if record.len() != COLUMNS.len() {
            return Err(FieldErrors::single(FieldError::new(
                "row",
                "field_count",
                format!(
                    "the row has {} cells; the header has {}",
                    record.len(),
                    COLUMNS.len()
                ),
            )));
        }
        let record = StringRecord::from_byte_record(record).map_err(|error| {
            let index = error.utf8_error().field();
            let column = self.0.iter().position(|i| *i == index);
            let field = column.map_or("row", |c| COLUMNS[c]);
            FieldErrors::single(FieldError::new(field, "invalid_utf8", "not UTF-8 text"))
        })?;
        Ok(Row {
            record,
            header: self,
        })
    }
}

/// One record, read by column name.
struct Row<'h> {
    record: StringRecord,
    header: &'h Header,
}

/// A row read: its entry or every problem of it, and the external id and email it
/// names, if they are valid, for finding rows that repeat them.
struct Checked {
    external_id: Option<ExternalId>,
    email: Option<EmailAddress>,
    entry: Result<RosterEntry, FieldErrors>,
}

impl Row<'_> {
    fn cell(&self, column: &str) -> &str {
        COLUMNS
            .iter()
            .position(|c| *c == column)
            .and_then(|c| self.record.get(self.header.0[c]))
            .unwrap_or_default()
    }

    fn entry(&self, line: u64, today: NaiveDate, max_capacity: u8) -> Checked {
        let mut errors = FieldErrors::default();
        let external_id = errors.take(
            "external_id",
            ExternalId::parse(self.cell("external_id").to_owned()),
        );
        let email = errors.take("email", EmailAddress::parse(self.cell("email").to_owned()));
        let display_name = errors.take(
            "display_name",
            PersonName::parse(self.cell("display_name").to_owned()),
        );
        let profile = self.profile_input().and_then(|input| {
            SponsorProfile::parse(input.clone(), today, max_capacity).map(|_| input)
        });
        let profile = profile.map_err(|problems| errors.extend(problems)).ok();
        let entry = match (external_id.clone(), email.clone(), display_name, profile) {
            (Some(external_id), Some(email), Some(display_name), Some(profile))
                if errors.is_empty() =>
            {
                Ok(RosterEntry {
                    line,
                    external_id,
                    email,
                    display_name,
                    profile,
                })
            }
            _ => Err(errors),
        };
        Checked {
            external_id,
            email,
            entry,
        }
    }

    /// The body `PUT /sponsors/me` would take, read from the profile's columns. What
    /// the API's JSON reader would refuse (a value of the wrong type, an unknown name,
    /// a missing value) is refused here with the same code.
    fn profile_input(&self) -> Result<SponsorProfileInput, FieldErrors> {
        let mut errors = FieldErrors::default();
        let fellowships = errors.take_all("fellowships", list_of(self.cell("fellowships")));
        let sobriety_date = errors.take("sobriety_date", date(self.cell("sobriety_date")));
        let gender = errors.take("gender", required(self.cell("gender")).and_then(named));
        let sponsors = errors.take_all("sponsors", gender_rule(self.cell("sponsors")));
        let age_band = errors.take("age_band", optional(self.cell("age_band")));
        let time_zone = errors.take("time_zone", required(self.cell("time_zone")));
        let availability = errors.take_all("availability", availability(self.cell("availability")));
        let meeting = errors.take_all(
            "meeting",
            meeting(
                self.cell("meeting"),
                [
                    ("latitude", self.cell("meeting.in_person.latitude")),
                    ("longitude", self.cell("meeting.in_person.longitude")),
                    ("radius_km", self.cell("meeting.in_person.radius_km")),
                ],
            ),
        );
        let capacity = errors.take(
            "capacity",
            required(self.cell("capacity")).and_then(whole_number),
        );
        let attributes = errors.take_all("attributes", list_of(self.cell("attributes")));
        let status = errors.take("status", optional(self.cell("status")));
        match (
            fellowships,
            sobriety_date,
            gender,
            sponsors,
            age_band,
            time_zone,
            availability,
            meeting,
            capacity,
            attributes,
            status,
        ) {
            (
                Some(fellowships),
                Some(sobriety_date),
                Some(gender),
                Some(sponsors),
                Some(age_band),
                Some(time_zone),
                Some(availability),
                Some(meeting),
                Some(capacity),
                Some(attributes),
                Some(status),
            ) if errors.is_empty() => Ok(SponsorProfileInput {
                alias: self.cell("alias").to_owned(),
                fellowships,
                sobriety_date,
                gender,
                sponsors,
                age_band,
                languages: items(self.cell("languages")).map(str::to_owned).collect(),
                time_zone: time_zone.to_owned(),
                availability,
                meeting,
                capacity,
                attributes,
                status: status.unwrap_or(SponsorStatus::Active),
                contact: ContactSpec {
                    email: text(self.cell("contact.email")),
                    phone: text(self.cell("contact.phone")),
                },
            }),
            _ => Err(errors),
        }
    }
}

/// The external ids and emails of the rows read so far, with their lines.
#[derive(Default)]
struct Seen {
    external_ids: HashMap<ExternalId, u64>,
    emails: HashMap<EmailAddress, u64>,
}

impl Seen {
    /// The row's entry, unless it repeats an earlier row's external id or email. Those
    /// of a rejected row count too: which of the two rows is meant is for the program
    /// to say.
    fn check(&mut self, line: u64, checked: Checked) -> Result<RosterEntry, FieldErrors> {
        let mut errors = FieldErrors::default();
        if let Some(first) = checked
            .external_id
            .and_then(|id| first_line(&mut self.external_ids, id, line))
        {
            errors.push(duplicate("external_id", first));
        }
        if let Some(first) = checked
            .email
            .and_then(|email| first_line(&mut self.emails, email, line))
        {
            errors.push(duplicate("email", first));
        }
        match checked.entry {
            Ok(entry) if errors.is_empty() => Ok(entry),
            Ok(_) => Err(errors),
            Err(mut problems) => {
                problems.extend(errors);
                Err(problems)
            }
        }
    }
}

/// The line that named `key` first, if not this one; notes this line otherwise.
fn first_line<K: std::hash::Hash + Eq>(
    seen: &mut HashMap<K, u64>,
    key: K,
    line: u64,
) -> Option<u64> {
    let first = *seen.entry(key).or_insert(line);
    (first != line).then_some(first)
}

fn duplicate(field: &str, first: u64) -> FieldError {
    FieldError::new(field, "duplicate", format!("line {first} has it already"))
}

/// The items of a list cell: separated by `;`, trimmed, empty ones left out.
fn items(cell: &str) -> impl Iterator<Item = &str> {
    cell.split(LIST_SEPARATOR)
        .map(str::trim)
        .filter(|item| !item.is_empty())
}

fn text(cell: &str) -> Option<String> {
    (!cell.is_empty()).then(|| cell.to_owned())
}

fn required(cell: &str) -> Result<&str, FieldError> {
    if cell.is_empty() {
        Err(FieldError::new("", "required", "a value is required"))
    } else {
        Ok(cell)
    }
}

/// A value the API spells by its name (`aa`, `non_binary`, `40_49`), read as the
/// API's JSON reader reads it, with its message for an unknown name.
fn named<T: DeserializeOwned>(cell: &str) -> Result<T, FieldError> {
    T::deserialize(cell.into_deserializer())
        .map_err(|e: serde::de::value::Error| FieldError::new("", "invalid", e.to_string()))
}

fn optional<T: DeserializeOwned>(cell: &str) -> Result<Option<T>, FieldError> {
    text(cell).map(|value| named(&value)).transpose()
}

fn list_of<T: DeserializeOwned>(cell: &str) -> Result<Vec<T>, FieldErrors> {
    parse_list(items(cell).collect(), named)
}

fn date(cell: &str) -> Result<NaiveDate, FieldError> {
    super::values::strict_date(required(cell)?)
        .ok_or_else(|| FieldError::new("", "invalid", "must be a date, YYYY-MM-DD"))
}

fn whole_number<T: std::str::FromStr>(cell: &str) -> Result<T, FieldError> {
    cell.parse()
        .map_err(|_| FieldError::new("", "invalid", "must be a whole number"))
}

/// Empty: the same gender (the API's default); `same_gender`, `any_gender`; or the
/// genders sponsored, `woman;non_binary`.
fn gender_rule(cell: &str) -> Result<GenderRule, FieldErrors> {
    match cell {
        "" | "same_gender" => Ok(GenderRule::SameGender),
        "any_gender" => Ok(GenderRule::AnyGender),
        listed => {
            let mut errors = FieldErrors::default();
            let genders = errors.take_all("genders", list_of(listed));
            genders
                .map(|genders| GenderRule::Listed { genders })
                .ok_or(errors)
        }
    }
}

/// `mon:18,19,20;sat:9,10`: each day with its hours, in the time zone's local time.
fn availability(cell: &str) -> Result<AvailabilityInput, FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut days = AvailabilityInput::new();
    for item in items(cell) {
        let Some((day, hours)) = item.split_once(':') else {
            errors.push(FieldError::new(
                "",
                "invalid",
                format!("`{item}`: write each day as mon:18,19,20"),
            ));
            continue;
        };
        let day = day.trim();
        let hours: Vec<&str> = hours
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .collect();
        let Some(hours) = errors.take_all(day, parse_list(hours, whole_number)) else {
            continue;
        };
        if days.insert(day.to_owned(), hours).is_some() {
            errors.push(FieldError::new(
                day,
                "duplicate_field",
                format!("duplicate field `{day}`"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(days)
    } else {
        Err(errors)
    }
}

/// The meeting modes, `phone;video;in_person`, and with `in_person` the area's centre
/// and radius from their own columns.
fn meeting(modes: &str, area: [(&str, &str); 3]) -> Result<MeetingSpec, FieldErrors> {
    let mut errors = FieldErrors::default();
    let modes: Vec<MeetingMode> = items(modes)
        .filter_map(|mode| errors.take("", named(mode)))
        .collect();
    if !errors.is_empty() {
        // Whether the area belongs is unknown until the modes are.
        return Err(errors);
    }
    let in_person = if modes.contains(&MeetingMode::InPerson) {
        let [latitude, longitude, radius_km] = area.map(|(name, cell)| {
            let number = required(cell).and_then(|cell| {
                cell.parse::<f64>()
                    .map_err(|_| FieldError::new("", "invalid", "must be a number"))
            });
            errors.take(&format!("in_person.{name}"), number)
        });
        match (latitude, longitude, radius_km) {
            (Some(latitude), Some(longitude), Some(radius_km)) => Some(InPersonAreaSpec {
                latitude,
                longitude,
                radius_km,
            }),
            _ => None,
        }
    } else {
        for (name, cell) in area {
            if !cell.is_empty() {
                errors.push(FieldError::new(
                    format!("in_person.{name}"),
                    "not_applicable",
                    "in_person is not among the meeting modes",
                ));
            }
        }
        None
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(MeetingSpec {
        phone: modes.contains(&MeetingMode::Phone),
        video: modes.contains(&MeetingMode::Video),
        in_person,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::values::{Fellowship, Gender};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
    }

    /// A good row, as `column=value` overrides of a standard one.
    fn row(changes: &[(&str, &str)]) -> String {
        let standard = [
            ("external_id", "R-1"),
            ("email", "Sam@Example.org"),
            ("display_name", "Sam Rivera"),
            ("alias", "Sam"),
            ("fellowships", "aa;na"),
            ("sobriety_date", "2019-03-01"),
            ("gender", "woman"),
            ("sponsors", "woman;non_binary"),
            ("age_band", "40_49"),
            ("languages", "en;es"),
            ("time_zone", "America/Chicago"),
            ("availability", "mon:18,19,20;sat:9,10"),
            ("meeting", "phone;in_person"),
            ("meeting.in_person.latitude", "41.88"),
            ("meeting.in_person.longitude", "-87.63"),
            ("meeting.in_person.radius_km", "15"),
            ("capacity", "3"),
            ("attributes", "supports_mat;lgbtq_affirming"),
            ("status", ""),
            ("contact.email", "sam@example.org"),
            ("contact.phone", ""),
        ];
        let cells: Vec<String> = standard
            .iter()
            .map(|(column, value)| {
                let value = changes
                    .iter()
                    .find(|(c, _)| c == column)
                    .map_or(*value, |(_, v)| *v);
                format!("\"{}\"", value.replace('"', "\"\""))
            })
            .collect();
        cells.join(",")
    }

    fn file(rows: &[String]) -> Vec<u8> {
        let mut text = COLUMNS.join(",");
        for row in rows {
            text.push('\n');
            text.push_str(row);
        }
        text.into_bytes()
    }

    fn read(rows: &[String]) -> Roster {
        parse(&file(rows), today(), 5).expect("the header is right")
    }

    fn rejected(roster: &Roster) -> Vec<(u64, &str, &str)> {
        roster
            .rejected
            .iter()
            .map(|r| (r.line, r.field.as_str(), r.reason.as_str()))
            .collect()
    }

    #[test]
    fn a_row_becomes_the_body_put_sponsors_me_takes() {
        let roster = read(&[row(&[])]);
        assert_eq!(roster.rejected, []);
        let entry = &roster.entries[0];
        assert_eq!(entry.line, 2);
        assert_eq!(entry.external_id.as_str(), "R-1");
        assert_eq!(entry.email.as_str(), "sam@example.org");
        assert_eq!(entry.display_name.as_str(), "Sam Rivera");
        let profile = &entry.profile;
        assert_eq!(profile.fellowships, [Fellowship::Aa, Fellowship::Na]);
        assert_eq!(
            profile.sponsors,
            GenderRule::Listed {
                genders: vec![Gender::Woman, Gender::NonBinary]
            }
        );
        assert_eq!(profile.languages, ["en", "es"]);
        assert_eq!(
            profile.availability,
            AvailabilityInput::from([
                ("mon".into(), vec![18, 19, 20]),
                ("sat".into(), vec![9, 10])
            ])
        );
        assert!(profile.meeting.phone && !profile.meeting.video);
        assert_eq!(
            profile.meeting.in_person,
            Some(InPersonAreaSpec {
                latitude: 41.88,
                longitude: -87.63,
                radius_km: 15.0
            })
        );
        assert_eq!(profile.capacity, 3);
        assert_eq!(
            profile.status,
            SponsorStatus::Active,
            "empty is the default"
        );
        assert_eq!(profile.contact.phone, None);
        // Stored and read back as the API's JSON, it is the same body.
        let json: SponsorProfileInput =
            serde_json::from_str(&entry.profile_json().unwrap()).unwrap();
        assert_eq!(&json, profile);
    }

    #[test]
    fn cells_the_api_reader_would_refuse_are_refused_with_its_codes() {
        let roster = read(&[row(&[
            ("fellowships", "aa;zz"),
            ("sobriety_date", "01/03/2019"),
            ("gender", ""),
            ("sponsors", "woman;martian"),
            ("availability", "mon:18,x;sun"),
            ("meeting", "phone;fax"),
            ("capacity", "three"),
            ("status", "resting"),
        ])]);
        assert_eq!(roster.entries, []);
        assert_eq!(
            rejected(&roster),
            [
                (2, "fellowships[1]", "invalid"),
                (2, "sobriety_date", "invalid"),
                (2, "gender", "required"),
                (2, "sponsors.genders[1]", "invalid"),
                (2, "availability.mon[1]", "invalid"),
                (2, "availability", "invalid"),
                (2, "meeting", "invalid"),
                (2, "capacity", "invalid"),
                (2, "status", "invalid"),
            ]
        );
        assert!(roster.rejected[0].message.contains("unknown variant `zz`"));
    }

    #[test]
    fn the_profile_is_checked_by_the_apis_own_rules() {
        let roster = read(&[row(&[
            ("email", "not-an-email"),
            ("alias", ""),
            ("languages", "en;xx"),
            ("availability", "mon:18,24;funday:9"),
            ("meeting.in_person.radius_km", "900"),
            ("capacity", "9"),
            ("sobriety_date", "2027-01-01"),
            ("contact.email", ""),
        ])]);
        assert_eq!(
            rejected(&roster),
            [
                (2, "email", "invalid_email"),
                (2, "alias", "empty"),
                (2, "sobriety_date", "in_future"),
                (2, "languages[1]", "unknown_language"),
                (2, "availability.funday", "unknown_day"),
                (2, "availability.mon[1]", "out_of_range"),
                (2, "meeting.in_person.radius_km", "out_of_range"),
                (2, "capacity", "out_of_range"),
                (2, "contact", "no_contact"),
            ]
        );
    }

    #[test]
    fn the_in_person_area_goes_with_the_in_person_mode() {
        let roster = read(&[
            row(&[("meeting.in_person.latitude", "")]),
            row(&[
                ("external_id", "R-2"),
                ("email", "b@example.org"),
                ("meeting", "video"),
            ]),
            row(&[
                ("external_id", "R-3"),
                ("email", "c@example.org"),
                ("meeting", "video"),
                ("meeting.in_person.latitude", ""),
                ("meeting.in_person.longitude", ""),
                ("meeting.in_person.radius_km", ""),
            ]),
        ]);
        assert_eq!(
            rejected(&roster),
            [
                (2, "meeting.in_person.latitude", "required"),
                (3, "meeting.in_person.latitude", "not_applicable"),
                (3, "meeting.in_person.longitude", "not_applicable"),
                (3, "meeting.in_person.radius_km", "not_applicable"),
            ]
        );
        assert_eq!(roster.entries.len(), 1);
        assert_eq!(roster.entries[0].profile.meeting.in_person, None);
    }

    #[test]
    fn a_later_row_repeating_an_external_id_or_email_is_rejected_on_its_own_line() {
        // A quoted cell over two lines: lines are counted as an editor counts them.
        let first = row(&[("alias", "Sam\nRivera")]);
        let roster = read(&[
            first,
            row(&[("email", "other@example.org")]),
            row(&[("external_id", "R-9"), ("email", "SAM@example.org")]),
            row(&[("external_id", "R-10"), ("email", "new@example.org")]),
        ]);
        assert_eq!(
            rejected(&roster),
            [(4, "external_id", "duplicate"), (5, "email", "duplicate")]
        );
        assert_eq!(roster.rejected[0].message, "line 2 has it already");
        let lines: Vec<u64> = roster.entries.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 6]);
    }

    #[test]
    fn a_row_of_the_wrong_length_is_rejected_and_blank_lines_are_skipped() {
        let roster = read(&["a,b,c".to_owned(), String::new(), row(&[])]);
        assert_eq!(rejected(&roster), [(2, "row", "field_count")]);
        assert_eq!(roster.entries[0].line, 4);
    }

    #[test]
    fn the_header_must_name_every_column_once_and_nothing_else() {
        let header = COLUMNS
            .join(",")
            .replace("alias,", "")
            .replace("gender,", "gender,gender,")
            + ",favourite_colour";
        let problems = parse(header.as_bytes(), today(), 5).unwrap_err();
        let found: Vec<(u64, &str, &str)> = problems
            .iter()
            .map(|r| (r.line, r.field.as_str(), r.reason.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (1, "gender", "duplicate_column"),
                (1, "favourite_colour", "unknown_column"),
                (1, "alias", "missing_column"),
            ]
        );
        let empty = parse(b"", today(), 5).unwrap_err();
        assert_eq!(empty[0].field, "header");
        // Columns in another order, after a byte order mark, are fine.
        let mut reordered: Vec<&str> = COLUMNS.to_vec();
        reordered.reverse();
        let text = format!("\u{feff}{}", reordered.join(","));
        assert!(parse(text.as_bytes(), today(), 5).is_ok());
    }

    #[test]
    fn the_content_hash_changes_with_what_the_row_says() {
        let same = read(&[row(&[])]);
        let again = read(&[row(&[("external_id", "R-1")])]);
        let renamed = read(&[row(&[("display_name", "Sam R.")])]);
        let hash = |roster: &Roster| roster.entries[0].content_hash().unwrap();
        assert_eq!(hash(&same), hash(&again));
        assert_ne!(hash(&same), hash(&renamed));
        assert_eq!(hash(&same).len(), 64);
    }

    #[test]
    fn external_ids_are_bounded_single_line_text() {
        assert_eq!(ExternalId::parse(" R-1 ".into()).unwrap().as_str(), "R-1");
        assert_eq!(ExternalId::parse("".into()).unwrap_err().code, "empty");
        assert_eq!(
            ExternalId::parse("x".repeat(65)).unwrap_err().code,
            "too_long"
        );
        assert_eq!(
            ExternalId::parse("a\tb".into()).unwrap_err().code,
            "control_characters"
        );
    }
}
