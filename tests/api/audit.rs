//! The audit trail records who touched which protected record, never the values.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Caller, TestApp, expect_json};

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

/// A program's admin and the candidates path of a seeker with `sponsors` candidates.
async fn candidates_of_a_seeker(app: &TestApp, sponsors: usize) -> (Caller, String) {
    let admin = app.create_program("Riverside").await;
    let seeker = app.create_seeker(&admin).await;
    for _ in 0..sponsors {
        app.add_sponsor(&admin, |_| {}).await;
    }
    let path = format!(
        "/api/v1/seekers/{}/candidates",
        seeker["id"].as_str().unwrap()
    );
    (admin, path)
}

/// Candidate lists' events are committed in groups: under concurrent requests each
/// answer still comes only after its own events are on record.
#[tokio::test]
async fn concurrent_candidate_lists_are_each_on_record_before_they_answer() {
    use diesel::prelude::*;
    use sponsor_match::store::schema::audit_events;

    let app = TestApp::spawn().await;
    let (admin, path) = candidates_of_a_seeker(&app, 2).await;
    let requests = (0..24).map(|_| async {
        let response = app.get(&path, &admin).send().await.unwrap();
        let request_id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        let list = expect_json(response, StatusCode::OK).await;
        assert_eq!(list["candidates"].as_array().unwrap().len(), 2, "{list}");
        let lookup = request_id.clone();
        let actions: Vec<String> = app
            .db
            .run(move |conn| {
                Ok(audit_events::table
                    .filter(audit_events::request_id.eq(lookup))
                    .select(audit_events::action)
                    .order(audit_events::action.asc())
                    .load::<String>(conn)?)
            })
            .await
            .unwrap();
        assert_eq!(
            actions,
            [
                "seeker.candidates",
                "sponsor_profile.candidate",
                "sponsor_profile.candidate"
            ],
            "request {request_id}"
        );
    });
    futures_util::future::join_all(requests).await;
}

/// If the group's events cannot be written, every request in it is refused: nothing is
/// shown that is not on record.
#[tokio::test]
async fn candidate_lists_are_refused_when_their_events_cannot_be_written() {
    use diesel::RunQueryDsl;
    let app = TestApp::spawn().await;
    let (admin, path) = candidates_of_a_seeker(&app, 1).await;
    app.db
        .run(|conn| {
            diesel::sql_query("ALTER TABLE audit_events RENAME TO audit_events_away")
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    let requests = (0..6).map(|_| async {
        let response = app.get(&path, &admin).send().await.unwrap();
        let problem =
            crate::helpers::expect_problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
        assert!(problem.get("candidates").is_none(), "{problem}");
    });
    futures_util::future::join_all(requests).await;
}

/// Requests that reach the group commit together: each returns only once its own
/// events are committed (read back on its own connection, which sees committed rows
/// only), however the group was led.
#[tokio::test]
async fn read_events_are_committed_before_each_request_goes_on() {
    use std::sync::{Arc, Barrier};

    use diesel::prelude::*;
    use sponsor_match::auth::{Principal, Role};
    use sponsor_match::store::audit::{Actor, RecordKind};
    use sponsor_match::store::schema::audit_events;

    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    // A pool of its own, which no background task takes connections from, so that all
    // the requests hold one at once.
    let together = 4;
    let db = sponsor_match::store::Db::connect(app.settings().database_url(), 4).unwrap();
    let barrier = Arc::new(Barrier::new(together));
    let requests = (0..together).map(|n| {
        let barrier = barrier.clone();
        let actor = Actor {
            principal: Principal::User {
                id: admin.user_id.unwrap(),
                program_id: admin.program_id,
                role: Role::ProgramAdmin,
            },
            request_id: format!("request-{n}"),
        };
        db.read_then_write(move |conn, writer| {
            let events = (0..3)
                .map(|i| ("seeker.read", RecordKind::Seeker, format!("record-{n}-{i}")))
                .collect();
            barrier.wait();
            writer.audit_read(conn, &actor, events)?;
            let on_record = audit_events::table
                .filter(audit_events::request_id.eq(&actor.request_id))
                .count()
                .get_result::<i64>(conn)?;
            Ok(on_record)
        })
    });
    for on_record in futures_util::future::join_all(requests).await {
        assert_eq!(on_record.unwrap(), 3);
    }
}

/// Ids and enums cross the database typed (`store::codec`): a stored id that is not a
/// UUID, or a state no lifecycle names, written here by hand past the service, is an
/// error of the store (`Corrupt`) and an opaque 500, never a panic; the rows around it
/// still read.
#[tokio::test]
async fn a_stored_value_its_type_does_not_read_is_an_error_not_a_panic() {
    use diesel::RunQueryDsl;
    use sponsor_match::store::{PageRequest, StoreError, accounts, audit};

    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let program = admin.program_id;
    let page = PageRequest {
        after: None,
        limit: 100,
    };
    assert!(!events(&app, &admin).await.is_empty());
    app.db
        .run(|conn| {
            diesel::sql_query(
                "UPDATE audit_events SET id = 'not-a-uuid' \
                 WHERE id = (SELECT MIN(id) FROM audit_events)",
            )
            .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    let read = app
        .db
        .run(move |conn| audit::list(conn, program, page))
        .await;
    assert!(matches!(read, Err(StoreError::Corrupt(_))), "{read:?}");
    let response = app
        .get("/api/v1/audit-events?limit=100", &admin)
        .send()
        .await
        .unwrap();
    let problem = crate::helpers::expect_problem(response, StatusCode::INTERNAL_SERVER_ERROR).await;
    assert!(!problem.to_string().contains("not-a-uuid"), "{problem}");

    // An enum the store does not know, likewise.
    let seeker = app.create_seeker(&admin).await;
    let path = format!("/api/v1/seekers/{}", seeker["id"].as_str().unwrap());
    let id = seeker["id"].as_str().unwrap().to_owned();
    app.db
        .run(move |conn| {
            diesel::sql_query(format!(
                "UPDATE seekers SET gender = 'unheard_of' WHERE id = '{id}'"
            ))
            .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    let response = app.get(&path, &admin).send().await.unwrap();
    let problem = crate::helpers::expect_problem(response, StatusCode::INTERNAL_SERVER_ERROR).await;
    assert!(!problem.to_string().contains("unheard_of"), "{problem}");
    // The rest of the store still reads.
    let user = admin.user_id.unwrap();
    let read = app
        .db
        .run(move |conn| accounts::get_user(conn, program, user))
        .await;
    assert!(read.is_ok(), "{read:?}");
}
