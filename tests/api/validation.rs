//! Bad input, field by field: every request body the API accepts, each field made
//! wrong in the ways a client gets it wrong, answered with an RFC 9457 problem that
//! names exactly that field, and nothing written.
//!
//! Each table is a `const` slice of cases; its length is the number of bad inputs it
//! sends. A table's cases all start from one valid body that the test also sends, so a
//! case can only pass because of the one thing it breaks.

use chrono::{Duration, Utc};
use reqwest::header::{CONTENT_TYPE, IF_MATCH};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    Caller, PASSWORD, TestApp, consent_body, expect_json, expect_problem, invalid_fields,
    seeker_body, sponsor_body,
};

/// One bad body: what is wrong, how to make a valid body so, and the field path and
/// code the problem must name.
type Case = (&'static str, fn(&mut Value), &'static str, &'static str);

const PROBLEM: &str = "urn:problem:sponsor-match:";
/// `server.max_body_bytes` in `config/default.toml`.
const MAX_BODY_BYTES: usize = 64 * 1024;

// ---------------------------------------------------------------------------------
// Mutation helpers

fn remove(body: &mut Value, key: &str) {
    body.as_object_mut()
        .expect("an object")
        .remove(key)
        .expect("the field to remove is present");
}

fn date_from_today(days: i64) -> String {
    (Utc::now().date_naive() + Duration::days(days)).to_string()
}

fn time_from_now(duration: Duration) -> String {
    (Utc::now() + duration).to_rfc3339()
}

// ---------------------------------------------------------------------------------
// Checking problems

/// Checks an RFC 9457 problem without panicking, so a table reports every failing
/// case at once: status, media type, type URN, detail, request id.
async fn problem(response: Response, status: StatusCode, kind: &str) -> Result<Value, String> {
    let actual = response.status();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (content_type, request_id) = (header("content-type"), header("x-request-id"));
    let text = response.text().await.map_err(|e| format!("no body: {e}"))?;
    if actual != status {
        return Err(format!("status {actual}, expected {status}; body: {text}"));
    }
    if content_type != "application/problem+json" {
        return Err(format!("content type `{content_type}`; body: {text}"));
    }
    let body: Value = serde_json::from_str(&text).map_err(|e| format!("{e}; body: {text}"))?;
    let expected_type = format!("{PROBLEM}{kind}");
    if body["type"] != expected_type.as_str() {
        return Err(format!("type is not {expected_type}: {body}"));
    }
    if body["status"] != status.as_u16() {
        return Err(format!("status member differs: {body}"));
    }
    if body["detail"].as_str().is_none_or(str::is_empty)
        || body["title"].as_str().is_none_or(str::is_empty)
    {
        return Err(format!("no title or detail: {body}"));
    }
    if request_id.is_empty() || body["request_id"] != request_id.as_str() {
        return Err(format!("request id `{request_id}` not echoed: {body}"));
    }
    Ok(body)
}

/// A 422 validation problem naming exactly `field`, with `code`.
async fn validation_problem(response: Response, field: &str, code: &str) -> Result<(), String> {
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "validation").await?;
    let fields = invalid_fields(&body);
    if fields != [field] {
        return Err(format!("names {fields:?}, expected [{field:?}]: {body}"));
    }
    let error = &body["errors"][0];
    if error["code"] != code {
        return Err(format!("code {}, expected {code:?}: {body}", error["code"]));
    }
    if error["message"].as_str().is_none_or(str::is_empty) {
        return Err(format!("no message: {body}"));
    }
    Ok(())
}

fn assert_no_failures(table: &str, cases: usize, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{table}: {} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Sends each case's body with `send` and expects a 422 naming the case's field.
async fn reject_all(
    table: &str,
    cases: &[Case],
    valid: &Value,
    send: impl Fn(&Value) -> RequestBuilder,
) {
    let mut failures = Vec::new();
    for (what, mutate, field, code) in cases {
        let mut body = valid.clone();
        mutate(&mut body);
        assert_ne!(&body, valid, "{table}: `{what}` changed nothing");
        let response = send(&body).send().await.expect("request sent");
        if let Err(why) = validation_problem(response, field, code).await {
            failures.push(format!("{what}: {why}"));
        }
    }
    assert_no_failures(table, cases.len(), &failures);
}

async fn portal(app: &TestApp) -> (Caller, Caller) {
    let admin = app.create_program("Riverside").await;
    let portal = app.add_portal_key(&admin).await;
    (admin, portal)
}

async fn seeker_ids(app: &TestApp, portal: &Caller) -> Vec<String> {
    let page = app
        .get("/api/v1/seekers", portal)
        .send()
        .await
        .expect("list seekers");
    let page = expect_json(page, StatusCode::OK).await;
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|s| s["id"].as_str().expect("id").to_owned())
        .collect()
}

// ---------------------------------------------------------------------------------
// Seeker profile: POST /api/v1/seekers, PUT /api/v1/seekers/{id}

const SEEKER_CASES: &[Case] = &[
    // alias
    ("alias empty", |b| b["alias"] = json!(""), "alias", "empty"),
    (
        "alias whitespace",
        |b| b["alias"] = json!(" \t "),
        "alias",
        "empty",
    ),
    (
        "alias 61 characters",
        |b| b["alias"] = json!("x".repeat(61)),
        "alias",
        "too_long",
    ),
    (
        "alias with a bell",
        |b| b["alias"] = json!("Jo\u{7}"),
        "alias",
        "control_characters",
    ),
    (
        "alias with NUL",
        |b| b["alias"] = json!("J\u{0}o"),
        "alias",
        "invalid_character",
    ),
    (
        "alias a number",
        |b| b["alias"] = json!(42),
        "alias",
        "invalid",
    ),
    (
        "alias null",
        |b| b["alias"] = Value::Null,
        "alias",
        "invalid",
    ),
    // fellowships
    (
        "fellowships empty",
        |b| b["fellowships"] = json!([]),
        "fellowships",
        "empty",
    ),
    (
        "fellowship unknown",
        |b| b["fellowships"] = json!(["aa", "bogus"]),
        "fellowships[1]",
        "invalid",
    ),
    (
        "fellowship upper case",
        |b| b["fellowships"] = json!(["AA"]),
        "fellowships[0]",
        "invalid",
    ),
    (
        "fellowships a string",
        |b| b["fellowships"] = json!("aa"),
        "fellowships",
        "invalid",
    ),
    // gender
    (
        "gender unknown",
        |b| b["gender"] = json!("robot"),
        "gender",
        "invalid",
    ),
    // gender_preference
    (
        "gender_preference listed without genders",
        |b| b["gender_preference"] = json!({ "rule": "listed", "genders": [] }),
        "gender_preference.genders",
        "empty",
    ),
    (
        "gender_preference unknown rule",
        |b| b["gender_preference"] = json!({ "rule": "whoever" }),
        "gender_preference.rule",
        "invalid",
    ),
    (
        "gender_preference listed, genders missing",
        |b| b["gender_preference"] = json!({ "rule": "listed" }),
        "gender_preference.genders",
        "required",
    ),
    (
        "gender_preference without rule",
        |b| b["gender_preference"] = json!({ "genders": ["woman"] }),
        "gender_preference.rule",
        "required",
    ),
    (
        "gender_preference a string",
        |b| b["gender_preference"] = json!("same_gender"),
        "gender_preference",
        "invalid",
    ),
    // languages
    (
        "languages empty",
        |b| b["languages"] = json!([]),
        "languages",
        "empty",
    ),
    (
        "language unknown",
        |b| b["languages"] = json!(["en", "xx"]),
        "languages[1]",
        "unknown_language",
    ),
    (
        "language 3-letter code",
        |b| b["languages"] = json!(["eng"]),
        "languages[0]",
        "unknown_language",
    ),
    (
        "language empty string",
        |b| b["languages"] = json!(["en", "es", ""]),
        "languages[2]",
        "unknown_language",
    ),
    (
        "language a number",
        |b| b["languages"] = json!([7]),
        "languages[0]",
        "invalid",
    ),
    // time_zone
    (
        "time_zone unknown",
        |b| b["time_zone"] = json!("Mars/Olympus"),
        "time_zone",
        "unknown_time_zone",
    ),
    (
        "time_zone empty",
        |b| b["time_zone"] = json!(""),
        "time_zone",
        "unknown_time_zone",
    ),
    (
        "time_zone an offset number",
        |b| b["time_zone"] = json!(-6),
        "time_zone",
        "invalid",
    ),
    // availability
    (
        "availability hour 24",
        |b| b["availability"]["tue"] = json!([24, 19]),
        "availability.tue[0]",
        "out_of_range",
    ),
    (
        "availability hour 24 later",
        |b| b["availability"]["sun"] = json!([10, 11, 24]),
        "availability.sun[2]",
        "out_of_range",
    ),
    (
        "availability empty map",
        |b| b["availability"] = json!({}),
        "availability",
        "empty",
    ),
    (
        "availability days without hours",
        |b| b["availability"] = json!({ "tue": [], "sun": [] }),
        "availability",
        "empty",
    ),
    (
        "availability an array",
        |b| b["availability"] = json!([19, 20]),
        "availability",
        "invalid",
    ),
    (
        "availability unknown day",
        |b| b["availability"]["funday"] = json!([10]),
        "availability.funday",
        "unknown_day",
    ),
    (
        "availability full day name",
        |b| b["availability"]["tuesday"] = json!([10]),
        "availability.tuesday",
        "unknown_day",
    ),
    (
        "availability hour negative",
        |b| b["availability"]["tue"] = json!([-1]),
        "availability.tue[0]",
        "invalid",
    ),
    (
        "availability hour 300",
        |b| b["availability"]["tue"] = json!([19, 300]),
        "availability.tue[1]",
        "invalid",
    ),
    (
        "availability hour a string",
        |b| b["availability"]["tue"] = json!(["19"]),
        "availability.tue[0]",
        "invalid",
    ),
    (
        "availability hours not a list",
        |b| b["availability"]["sun"] = json!(10),
        "availability.sun",
        "invalid",
    ),
    // meeting
    (
        "meeting without any mode",
        |b| b["meeting"] = json!({}),
        "meeting",
        "no_meeting_mode",
    ),
    (
        "meeting all modes off",
        |b| b["meeting"] = json!({ "phone": false, "video": false }),
        "meeting",
        "no_meeting_mode",
    ),
    (
        "meeting latitude 91",
        |b| b["meeting"]["in_person"]["latitude"] = json!(91),
        "meeting.in_person.latitude",
        "out_of_range",
    ),
    (
        "meeting latitude -90.5",
        |b| b["meeting"]["in_person"]["latitude"] = json!(-90.5),
        "meeting.in_person.latitude",
        "out_of_range",
    ),
    (
        "meeting longitude -181",
        |b| b["meeting"]["in_person"]["longitude"] = json!(-181),
        "meeting.in_person.longitude",
        "out_of_range",
    ),
    (
        "meeting radius 0",
        |b| b["meeting"]["in_person"]["radius_km"] = json!(0),
        "meeting.in_person.radius_km",
        "out_of_range",
    ),
    (
        "meeting radius 1000",
        |b| b["meeting"]["in_person"]["radius_km"] = json!(1000),
        "meeting.in_person.radius_km",
        "out_of_range",
    ),
    (
        "meeting radius negative",
        |b| b["meeting"]["in_person"]["radius_km"] = json!(-5),
        "meeting.in_person.radius_km",
        "out_of_range",
    ),
    (
        "meeting radius a string",
        |b| b["meeting"]["in_person"]["radius_km"] = json!("10"),
        "meeting.in_person.radius_km",
        "invalid",
    ),
    (
        "meeting in_person without radius",
        |b| remove(&mut b["meeting"]["in_person"], "radius_km"),
        "meeting.in_person.radius_km",
        "required",
    ),
    (
        "meeting in_person unknown field",
        |b| b["meeting"]["in_person"]["address"] = json!("1 Main St"),
        "meeting.in_person.address",
        "unknown_field",
    ),
    (
        "meeting unknown mode",
        |b| b["meeting"]["fax"] = json!(true),
        "meeting.fax",
        "unknown_field",
    ),
    (
        "meeting video a string",
        |b| b["meeting"]["video"] = json!("yes"),
        "meeting.video",
        "invalid",
    ),
    (
        "meeting a string",
        |b| b["meeting"] = json!("video"),
        "meeting",
        "invalid",
    ),
    // needs
    (
        "need unknown",
        |b| b["needs"] = json!(["supports_mat", "unicorns"]),
        "needs[1]",
        "invalid",
    ),
    (
        "needs a string",
        |b| b["needs"] = json!("supports_mat"),
        "needs",
        "invalid",
    ),
    // preferences
    (
        "preferences unknown field",
        |b| b["preferences"]["vibe"] = json!("calm"),
        "preferences.vibe",
        "unknown_field",
    ),
    (
        "preferences unknown age band",
        |b| b["preferences"]["age_bands"] = json!(["30_39", "20_29"]),
        "preferences.age_bands[1]",
        "invalid",
    ),
    (
        "preferences unknown attribute",
        |b| b["preferences"]["attributes"] = json!(["bogus"]),
        "preferences.attributes[0]",
        "invalid",
    ),
    (
        "preferences unknown meeting mode",
        |b| b["preferences"]["meeting_modes"] = json!(["pigeon"]),
        "preferences.meeting_modes[0]",
        "invalid",
    ),
    (
        "preferences a string",
        |b| b["preferences"] = json!("video"),
        "preferences",
        "invalid",
    ),
    // discharge_date
    (
        "discharge_date not a date",
        |b| b["discharge_date"] = json!("next week"),
        "discharge_date",
        "invalid",
    ),
    (
        "discharge_date 30 February",
        |b| b["discharge_date"] = json!("2026-02-30"),
        "discharge_date",
        "invalid",
    ),
    (
        "discharge_date with a time",
        |b| b["discharge_date"] = json!("2026-12-01T10:00:00Z"),
        "discharge_date",
        "invalid",
    ),
    (
        "discharge_date over a year ago",
        |b| b["discharge_date"] = json!(date_from_today(-400)),
        "discharge_date",
        "too_early",
    ),
    // internal_notes
    (
        "internal_notes 4001 characters",
        |b| b["internal_notes"] = json!("n".repeat(4001)),
        "internal_notes",
        "too_long",
    ),
    (
        "internal_notes with NUL",
        |b| b["internal_notes"] = json!("call\u{0}later"),
        "internal_notes",
        "invalid_character",
    ),
    (
        "internal_notes a number",
        |b| b["internal_notes"] = json!(5),
        "internal_notes",
        "invalid",
    ),
    // contact
    (
        "contact empty",
        |b| b["contact"] = json!({}),
        "contact",
        "no_contact",
    ),
    (
        "contact nulls",
        |b| b["contact"] = json!({ "email": null, "phone": null }),
        "contact",
        "no_contact",
    ),
    (
        "contact bad email",
        |b| b["contact"]["email"] = json!("jo-at-example.org"),
        "contact.email",
        "invalid_email",
    ),
    (
        "contact bad phone",
        |b| b["contact"]["phone"] = json!("555-0100"),
        "contact.phone",
        "invalid_phone",
    ),
    (
        "contact phone with letters",
        |b| b["contact"]["phone"] = json!("+1312555CALL"),
        "contact.phone",
        "invalid_phone",
    ),
    (
        "contact unknown field",
        |b| b["contact"]["fax"] = json!("+13125550199"),
        "contact.fax",
        "unknown_field",
    ),
    (
        "contact a string",
        |b| b["contact"] = json!("jo@example.org"),
        "contact",
        "invalid",
    ),
    // enum fields given other JSON types
    (
        "gender a number",
        |b| b["gender"] = json!(1),
        "gender",
        "invalid",
    ),
    (
        "gender null",
        |b| b["gender"] = Value::Null,
        "gender",
        "invalid",
    ),
    (
        "fellowship a number",
        |b| b["fellowships"] = json!([1]),
        "fellowships[0]",
        "invalid",
    ),
    (
        "need a boolean",
        |b| b["needs"] = json!([true]),
        "needs[0]",
        "invalid",
    ),
    (
        "age band a number",
        |b| b["preferences"]["age_bands"] = json!([30]),
        "preferences.age_bands[0]",
        "invalid",
    ),
    (
        "meeting mode null",
        |b| b["preferences"]["meeting_modes"] = json!([null]),
        "preferences.meeting_modes[0]",
        "invalid",
    ),
    // fields a client may not set, or misspells
    (
        "program_id",
        |b| b["program_id"] = json!(uuid::Uuid::now_v7()),
        "program_id",
        "unknown_field",
    ),
    (
        "status",
        |b| b["status"] = json!("matched"),
        "status",
        "unknown_field",
    ),
    (
        "role",
        |b| b["role"] = json!("program_admin"),
        "role",
        "unknown_field",
    ),
    (
        "id",
        |b| b["id"] = json!(uuid::Uuid::now_v7()),
        "id",
        "unknown_field",
    ),
    (
        "version",
        |b| b["version"] = json!(7),
        "version",
        "unknown_field",
    ),
    (
        "created_at",
        |b| b["created_at"] = json!("2026-01-01T00:00:00Z"),
        "created_at",
        "unknown_field",
    ),
    (
        "camelCase internalNotes",
        |b| b["internalNotes"] = json!("hi"),
        "internalNotes",
        "unknown_field",
    ),
    // required fields
    ("alias missing", |b| remove(b, "alias"), "alias", "required"),
    (
        "fellowships missing",
        |b| remove(b, "fellowships"),
        "fellowships",
        "required",
    ),
    (
        "gender missing",
        |b| remove(b, "gender"),
        "gender",
        "required",
    ),
    (
        "languages missing",
        |b| remove(b, "languages"),
        "languages",
        "required",
    ),
    (
        "time_zone missing",
        |b| remove(b, "time_zone"),
        "time_zone",
        "required",
    ),
    (
        "availability missing",
        |b| remove(b, "availability"),
        "availability",
        "required",
    ),
    (
        "meeting missing",
        |b| remove(b, "meeting"),
        "meeting",
        "required",
    ),
    (
        "contact missing",
        |b| remove(b, "contact"),
        "contact",
        "required",
    ),
];

#[tokio::test]
async fn seeker_create_rejects_each_bad_field_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let (_, portal) = portal(&app).await;
    let created = app.create_seeker(&portal).await;

    reject_all("seeker create", SEEKER_CASES, &seeker_body(), |body| {
        app.post("/api/v1/seekers", &portal, body)
    })
    .await;

    assert_eq!(
        seeker_ids(&app, &portal).await,
        [created["id"].as_str().expect("id")],
        "a rejected seeker was stored"
    );
}

#[tokio::test]
async fn seeker_update_rejects_each_bad_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (_, portal) = portal(&app).await;
    let created = app.create_seeker(&portal).await;
    let path = format!("/api/v1/seekers/{}", created["id"].as_str().expect("id"));
    let version = created["version"].as_i64().expect("version");
    let mut valid = seeker_body();
    valid["alias"] = json!("Joanne");

    reject_all("seeker update", SEEKER_CASES, &valid, |body| {
        app.put(&path, &portal, body)
            .header(IF_MATCH, format!("\"{version}\""))
    })
    .await;

    let stored = expect_json(
        app.get(&path, &portal).send().await.expect("get"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(stored["version"], version, "a rejected update was stored");
    assert_eq!(stored["alias"], "Jo");
    // The body the cases started from is itself acceptable.
    let updated = app
        .put(&path, &portal, &valid)
        .header(IF_MATCH, format!("\"{version}\""))
        .send()
        .await
        .expect("update");
    let updated = expect_json(updated, StatusCode::OK).await;
    assert_eq!(updated["alias"], "Joanne");
}

// ---------------------------------------------------------------------------------
// Sponsor profile: PUT /api/v1/sponsors/me

const SPONSOR_CASES: &[Case] = &[
    // alias
    ("alias empty", |b| b["alias"] = json!(""), "alias", "empty"),
    (
        "alias whitespace",
        |b| b["alias"] = json!("   "),
        "alias",
        "empty",
    ),
    (
        "alias 61 characters",
        |b| b["alias"] = json!("é".repeat(61)),
        "alias",
        "too_long",
    ),
    (
        "alias with escape",
        |b| b["alias"] = json!("Sam\u{1b}[31m"),
        "alias",
        "control_characters",
    ),
    // fellowships
    (
        "fellowships empty",
        |b| b["fellowships"] = json!([]),
        "fellowships",
        "empty",
    ),
    (
        "fellowship unknown",
        |b| b["fellowships"] = json!(["aa", "na", "xa"]),
        "fellowships[2]",
        "invalid",
    ),
    // sobriety_date
    (
        "sobriety_date in the future",
        |b| b["sobriety_date"] = json!(date_from_today(2)),
        "sobriety_date",
        "in_future",
    ),
    (
        "sobriety_date before 1935",
        |b| b["sobriety_date"] = json!("1934-12-31"),
        "sobriety_date",
        "too_early",
    ),
    (
        "sobriety_date the day before AA",
        |b| b["sobriety_date"] = json!("1935-06-09"),
        "sobriety_date",
        "too_early",
    ),
    (
        "sobriety_date not a date",
        |b| b["sobriety_date"] = json!("2019-13-01"),
        "sobriety_date",
        "invalid",
    ),
    (
        "sobriety_date US format",
        |b| b["sobriety_date"] = json!("03/01/2019"),
        "sobriety_date",
        "invalid",
    ),
    (
        "sobriety_date null",
        |b| b["sobriety_date"] = Value::Null,
        "sobriety_date",
        "invalid",
    ),
    // gender
    (
        "gender unknown",
        |b| b["gender"] = json!("female"),
        "gender",
        "invalid",
    ),
    // sponsors
    (
        "sponsors listed without genders",
        |b| b["sponsors"] = json!({ "rule": "listed", "genders": [] }),
        "sponsors.genders",
        "empty",
    ),
    (
        "sponsors unknown rule",
        |b| b["sponsors"] = json!({ "rule": "nobody" }),
        "sponsors.rule",
        "invalid",
    ),
    // age_band
    (
        "age_band unknown",
        |b| b["age_band"] = json!("45"),
        "age_band",
        "invalid",
    ),
    // languages
    (
        "languages empty",
        |b| b["languages"] = json!([]),
        "languages",
        "empty",
    ),
    (
        "language unknown",
        |b| b["languages"] = json!(["en", "zz"]),
        "languages[1]",
        "unknown_language",
    ),
    (
        "language 3-letter code",
        |b| b["languages"] = json!(["spa"]),
        "languages[0]",
        "unknown_language",
    ),
    // time_zone
    (
        "time_zone unknown",
        |b| b["time_zone"] = json!("Central Time"),
        "time_zone",
        "unknown_time_zone",
    ),
    // availability
    (
        "availability hour 24",
        |b| b["availability"]["mon"] = json!([18, 24]),
        "availability.mon[1]",
        "out_of_range",
    ),
    (
        "availability empty map",
        |b| b["availability"] = json!({}),
        "availability",
        "empty",
    ),
    (
        "availability unknown day",
        |b| b["availability"]["someday"] = json!([9]),
        "availability.someday",
        "unknown_day",
    ),
    (
        "availability hour fractional",
        |b| b["availability"]["sat"] = json!([9.5]),
        "availability.sat[0]",
        "invalid",
    ),
    // meeting
    (
        "meeting without any mode",
        |b| b["meeting"] = json!({ "phone": false }),
        "meeting",
        "no_meeting_mode",
    ),
    (
        "meeting latitude -91",
        |b| b["meeting"]["in_person"]["latitude"] = json!(-91),
        "meeting.in_person.latitude",
        "out_of_range",
    ),
    (
        "meeting longitude 180.5",
        |b| b["meeting"]["in_person"]["longitude"] = json!(180.5),
        "meeting.in_person.longitude",
        "out_of_range",
    ),
    (
        "meeting radius 0.4",
        |b| b["meeting"]["in_person"]["radius_km"] = json!(0.4),
        "meeting.in_person.radius_km",
        "out_of_range",
    ),
    (
        "meeting radius 251",
        |b| b["meeting"]["in_person"]["radius_km"] = json!(251),
        "meeting.in_person.radius_km",
        "out_of_range",
    ),
    // capacity
    (
        "capacity 0",
        |b| b["capacity"] = json!(0),
        "capacity",
        "out_of_range",
    ),
    (
        "capacity above the program maximum",
        |b| b["capacity"] = json!(6),
        "capacity",
        "out_of_range",
    ),
    (
        "capacity 300",
        |b| b["capacity"] = json!(300),
        "capacity",
        "out_of_range",
    ),
    (
        "capacity beyond u32",
        |b| b["capacity"] = json!(4_294_967_296_u64),
        "capacity",
        "invalid",
    ),
    (
        "capacity negative",
        |b| b["capacity"] = json!(-1),
        "capacity",
        "invalid",
    ),
    (
        "capacity fractional",
        |b| b["capacity"] = json!(2.5),
        "capacity",
        "invalid",
    ),
    (
        "capacity a string",
        |b| b["capacity"] = json!("3"),
        "capacity",
        "invalid",
    ),
    // attributes
    (
        "attribute unknown",
        |b| b["attributes"] = json!(["supports_mat", "vegan"]),
        "attributes[1]",
        "invalid",
    ),
    (
        "attributes a string",
        |b| b["attributes"] = json!("secular"),
        "attributes",
        "invalid",
    ),
    // status
    (
        "status unknown",
        |b| b["status"] = json!("retired"),
        "status",
        "invalid",
    ),
    (
        "status capitalised",
        |b| b["status"] = json!("Active"),
        "status",
        "invalid",
    ),
    // contact
    (
        "contact empty",
        |b| b["contact"] = json!({}),
        "contact",
        "no_contact",
    ),
    (
        "contact bad email",
        |b| b["contact"]["email"] = json!("sam@"),
        "contact.email",
        "invalid_email",
    ),
    (
        "contact bad phone",
        |b| b["contact"]["phone"] = json!("+1 (312) 555"),
        "contact.phone",
        "invalid_phone",
    ),
    // enum fields given other JSON types
    (
        "age_band a number",
        |b| b["age_band"] = json!(45),
        "age_band",
        "invalid",
    ),
    (
        "status a boolean",
        |b| b["status"] = json!(false),
        "status",
        "invalid",
    ),
    (
        "gender a number",
        |b| b["gender"] = json!(2),
        "gender",
        "invalid",
    ),
    (
        "attribute a number",
        |b| b["attributes"] = json!([2]),
        "attributes[0]",
        "invalid",
    ),
    // fields a sponsor may not set
    (
        "user_id",
        |b| b["user_id"] = json!(uuid::Uuid::now_v7()),
        "user_id",
        "unknown_field",
    ),
    (
        "program_id",
        |b| b["program_id"] = json!(uuid::Uuid::now_v7()),
        "program_id",
        "unknown_field",
    ),
    (
        "role",
        |b| b["role"] = json!("program_admin"),
        "role",
        "unknown_field",
    ),
    (
        "version",
        |b| b["version"] = json!(2),
        "version",
        "unknown_field",
    ),
    (
        "active_matches",
        |b| b["active_matches"] = json!(0),
        "active_matches",
        "unknown_field",
    ),
    // required fields
    ("alias missing", |b| remove(b, "alias"), "alias", "required"),
    (
        "fellowships missing",
        |b| remove(b, "fellowships"),
        "fellowships",
        "required",
    ),
    (
        "sobriety_date missing",
        |b| remove(b, "sobriety_date"),
        "sobriety_date",
        "required",
    ),
    (
        "gender missing",
        |b| remove(b, "gender"),
        "gender",
        "required",
    ),
    (
        "languages missing",
        |b| remove(b, "languages"),
        "languages",
        "required",
    ),
    (
        "time_zone missing",
        |b| remove(b, "time_zone"),
        "time_zone",
        "required",
    ),
    (
        "availability missing",
        |b| remove(b, "availability"),
        "availability",
        "required",
    ),
    (
        "meeting missing",
        |b| remove(b, "meeting"),
        "meeting",
        "required",
    ),
    (
        "capacity missing",
        |b| remove(b, "capacity"),
        "capacity",
        "required",
    ),
    (
        "contact missing",
        |b| remove(b, "contact"),
        "contact",
        "required",
    ),
];

#[tokio::test]
async fn sponsor_profile_rejects_each_bad_field_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let sponsor = app.add_user(&admin, "sponsor").await;

    // First PUT: creating the profile.
    reject_all("sponsor create", SPONSOR_CASES, &sponsor_body(), |body| {
        app.put("/api/v1/sponsors/me", &sponsor, body)
    })
    .await;
    let missing = app
        .get("/api/v1/sponsors/me", &sponsor)
        .send()
        .await
        .expect("get");
    expect_problem(missing, StatusCode::NOT_FOUND).await;

    // Later PUTs: replacing it.
    let saved = app.put_sponsor_profile(&sponsor).await;
    let version = saved["version"].as_i64().expect("version");
    reject_all("sponsor replace", SPONSOR_CASES, &sponsor_body(), |body| {
        app.put("/api/v1/sponsors/me", &sponsor, body)
            .header(IF_MATCH, format!("\"{version}\""))
    })
    .await;
    let stored = app
        .get("/api/v1/sponsors/me", &sponsor)
        .send()
        .await
        .expect("get");
    let stored = expect_json(stored, StatusCode::OK).await;
    assert_eq!(stored["version"], version, "a rejected replace was stored");
    assert_eq!(stored["capacity"], 3);
}

// ---------------------------------------------------------------------------------
// Consent: POST /api/v1/seekers/{id}/consents

const CONSENT_CASES: &[Case] = &[
    // information
    (
        "information empty",
        |b| b["information"] = json!([]),
        "information",
        "empty",
    ),
    (
        "information unknown item",
        |b| b["information"] = json!(["alias", "diagnosis"]),
        "information[1]",
        "invalid",
    ),
    (
        "information a string",
        |b| b["information"] = json!("alias"),
        "information",
        "invalid",
    ),
    // signed_at
    (
        "signed_at in the future",
        |b| b["signed_at"] = json!(time_from_now(Duration::hours(1))),
        "signed_at",
        "in_future",
    ),
    (
        "signed_at not a time",
        |b| b["signed_at"] = json!("yesterday"),
        "signed_at",
        "invalid",
    ),
    (
        "signed_at without offset",
        |b| b["signed_at"] = json!("2026-01-01T10:00:00"),
        "signed_at",
        "invalid",
    ),
    // expires_at
    (
        "expires_at in the past",
        |b| b["expires_at"] = json!(time_from_now(Duration::minutes(-1))),
        "expires_at",
        "not_after_now",
    ),
    (
        "expires_at before signed_at",
        |b| {
            // Both in the near future, the signature within the allowed clock skew.
            b["signed_at"] = json!(time_from_now(Duration::minutes(4)));
            b["expires_at"] = json!(time_from_now(Duration::minutes(2)));
        },
        "expires_at",
        "not_after_now",
    ),
    (
        "expires_at a number",
        |b| b["expires_at"] = json!(1_900_000_000),
        "expires_at",
        "invalid",
    ),
    // recipient_class
    (
        "recipient_class unknown",
        |b| b["recipient_class"] = json!("anyone"),
        "recipient_class",
        "invalid",
    ),
    // purpose
    (
        "purpose empty",
        |b| b["purpose"] = json!(""),
        "purpose",
        "empty",
    ),
    (
        "purpose 1001 characters",
        |b| b["purpose"] = json!("p".repeat(1001)),
        "purpose",
        "too_long",
    ),
    // discloser
    (
        "discloser too long",
        |b| b["discloser"] = json!("d".repeat(101)),
        "discloser",
        "too_long",
    ),
    (
        "discloser empty",
        |b| b["discloser"] = json!(" "),
        "discloser",
        "empty",
    ),
    // signed_by
    (
        "signed_by empty",
        |b| b["signed_by"] = json!(""),
        "signed_by",
        "empty",
    ),
    (
        "signed_by with control characters",
        |b| b["signed_by"] = json!("Jo\u{8}\u{8}Al"),
        "signed_by",
        "control_characters",
    ),
    // revocation_instructions
    (
        "revocation_instructions empty",
        |b| b["revocation_instructions"] = json!(""),
        "revocation_instructions",
        "empty",
    ),
    (
        "revocation_instructions too long",
        |b| b["revocation_instructions"] = json!("r".repeat(1001)),
        "revocation_instructions",
        "too_long",
    ),
    // enum fields given other JSON types
    (
        "recipient_class a number",
        |b| b["recipient_class"] = json!(1),
        "recipient_class",
        "invalid",
    ),
    (
        "information item a number",
        |b| b["information"] = json!([1]),
        "information[0]",
        "invalid",
    ),
    // fields a client may not set
    (
        "seeker_id",
        |b| b["seeker_id"] = json!(uuid::Uuid::now_v7()),
        "seeker_id",
        "unknown_field",
    ),
    (
        "revoked_at",
        |b| b["revoked_at"] = json!(time_from_now(Duration::days(1))),
        "revoked_at",
        "unknown_field",
    ),
    // required fields
    (
        "discloser missing",
        |b| remove(b, "discloser"),
        "discloser",
        "required",
    ),
    (
        "recipient_class missing",
        |b| remove(b, "recipient_class"),
        "recipient_class",
        "required",
    ),
    (
        "information missing",
        |b| remove(b, "information"),
        "information",
        "required",
    ),
    (
        "purpose missing",
        |b| remove(b, "purpose"),
        "purpose",
        "required",
    ),
    (
        "signed_by missing",
        |b| remove(b, "signed_by"),
        "signed_by",
        "required",
    ),
    (
        "signed_at missing",
        |b| remove(b, "signed_at"),
        "signed_at",
        "required",
    ),
    (
        "expires_at missing",
        |b| remove(b, "expires_at"),
        "expires_at",
        "required",
    ),
    (
        "revocation_instructions missing",
        |b| remove(b, "revocation_instructions"),
        "revocation_instructions",
        "required",
    ),
    (
        "contact details to candidate sponsors",
        |b| b["information"] = json!(["alias", "contact_details"]),
        "information",
        "contact_details_before_agreement",
    ),
];

#[tokio::test]
async fn consent_rejects_each_bad_field_and_records_nothing() {
    let app = TestApp::spawn().await;
    let (_, portal) = portal(&app).await;
    let seeker = app.create_seeker(&portal).await;
    let path = format!(
        "/api/v1/seekers/{}/consents",
        seeker["id"].as_str().expect("id")
    );

    reject_all("consent", CONSENT_CASES, &consent_body(), |body| {
        app.post(&path, &portal, body)
    })
    .await;

    let recorded = app.get(&path, &portal).send().await.expect("list");
    assert_eq!(
        expect_json(recorded, StatusCode::OK).await,
        json!([]),
        "a rejected consent was recorded"
    );
    let valid = app
        .post(&path, &portal, &consent_body())
        .send()
        .await
        .expect("record");
    expect_json(valid, StatusCode::CREATED).await;
}

// ---------------------------------------------------------------------------------
// People and keys: invites, user changes, API keys, login, accepting an invite

const INVITE_CASES: &[Case] = &[
    (
        "email invalid",
        |b| b["email"] = json!("pat.example.org"),
        "email",
        "invalid_email",
    ),
    (
        "email empty",
        |b| b["email"] = json!(""),
        "email",
        "invalid_email",
    ),
    (
        "email two addresses",
        |b| b["email"] = json!("a@example.org, b@example.org"),
        "email",
        "invalid_email",
    ),
    (
        "display_name empty",
        |b| b["display_name"] = json!(""),
        "display_name",
        "empty",
    ),
    (
        "display_name 101 characters",
        |b| b["display_name"] = json!("n".repeat(101)),
        "display_name",
        "too_long",
    ),
    (
        "role unknown",
        |b| b["role"] = json!("superuser"),
        "role",
        "invalid",
    ),
    (
        "role operator",
        |b| b["role"] = json!("operator"),
        "role",
        "invalid",
    ),
    (
        "role in other case",
        |b| b["role"] = json!("ProgramAdmin"),
        "role",
        "invalid",
    ),
    ("role a number", |b| b["role"] = json!(1), "role", "invalid"),
    ("role null", |b| b["role"] = Value::Null, "role", "invalid"),
    (
        "program_id",
        |b| b["program_id"] = json!(uuid::Uuid::now_v7()),
        "program_id",
        "unknown_field",
    ),
    (
        "password",
        |b| b["password"] = json!(PASSWORD),
        "password",
        "unknown_field",
    ),
    ("email missing", |b| remove(b, "email"), "email", "required"),
    (
        "display_name missing",
        |b| remove(b, "display_name"),
        "display_name",
        "required",
    ),
    ("role missing", |b| remove(b, "role"), "role", "required"),
];

#[tokio::test]
async fn invite_rejects_each_bad_field_and_creates_no_one() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let valid =
        json!({ "email": "pat@example.org", "display_name": "Pat", "role": "case_manager" });

    reject_all("invite", INVITE_CASES, &valid, |body| {
        app.post("/api/v1/invites", &admin, body)
    })
    .await;

    let users = app.get("/api/v1/users", &admin).send().await.expect("list");
    let users = expect_json(users, StatusCode::OK).await;
    assert_eq!(
        users["items"].as_array().map(Vec::len),
        Some(1),
        "a rejected invite created a user: {users}"
    );
    let invited = app
        .post("/api/v1/invites", &admin, &valid)
        .send()
        .await
        .expect("invite");
    expect_json(invited, StatusCode::CREATED).await;
}

const USER_UPDATE_CASES: &[Case] = &[
    (
        "role",
        |b| b["role"] = json!("program_admin"),
        "role",
        "unknown_field",
    ),
    (
        "email",
        |b| b["email"] = json!("new@example.org"),
        "email",
        "unknown_field",
    ),
    (
        "program_id",
        |b| b["program_id"] = json!(uuid::Uuid::now_v7()),
        "program_id",
        "unknown_field",
    ),
    (
        "status",
        |b| b["status"] = json!("active"),
        "status",
        "unknown_field",
    ),
    (
        "display_name empty",
        |b| b["display_name"] = json!(""),
        "display_name",
        "empty",
    ),
    (
        "display_name whitespace",
        |b| b["display_name"] = json!("  "),
        "display_name",
        "empty",
    ),
    (
        "display_name 101 characters",
        |b| b["display_name"] = json!("n".repeat(101)),
        "display_name",
        "too_long",
    ),
    (
        "display_name a number",
        |b| b["display_name"] = json!(7),
        "display_name",
        "invalid",
    ),
    (
        "disabled a string",
        |b| b["disabled"] = json!("yes"),
        "disabled",
        "invalid",
    ),
    (
        "disabled a number",
        |b| b["disabled"] = json!(1),
        "disabled",
        "invalid",
    ),
];

#[tokio::test]
async fn user_update_rejects_each_bad_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let person = app.add_user(&admin, "case_manager").await;
    let path = format!("/api/v1/users/{}", person.user_id.expect("user"));
    let read = || async {
        let response = app.get(&path, &admin).send().await.expect("get user");
        expect_json(response, StatusCode::OK).await
    };
    let before = read().await;
    let if_match = format!("\"{}\"", before["version"]);
    let valid = json!({ "display_name": "Pat Q", "disabled": false });

    reject_all("user update", USER_UPDATE_CASES, &valid, |body| {
        app.request(Method::PATCH, &path)
            .bearer_auth(&admin.token)
            .header(IF_MATCH, &if_match)
            .json(body)
    })
    .await;

    assert_eq!(read().await, before, "a rejected change was stored");
    let changed = app
        .request(Method::PATCH, &path)
        .bearer_auth(&admin.token)
        .header(IF_MATCH, &if_match)
        .json(&valid)
        .send()
        .await
        .expect("patch");
    assert_eq!(
        expect_json(changed, StatusCode::OK).await["display_name"],
        "Pat Q"
    );
}

const API_KEY_CASES: &[Case] = &[
    ("name empty", |b| b["name"] = json!(""), "name", "empty"),
    (
        "name whitespace",
        |b| b["name"] = json!("\n\t "),
        "name",
        "empty",
    ),
    (
        "name 101 characters",
        |b| b["name"] = json!("k".repeat(101)),
        "name",
        "too_long",
    ),
    (
        "name with control characters",
        |b| b["name"] = json!("portal\u{7f}"),
        "name",
        "control_characters",
    ),
    ("name a number", |b| b["name"] = json!(1), "name", "invalid"),
    ("name missing", |b| remove(b, "name"), "name", "required"),
    (
        "scopes",
        |b| b["scopes"] = json!(["seekers"]),
        "scopes",
        "unknown_field",
    ),
    (
        "key",
        |b| b["key"] = json!("smk_chosen_by_me"),
        "key",
        "unknown_field",
    ),
];

#[tokio::test]
async fn api_key_rejects_each_bad_field_and_creates_no_key() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let valid = json!({ "name": "intake portal" });

    reject_all("api key", API_KEY_CASES, &valid, |body| {
        app.post("/api/v1/api-keys", &admin, body)
    })
    .await;

    let keys = app
        .get("/api/v1/api-keys", &admin)
        .send()
        .await
        .expect("list");
    assert_eq!(
        expect_json(keys, StatusCode::OK).await["items"],
        json!([]),
        "a rejected key was created"
    );
    let created = app
        .post("/api/v1/api-keys", &admin, &valid)
        .send()
        .await
        .expect("create");
    expect_json(created, StatusCode::CREATED).await;
}

const LOGIN_CASES: &[Case] = &[
    (
        "password missing",
        |b| remove(b, "password"),
        "password",
        "required",
    ),
    ("email missing", |b| remove(b, "email"), "email", "required"),
    (
        "email empty",
        |b| b["email"] = json!("  "),
        "email",
        "invalid",
    ),
    (
        "password empty",
        |b| b["password"] = json!(""),
        "password",
        "invalid",
    ),
    (
        "password over 1024 bytes",
        |b| b["password"] = json!("p".repeat(1025)),
        "password",
        "invalid",
    ),
    (
        "password a number",
        |b| b["password"] = json!(123_456_789_012_u64),
        "password",
        "invalid",
    ),
    (
        "remember_me",
        |b| b["remember_me"] = json!(true),
        "remember_me",
        "unknown_field",
    ),
];

#[tokio::test]
async fn login_rejects_each_bad_field() {
    let app = TestApp::spawn().await;
    let valid = json!({ "email": "nobody@example.org", "password": PASSWORD });

    reject_all("login", LOGIN_CASES, &valid, |body| {
        app.request(Method::POST, "/api/v1/auth/login").json(body)
    })
    .await;

    // The body the cases started from is well-formed: a plain failed login.
    let response = app
        .request(Method::POST, "/api/v1/auth/login")
        .json(&valid)
        .send()
        .await
        .expect("login");
    expect_problem(response, StatusCode::UNAUTHORIZED).await;
}

const ACCEPT_INVITE_CASES: &[Case] = &[
    (
        "password 11 characters",
        |b| b["password"] = json!("elevenchars"),
        "password",
        "too_short",
    ),
    (
        "password empty",
        |b| b["password"] = json!(""),
        "password",
        "too_short",
    ),
    (
        "password 257 characters",
        |b| b["password"] = json!("p".repeat(257)),
        "password",
        "too_long",
    ),
    (
        "password missing",
        |b| remove(b, "password"),
        "password",
        "required",
    ),
    (
        "password null",
        |b| b["password"] = Value::Null,
        "password",
        "invalid",
    ),
    ("token missing", |b| remove(b, "token"), "token", "required"),
    (
        "token a number",
        |b| b["token"] = json!(12345),
        "token",
        "invalid",
    ),
    (
        "email",
        |b| b["email"] = json!("pat@example.org"),
        "email",
        "unknown_field",
    ),
    (
        "role",
        |b| b["role"] = json!("program_admin"),
        "role",
        "unknown_field",
    ),
];

#[tokio::test]
async fn accept_invite_rejects_each_bad_field_and_leaves_the_invite_usable() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let invite = app
        .post(
            "/api/v1/invites",
            &admin,
            &json!({ "email": "pat@example.org", "display_name": "Pat", "role": "sponsor" }),
        )
        .send()
        .await
        .expect("invite");
    let invite = expect_json(invite, StatusCode::CREATED).await;
    let valid = json!({ "token": invite["token"], "password": PASSWORD });

    reject_all("accept invite", ACCEPT_INVITE_CASES, &valid, |body| {
        app.request(Method::POST, "/api/v1/invites/accept")
            .json(body)
    })
    .await;

    let accepted = app
        .request(Method::POST, "/api/v1/invites/accept")
        .json(&valid)
        .send()
        .await
        .expect("accept");
    expect_json(accepted, StatusCode::OK).await;
    app.login("pat@example.org", PASSWORD).await;
}

// ---------------------------------------------------------------------------------
// Protocol: the body as bytes, the query string, headers, paths and methods

/// (what, Content-Type, body built from a valid JSON body, status, problem kind)
type BodyCase = (
    &'static str,
    Option<&'static str>,
    fn(&Value) -> Vec<u8>,
    StatusCode,
    &'static str,
);

fn json_bytes(body: &Value) -> Vec<u8> {
    serde_json::to_vec(body).expect("serialise")
}

/// The valid body padded with trailing spaces (legal JSON) to `len` bytes.
fn padded(body: &Value, len: usize) -> Vec<u8> {
    let mut bytes = json_bytes(body);
    assert!(bytes.len() <= len);
    bytes.resize(len, b' ');
    bytes
}

/// The valid body with one more member holding arrays nested `depth` deep.
fn nested(body: &Value, depth: usize) -> Vec<u8> {
    let mut bytes = json_bytes(body);
    bytes.pop(); // the closing brace
    bytes.extend_from_slice(b", \"deep\": ");
    bytes.extend(std::iter::repeat_n(b'[', depth));
    bytes.extend(std::iter::repeat_n(b']', depth));
    bytes.push(b'}');
    bytes
}

const JSON: Option<&str> = Some("application/json");

const BODY_CASES: &[BodyCase] = &[
    (
        "a key given twice",
        JSON,
        |b| {
            let (key, value) = b.as_object().and_then(|o| o.iter().next()).expect("a key");
            let mut j = json_bytes(b);
            let twice = format!(",{}:{}", json!(key), value);
            j.splice(j.len() - 1..j.len() - 1, twice.into_bytes());
            j
        },
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    ),
    (
        "truncated JSON",
        JSON,
        |b| {
            let j = json_bytes(b);
            j[..j.len() / 2].to_vec()
        },
        StatusCode::BAD_REQUEST,
        "malformed-request",
    ),
    (
        "unquoted keys",
        JSON,
        |_| b"{alias: \"Jo\"}".to_vec(),
        StatusCode::BAD_REQUEST,
        "malformed-request",
    ),
    (
        "single-quoted strings",
        JSON,
        |_| b"{'alias': 'Jo'}".to_vec(),
        StatusCode::BAD_REQUEST,
        "malformed-request",
    ),
    (
        "trailing comma",
        JSON,
        |b| {
            let mut j = json_bytes(b);
            j.insert(j.len() - 1, b',');
            j
        },
        StatusCode::BAD_REQUEST,
        "malformed-request",
    ),
    (
        "trailing garbage",
        JSON,
        |b| [json_bytes(b), b" garbage".to_vec()].concat(),
        StatusCode::BAD_REQUEST,
        "malformed-request",
    ),
    (
        "two JSON documents",
        JSON,
        |b| [json_bytes(b), json_bytes(b)].concat(),
        StatusCode::BAD_REQUEST,
        "malformed-request",
    ),
    (
        "empty body",
        JSON,
        |_| Vec::new(),
        StatusCode::BAD_REQUEST,
        "malformed-request",
    ),
    (
        "invalid UTF-8",
        JSON,
        |_| b"{\"\xff\": 1}".to_vec(),
        StatusCode::BAD_REQUEST,
        "malformed-request",
    ),
    (
        "nested 200 deep",
        JSON,
        |b| nested(b, 200),
        StatusCode::BAD_REQUEST,
        "malformed-request",
    ),
    (
        "text/plain",
        Some("text/plain"),
        json_bytes,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    ),
    (
        "text/json",
        Some("text/json"),
        json_bytes,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    ),
    (
        "form encoded",
        Some("application/x-www-form-urlencoded"),
        json_bytes,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    ),
    (
        "garbled content type",
        Some("json please"),
        json_bytes,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    ),
    (
        "no content type",
        None,
        json_bytes,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    ),
    (
        "one byte over 64 KiB",
        JSON,
        |b| padded(b, MAX_BODY_BYTES + 1),
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
    ),
    (
        "a megabyte",
        JSON,
        |b| padded(b, 1024 * 1024),
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
    ),
];

/// Sends each body case to `path` and expects its problem.
async fn reject_bodies(
    app: &TestApp,
    method: Method,
    path: &str,
    caller: Option<&Caller>,
    valid: &Value,
) -> Vec<String> {
    let mut failures = Vec::new();
    for (what, content_type, body, status, kind) in BODY_CASES {
        let mut request = app.request(method.clone(), path).body(body(valid));
        if let Some(caller) = caller {
            request = request.bearer_auth(&caller.token);
        }
        if let Some(content_type) = content_type {
            request = request.header(CONTENT_TYPE, *content_type);
        }
        let response = request.send().await.expect("request sent");
        if let Err(why) = problem(response, *status, kind).await {
            failures.push(format!("{method} {path}: {what}: {why}"));
        }
    }
    failures
}

#[tokio::test]
async fn unreadable_bodies_are_rejected_before_validation_and_write_nothing() {
    let app = TestApp::spawn().await;
    let (admin, portal) = portal(&app).await;
    let sponsor = app.add_user(&admin, "sponsor").await;
    let seeker = app.create_seeker(&portal).await;
    let seeker_path = format!("/api/v1/seekers/{}", seeker["id"].as_str().expect("id"));
    let consents = format!("{seeker_path}/consents");
    let invite = json!({ "email": "pat@example.org", "display_name": "Pat", "role": "sponsor" });
    let login = json!({ "email": "nobody@example.org", "password": PASSWORD });

    let mut failures = Vec::new();
    for (method, path, caller, valid) in [
        (
            Method::POST,
            "/api/v1/seekers",
            Some(&portal),
            seeker_body(),
        ),
        (
            Method::PUT,
            seeker_path.as_str(),
            Some(&portal),
            seeker_body(),
        ),
        (
            Method::POST,
            consents.as_str(),
            Some(&portal),
            consent_body(),
        ),
        (
            Method::PUT,
            "/api/v1/sponsors/me",
            Some(&sponsor),
            sponsor_body(),
        ),
        (Method::POST, "/api/v1/invites", Some(&admin), invite),
        (
            Method::POST,
            "/api/v1/api-keys",
            Some(&admin),
            json!({ "name": "portal" }),
        ),
        (Method::POST, "/api/v1/auth/login", None, login),
    ] {
        failures.extend(reject_bodies(&app, method, path, caller, &valid).await);
    }
    assert_no_failures("unreadable bodies", 7 * BODY_CASES.len(), &failures);

    // Exactly at the limit is fine: only size decided the 413s.
    let at_limit = app
        .request(Method::POST, "/api/v1/seekers")
        .bearer_auth(&portal.token)
        .header(CONTENT_TYPE, "application/json")
        .body(padded(&seeker_body(), MAX_BODY_BYTES))
        .send()
        .await
        .expect("create");
    let at_limit = expect_json(at_limit, StatusCode::CREATED).await;

    let mut stored = seeker_ids(&app, &portal).await;
    stored.sort();
    let mut expected = vec![
        seeker["id"].as_str().expect("id").to_owned(),
        at_limit["id"].as_str().expect("id").to_owned(),
    ];
    expected.sort();
    assert_eq!(stored, expected, "a rejected seeker was stored");
    let stored = expect_json(
        app.get(&seeker_path, &portal).send().await.expect("get"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        stored["version"], seeker["version"],
        "a rejected update was stored"
    );
    let recorded = app.get(&consents, &portal).send().await.expect("list");
    assert_eq!(expect_json(recorded, StatusCode::OK).await, json!([]));
    let profile = app
        .get("/api/v1/sponsors/me", &sponsor)
        .send()
        .await
        .expect("get");
    expect_problem(profile, StatusCode::NOT_FOUND).await;
    let keys = app
        .get("/api/v1/api-keys", &admin)
        .send()
        .await
        .expect("list");
    assert_eq!(
        expect_json(keys, StatusCode::OK).await["items"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "only the portal's key exists"
    );
}

#[tokio::test]
async fn json_that_is_not_an_object_is_rejected() {
    let app = TestApp::spawn().await;
    let (_, portal) = portal(&app).await;
    // (what, body): syntactically fine JSON of the wrong shape for the whole body.
    const NOT_OBJECTS: &[(&str, &str)] = &[
        ("null", "null"),
        ("an array", "[]"),
        ("a string", "\"Jo\""),
        ("a number", "42"),
    ];
    let mut failures = Vec::new();
    for (what, body) in NOT_OBJECTS {
        let response = app
            .request(Method::POST, "/api/v1/seekers")
            .bearer_auth(&portal.token)
            .header(CONTENT_TYPE, "application/json")
            .body(*body)
            .send()
            .await
            .expect("request sent");
        // The body as a whole is what is wrong: the field path is empty.
        if let Err(why) = validation_problem(response, "", "invalid").await {
            failures.push(format!("{what}: {why}"));
        }
    }
    assert_no_failures("non-object bodies", NOT_OBJECTS.len(), &failures);
    assert_eq!(seeker_ids(&app, &portal).await, Vec::<String>::new());
}

/// (query string, field, code)
const PAGINATION_CASES: &[(&str, &str, &str)] = &[
    ("limit=0", "limit", "out_of_range"),
    ("limit=101", "limit", "out_of_range"),
    ("limit=-1", "limit", "out_of_range"),
    ("limit=ten", "limit", "out_of_range"),
    ("limit=", "limit", "out_of_range"),
    ("limit=99999999999999999999999", "limit", "out_of_range"),
    ("cursor=garbage", "cursor", "invalid"),
    ("cursor=", "cursor", "invalid"),
    // Valid base64url of 15 bytes: one short of an id.
    ("cursor=AAAAAAAAAAAAAAAAAAAA", "cursor", "invalid"),
    ("cursor=AAAAAAAAAAAAAAAAAAAAAA%3D%3D", "cursor", "invalid"),
    ("foo=1", "foo", "unknown_parameter"),
    ("offset=10", "offset", "unknown_parameter"),
    ("page=2", "page", "unknown_parameter"),
    ("Limit=10", "Limit", "unknown_parameter"),
];

#[tokio::test]
async fn bad_pagination_is_rejected_on_every_list() {
    let app = TestApp::spawn().await;
    let (admin, portal) = portal(&app).await;
    let mut failures = Vec::new();
    let lists = [
        ("/api/v1/seekers", &portal),
        ("/api/v1/users", &admin),
        ("/api/v1/api-keys", &admin),
        ("/api/v1/sponsors", &admin),
        ("/api/v1/audit-events", &admin),
    ];
    for (path, caller) in lists {
        // The list itself answers when the query is fine.
        let ok = app
            .get(&format!("{path}?limit=100"), caller)
            .send()
            .await
            .expect("list");
        expect_json(ok, StatusCode::OK).await;
        for (query, field, code) in PAGINATION_CASES {
            let response = app
                .get(&format!("{path}?{query}"), caller)
                .send()
                .await
                .expect("list");
            if let Err(why) = validation_problem(response, field, code).await {
                failures.push(format!("{path}?{query}: {why}"));
            }
        }
    }
    assert_no_failures(
        "pagination",
        lists.len() * PAGINATION_CASES.len(),
        &failures,
    );
}

/// Malformed `If-Match` values; a version is a quoted integer.
const IF_MATCH_CASES: &[&str] = &["abc", "\"abc\"", "\"1.5\"", "\"99999999999\"", "\"\"", ""];

#[tokio::test]
async fn malformed_if_match_is_rejected_on_every_versioned_write() {
    let app = TestApp::spawn().await;
    let (admin, portal) = portal(&app).await;
    let sponsor = app.add_user(&admin, "sponsor").await;
    app.put_sponsor_profile(&sponsor).await;
    let seeker = app.create_seeker(&portal).await;
    let seeker_path = format!("/api/v1/seekers/{}", seeker["id"].as_str().expect("id"));
    let user_path = format!("/api/v1/users/{}", sponsor.user_id.expect("user"));

    let mut failures = Vec::new();
    let writes = [
        (Method::PUT, seeker_path.as_str(), &portal, seeker_body()),
        (Method::PUT, "/api/v1/sponsors/me", &sponsor, sponsor_body()),
        (
            Method::PATCH,
            user_path.as_str(),
            &admin,
            json!({ "display_name": "Sam" }),
        ),
    ];
    for (method, path, caller, body) in &writes {
        for value in IF_MATCH_CASES {
            let response = app
                .request(method.clone(), path)
                .bearer_auth(&caller.token)
                .header(IF_MATCH, *value)
                .json(body)
                .send()
                .await
                .expect("request sent");
            if let Err(why) = validation_problem(response, "If-Match", "invalid").await {
                failures.push(format!("{method} {path} If-Match `{value}`: {why}"));
            }
        }
    }
    assert_no_failures("If-Match", writes.len() * IF_MATCH_CASES.len(), &failures);
    let stored = expect_json(
        app.get(&seeker_path, &portal).send().await.expect("get"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(stored["version"], seeker["version"]);
}

/// If-Match compares strongly (RFC 9110 13.1.1): a weak validator never matches, even
/// of the current version, so every versioned write refuses it with 412 and writes
/// nothing.
#[tokio::test]
async fn a_weak_if_match_is_refused_on_every_versioned_write() {
    let app = TestApp::spawn().await;
    let (admin, portal) = portal(&app).await;
    let sponsor = app.add_user(&admin, "sponsor").await;
    app.put_sponsor_profile(&sponsor).await;
    let seeker = app.create_seeker(&portal).await;
    let seeker_path = format!("/api/v1/seekers/{}", seeker["id"].as_str().expect("id"));
    let user_path = format!("/api/v1/users/{}", sponsor.user_id.expect("user"));
    let policy = json!({
        "min_sobriety_days": 365,
        "sobriety_half_life_days": 730,
        "weights": { "sobriety": 1, "availability": 1, "preferences": 1, "distance": 1, "load": 1 }
    });

    let mut failures = Vec::new();
    let writes = [
        (Method::PUT, seeker_path.as_str(), &portal, seeker_body()),
        (Method::PUT, "/api/v1/sponsors/me", &sponsor, sponsor_body()),
        (
            Method::PATCH,
            user_path.as_str(),
            &admin,
            json!({ "display_name": "Sam" }),
        ),
        (Method::PUT, "/api/v1/matching-policy", &admin, policy),
    ];
    for (method, path, caller, body) in &writes {
        for value in ["W/\"1\"", " W/\"1\""] {
            let response = app
                .request(method.clone(), path)
                .bearer_auth(&caller.token)
                .header(IF_MATCH, value)
                .json(body)
                .send()
                .await
                .expect("request sent");
            match problem(response, StatusCode::PRECONDITION_FAILED, "weak-validator").await {
                Ok(_) => {}
                Err(why) => failures.push(format!("{method} {path} If-Match `{value}`: {why}")),
            }
        }
    }
    assert_no_failures("weak If-Match", writes.len() * 2, &failures);
    let stored = expect_json(
        app.get(&seeker_path, &portal).send().await.expect("get"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(stored["version"], 1);
}

/// (method, path, status, problem kind); `{seeker}` stands for an existing seeker's id.
const ROUTE_CASES: &[(&str, &str, StatusCode, &str)] = &[
    ("GET", "/api/v1/nope", StatusCode::NOT_FOUND, "not-found"),
    (
        "GET",
        "/api/v1/matches/0190f5a4-0000-7000-8000-000000000000",
        StatusCode::NOT_FOUND,
        "not-found",
    ),
    (
        "GET",
        "/api/v1/matches/not-a-uuid",
        StatusCode::NOT_FOUND,
        "not-found",
    ),
    (
        "DELETE",
        "/api/v1/seekers/{seeker}/matches",
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    ),
    ("GET", "/api/v2/seekers", StatusCode::NOT_FOUND, "not-found"),
    ("GET", "/nope", StatusCode::NOT_FOUND, "not-found"),
    (
        "GET",
        "/api/v1/seekers/not-a-uuid",
        StatusCode::NOT_FOUND,
        "not-found",
    ),
    (
        "GET",
        "/api/v1/seekers/0190f5a4-0000-7000-8000-000000000000",
        StatusCode::NOT_FOUND,
        "not-found",
    ),
    (
        "GET",
        "/api/v1/seekers/{seeker}/nope",
        StatusCode::NOT_FOUND,
        "not-found",
    ),
    (
        "DELETE",
        "/api/v1/seekers",
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    ),
    (
        "DELETE",
        "/api/v1/seekers/{seeker}",
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    ),
    (
        "PATCH",
        "/api/v1/seekers/{seeker}",
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    ),
    (
        "PUT",
        "/api/v1/seekers/{seeker}/consents",
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    ),
    (
        "PATCH",
        "/api/v1/sponsors/me",
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    ),
    (
        "GET",
        "/api/v1/invites",
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    ),
    (
        "GET",
        "/api/v1/auth/login",
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    ),
    (
        "PUT",
        "/api/v1/api-keys",
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    ),
];

#[tokio::test]
async fn unknown_paths_and_methods_get_problems() {
    let app = TestApp::spawn().await;
    let (_, portal) = portal(&app).await;
    let seeker = app.create_seeker(&portal).await;
    let id = seeker["id"].as_str().expect("id");
    let mut failures = Vec::new();
    for (method, path, status, kind) in ROUTE_CASES {
        let path = path.replace("{seeker}", id);
        let method: Method = method.parse().expect("method");
        let response = app
            .request(method.clone(), &path)
            .bearer_auth(&portal.token)
            .send()
            .await
            .expect("request sent");
        if let Err(why) = problem(response, *status, kind).await {
            failures.push(format!("{method} {path}: {why}"));
        }
    }
    assert_no_failures("routes", ROUTE_CASES.len(), &failures);
    assert_eq!(
        seeker_ids(&app, &portal).await,
        [id],
        "the seeker is still there"
    );
}

// ---------------------------------------------------------------------------------
// Matches: proposals, steps, idempotency keys, the policy that steers them

const PROPOSE_CASES: &[Case] = &[
    (
        "sponsor_id not a UUID",
        |b| b["sponsor_id"] = json!("sam"),
        "sponsor_id",
        "invalid",
    ),
    (
        "sponsor_id a number",
        |b| b["sponsor_id"] = json!(7),
        "sponsor_id",
        "invalid",
    ),
    (
        "seeker_id",
        |b| b["seeker_id"] = json!(uuid::Uuid::now_v7()),
        "seeker_id",
        "unknown_field",
    ),
    (
        "state",
        |b| b["state"] = json!("agreed"),
        "state",
        "unknown_field",
    ),
    (
        "score",
        |b| b["score"] = json!(1.0),
        "score",
        "unknown_field",
    ),
];

const STEP_CASES: &[Case] = &[
    (
        "reason unknown",
        |b| b["reason"] = json!("bored"),
        "reason",
        "invalid",
    ),
    (
        "reason in other case",
        |b| b["reason"] = json!("Safety_Concern"),
        "reason",
        "invalid",
    ),
    (
        "reason the service's own",
        |b| b["reason"] = json!("sponsor_paused"),
        "reason",
        "reserved",
    ),
    (
        "reason consent revoked",
        |b| b["reason"] = json!("consent_revoked"),
        "reason",
        "reserved",
    ),
    (
        "reason a list",
        |b| b["reason"] = json!(["other"]),
        "reason",
        "invalid",
    ),
    (
        "share_contact_details on a decline",
        |b| b["share_contact_details"] = json!(true),
        "share_contact_details",
        "not_applicable",
    ),
    (
        "share_contact_details a string",
        |b| b["share_contact_details"] = json!("yes"),
        "share_contact_details",
        "invalid",
    ),
    ("note", |b| b["note"] = json!("hi"), "note", "unknown_field"),
    (
        "state",
        |b| b["state"] = json!("declined"),
        "state",
        "unknown_field",
    ),
];

const ACCEPT_CASES: &[Case] = &[
    (
        "share_contact_details false",
        |b| b["share_contact_details"] = json!(false),
        "share_contact_details",
        "required",
    ),
    (
        "share_contact_details missing",
        |b| remove(b, "share_contact_details"),
        "share_contact_details",
        "required",
    ),
    (
        "share_contact_details null",
        |b| b["share_contact_details"] = Value::Null,
        "share_contact_details",
        "required",
    ),
];

const END_CASES: &[Case] = &[
    (
        "reason missing",
        |b| remove(b, "reason"),
        "reason",
        "required",
    ),
    (
        "reason null",
        |b| b["reason"] = Value::Null,
        "reason",
        "required",
    ),
];

const IDEMPOTENCY_KEY_CASES: &[&str] = &["", "has space", "tab\there", "ключ"];

/// (match id, state, version) of each of the seeker's matches.
async fn match_states(app: &TestApp, caller: &Caller, seeker: &str) -> Vec<(String, String, u64)> {
    let path = format!("/api/v1/seekers/{seeker}/matches");
    let history = app.get(&path, caller).send().await.expect("history");
    expect_json(history, StatusCode::OK)
        .await
        .as_array()
        .expect("list")
        .iter()
        .map(|m| {
            (
                m["id"].as_str().expect("id").to_owned(),
                m["state"].as_str().expect("state").to_owned(),
                m["version"].as_u64().expect("version"),
            )
        })
        .collect()
}

#[tokio::test]
async fn match_requests_reject_each_bad_field_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (admin, portal) = portal(&app).await;
    let sponsor = app.add_sponsor(&admin, |_| {}).await;
    let seeker = app.create_seeker(&portal).await;
    let seeker = seeker["id"].as_str().expect("id").to_owned();
    let consents = format!("/api/v1/seekers/{seeker}/consents");
    let consent = app.post(&consents, &portal, &consent_body()).send().await;
    expect_json(consent.expect("consent"), StatusCode::CREATED).await;
    let propose = format!("/api/v1/seekers/{seeker}/matches");
    let valid = json!({ "sponsor_id": sponsor.user_id.expect("id") });

    reject_all("propose", PROPOSE_CASES, &valid, |body| {
        app.post(&propose, &portal, body)
    })
    .await;
    let mut failures = Vec::new();
    for key in IDEMPOTENCY_KEY_CASES {
        let response = app
            .post(&propose, &portal, &valid)
            .header("Idempotency-Key", *key)
            .send()
            .await
            .expect("request sent");
        if let Err(why) = validation_problem(response, "Idempotency-Key", "invalid").await {
            failures.push(format!("key {key:?}: {why}"));
        }
    }
    assert_no_failures("idempotency key", IDEMPOTENCY_KEY_CASES.len(), &failures);
    assert_eq!(
        match_states(&app, &portal, &seeker).await,
        [],
        "a rejected proposal was made"
    );

    let proposed = app
        .post(&propose, &portal, &valid)
        .send()
        .await
        .expect("propose");
    let id = expect_json(proposed, StatusCode::CREATED).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let before = match_states(&app, &portal, &seeker).await;
    let decline = format!("/api/v1/matches/{id}/sponsor-decline");
    reject_all("step", STEP_CASES, &json!({ "reason": "other" }), |body| {
        app.post(&decline, &sponsor, body)
    })
    .await;
    let accept = format!("/api/v1/matches/{id}/sponsor-accept");
    reject_all(
        "sponsor accept",
        ACCEPT_CASES,
        &json!({ "share_contact_details": true }),
        |body| app.post(&accept, &sponsor, body),
    )
    .await;
    let end = format!("/api/v1/matches/{id}/end");
    reject_all("end", END_CASES, &json!({ "reason": "other" }), |body| {
        app.post(&end, &portal, body)
    })
    .await;
    assert_eq!(
        match_states(&app, &portal, &seeker).await,
        before,
        "a rejected step changed the match"
    );

    let accepted = app
        .post(&accept, &sponsor, &json!({ "share_contact_details": true }))
        .send()
        .await
        .expect("accept");
    assert_eq!(
        expect_json(accepted, StatusCode::OK).await["state"],
        "awaiting_seeker"
    );
}

const POLICY_CASES: &[Case] = &[
    (
        "weight negative",
        |b| b["weights"]["load"] = json!(-0.1),
        "weights.load",
        "out_of_range",
    ),
    (
        "weights all zero",
        |b| {
            b["weights"] = json!({ "sobriety": 0, "availability": 0, "preferences": 0, "distance": 0, "load": 0 })
        },
        "weights",
        "all_zero",
    ),
    (
        "min_sobriety_days negative",
        |b| b["min_sobriety_days"] = json!(-1),
        "min_sobriety_days",
        "invalid",
    ),
    (
        "answer_within_hours zero",
        |b| b["lifecycle"]["answer_within_hours"] = json!(0),
        "lifecycle.answer_within_hours",
        "out_of_range",
    ),
    (
        "answer_within_hours over a month",
        |b| b["lifecycle"]["answer_within_hours"] = json!(721),
        "lifecycle.answer_within_hours",
        "out_of_range",
    ),
    (
        "urgent window longer than the normal one",
        |b| b["lifecycle"]["urgent_answer_within_hours"] = json!(100),
        "lifecycle.urgent_answer_within_hours",
        "out_of_range",
    ),
    (
        "review_required a string",
        |b| b["lifecycle"]["review_required"] = json!("yes"),
        "lifecycle.review_required",
        "invalid",
    ),
    (
        "lifecycle unknown field",
        |b| b["lifecycle"]["escalate"] = json!(true),
        "lifecycle.escalate",
        "unknown_field",
    ),
    (
        "version in the body",
        |b| b["version"] = json!(2),
        "version",
        "unknown_field",
    ),
];

#[tokio::test]
async fn policy_rejects_each_bad_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (admin, _) = portal(&app).await;
    let valid = json!({
        "min_sobriety_days": 365,
        "sobriety_half_life_days": 730,
        "weights": { "sobriety": 0.2, "availability": 0.35, "preferences": 0.2, "distance": 0.1, "load": 0.15 },
        "lifecycle": { "review_required": false, "answer_within_hours": 72, "urgent_answer_within_hours": 24, "auto_advance": true }
    });
    reject_all("policy", POLICY_CASES, &valid, |body| {
        app.put("/api/v1/matching-policy", &admin, body)
            .header(IF_MATCH, "\"1\"")
    })
    .await;
    let policy = app
        .get("/api/v1/matching-policy", &admin)
        .send()
        .await
        .expect("policy");
    assert_eq!(
        expect_json(policy, StatusCode::OK).await["version"],
        1,
        "a rejected policy was saved"
    );
    let saved = app
        .put("/api/v1/matching-policy", &admin, &valid)
        .header(IF_MATCH, "\"1\"")
        .send()
        .await
        .expect("save");
    assert_eq!(expect_json(saved, StatusCode::OK).await["version"], 2);
}

const WEBHOOK_CASES: &[Case] = &[
    (
        "url plain HTTP to another host",
        |b| b["url"] = json!("http://portal.example.org/hooks"),
        "url",
        "invalid_url",
    ),
    (
        "url not a URL",
        |b| b["url"] = json!("portal/hooks"),
        "url",
        "invalid_url",
    ),
    (
        "url with credentials",
        |b| b["url"] = json!("https://user:pw@portal.example.org/hooks"),
        "url",
        "invalid_url",
    ),
    (
        "url another scheme",
        |b| b["url"] = json!("ftp://portal.example.org/hooks"),
        "url",
        "invalid_url",
    ),
    (
        "url too long",
        |b| b["url"] = json!(format!("https://portal.example.org/{}", "a".repeat(2000))),
        "url",
        "too_long",
    ),
    ("url missing", |b| remove(b, "url"), "url", "required"),
    (
        "secret chosen by the caller",
        |b| b["secret"] = json!("whsec_mine"),
        "secret",
        "unknown_field",
    ),
];

#[tokio::test]
async fn webhook_rejects_each_bad_field_and_sets_nothing() {
    let app = TestApp::spawn().await;
    let (admin, _) = portal(&app).await;
    let valid = json!({ "url": "https://portal.example.org/hooks" });
    reject_all("webhook", WEBHOOK_CASES, &valid, |body| {
        app.put("/api/v1/webhook", &admin, body)
    })
    .await;
    let none = app
        .get("/api/v1/webhook", &admin)
        .send()
        .await
        .expect("get");
    expect_problem(none, StatusCode::NOT_FOUND).await;
    let set = app
        .put("/api/v1/webhook", &admin, &valid)
        .send()
        .await
        .expect("put");
    expect_json(set, StatusCode::OK).await;
}

// ---------------------------------------------------------------------------------
// NUL: no text the service takes may hold U+0000

/// Every string of `value`, as (the field path a problem names, its JSON pointer).
fn texts(value: &Value, path: &str, pointer: &str, found: &mut Vec<(String, String)>) {
    match value {
        Value::String(_) => found.push((path.to_owned(), pointer.to_owned())),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let path = format!("{path}[{index}]");
                texts(item, &path, &format!("{pointer}/{index}"), found);
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                let path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                texts(item, &path, &format!("{pointer}/{key}"), found);
            }
        }
        _ => {}
    }
}

/// (method, path, caller, If-Match, a valid body)
type TextsOf<'a> = (Method, &'a str, Option<&'a Caller>, Option<&'a str>, Value);

/// Each text of each body the API takes, with a NUL put in the middle: 422
/// `invalid_character` naming exactly that field, on either backend (PostgreSQL
/// cannot store a NUL; it must never reach it).
#[tokio::test]
async fn a_nul_in_any_text_of_any_body_is_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let (admin, portal) = portal(&app).await;
    let sponsor = app.add_user(&admin, "sponsor").await;
    let seeker = app.create_seeker(&portal).await;
    let seeker_path = format!("/api/v1/seekers/{}", seeker["id"].as_str().expect("id"));
    let consents_path = format!("{seeker_path}/consents");
    let user_path = format!("/api/v1/users/{}", sponsor.user_id.expect("user"));
    let invite = json!({ "email": "new@example.org", "display_name": "Pat", "role": "sponsor" });
    let bodies: Vec<TextsOf> = vec![
        (
            Method::POST,
            "/api/v1/seekers",
            Some(&portal),
            None,
            seeker_body(),
        ),
        (
            Method::PUT,
            &seeker_path,
            Some(&portal),
            Some("\"1\""),
            seeker_body(),
        ),
        (
            Method::PUT,
            "/api/v1/sponsors/me",
            Some(&sponsor),
            None,
            sponsor_body(),
        ),
        (
            Method::POST,
            &consents_path,
            Some(&portal),
            None,
            consent_body(),
        ),
        (Method::POST, "/api/v1/invites", Some(&admin), None, invite),
        (
            Method::PATCH,
            &user_path,
            Some(&admin),
            Some("\"1\""),
            json!({ "display_name": "Pat Q" }),
        ),
        (
            Method::POST,
            "/api/v1/api-keys",
            Some(&admin),
            None,
            json!({ "name": "portal" }),
        ),
        (
            Method::PUT,
            "/api/v1/webhook",
            Some(&admin),
            None,
            json!({ "url": "https://portal.example.org/hook" }),
        ),
        (
            Method::POST,
            "/api/v1/invites/accept",
            None,
            None,
            json!({ "token": "smi_unknown", "password": PASSWORD }),
        ),
    ];
    let mut failures = Vec::new();
    let mut cases = 0;
    for (method, path, caller, if_match, valid) in &bodies {
        let mut fields = Vec::new();
        texts(valid, "", "", &mut fields);
        for (field, pointer) in fields {
            cases += 1;
            let mut body = valid.clone();
            let text = body.pointer_mut(&pointer).expect("the text");
            let with_nul = text.as_str().expect("a string").replacen("", "\u{0}", 2);
            *text = json!(with_nul);
            let mut request = app.request(method.clone(), path).json(&body);
            if let Some(caller) = caller {
                request = request.bearer_auth(&caller.token);
            }
            if let Some(version) = if_match {
                request = request.header(IF_MATCH, *version);
            }
            let response = request.send().await.expect("request sent");
            if let Err(why) = validation_problem(response, &field, "invalid_character").await {
                failures.push(format!("{method} {path} {field}: {why}"));
            }
        }
    }
    assert!(cases > 40, "only {cases} texts");
    assert_no_failures("NUL in bodies", cases, &failures);
    let stored = expect_json(
        app.get(&seeker_path, &portal).send().await.expect("get"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(stored["version"], 1);
}

/// Query strings refuse a NUL as bodies do (the console's forms refuse one too).
#[tokio::test]
async fn a_nul_in_a_query_parameter_or_form_field_is_refused_naming_it() {
    let app = TestApp::spawn().await;
    let (admin, _) = portal(&app).await;
    let mut failures = Vec::new();
    for (path, field) in [
        ("/api/v1/users?cursor=a%00b", "cursor"),
        ("/api/v1/users?limit=1%00", "limit"),
        ("/api/v1/audit-events?action=x%00", "action"),
    ] {
        let response = app.get(path, &admin).send().await.expect("request sent");
        if let Err(why) = validation_problem(response, field, "invalid_character").await {
            failures.push(format!("GET {path}: {why}"));
        }
    }
    assert_no_failures("NUL in queries", 3, &failures);
}
