//! The audit trail records who touched which protected record, never the values.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, expect_json};

async fn events(app: &TestApp, caller: &crate::helpers::Caller) -> Vec<Value> {
    let page = expect_json(
        app.get("/api/v1/audit-events?limit=100", caller)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn reads_by_people_and_all_changes_are_audited_without_protected_values() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let portal = app.add_portal_key(&admin).await;
    let manager = app.add_user(&admin, "case_manager").await;
    let seeker = app.create_seeker(&portal).await;
    let id = seeker["id"].as_str().unwrap();
    let path = format!("/api/v1/seekers/{id}");

    // The portal's own read is the program's system, not a person: not audited.
    app.get(&path, &portal).send().await.unwrap();
    let response = app.get(&path, &manager).send().await.unwrap();
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(response.status(), StatusCode::OK);

    let trail = events(&app, &admin).await;
    let on_seeker: Vec<(&str, &str)> = trail
        .iter()
        .filter(|e| e["record_id"] == id)
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["actor_kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        on_seeker,
        [("seeker.create", "api_key"), ("seeker.read", "user")]
    );
    let read = trail.iter().find(|e| e["action"] == "seeker.read").unwrap();
    assert_eq!(read["request_id"], request_id.as_str());
    assert_eq!(read["actor_id"], manager.user_id.unwrap().to_string());

    let text = serde_json::to_string(&trail).unwrap();
    for protected in [
        "Jo",
        "jo@example.org",
        "+13125550100",
        "Prefers evening calls",
        "supports_mat",
    ] {
        assert!(
            !text.contains(&format!("\"{protected}")),
            "audit trail leaks {protected}"
        );
    }

    // A person's own create or update is not also a read.
    let created = app.create_seeker(&manager).await;
    let created_id = created["id"].as_str().unwrap();
    let actions: Vec<String> = events(&app, &admin)
        .await
        .iter()
        .filter(|e| e["record_id"] == created_id)
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["seeker.create"]);

    // A list shows one page, and audits exactly what it shows.
    let before = events(&app, &admin).await.len();
    let page = expect_json(
        app.get("/api/v1/seekers?limit=1", &manager)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert!(page["next_cursor"].is_string());
    let after = events(&app, &admin).await;
    assert_eq!(after.len(), before + 1);
    assert_eq!(after[before]["action"], "seeker.list");
    assert_eq!(after[before]["record_id"], page["items"][0]["id"]);

    // Another program's staff see none of it.
    let other = app.create_program("Lakeside").await;
    let theirs = events(&app, &other).await;
    assert!(theirs.iter().all(|e| e["record_id"] != id));
}

#[tokio::test]
async fn staff_reads_of_sponsor_profiles_and_sessions_are_audited() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let sponsor = app.add_user(&admin, "sponsor").await;
    app.put_sponsor_profile(&sponsor).await;
    let sponsor_id = sponsor.user_id.unwrap().to_string();
    app.get(&format!("/api/v1/sponsors/{sponsor_id}"), &admin)
        .send()
        .await
        .unwrap();
    app.get("/api/v1/sponsors", &admin).send().await.unwrap();
    let trail = events(&app, &admin).await;
    let actions = |record: &str| -> Vec<String> {
        trail
            .iter()
            .filter(|e| e["record_id"] == record)
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        actions(&sponsor_id),
        [
            "user.activate",
            "user.login",
            "sponsor_profile.create",
            "sponsor_profile.read",
            "sponsor_profile.list"
        ]
    );
}

#[tokio::test]
async fn a_rejected_change_leaves_no_event_and_no_record() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let before = events(&app, &admin).await.len();
    let mut body = crate::helpers::seeker_body();
    body["languages"] = serde_json::json!(["xx"]);
    let response = app
        .post("/api/v1/seekers", &admin, &body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(events(&app, &admin).await.len(), before);
    let list = expect_json(
        app.get("/api/v1/seekers", &admin).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
}

/// A failure half-way through a write rolls the whole write back and answers an opaque
/// 500, the cause going to the log only.
#[tokio::test]
async fn a_database_failure_mid_write_leaves_nothing_behind() {
    use diesel::RunQueryDsl;
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    // Break the second table the create writes to.
    app.db
        .run(|conn| {
            diesel::sql_query("DROP TABLE seeker_contacts").execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    let before = events(&app, &admin).await.len();
    let response = app
        .post("/api/v1/seekers", &admin, &crate::helpers::seeker_body())
        .send()
        .await
        .unwrap();
    let problem = crate::helpers::expect_problem(response, StatusCode::INTERNAL_SERVER_ERROR).await;
    let body = problem.to_string();
    assert!(
        !body.contains("seeker_contacts") && !body.contains("table"),
        "{body}"
    );
    let list = expect_json(
        app.get("/api/v1/seekers", &admin).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        0,
        "no half-written seeker"
    );
    assert_eq!(
        events(&app, &admin).await.len(),
        before,
        "no audit event for it"
    );
}

#[tokio::test]
async fn the_first_admin_made_from_the_command_line_is_on_record() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let first = events(&app, &admin).await.remove(0);
    assert_eq!(first["action"], "user.create");
    assert_eq!(first["actor_kind"], "service");
    assert_eq!(first["actor_id"], "create-admin");
    assert_eq!(first["record_id"], admin.user_id.unwrap().to_string());
}
