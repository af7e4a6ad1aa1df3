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
async fn the_emailed_link_forms_are_described_as_forms() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    for path in ["/respond/{token}", "/invite/{token}", "/check-in/{token}"] {
        let body = &doc["paths"][path]["post"]["requestBody"]["content"];
        let form = &body["application/x-www-form-urlencoded"]["schema"];
        let name = form["$ref"].as_str().expect("a form schema");
        let name = name.trim_start_matches("#/components/schemas/");
        assert_eq!(
            doc["components"]["schemas"][name]["type"], "object",
            "{path}"
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
