//! Seekers: round trips, versions, concurrent edits, consent, pagination.

use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, consent_body, expect_json, expect_problem, seeker_body};

#[tokio::test]
async fn a_seeker_reads_back_as_written_normalised() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let portal = app.add_portal_key(&admin).await;
    let mut body = seeker_body();
    body["languages"] = json!(["ES", "en", "es"]);
    body["alias"] = json!("  Jo  ");
    body["contact"]["email"] = json!("Jo@Example.ORG");
    let response = app
        .post("/api/v1/seekers", &portal, &body)
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(response.headers()["etag"], "\"1\"");
    let created = expect_json(response, StatusCode::CREATED).await;
    assert_eq!(
        location,
        format!("/api/v1/seekers/{}", created["id"].as_str().unwrap())
    );

    let read = expect_json(
        app.get(&location, &admin).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(read, created);
    assert_eq!(read["alias"], "Jo");
    assert_eq!(read["languages"], json!(["en", "es"]));
    assert_eq!(read["contact"]["email"], "jo@example.org");
    assert_eq!(read["availability"], seeker_body()["availability"]);
    assert_eq!(read["meeting"]["in_person"]["radius_km"], 10.0);
    assert_eq!(read["internal_notes"], "Prefers evening calls.");
    assert_eq!(read["gender_preference"], json!({ "rule": "same_gender" }));
    assert_eq!(read["disclosure_permitted"], false);
    assert_eq!(read["version"], 1);
}

#[tokio::test]
async fn updates_need_the_current_version() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let manager = app.add_user(&admin, "case_manager").await;
    let seeker = app.create_seeker(&manager).await;
    let path = format!("/api/v1/seekers/{}", seeker["id"].as_str().unwrap());
    let mut body = seeker_body();
    body["alias"] = json!("Joanna");

    let response = app.put(&path, &manager, &body).send().await.unwrap();
    let problem = expect_problem(response, StatusCode::PRECONDITION_REQUIRED).await;
    assert_eq!(problem["current_version"], 1);

    let response = app
        .put(&path, &manager, &body)
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["etag"], "\"2\"");
    let updated = expect_json(response, StatusCode::OK).await;
    assert_eq!(updated["alias"], "Joanna");
    assert_eq!(updated["created_at"], seeker["created_at"]);

    let response = app
        .put(&path, &manager, &body)
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    let problem = expect_problem(response, StatusCode::PRECONDITION_FAILED).await;
    assert_eq!(problem["current_version"], 2);
}

#[tokio::test]
async fn concurrent_updates_of_one_version_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let portal = app.add_portal_key(&admin).await;
    let seeker = app.create_seeker(&portal).await;
    let path = format!("/api/v1/seekers/{}", seeker["id"].as_str().unwrap());

    let mut attempts = tokio::task::JoinSet::new();
    for n in 0..12 {
        let mut body = seeker_body();
        body["alias"] = json!(format!("Writer {n}"));
        let request = app.put(&path, &portal, &body).header("If-Match", "\"1\"");
        attempts.spawn(async move { (n, request.send().await.unwrap()) });
    }
    let mut winners = Vec::new();
    while let Some(attempt) = attempts.join_next().await {
        let (n, response) = attempt.unwrap();
        match response.status() {
            StatusCode::OK => winners.push(n),
            StatusCode::PRECONDITION_FAILED => {}
            other => panic!(
                "attempt {n}: unexpected {other}: {}",
                response.text().await.unwrap()
            ),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one writer wins");
    let read = expect_json(
        app.get(&path, &portal).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(read["version"], 2);
    assert_eq!(read["alias"], format!("Writer {}", winners[0]));
}

#[tokio::test]
async fn consent_permits_disclosure_until_revoked() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let portal = app.add_portal_key(&admin).await;
    let seeker = app.create_seeker(&portal).await;
    let path = format!("/api/v1/seekers/{}", seeker["id"].as_str().unwrap());

    let response = app
        .post(&format!("{path}/consents"), &portal, &consent_body())
        .send()
        .await
        .unwrap();
    let consent = expect_json(response, StatusCode::CREATED).await;
    assert_eq!(consent["in_force"], true);
    assert_eq!(consent["recipient_class"], "candidate_sponsors");
    assert!(
        consent["recorded_by"]
            .as_str()
            .unwrap()
            .starts_with("api_key:")
    );
    for element in [
        "discloser",
        "information",
        "purpose",
        "signed_by",
        "signed_at",
        "expires_at",
        "revocation_instructions",
    ] {
        assert!(!consent[element].is_null(), "{element} recorded");
    }
    let read = expect_json(
        app.get(&path, &portal).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(read["disclosure_permitted"], true);

    let revoke = format!("{path}/consents/{}/revoke", consent["id"].as_str().unwrap());
    let response = app
        .request(Method::POST, &revoke)
        .bearer_auth(&portal.token)
        .send()
        .await
        .unwrap();
    let revoked = expect_json(response, StatusCode::OK).await;
    assert_eq!(revoked["in_force"], false);
    assert!(revoked["revoked_at"].is_string());
    // Revoking again changes nothing.
    let response = app
        .request(Method::POST, &revoke)
        .bearer_auth(&portal.token)
        .send()
        .await
        .unwrap();
    let again = expect_json(response, StatusCode::OK).await;
    assert_eq!(again["revoked_at"], revoked["revoked_at"]);

    let read = expect_json(
        app.get(&path, &portal).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(read["disclosure_permitted"], false);
    let list = expect_json(
        app.get(&format!("{path}/consents"), &admin)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn lists_page_through_every_record_once() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let portal = app.add_portal_key(&admin).await;
    let mut created = HashSet::new();
    for _ in 0..7 {
        created.insert(
            app.create_seeker(&portal).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/seekers?limit=3".to_owned();
    let mut pages = 0;
    loop {
        let page: Value = expect_json(
            app.get(&path, &portal).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        pages += 1;
        for item in page["items"].as_array().unwrap() {
            seen.push(item["id"].as_str().unwrap().to_owned());
            assert!(item.get("contact").is_none(), "lists carry summaries only");
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/seekers?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 7);
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), created);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "ordered by id");
}
