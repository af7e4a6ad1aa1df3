//! Sponsor profiles: kept by the sponsor, visible to their program's staff only.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, expect_json, expect_problem, sponsor_body};

#[tokio::test]
async fn a_sponsor_creates_then_replaces_their_profile() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let sponsor = app.add_user(&admin, "sponsor").await;
    expect_problem(
        app.get("/api/v1/sponsors/me", &sponsor)
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;

    let created = app.put_sponsor_profile(&sponsor).await;
    assert_eq!(created["version"], 1);
    assert_eq!(created["status"], "active");
    assert_eq!(created["contact"]["email"], "sam@example.org");
    assert_eq!(created["sponsor_id"], sponsor.user_id.unwrap().to_string());

    // Replacing needs the version; pausing is part of the profile.
    let mut paused = sponsor_body();
    paused["status"] = json!("paused");
    paused["sponsors"] = json!({ "rule": "listed", "genders": ["woman", "non_binary"] });
    let response = app
        .put("/api/v1/sponsors/me", &sponsor, &paused)
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::PRECONDITION_REQUIRED).await;
    let response = app
        .put("/api/v1/sponsors/me", &sponsor, &paused)
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["etag"], "\"2\"");
    let updated = expect_json(response, StatusCode::OK).await;
    assert_eq!(updated["status"], "paused");
    assert_eq!(
        updated["sponsors"]["genders"],
        json!(["woman", "non_binary"])
    );
    assert_eq!(updated["created_at"], created["created_at"]);
    let response = app
        .put("/api/v1/sponsors/me", &sponsor, &paused)
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::PRECONDITION_FAILED).await;
}

#[tokio::test]
async fn capacity_is_bounded_by_the_programs_maximum() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let sponsor = app.add_user(&admin, "sponsor").await;
    for (capacity, status) in [(5, StatusCode::OK), (6, StatusCode::UNPROCESSABLE_ENTITY)] {
        let mut body = sponsor_body();
        body["capacity"] = json!(capacity);
        let mut request = app.put("/api/v1/sponsors/me", &sponsor, &body);
        if capacity == 6 {
            request = request.header("If-Match", "\"1\"");
        }
        assert_eq!(
            request.send().await.unwrap().status(),
            status,
            "capacity {capacity}"
        );
    }
}

#[tokio::test]
async fn staff_see_their_programs_sponsors_with_contact_details() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let manager = app.add_user(&admin, "case_manager").await;
    let sponsor = app.add_user(&admin, "sponsor").await;
    app.put_sponsor_profile(&sponsor).await;
    let other_admin = app.create_program("Lakeside").await;
    let other_sponsor = app.add_user(&other_admin, "sponsor").await;
    app.put_sponsor_profile(&other_sponsor).await;

    let list = expect_json(
        app.get("/api/v1/sponsors", &manager).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["sponsor_id"], sponsor.user_id.unwrap().to_string());
    assert_eq!(items[0]["contact"]["email"], "sam@example.org");
    let path = format!("/api/v1/sponsors/{}", other_sponsor.user_id.unwrap());
    expect_problem(
        app.get(&path, &manager).send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
}
