//! Cohort assignment over real HTTP: the optimum where a greedy pass falls short, the
//! stable mode, the reasons seekers stay unplaced, and accepting pairs into the lifecycle.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    Caller, TestApp, consent_body, expect_json, expect_problem, invalid_fields, seeker_body,
};

struct Cohort {
    case_manager: Caller,
    /// Needs what both sponsors offer; scores higher with `broad`.
    flexible: String,
    /// Needs what only `broad` offers.
    particular: String,
    unconsented: String,
    /// Speaks a language no sponsor does.
    unreachable: String,
    broad: String,
    narrow: String,
}

async fn cohort(app: &TestApp) -> Cohort {
    let admin = app.create_program("Cohort Program").await;
    let case_manager = app.add_user(&admin, "case_manager").await;
    let portal = app.add_portal_key(&admin).await;
    let broad = app.add_sponsor(&admin, |s| s["capacity"] = json!(1)).await;
    let narrow = app
        .add_sponsor(&admin, |s| {
            s["capacity"] = json!(1);
            s["attributes"] = json!(["supports_mat"]);
            s["availability"] = json!({ "wed": [8] });
        })
        .await;
    let seeker = |change: fn(&mut Value)| {
        let mut body = seeker_body();
        change(&mut body);
        body
    };
    let mut ids = Vec::new();
    for (body, consents) in [
        (seeker(|_| {}), true),
        (
            seeker(|s| {
                s["needs"] = json!(["supports_mat", "lgbtq_affirming"]);
                s["preferences"]["age_bands"] = json!(["60_plus"]);
            }),
            true,
        ),
        (seeker(|_| {}), false),
        (seeker(|s| s["languages"] = json!(["fr"])), true),
    ] {
        let created = app.post("/api/v1/seekers", &portal, &body).send().await;
        let id = expect_json(created.expect("seeker"), StatusCode::CREATED).await["id"]
            .as_str()
            .expect("id")
            .to_owned();
        if consents {
            let path = format!("/api/v1/seekers/{id}/consents");
            let consent = app.post(&path, &portal, &consent_body()).send().await;
            expect_json(consent.expect("consent"), StatusCode::CREATED).await;
        }
        ids.push(id);
    }
    let [flexible, particular, unconsented, unreachable] = <[String; 4]>::try_from(ids).unwrap();
    let id_of = |c: &Caller| c.user_id.expect("user id").to_string();
    Cohort {
        case_manager,
        flexible,
        particular,
        unconsented,
        unreachable,
        broad: id_of(&broad),
        narrow: id_of(&narrow),
    }
}

async fn plan(app: &TestApp, caller: &Caller, mode: &str) -> Value {
    let path = format!("/api/v1/cohort-assignment?mode={mode}");
    expect_json(
        app.get(&path, caller).send().await.expect("plan"),
        StatusCode::OK,
    )
    .await
}

fn pairs(plan: &Value) -> Vec<(String, String)> {
    plan["pairs"]
        .as_array()
        .expect("pairs")
        .iter()
        .map(|p| {
            (
                p["seeker_id"].as_str().unwrap().to_owned(),
                p["sponsor"]["sponsor_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn unplaced(plan: &Value) -> Vec<(String, String)> {
    plan["unplaced"]
        .as_array()
        .expect("unplaced")
        .iter()
        .map(|u| {
            (
                u["seeker_id"].as_str().unwrap().to_owned(),
                u["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn sorted<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items
}

#[tokio::test]
async fn the_optimal_plan_gives_way_where_greedy_would_not_and_stable_keeps_preferences() {
    let app = TestApp::spawn().await;
    let c = cohort(&app).await;

    let optimal = plan(&app, &c.case_manager, "optimal").await;
    // Greedy would seat `flexible` with `broad`, its best, and leave `particular` out.
    assert_eq!(
        sorted(pairs(&optimal)),
        sorted(vec![
            (c.flexible.clone(), c.narrow.clone()),
            (c.particular.clone(), c.broad.clone()),
        ])
    );
    assert_eq!(
        sorted(unplaced(&optimal)),
        sorted(vec![
            (c.unconsented.clone(), "consent_required".to_owned()),
            (c.unreachable.clone(), "no_candidates".to_owned()),
        ])
    );
    assert_eq!(optimal["seekers_waiting"], 4);
    let scores: f64 = optimal["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["score"].as_f64().unwrap())
        .sum();
    assert!((optimal["total"].as_f64().unwrap() - scores).abs() < 1e-9);
    // Each pair carries its breakdown, and nothing that may not be shown yet.
    let first = &optimal["pairs"][0];
    assert!(
        first["components"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    );
    assert!(first["sponsor"].get("contact").is_none());
    assert_eq!(
        plan(&app, &c.case_manager, "optimal").await,
        optimal,
        "deterministic"
    );

    // Stable: `broad` keeps the seeker it scores higher with; the other has no
    // sponsor left who would take them.
    let stable = plan(&app, &c.case_manager, "stable").await;
    assert_eq!(pairs(&stable), vec![(c.flexible.clone(), c.broad.clone())]);
    assert!(unplaced(&stable).contains(&(c.particular.clone(), "slots_taken".to_owned())));
    assert!(stable["total"].as_f64().unwrap() < optimal["total"].as_f64().unwrap());
}

#[tokio::test]
async fn accepted_pairs_enter_the_lifecycle_and_leave_the_waiting_list() {
    let app = TestApp::spawn().await;
    let c = cohort(&app).await;
    let body = json!({ "pairs": [
        { "seeker_id": c.flexible, "sponsor_id": c.narrow },
        { "seeker_id": c.particular, "sponsor_id": c.broad },
        { "seeker_id": c.unreachable, "sponsor_id": c.broad },
    ]});
    let response = app
        .post("/api/v1/cohort-assignment/accept", &c.case_manager, &body)
        .send()
        .await
        .expect("accept");
    let outcomes = expect_json(response, StatusCode::OK).await["outcomes"].clone();
    assert_eq!(outcomes[0]["proposed"]["state"], "awaiting_sponsor");
    assert_eq!(outcomes[1]["proposed"]["state"], "awaiting_sponsor");
    // A pair the database refuses does not stop the others.
    assert!(outcomes[2].get("proposed").is_none());
    assert_eq!(outcomes[2]["problem"]["status"], 409);

    let after = plan(&app, &c.case_manager, "optimal").await;
    assert_eq!(after["seekers_waiting"], 2);
    assert!(pairs(&after).is_empty());

    // Accepting again: each seeker already has a match under way.
    let again = app
        .post("/api/v1/cohort-assignment/accept", &c.case_manager, &body)
        .send()
        .await
        .expect("accept again");
    let outcomes = expect_json(again, StatusCode::OK).await["outcomes"].clone();
    assert_eq!(outcomes[0]["problem"]["status"], 409);
}

#[tokio::test]
async fn bad_cohort_requests_name_the_field() {
    let app = TestApp::spawn().await;
    let c = cohort(&app).await;
    for (query, field) in [("mode=greedy", "mode"), ("size=3", "size")] {
        let path = format!("/api/v1/cohort-assignment?{query}");
        let response = app.get(&path, &c.case_manager).send().await.expect("plan");
        let problem = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(invalid_fields(&problem), vec![field.to_owned()], "{query}");
    }
    let pair = json!({ "seeker_id": c.flexible, "sponsor_id": c.broad });
    for body in [
        json!({ "pairs": [] }),
        json!({ "pairs": [pair, pair] }),
        json!({ "pairs": vec![pair; 501] }),
    ] {
        let response = app
            .post("/api/v1/cohort-assignment/accept", &c.case_manager, &body)
            .send()
            .await
            .expect("accept");
        let problem = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(invalid_fields(&problem), vec!["pairs".to_owned()]);
    }
    let unknown =
        json!({ "pairs": [{ "seeker_id": uuid::Uuid::now_v7(), "sponsor_id": c.broad }] });
    let response = app
        .post(
            "/api/v1/cohort-assignment/accept",
            &c.case_manager,
            &unknown,
        )
        .send()
        .await
        .expect("accept");
    expect_problem(response, StatusCode::NOT_FOUND).await;
}
