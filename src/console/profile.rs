//! The sponsor's own profile: a form of every field of the API's `PUT /sponsors/me`,
//! saved through the same service function, and pausing.
//!
//! The form's controls follow the API's fields; a domain error's field path
//! (`meeting.in_person.radius_km`, `availability.mon[3]`, `contact.email`) names the
//! control it is shown beside ([`control_of`]). The form carries the version it was
//! made from, so an edit made meanwhile elsewhere is noticed, not overwritten.

use std::sync::LazyLock;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::ConsoleError;
use super::page::{done_note, page_with_status, see_other};
use super::session::{Form, SignedIn, Sponsors, Visitor};
use crate::app::AppState;
use crate::domain::error::{FieldError, FieldErrors};
use crate::domain::sponsor::{SponsorProfileInput, SponsorStatus};
use crate::domain::values::{
    AgeBand, Attribute, AvailabilityInput, ContactSpec, Day, Fellowship, Gender, GenderRule,
    InPersonAreaSpec, LanguageCode, MeetingMode, MeetingSpec, SobrietyDate, strict_date,
};
use crate::service::{self, ServiceError};
use crate::store::StoreError;
use crate::store::sponsors::SponsorProfileRecord;

/// Notes the profile page may show after a redirect.
const NOTES: &[&str] = &["note-profile-saved", "note-paused", "note-resumed"];

/// Where an error is shown, in the order of the page: the error summary lists them so.
const CONTROLS: &[&str] = &[
    "alias",
    "fellowships",
    "sobriety_date",
    "gender",
    "sponsors",
    "sponsors_genders",
    "age_band",
    "languages",
    "time_zone",
    "availability",
    "meeting",
    "latitude",
    "longitude",
    "radius_km",
    "capacity",
    "attributes",
    "contact",
    "contact_email",
    "contact_phone",
    "form",
];

/// Languages offered first; the others are one click away under "More languages".
const COMMON_LANGUAGES: &[&str] = &[
    "ar", "de", "en", "es", "fr", "hi", "it", "ja", "ko", "pl", "pt", "ru", "tl", "uk", "vi", "zh",
];

/// The IANA areas whose zones the time zone list offers (the others are old aliases
/// such as `US/Central`, still taken, and shown when a profile has one).
const TIME_ZONE_AREAS: &[&str] = &[
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
];

/// Every language the domain takes, with its English name, by name.
static LANGUAGES: LazyLock<Vec<(String, &'static str)>> = LazyLock::new(|| {
    let mut all: Vec<(String, &'static str)> = LanguageCode::all()
        .into_iter()
        .filter_map(|code| {
            let name = isolang::Language::from_639_1(&code)?.to_name();
            Some((code, name))
        })
        .collect();
    all.sort_by(|a, b| a.1.cmp(b.1));
    all
});

/// The time zones offered, by area.
static TIME_ZONES: LazyLock<Vec<(&'static str, Vec<&'static str>)>> = LazyLock::new(|| {
    TIME_ZONE_AREAS
        .iter()
        .map(|area| {
            let mut zones: Vec<&'static str> = chrono_tz::TZ_VARIANTS
                .iter()
                .map(|tz| tz.name())
                .filter(|name| name.split_once('/').is_some_and(|(a, _)| a == *area))
                .collect();
            zones.sort_unstable();
            (*area, zones)
        })
        .collect()
});

/// A code as the API writes it (`aa`, `18_29`, `in_person`).
fn code<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn codes<T: Serialize>(values: &[T]) -> Vec<String> {
    values.iter().map(code).collect()
}

/// A code the form offers; any other is a form the console did not make.
fn decode<T: DeserializeOwned>(text: &str) -> Result<T, ConsoleError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| ConsoleError::Malformed)
}

fn decode_all<T: DeserializeOwned>(texts: &[String]) -> Result<Vec<T>, ConsoleError> {
    texts.iter().map(|t| decode(t)).collect()
}

/// What the form holds, as the person wrote it: shown again as it was when something is
/// wrong.
#[derive(Debug, Clone, Default, Serialize)]
struct ProfileForm {
    alias: String,
    fellowships: Vec<String>,
    sobriety_date: String,
    gender: String,
    sponsors: String,
    sponsors_genders: Vec<String>,
    age_band: String,
    languages: Vec<String>,
    time_zone: String,
    /// Ticked hours, `mon-18`.
    hours: Vec<String>,
    meeting: Vec<String>,
    latitude: String,
    longitude: String,
    radius_km: String,
    capacity: String,
    attributes: Vec<String>,
    contact_email: String,
    contact_phone: String,
    status: String,
    /// The version of the profile the form was made from; none for a first profile.
    version: Option<i32>,
}

impl ProfileForm {
    /// A new sponsor's form: the domain's defaults, the page's language, one sponsee.
    fn blank() -> Self {
        Self {
            sponsors: rule_code(&GenderRule::default()),
            languages: vec!["en".into()],
            radius_km: "10".into(),
            capacity: "1".into(),
            status: code(&SponsorStatus::Active),
            ..Self::default()
        }
    }

    fn from_record(record: &SponsorProfileRecord) -> Self {
        let (sponsors, sponsors_genders) = match &record.sponsors {
            GenderRule::Listed { genders } => (rule_code(&record.sponsors), codes(genders)),
            rule => (rule_code(rule), Vec::new()),
        };
        let area = record.meeting.in_person.as_ref();
        let mut meeting = Vec::new();
        for (mode, on) in [
            (MeetingMode::Phone, record.meeting.phone),
            (MeetingMode::Video, record.meeting.video),
            (MeetingMode::InPerson, area.is_some()),
        ] {
            if on {
                meeting.push(code(&mode));
            }
        }
        let contact = record.contact.clone().unwrap_or(ContactSpec {
            email: None,
            phone: None,
        });
        Self {
            alias: record.alias.clone(),
            fellowships: codes(&record.fellowships),
            sobriety_date: record.sobriety_date.format("%Y-%m-%d").to_string(),
            gender: code(&record.gender),
            sponsors,
            sponsors_genders,
            age_band: record.age_band.as_ref().map(code).unwrap_or_default(),
            languages: record.languages.clone(),
            time_zone: record.time_zone.clone(),
            hours: record
                .availability
                .iter()
                .flat_map(|(day, hours)| hours.iter().map(|h| format!("{}-{h}", day.name())))
                .collect(),
            meeting,
            latitude: area.map(|a| a.latitude.to_string()).unwrap_or_default(),
            longitude: area.map(|a| a.longitude.to_string()).unwrap_or_default(),
            radius_km: area.map_or_else(|| "10".into(), |a| a.radius_km.to_string()),
            capacity: record.capacity.to_string(),
            attributes: codes(&record.attributes),
            contact_email: contact.email.unwrap_or_default(),
            contact_phone: contact.phone.unwrap_or_default(),
            status: code(&record.status),
            version: Some(record.version),
        }
    }

    fn from_form(form: &Form) -> Self {
        let all = |name: &str| form.all(name).into_iter().map(str::to_owned).collect();
        Self {
            alias: form.text("alias"),
            fellowships: all("fellowships"),
            sobriety_date: form.text("sobriety_date"),
            gender: form.text("gender"),
            sponsors: form.text("sponsors"),
            sponsors_genders: all("sponsors_genders"),
            age_band: form.text("age_band"),
            languages: all("languages"),
            time_zone: form.text("time_zone"),
            hours: all("hour"),
            meeting: all("meeting"),
            latitude: form.text("latitude"),
            longitude: form.text("longitude"),
            radius_km: form.text("radius_km"),
            capacity: form.text("capacity"),
            attributes: all("attributes"),
            contact_email: form.text("contact_email"),
            contact_phone: form.text("contact_phone"),
            status: form.text("status"),
            version: form.get("version").and_then(|v| v.parse().ok()),
        }
    }

    /// The API's body from the form, with what is wrong with the form's own shape (a
    /// choice not made, a date not written as one), which the body cannot carry: there
    /// the body holds a stand-in the domain takes, and the problem is kept apart. What
    /// the domain checks goes to it as written, numbers that are none as ones it
    /// refuses (0, NaN), so the domain says what is wrong.
    fn to_input(&self) -> Result<(SponsorProfileInput, FieldErrors), ConsoleError> {
        let mut shape = FieldErrors::default();
        let sobriety_date = match strict_date(self.sobriety_date.trim()) {
            Some(date) => date,
            None => {
                let code = if self.sobriety_date.trim().is_empty() {
                    "required"
                } else {
                    "invalid_date"
                };
                shape.push(FieldError::new(
                    "sobriety_date",
                    code,
                    "must be a date as YYYY-MM-DD",
                ));
                SobrietyDate::FIRST
            }
        };
        let gender = if self.gender.is_empty() {
            shape.push(FieldError::new("gender", "required", "choose one"));
            Gender::Woman
        } else {
            decode(&self.gender)?
        };
        let sponsors = match self.sponsors.as_str() {
            "" => GenderRule::default(),
            "listed" => GenderRule::Listed {
                genders: decode_all(&self.sponsors_genders)?,
            },
            rule => decode_rule(rule)?,
        };
        let age_band = match self.age_band.as_str() {
            "" => None,
            band => Some(decode::<AgeBand>(band)?),
        };
        let mut availability = AvailabilityInput::new();
        for slot in &self.hours {
            let (day, hour) = slot.split_once('-').ok_or(ConsoleError::Malformed)?;
            availability
                .entry(day.to_owned())
                .or_default()
                .push(hour.parse().unwrap_or(u8::MAX));
        }
        let modes: Vec<MeetingMode> = decode_all(&self.meeting)?;
        let number = |text: &str| {
            text.trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .unwrap_or(f64::NAN)
        };
        let meeting = MeetingSpec {
            phone: modes.contains(&MeetingMode::Phone),
            video: modes.contains(&MeetingMode::Video),
            in_person: modes
                .contains(&MeetingMode::InPerson)
                .then(|| InPersonAreaSpec {
                    latitude: number(&self.latitude),
                    longitude: number(&self.longitude),
                    radius_km: number(&self.radius_km),
                }),
        };
        let given = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        let input = SponsorProfileInput {
            alias: self.alias.clone(),
            fellowships: decode_all::<Fellowship>(&self.fellowships)?,
            sobriety_date,
            gender,
            sponsors,
            age_band,
            languages: self.languages.clone(),
            time_zone: self.time_zone.clone(),
            availability,
            meeting,
            capacity: self.capacity.trim().parse().unwrap_or(0),
            attributes: decode_all::<Attribute>(&self.attributes)?,
            status: match self.status.as_str() {
                "" => SponsorStatus::Active,
                status => decode(status)?,
            },
            contact: ContactSpec {
                email: given(&self.contact_email),
                phone: given(&self.contact_phone),
            },
        };
        Ok((input, shape))
    }
}

/// The code of a gender rule, its `rule` tag (`same_gender`).
fn rule_code(rule: &GenderRule) -> String {
    serde_json::to_value(rule)
        .ok()
        .and_then(|v| v["rule"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn decode_rule(rule: &str) -> Result<GenderRule, ConsoleError> {
    serde_json::from_value(serde_json::json!({ "rule": rule })).map_err(|_| ConsoleError::Malformed)
}

/// Every rule's code, in the order the form offers them.
fn rule_codes() -> Vec<String> {
    [
        GenderRule::SameGender,
        GenderRule::AnyGender,
        GenderRule::Listed { genders: vec![] },
    ]
    .iter()
    .map(rule_code)
    .collect()
}

/// The control an error of the API's field path belongs to.
fn control_of(field: &str) -> &'static str {
    let head = field.split(['.', '[']).next().unwrap_or_default();
    match (head, field) {
        (_, "meeting.in_person.latitude") => "latitude",
        (_, "meeting.in_person.longitude") => "longitude",
        (_, "meeting.in_person.radius_km") => "radius_km",
        (_, "contact.email") => "contact_email",
        (_, "contact.phone") => "contact_phone",
        ("sponsors", f) if f.starts_with("sponsors.genders") => "sponsors_genders",
        (head, _) => CONTROLS
            .iter()
            .copied()
            .find(|c| *c == head)
            .unwrap_or("form"),
    }
}

/// One error as the page shows it: beside its control and in the summary.
#[derive(Debug, Serialize)]
struct ShownError {
    control: &'static str,
    /// The id of the element the summary links to.
    anchor: &'static str,
    /// The catalogue's words, if it has some for this error; else `message`.
    words: Option<String>,
    message: String,
}

/// The errors to show, one per control (the first), in the page's order.
fn shown_errors(errors: FieldErrors) -> Vec<ShownError> {
    let catalogue = crate::templates::catalogue("en");
    let mut shown: Vec<ShownError> = Vec::new();
    for error in errors.into_vec() {
        let control = control_of(&error.field);
        if shown.iter().any(|s| s.control == control) {
            continue;
        }
        let code = error.code.replace('_', "-");
        let words = [
            format!("field-error-{}-{code}", control.replace('_', "-")),
            format!("field-error-{code}"),
        ]
        .into_iter()
        .find(|key| catalogue.has(key));
        shown.push(ShownError {
            control,
            anchor: match control {
                "contact" => "contact_email",
                "form" => "profile-form",
                other => other,
            },
            words,
            message: error.message,
        });
    }
    shown.sort_by_key(|s| CONTROLS.iter().position(|c| *c == s.control));
    shown
}

/// What the page says above the form.
#[derive(Default)]
struct Notices {
    note: Option<&'static str>,
    /// The profile changed since the form was made.
    stale: bool,
}

#[derive(Serialize)]
struct Choice {
    code: String,
    name: &'static str,
}

fn profile_page(
    visitor: &Visitor,
    status: StatusCode,
    form: &ProfileForm,
    saved_status: Option<SponsorStatus>,
    max_capacity: u8,
    errors: Vec<ShownError>,
    notices: Notices,
) -> HttpResponse {
    let chosen = |code: &str| form.languages.iter().any(|c| c == code);
    let (common, more): (Vec<Choice>, Vec<Choice>) = LANGUAGES
        .iter()
        .map(|(code, name)| Choice {
            code: code.clone(),
            name,
        })
        .partition(|l| COMMON_LANGUAGES.contains(&l.code.as_str()) || chosen(&l.code));
    // UTC, and a zone the profile has that the areas do not list (`US/Central`).
    let zone = form.time_zone.as_str();
    let listed = TIME_ZONES.iter().any(|(_, zones)| zones.contains(&zone));
    let mut other_zones = vec!["UTC"];
    if !listed && !zone.is_empty() && zone != "UTC" {
        other_zones.push(zone);
    }
    let hours: Vec<(u8, String)> = (0..24u8).map(|h| (h, format!("{h:02}"))).collect();
    let by_control: std::collections::BTreeMap<&str, &ShownError> =
        errors.iter().map(|e| (e.control, e)).collect();
    page_with_status(
        visitor,
        status,
        "console/profile.html",
        minijinja::context! {
            nav => "profile",
            form,
            is_new => saved_status.is_none(),
            saved_status => saved_status.as_ref().map(code),
            max_capacity,
            errors => by_control,
            summary => errors,
            note => notices.note,
            stale => notices.stale,
            fellowships => codes(&Fellowship::ALL),
            genders => codes(<Gender as strum::VariantArray>::VARIANTS),
            rules => rule_codes(),
            age_bands => codes(<AgeBand as strum::VariantArray>::VARIANTS),
            common_languages => common,
            more_languages => more,
            more_languages_open => form.languages.iter().any(|c| !COMMON_LANGUAGES.contains(&c.as_str())),
            time_zones => &*TIME_ZONES,
            other_zones,
            days => codes(&Day::ALL),
            hours,
            modes => codes(&[MeetingMode::Phone, MeetingMode::Video, MeetingMode::InPerson]),
            attributes => codes(&Attribute::ALL),
        },
    )
}

/// The program's maximum capacity, which the form states.
async fn max_capacity(
    state: &AppState,
    signed_in: &SignedIn<Sponsors>,
) -> Result<u8, ConsoleError> {
    let me = service::accounts::me(&state.db, signed_in.actor.principal).await?;
    Ok(me.program.max_capacity())
}

/// The profile as saved, none before the first.
async fn saved(
    state: &AppState,
    signed_in: &SignedIn<Sponsors>,
) -> Result<Option<SponsorProfileRecord>, ConsoleError> {
    match service::sponsors::own_profile(&state.db, signed_in.user).await {
        Ok(record) => Ok(Some(record)),
        Err(StoreError::NotFound) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: SignedIn<Sponsors>,
) -> Result<HttpResponse, ConsoleError> {
    let max = max_capacity(&state, &signed_in).await?;
    let record = saved(&state, &signed_in).await?;
    let form = record
        .as_ref()
        .map_or_else(ProfileForm::blank, ProfileForm::from_record);
    let notices = Notices {
        note: done_note(req.query_string(), NOTES),
        stale: false,
    };
    Ok(profile_page(
        &signed_in.visitor,
        StatusCode::OK,
        &form,
        record.map(|r| r.status),
        max,
        Vec::new(),
        notices,
    ))
}

pub async fn submit(
    state: web::Data<AppState>,
    signed_in: SignedIn<Sponsors>,
    form: Form,
) -> Result<HttpResponse, ConsoleError> {
    let mut values = ProfileForm::from_form(&form);
    let (input, shape) = values.to_input()?;
    let outcome = if shape.is_empty() {
        service::sponsors::save_profile(
            &state.db,
            &state.pool,
            signed_in.actor.clone(),
            signed_in.user,
            input,
            values.version,
        )
        .await
        .map(|_| ())
    } else {
        // Nothing is saved; the domain still says what else is wrong.
        match service::sponsors::check_profile(&state.db, &signed_in.actor, input).await {
            Ok(()) => Err(ServiceError::Invalid(shape)),
            Err(ServiceError::Invalid(mut errors)) => {
                errors.extend(shape);
                Err(ServiceError::Invalid(errors))
            }
            Err(other) => Err(other),
        }
    };
    let (status, errors, stale) = match outcome {
        Ok(()) => return Ok(see_other("/app/profile", Some("note-profile-saved"))),
        Err(ServiceError::Invalid(errors)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            shown_errors(errors),
            false,
        ),
        Err(ServiceError::Store(
            StoreError::VersionMismatch { .. } | StoreError::VersionRequired { .. },
        )) => (StatusCode::CONFLICT, Vec::new(), true),
        Err(other) => return Err(other.into()),
    };
    let record = saved(&state, &signed_in).await?;
    if stale {
        // Saving again replaces the other change, knowingly; the status stays as it
        // is now (a pause elsewhere is not undone by this form).
        values.version = record.as_ref().map(|r| r.version);
        if let Some(record) = &record {
            values.status = code(&record.status);
        }
    }
    let max = max_capacity(&state, &signed_in).await?;
    Ok(profile_page(
        &signed_in.visitor,
        status,
        &values,
        record.map(|r| r.status),
        max,
        errors,
        Notices { note: None, stale },
    ))
}

async fn set_status(
    state: web::Data<AppState>,
    signed_in: SignedIn<Sponsors>,
    status: SponsorStatus,
    note: &'static str,
) -> Result<HttpResponse, ConsoleError> {
    service::sponsors::set_status(
        &state.db,
        &state.pool,
        signed_in.actor,
        signed_in.user,
        status,
    )
    .await?;
    Ok(see_other("/app/profile", Some(note)))
}

pub async fn pause(
    state: web::Data<AppState>,
    signed_in: SignedIn<Sponsors>,
    _form: Form,
) -> Result<HttpResponse, ConsoleError> {
    set_status(state, signed_in, SponsorStatus::Paused, "note-paused").await
}

pub async fn resume(
    state: web::Data<AppState>,
    signed_in: SignedIn<Sponsors>,
    _form: Form,
) -> Result<HttpResponse, ConsoleError> {
    set_status(state, signed_in, SponsorStatus::Active, "note-resumed").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_path_of_the_domain_has_its_control() {
        for (field, control) in [
            ("alias", "alias"),
            ("fellowships", "fellowships"),
            ("sobriety_date", "sobriety_date"),
            ("sponsors.genders", "sponsors_genders"),
            ("languages[2]", "languages"),
            ("time_zone", "time_zone"),
            ("availability", "availability"),
            ("availability.mon[3]", "availability"),
            ("meeting", "meeting"),
            ("meeting.in_person.latitude", "latitude"),
            ("meeting.in_person.longitude", "longitude"),
            ("meeting.in_person.radius_km", "radius_km"),
            ("capacity", "capacity"),
            ("contact", "contact"),
            ("contact.email", "contact_email"),
            ("contact.phone", "contact_phone"),
            ("something_else", "form"),
        ] {
            assert_eq!(control_of(field), control, "{field}");
        }
    }

    #[test]
    fn the_offered_time_zones_and_languages_are_those_the_domain_takes() {
        for (_, zones) in TIME_ZONES.iter() {
            for zone in zones {
                assert!(crate::domain::values::TimeZone::parse((*zone).into()).is_ok());
            }
        }
        assert!(LANGUAGES.len() > 150);
        for code in COMMON_LANGUAGES {
            assert!(LANGUAGES.iter().any(|(c, _)| c == code), "{code}");
        }
    }
}
