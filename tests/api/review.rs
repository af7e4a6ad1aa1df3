//! The review queue over real HTTP: what waits, in which order, filtered and paged.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    Caller, TestApp, consent_body, expect_json, expect_problem, invalid_fields, seeker_body,
};

async fn seeker(app: &TestApp, portal: &Caller, discharge_in_days: Option<i64>) -> String {
    let mut body = seeker_body();
    body["discharge_date"] = match discharge_in_days {
        Some(days) => {
            json!((chrono::Utc::now().date_naive() + chrono::Days::new(days as u64)).to_string())
        }
        None => Value::Null,
    };
    let created = app.post("/api/v1/seekers", portal, &body).send().await;
    let id = expect_json(created.expect("seeker"), StatusCode::CREATED).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let path = format!("/api/v1/seekers/{id}/consents");
    let consent = app.post(&path, portal, &consent_body()).send().await;
    expect_json(consent.expect("consent"), StatusCode::CREATED).await;
    id
}

async fn propose(app: &TestApp, portal: &Caller, seeker: &str, sponsor: &Caller) -> String {
    let body = json!({ "sponsor_id": sponsor.user_id.expect("sponsor id") });
    let path = format!("/api/v1/seekers/{seeker}/matches");
    let response = app
        .post(&path, portal, &body)
        .send()
        .await
        .expect("propose");
    expect_json(response, StatusCode::CREATED).await["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn queue(app: &TestApp, caller: &Caller, query: &str) -> Value {
    let path = format!("/api/v1/review-queue{query}");
    expect_json(
        app.get(&path, caller).send().await.expect("queue"),
        StatusCode::OK,
    )
    .await
}

fn entries(queue: &Value) -> Vec<(String, String)> {
    queue["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["kind"].as_str().unwrap().to_owned(),
                i["seeker_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_queue_puts_urgent_and_soonest_due_first_and_filters_and_pages() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Queue Program").await;
    let case_manager = app.add_user(&admin, "case_manager").await;
    let portal = app.add_portal_key(&admin).await;
    let sponsor = app.add_sponsor(&admin, |_| {}).await;

    let calm = seeker(&app, &portal, None).await;
    let leaving = seeker(&app, &portal, Some(1)).await;
    // Urgent: the sponsor has a day to answer, so the request is near its end at once.
    let asked = seeker(&app, &portal, Some(1)).await;
    let request = propose(&app, &portal, &asked, &sponsor).await;
    // Proposals wait for a case manager once the policy asks for review.
    let policy = json!({
        "min_sobriety_days": 365,
        "sobriety_half_life_days": 730,
        "weights": { "sobriety": 0.2, "availability": 0.35, "preferences": 0.2, "distance": 0.1, "load": 0.15 },
        "lifecycle": { "review_required": true }
    });
    let response = app
        .put("/api/v1/matching-policy", &admin, &policy)
        .header("If-Match", "\"1\"")
        .send()
        .await
        .expect("put policy");
    expect_json(response, StatusCode::OK).await;
    let reviewed = seeker(&app, &portal, None).await;
    let review = propose(&app, &portal, &reviewed, &sponsor).await;

    let all = queue(&app, &case_manager, "").await;
    let near = |s: &str| ("near_expiry".to_owned(), s.to_owned());
    let waiting = |s: &str| ("waiting_seeker".to_owned(), s.to_owned());
    let pending = |s: &str| ("pending_review".to_owned(), s.to_owned());
    assert_eq!(
        entries(&all),
        vec![
            near(&asked),
            waiting(&leaving),
            waiting(&calm),
            pending(&reviewed)
        ]
    );
    assert_eq!(all["total"], 4);
    assert_eq!(all["items"][0]["match_id"], request.as_str());
    assert_eq!(all["items"][0]["urgent"], true);
    assert!(all["items"][0]["due"].is_string());
    assert_eq!(all["items"][3]["match_id"], review.as_str());

    let longest = queue(&app, &case_manager, "?sort=waiting").await;
    assert_eq!(entries(&longest)[0], waiting(&calm));

    let reviews = queue(&app, &case_manager, "?kind=pending_review").await;
    assert_eq!(entries(&reviews), vec![pending(&reviewed)]);
    let two_kinds = queue(&app, &case_manager, "?kind=pending_review&kind=near_expiry").await;
    assert_eq!(two_kinds["total"], 2);

    let page = queue(&app, &case_manager, "?limit=2&offset=2").await;
    assert_eq!(entries(&page), vec![waiting(&calm), pending(&reviewed)]);
    assert_eq!(page["total"], 4);
}

#[tokio::test]
async fn bad_queue_parameters_name_the_field() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Queue Program").await;
    for (query, field) in [
        ("kind=everything", "kind"),
        ("sort=alphabetical", "sort"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("offset=-1", "offset"),
        ("page=2", "page"),
    ] {
        let path = format!("/api/v1/review-queue?{query}");
        let response = app.get(&path, &admin).send().await.expect("queue");
        let problem = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(invalid_fields(&problem), vec![field.to_owned()], "{query}");
    }
}
