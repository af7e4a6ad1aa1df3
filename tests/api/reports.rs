//! Program reports over real HTTP: the funnel, reasons, sponsors' load and waiting
//! seekers counted from matches made through the API, small counts withheld, as JSON
//! and CSV.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Caller, TestApp, consent_body, expect_json, expect_problem, invalid_fields};

async fn consenting_seeker(app: &TestApp, portal: &Caller) -> String {
    let seeker = app.create_seeker(portal).await;
    let id = seeker["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/seekers/{id}/consents");
    // To be shown to candidates, and to be introduced once both agree.
    let mut contact = consent_body();
    contact["recipient_class"] = json!("matched_sponsor");
    contact["information"] = json!(["contact_details"]);
    for consent in [consent_body(), contact] {
        let recorded = app.post(&path, portal, &consent).send().await;
        expect_json(recorded.expect("consent"), StatusCode::CREATED).await;
    }
    id
}

/// A new seeker's request to `sponsor`; the match id.
async fn request(app: &TestApp, portal: &Caller, sponsor: &Caller) -> String {
    let seeker = consenting_seeker(app, portal).await;
    let body = json!({ "sponsor_id": sponsor.user_id.expect("sponsor id") });
    let path = format!("/api/v1/seekers/{seeker}/matches");
    let response = app.post(&path, portal, &body).send().await;
    expect_json(response.expect("propose"), StatusCode::CREATED).await["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn step(app: &TestApp, caller: &Caller, id: &str, action: &str, body: Value) -> Value {
    let path = format!("/api/v1/matches/{id}/{action}");
    let response = app.post(&path, caller, &body).send().await;
    expect_json(response.expect("step"), StatusCode::OK).await
}

async fn report(app: &TestApp, caller: &Caller, query: &str) -> Value {
    let path = format!("/api/v1/reports{query}");
    let response = app.get(&path, caller).send().await.expect("report");
    expect_json(response, StatusCode::OK).await
}

/// `(count, suppressed)` of a count object.
fn cell(count: &Value) -> (Option<u64>, bool) {
    (count["count"].as_u64(), count["suppressed"] == true)
}

/// The entry of `list` whose `key` is `name`.
fn entry<'a>(list: &'a Value, key: &str, name: &str) -> &'a Value {
    list.as_array()
        .expect("list")
        .iter()
        .find(|e| e[key] == name)
        .unwrap_or_else(|| panic!("no {key} {name} in {list}"))
}

#[tokio::test]
async fn a_report_counts_what_happened_and_withholds_small_counts() {
    let app = TestApp::builder()
        .with(|settings| {
            settings.reports.minimum_cell_size =
                sponsor_match::domain::report::MinimumCellSize::parse(3).expect("size");
        })
        .spawn()
        .await;
    let admin = app.create_program("Report Program").await;
    let case_manager = app.add_user(&admin, "case_manager").await;
    let portal = app.add_portal_key(&admin).await;
    let busy = app.add_sponsor(&admin, |_| {}).await;
    let choosy = app.add_sponsor(&admin, |_| {}).await;
    let slow = app.add_sponsor(&admin, |_| {}).await;

    // Three pairings introduced, filling the busy sponsor's three slots.
    for _ in 0..3 {
        let id = request(&app, &portal, &busy).await;
        let accept = json!({ "share_contact_details": true });
        step(&app, &busy, &id, "sponsor-accept", accept).await;
        let agreed = step(&app, &portal, &id, "seeker-accept", json!({})).await;
        assert_eq!(agreed["state"], "introduced", "{agreed}");
    }
    // Four declined: three for fit, one for safety.
    for reason in [
        "not_a_good_fit",
        "not_a_good_fit",
        "not_a_good_fit",
        "harassment",
    ] {
        let id = request(&app, &portal, &choosy).await;
        let decline = json!({ "reason": reason });
        step(&app, &choosy, &id, "sponsor-decline", decline).await;
    }
    // One still waiting for its sponsor's answer.
    request(&app, &portal, &slow).await;

    let body = report(&app, &case_manager, "").await;
    let today = chrono::Utc::now().date_naive();
    assert_eq!(body["to"], today.to_string());
    assert_eq!(
        body["from"],
        (today - chrono::Days::new(89)).to_string(),
        "the last 90 days by default"
    );
    assert_eq!(body["minimum_cell_size"], 3);
    let funnel = &body["funnel"];
    assert_eq!(cell(&funnel["requests"]), (Some(8), false));
    assert_eq!(cell(&funnel["reviewed"]), (Some(0), false));
    assert_eq!(cell(&funnel["sponsor_accepted"]), (Some(3), false));
    assert_eq!(cell(&funnel["agreed"]), (Some(3), false));
    assert_eq!(cell(&funnel["introduced"]), (Some(3), false));
    // Nothing was introduced 30 days ago: no denominator yet, and it says so.
    let thirty = &funnel["active_at_30_days"];
    assert_eq!(cell(&thirty["introduced_long_enough"]), (Some(0), false));
    assert_eq!(cell(&thirty["still_going"]), (Some(0), false));

    let time = &body["time_to_match"];
    assert_eq!(cell(&time["matches"]), (Some(3), false));
    assert!(
        time["median_hours"]
            .as_f64()
            .is_some_and(|h| (0.0..1.0).contains(&h))
    );
    assert!(time["p90_hours"].is_number());

    let declines = &body["declines"];
    assert_eq!(cell(&declines["total"]), (Some(4), false));
    let by_category = &declines["by_category"];
    // Safety (1) is withheld; fit (3) with it, or 4 - 3 would give safety away.
    assert_eq!(cell(entry(by_category, "category", "safety")), (None, true));
    assert_eq!(cell(entry(by_category, "category", "fit")), (None, true));
    assert_eq!(
        cell(entry(by_category, "category", "service")),
        (Some(0), false)
    );
    let by_reason = &declines["by_reason"];
    assert_eq!(cell(entry(by_reason, "reason", "harassment")), (None, true));
    // Shown, 3 would be the withheld fit total.
    assert_eq!(
        cell(entry(by_reason, "reason", "not_a_good_fit")),
        (None, true)
    );
    assert_eq!(cell(entry(by_reason, "reason", "other")), (Some(0), false));
    assert_eq!(cell(&body["ends"]["total"]), (Some(0), false));

    let load = &body["sponsor_load"];
    assert_eq!(cell(&load["sponsors"]), (Some(3), false));
    let by_sponsees = &load["by_sponsees"];
    assert_eq!(cell(entry(by_sponsees, "sponsees", "0")), (None, true));
    assert_eq!(cell(entry(by_sponsees, "sponsees", "3")), (None, true));
    assert_eq!(cell(entry(by_sponsees, "sponsees", "1")), (Some(0), false));

    // The declined seekers wait again; the seeker body asks for MAT support.
    let waiting = &body["waiting_seekers"];
    assert_eq!(cell(&waiting["seekers"]), (Some(4), false));
    assert_eq!(
        cell(entry(&waiting["by_need"], "need", "supports_mat")),
        (Some(4), false)
    );
    assert_eq!(cell(&waiting["no_stated_need"]), (Some(0), false));

    // A range before any of it counts nothing of it, but who waits now all the same.
    let past = report(&app, &admin, "?from=2026-01-01&to=2026-01-31").await;
    assert_eq!(cell(&past["funnel"]["requests"]), (Some(0), false));
    assert_eq!(past["as_of"], "2026-02-01T00:00:00Z");
    assert_eq!(cell(&past["waiting_seekers"]["seekers"]), (Some(4), false));

    // Another program sees only its own.
    let other = app.create_program("Other Program").await;
    let theirs = report(&app, &other, "").await;
    assert_eq!(cell(&theirs["funnel"]["requests"]), (Some(0), false));
    assert_eq!(cell(&theirs["sponsor_load"]["sponsors"]), (Some(0), false));

    // Each reading is on the program's audit trail, as aggregate access.
    let audit = app
        .get("/api/v1/audit-events?limit=100", &admin)
        .send()
        .await;
    let audit = expect_json(audit.expect("audit"), StatusCode::OK).await;
    let reads: Vec<&Value> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == "report.read")
        .collect();
    assert_eq!(reads.len(), 2, "{audit}");
    assert_eq!(reads[0]["record_kind"], "report");
    assert_eq!(
        reads[1]["record_id"], "2026-01-01..2026-01-31",
        "the days read, nothing about anyone"
    );
    assert_eq!(
        reads[0]["actor_id"],
        case_manager.user_id.expect("id").to_string()
    );

    // The same as one CSV table, asked for by Accept or by format.
    let by_accept = app
        .get("/api/v1/reports", &case_manager)
        .header("Accept", "text/csv")
        .send()
        .await
        .expect("csv");
    assert_eq!(by_accept.status(), StatusCode::OK);
    assert_eq!(
        by_accept.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert_eq!(by_accept.headers()["vary"], "Accept");
    assert_eq!(by_accept.headers()["cache-control"], "no-store");
    assert!(
        by_accept.headers()["content-disposition"]
            .to_str()
            .is_ok_and(|d| d.starts_with("attachment; filename=\"report-"))
    );
    let csv = by_accept.text().await.expect("body");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "section,item,value,suppressed");
    for line in [
        "report,minimum_cell_size,3,no",
        "funnel,requests,8,no",
        "funnel,introduced,3,no",
        "declines,total,4,no",
        "declines_by_category,safety,,yes",
        "declines_by_reason,not_a_good_fit,,yes",
        "sponsor_load_by_sponsees,5+,0,no",
        "waiting_seekers_by_need,supports_mat,4,no",
    ] {
        assert!(lines.contains(&line), "{line} missing from\n{csv}");
    }
    assert!(lines.iter().skip(1).all(|l| l.split(',').count() == 4));
    let by_format = app
        .get("/api/v1/reports?format=csv", &case_manager)
        .send()
        .await
        .expect("csv");
    let by_format = by_format.text().await.expect("body");
    // Equal but for the instant it was made.
    let without_as_of = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with("report,as_of"))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(without_as_of(&by_format), without_as_of(&csv));
    // JSON preferred over CSV stays JSON.
    let json_first = app
        .get("/api/v1/reports", &case_manager)
        .header("Accept", "application/json, text/csv;q=0.5")
        .send()
        .await
        .expect("json");
    expect_json(json_first, StatusCode::OK).await;
}

#[tokio::test]
async fn by_default_counts_under_11_are_withheld() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Small Program").await;
    let portal = app.add_portal_key(&admin).await;
    for _ in 0..2 {
        consenting_seeker(&app, &portal).await;
    }
    let body = report(&app, &admin, "").await;
    assert_eq!(body["minimum_cell_size"], 11);
    let waiting = &body["waiting_seekers"];
    assert_eq!(cell(&waiting["seekers"]), (None, true));
    assert!(waiting["seekers"]["count"].is_null());
    assert_eq!(
        cell(entry(&waiting["by_need"], "need", "supports_mat")),
        (None, true)
    );
    assert_eq!(cell(&body["funnel"]["requests"]), (Some(0), false));
}

#[tokio::test]
async fn bad_report_parameters_name_the_field() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Report Program").await;
    for (query, fields) in [
        ("from=2026-13-01", vec!["from"]),
        ("to=yesterday", vec!["to"]),
        ("from=2026-03-01&to=2026-02-01", vec!["to"]),
        ("from=2020-01-01&to=2026-01-01", vec!["from"]),
        ("from=2999-01-01&to=2999-01-02", vec!["from"]),
        ("format=xlsx", vec!["format"]),
        ("from=nope&format=pdf", vec!["from", "format"]),
        ("from=2026-01-01&from=2026-02-01", vec!["from"]),
        ("program=other", vec!["program"]),
    ] {
        let path = format!("/api/v1/reports?{query}");
        let response = app.get(&path, &admin).send().await.expect("report");
        let problem = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(invalid_fields(&problem), fields, "{query}");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_both_forms_of_a_report() {
    let app = TestApp::spawn().await;
    let doc = app
        .request(reqwest::Method::GET, "/api/v1/openapi.json")
        .send()
        .await
        .expect("openapi");
    let doc = expect_json(doc, StatusCode::OK).await;
    let report = &doc["paths"]["/api/v1/reports"]["get"];
    let content = &report["responses"]["200"]["content"];
    assert!(content["application/json"].is_object(), "{report}");
    assert!(content["text/csv"].is_object(), "{report}");
    let params: Vec<&str> = report["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(params, ["from", "to", "format"]);
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["ProgramReport"].is_object());
    assert!(schemas["Count"].is_object());
}
