//! The OpenAPI document is exact: every served route in it, once, with its parameters,
//! schemas and problem responses; and the behaviours it promises (405 with `Allow`,
//! strict dates, a parameter given once, times in UTC with `Z`).

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sponsor_match::api::ENDPOINTS;

use crate::helpers::{
    TestApp, consent_body, expect_json, expect_problem, invalid_fields, seeker_body, sponsor_body,
};

async fn document(app: &TestApp) -> Value {
    let response = app
        .request(Method::GET, "/api/v1/openapi.json")
        .send()
        .await;
    expect_json(response.expect("openapi"), StatusCode::OK).await
}

/// Every `$ref` anywhere in `value`.
fn references<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(fields) => {
            for (key, item) in fields {
                match (key.as_str(), item) {
                    ("$ref", Value::String(target)) => found.push(target),
                    _ => references(item, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, found)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_describes_each_served_route_once_and_exactly() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let paths = doc["paths"].as_object().expect("paths");
    let mut operation_ids = BTreeSet::new();
    for endpoint in ENDPOINTS {
        let (path, method) = (endpoint.path(), endpoint.method().as_str().to_lowercase());
        let operation = &paths[&path][&method];
        let at = format!("{method} {path}");
        assert_eq!(operation["operationId"], endpoint.operation_id, "{at}");
        assert!(
            operation_ids.insert(endpoint.operation_id),
            "{at}: id used twice"
        );
        let mut declared: Vec<&str> = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "path")
            .filter_map(|p| p["name"].as_str())
            .collect();
        let mut named: Vec<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        declared.sort_unstable();
        named.sort_unstable();
        assert_eq!(declared, named, "{at}: path parameters");
        let responses = operation["responses"].as_object().expect("responses");
        if operation["security"].is_array() {
            for status in ["401", "403"] {
                assert!(responses.contains_key(status), "{at}: no {status}");
            }
        }
        for (status, response) in responses {
            if status.starts_with(['4', '5']) && path != "/readyz" {
                assert!(
                    response["content"]["application/problem+json"].is_object(),
                    "{at}: {status} is not a problem: {response}"
                );
            }
        }
    }
    let served: usize = paths
        .values()
        .map(|item| item.as_object().map_or(0, |methods| methods.len()))
        .sum();
    assert_eq!(
        served,
        ENDPOINTS.len(),
        "the document has no route not served"
    );

    let mut targets = Vec::new();
    references(&doc, &mut targets);
    for target in targets {
        let name = target.trim_start_matches("#/components/schemas/");
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{target} is referred to but not defined"
        );
    }
}

#[tokio::test]
async fn an_unsupported_method_is_405_naming_the_supported_ones() {
    let app = TestApp::spawn().await;
    for (method, path, allow) in [
        (Method::DELETE, "/api/v1/seekers", "GET, POST"),
        (Method::POST, "/api/v1/webhook", "GET, PUT, DELETE"),
        (Method::PUT, "/healthz", "GET"),
    ] {
        let response = app.request(method.clone(), path).send().await.expect("405");
        let allowed = response.headers().get("allow").cloned();
        expect_problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
        assert_eq!(
            allowed.as_ref().and_then(|v| v.to_str().ok()),
            Some(allow),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn dates_are_taken_only_as_yyyy_mm_dd() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let portal = app.add_portal_key(&admin).await;
    let sponsor = app.add_user(&admin, "sponsor").await;
    for (date, in_query) in [
        ("2015-3-1", "2015-3-1"),
        ("+2015-03-01", "%2B2015-03-01"),
        (" 2015-03-01", "%202015-03-01"),
        ("2015-03-01 ", "2015-03-01%20"),
        ("20150301", "20150301"),
    ] {
        let query = format!("/api/v1/reports?from={in_query}&to=2015-03-31");
        let response = app.get(&query, &admin).send().await.expect("report");
        let problem = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(invalid_fields(&problem), ["from"], "{date:?}");

        let mut seeker = seeker_body();
        seeker["discharge_date"] = json!(date);
        let response = app.post("/api/v1/seekers", &portal, &seeker).send().await;
        let problem =
            expect_problem(response.expect("seeker"), StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(invalid_fields(&problem), ["discharge_date"], "{date:?}");

        let mut profile = sponsor_body();
        profile["sobriety_date"] = json!(date);
        let response = app
            .put("/api/v1/sponsors/me", &sponsor, &profile)
            .send()
            .await;
        let problem =
            expect_problem(response.expect("profile"), StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(invalid_fields(&problem), ["sobriety_date"], "{date:?}");
    }
    let response = app
        .get("/api/v1/reports?from=2015-03-01&to=2015-03-31", &admin)
        .send()
        .await;
    expect_json(response.expect("report"), StatusCode::OK).await;
}

#[tokio::test]
async fn a_query_parameter_given_twice_is_refused_unless_it_may_repeat() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    for path in [
        "/api/v1/seekers?limit=1&limit=2",
        "/api/v1/review-queue?sort=waiting&sort=urgency",
        "/api/v1/reports?format=json&format=json",
        "/api/v1/cohort-assignment?mode=stable&mode=stable",
    ] {
        let response = app.get(path, &admin).send().await.expect("list");
        let problem = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(
            problem["errors"][0]["code"], "repeated",
            "{path}: {problem}"
        );
    }
    let kinds = "/api/v1/review-queue?kind=waiting_seeker&kind=check_in";
    let response = app.get(kinds, &admin).send().await.expect("queue");
    expect_json(response, StatusCode::OK).await;
}

#[tokio::test]
async fn times_are_sent_in_utc_with_z() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let portal = app.add_portal_key(&admin).await;
    let seeker = app.create_seeker(&portal).await;
    let consents = format!(
        "/api/v1/seekers/{}/consents",
        seeker["id"].as_str().unwrap()
    );
    let consent = app.post(&consents, &portal, &consent_body()).send().await;
    expect_json(consent.expect("consent"), StatusCode::CREATED).await;

    let response = app.get("/api/v1/review-queue", &admin).send().await;
    let queue = expect_json(response.expect("queue"), StatusCode::OK).await;
    let since = queue["items"][0]["since"]
        .as_str()
        .expect("a waiting seeker");
    assert!(since.ends_with('Z'), "{since}");
    assert!(
        chrono::DateTime::parse_from_rfc3339(since).is_ok(),
        "{since}"
    );

    let response = app
        .get("/api/v1/reports?format=csv", &admin)
        .send()
        .await
        .expect("csv");
    let csv = response.text().await.expect("body");
    let as_of = csv
        .lines()
        .find_map(|line| line.strip_prefix("report,as_of,"))
        .expect("as_of");
    let as_of = as_of.split(',').next().unwrap_or_default();
    assert!(as_of.ends_with('Z'), "{as_of}");
    assert!(
        chrono::DateTime::parse_from_rfc3339(as_of).is_ok(),
        "{as_of}"
    );
}

/// The schema of `name` among the document's components, or of a property under it
/// (`SponsorProfileInput/capacity`), looking into `allOf`.
fn component<'a>(doc: &'a Value, path: &str) -> &'a Value {
    let mut parts = path.split('/');
    let mut at = &doc["components"]["schemas"][parts.next().unwrap_or_default()];
    for part in parts {
        let parts_of = at["allOf"].as_array().cloned().unwrap_or_default();
        at = if part == "items" {
            &at["items"]
        } else if at["properties"][part].is_object() {
            &at["properties"][part]
        } else {
            let index = parts_of
                .iter()
                .position(|p| p["properties"][part].is_object())
                .unwrap_or_else(|| panic!("{path}: no {part}"));
            &at["allOf"][index]["properties"][part]
        };
    }
    at
}

/// The first non-null alternative of a schema that may be null.
fn not_null(schema: &Value) -> &Value {
    schema["oneOf"]
        .as_array()
        .and_then(|alternatives| alternatives.iter().find(|a| a["type"] != "null"))
        .unwrap_or(schema)
}

#[tokio::test]
async fn the_document_states_the_limits_the_parse_applies() {
    use sponsor_match::api::extract::{IdempotencyKey, IfMatch, Pagination};
    use sponsor_match::domain::values::{
        Capacity, EmailAddress, InPersonArea, LanguageCode, PhoneNumber, SobrietyDate, WebhookUrl,
        WeeklyAvailability, date_range_pattern,
    };

    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let today = chrono::Utc::now().date_naive();
    for input in ["SponsorProfileInput", "SeekerProfileInput"] {
        let languages = component(&doc, &format!("{input}/languages"));
        assert_eq!(languages["minItems"], 1, "{input}");
        assert_eq!(
            languages["items"]["enum"],
            json!(LanguageCode::all()),
            "{input}"
        );
        let zones: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
        let zone = component(&doc, &format!("{input}/time_zone"));
        assert_eq!(zone["enum"], json!(zones), "{input}");
        assert_eq!(
            component(&doc, &format!("{input}/fellowships"))["minItems"],
            1
        );
        let days = &component(&doc, &format!("{input}/availability"))["allOf"][0];
        assert_eq!(days["additionalProperties"], false);
        let hours = &days["properties"]["mon"]["items"];
        assert_eq!(
            (hours["minimum"].as_u64(), hours["maximum"].as_u64()),
            (Some(0), Some(u64::from(WeeklyAvailability::LAST_HOUR)))
        );
    }
    for variant in doc["components"]["schemas"]["GenderRule"]["oneOf"]
        .as_array()
        .expect("variants")
    {
        assert_eq!(variant["additionalProperties"], false, "{variant}");
    }
    let capacity = component(&doc, "SponsorProfileInput/capacity");
    assert_eq!(capacity["minimum"], 1);
    assert_eq!(capacity["maximum"], Capacity::HIGHEST_MAXIMUM);
    let sobriety = component(&doc, "SponsorProfileInput/sobriety_date");
    assert_eq!(
        sobriety["pattern"],
        date_range_pattern(SobrietyDate::FIRST, today)
    );
    let email = not_null(component(&doc, "ContactSpec/email"));
    assert_eq!(email["pattern"], EmailAddress::PATTERN);
    assert_eq!(email["maxLength"], EmailAddress::MAX_LENGTH);
    assert_eq!(component(&doc, "InviteRequest/email"), email);
    let phone = not_null(component(&doc, "ContactSpec/phone"));
    assert_eq!(phone["pattern"], PhoneNumber::PATTERN);
    for (field, range) in [
        ("latitude", InPersonArea::LATITUDE),
        ("longitude", InPersonArea::LONGITUDE),
        (
            "radius_km",
            InPersonArea::MIN_RADIUS_KM..=InPersonArea::MAX_RADIUS_KM,
        ),
    ] {
        let schema = component(&doc, &format!("InPersonAreaSpec/{field}"));
        assert_eq!(schema["minimum"].as_f64(), Some(*range.start()), "{field}");
        assert_eq!(schema["maximum"].as_f64(), Some(*range.end()), "{field}");
    }
    // Login trims the email (Unicode white space, U+0085 among it) and refuses it blank.
    let login = component(&doc, "LoginRequest/email");
    for (email, taken) in [("\n", false), ("\u{85} ", false), (" a ", true)] {
        assert_eq!(allowed(login, &json!(email)), taken, "{email:?}");
    }
    let url = component(&doc, "WebhookInput/url");
    assert_eq!(url["pattern"], WebhookUrl::PATTERN);
    assert_eq!(url["maxLength"], WebhookUrl::MAX_LENGTH);

    let parameter = |path: &str, method: &str, name: &str| {
        doc["paths"][path][method]["parameters"]
            .as_array()
            .and_then(|all| all.iter().find(|p| p["name"] == name).cloned())
            .unwrap_or_else(|| panic!("{method} {path}: no {name}"))
    };
    let limit = parameter("/api/v1/seekers", "get", "limit");
    assert_eq!(limit["schema"]["maximum"], Pagination::MAX_LIMIT);
    let cursor = parameter("/api/v1/seekers", "get", "cursor");
    assert_eq!(cursor["schema"]["pattern"], Pagination::CURSOR_PATTERN);
    let version = parameter("/api/v1/seekers/{id}", "put", "If-Match");
    assert_eq!(version["schema"]["pattern"], IfMatch::PATTERN);
    let key = parameter("/api/v1/seekers/{id}/matches", "post", "Idempotency-Key");
    assert_eq!(key["schema"]["pattern"], IdempotencyKey::PATTERN);
}

/// Whether `value` meets `schema` as far as these tests need: a pattern, an enum, a
/// range.
fn allowed(schema: &Value, value: &Value) -> bool {
    let schema = not_null(schema);
    if let (Some(pattern), Some(text)) = (schema["pattern"].as_str(), value.as_str()) {
        let pattern = regex::Regex::new(pattern).expect("a pattern");
        let short = schema["maxLength"]
            .as_u64()
            .is_none_or(|max| text.chars().count() as u64 <= max);
        return pattern.is_match(text) && short;
    }
    if let Some(values) = schema["enum"].as_array() {
        return values.contains(value);
    }
    if let Some(n) = value.as_f64() {
        let above = schema["minimum"].as_f64().is_none_or(|min| n >= min);
        let below = schema["maximum"].as_f64().is_none_or(|max| n <= max);
        return above && below;
    }
    true
}

#[tokio::test]
async fn a_value_at_each_limit_is_taken_and_one_past_it_refused() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let admin = app.create_program("Riverside").await;
    let portal = app.add_portal_key(&admin).await;
    let sponsor = app.add_user(&admin, "sponsor").await;
    let today = chrono::Utc::now().date_naive();
    let day = |days: i64| (today + chrono::Duration::days(days)).to_string();
    let digits = |n: usize| format!("+{}", "1".repeat(n));
    let local = |n: usize| format!("{}@example.org", "a".repeat(n));
    // (field of the body, the schema that judges it, value, taken)
    let cases: Vec<(&str, &str, Value, bool)> = vec![
        (
            "/contact/phone",
            "ContactSpec/phone",
            json!(digits(8)),
            true,
        ),
        (
            "/contact/phone",
            "ContactSpec/phone",
            json!(digits(7)),
            false,
        ),
        (
            "/contact/phone",
            "ContactSpec/phone",
            json!(digits(15)),
            true,
        ),
        (
            "/contact/phone",
            "ContactSpec/phone",
            json!(digits(16)),
            false,
        ),
        (
            "/contact/phone",
            "ContactSpec/phone",
            json!("+1 415-555 0123"),
            true,
        ),
        (
            "/contact/phone",
            "ContactSpec/phone",
            json!("+1 (415) 555 0123"),
            false,
        ),
        (
            "/contact/email",
            "ContactSpec/email",
            json!(local(64)),
            true,
        ),
        (
            "/contact/email",
            "ContactSpec/email",
            json!(local(65)),
            false,
        ),
        (
            "/contact/email",
            "ContactSpec/email",
            json!("ann@example"),
            true,
        ),
        (
            "/contact/email",
            "ContactSpec/email",
            json!("ann@-example.org"),
            false,
        ),
        (
            "/languages/0",
            "SeekerProfileInput/languages/items",
            json!("zu"),
            true,
        ),
        (
            "/languages/0",
            "SeekerProfileInput/languages/items",
            json!("xx"),
            false,
        ),
        (
            "/time_zone",
            "SeekerProfileInput/time_zone",
            json!("Pacific/Chatham"),
            true,
        ),
        (
            "/time_zone",
            "SeekerProfileInput/time_zone",
            json!("America/chicago"),
            false,
        ),
        (
            "/time_zone",
            "SeekerProfileInput/time_zone",
            json!("Mars/Olympus"),
            false,
        ),
        (
            "/meeting/in_person/latitude",
            "InPersonAreaSpec/latitude",
            json!(90),
            true,
        ),
        (
            "/meeting/in_person/latitude",
            "InPersonAreaSpec/latitude",
            json!(-90.0001),
            false,
        ),
        (
            "/meeting/in_person/longitude",
            "InPersonAreaSpec/longitude",
            json!(-180),
            true,
        ),
        (
            "/meeting/in_person/longitude",
            "InPersonAreaSpec/longitude",
            json!(180.0001),
            false,
        ),
        (
            "/meeting/in_person/radius_km",
            "InPersonAreaSpec/radius_km",
            json!(0.5),
            true,
        ),
        (
            "/meeting/in_person/radius_km",
            "InPersonAreaSpec/radius_km",
            json!(0.4999),
            false,
        ),
        (
            "/meeting/in_person/radius_km",
            "InPersonAreaSpec/radius_km",
            json!(250),
            true,
        ),
        (
            "/meeting/in_person/radius_km",
            "InPersonAreaSpec/radius_km",
            json!(250.0001),
            false,
        ),
        ("/availability/tue", "", json!([0, 23]), true),
        ("/availability/tue", "", json!([24]), false),
        (
            "/discharge_date",
            "SeekerProfileInput/discharge_date",
            json!(day(-365)),
            true,
        ),
        (
            "/discharge_date",
            "SeekerProfileInput/discharge_date",
            json!(day(-366)),
            false,
        ),
        (
            "/discharge_date",
            "SeekerProfileInput/discharge_date",
            json!("9999-12-31"),
            true,
        ),
    ];
    for (pointer, schema, value, taken) in cases {
        if !schema.is_empty() {
            assert_eq!(
                allowed(component(&doc, schema), &value),
                taken,
                "the document on {pointer} = {value}"
            );
        }
        let mut body = seeker_body();
        *body.pointer_mut(pointer).expect(pointer) = value.clone();
        let response = app.post("/api/v1/seekers", &portal, &body).send().await;
        let response = response.expect("seeker");
        let status = response.status();
        assert_eq!(
            status.is_success(),
            taken,
            "{pointer} = {value}: {status} {}",
            response.text().await.unwrap_or_default()
        );
        if !taken {
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{pointer} = {value}"
            );
        }
    }
    // What the schema cannot say of availability and meeting: an hour somewhere in the
    // week, a way to meet.
    for (pointer, value, taken) in [
        ("/availability", json!({"mon": [], "tue": [9]}), true),
        ("/availability", json!({"mon": []}), false),
        ("/meeting", json!({"phone": true}), true),
        (
            "/meeting",
            json!({"phone": false, "in_person": null}),
            false,
        ),
        (
            "/contact",
            json!({"phone": "+13125550100", "email": null}),
            true,
        ),
        ("/contact", json!({"email": null}), false),
    ] {
        let mut body = seeker_body();
        *body.pointer_mut(pointer).expect(pointer) = value.clone();
        let response = app.post("/api/v1/seekers", &portal, &body).send().await;
        let status = response.expect("seeker").status();
        assert_eq!(status.is_success(), taken, "{pointer} = {value}: {status}");
    }

    // A sponsor's own: capacity and sobriety date.
    let mut version: Option<String> = None;
    for (pointer, schema, value, taken) in [
        ("/capacity", "SponsorProfileInput/capacity", json!(1), true),
        ("/capacity", "SponsorProfileInput/capacity", json!(0), false),
        (
            "/sobriety_date",
            "SponsorProfileInput/sobriety_date",
            json!(day(0)),
            true,
        ),
        (
            "/sobriety_date",
            "SponsorProfileInput/sobriety_date",
            json!(day(1)),
            false,
        ),
        (
            "/sobriety_date",
            "SponsorProfileInput/sobriety_date",
            json!("1935-06-10"),
            true,
        ),
        (
            "/sobriety_date",
            "SponsorProfileInput/sobriety_date",
            json!("1935-06-09"),
            false,
        ),
    ] {
        assert_eq!(
            allowed(component(&doc, schema), &value),
            taken,
            "the document on {pointer} = {value}"
        );
        let mut body = sponsor_body();
        *body.pointer_mut(pointer).expect(pointer) = value.clone();
        let mut request = app.put("/api/v1/sponsors/me", &sponsor, &body);
        if let Some(version) = &version {
            request = request.header("If-Match", version);
        }
        let response = request.send().await.expect("profile");
        let status = response.status();
        if let Some(etag) = response.headers().get("etag") {
            version = etag.to_str().ok().map(str::to_owned);
        }
        assert_eq!(status.is_success(), taken, "{pointer} = {value}: {status}");
    }
}
