//! Candidates: ranked, explained, filtered, private; policies; two instances in step.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Caller, TestApp, expect_json, expect_problem, sponsor_body};

fn id(caller: &Caller) -> String {
    caller.user_id.unwrap().to_string()
}

async fn candidates(app: &TestApp, caller: &Caller, seeker: &str) -> Value {
    let path = format!("/api/v1/seekers/{seeker}/candidates?limit=50");
    expect_json(app.get(&path, caller).send().await.unwrap(), StatusCode::OK).await
}

fn candidate_ids(list: &Value) -> Vec<String> {
    list["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["sponsor_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn candidates_pass_every_filter_are_ranked_and_show_nothing_private() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let manager = app.add_user(&admin, "case_manager").await;
    let portal = app.add_portal_key(&admin).await;
    let seeker = app.create_seeker(&portal).await;
    let seeker_id = seeker["id"].as_str().unwrap();

    let best = app
        .add_sponsor(&admin, |b| {
            b["availability"] = json!({ "tue": [19, 20], "sun": [10, 11] })
        })
        .await;
    let good = app.add_sponsor(&admin, |_| {}).await;
    let paused = app
        .add_sponsor(&admin, |b| b["status"] = json!("paused"))
        .await;
    let man = app
        .add_sponsor(&admin, |b| b["gender"] = json!("man"))
        .await;
    let no_mat = app
        .add_sponsor(&admin, |b| b["attributes"] = json!(["lgbtq_affirming"]))
        .await;
    let new_in_recovery = app
        .add_sponsor(&admin, |b| b["sobriety_date"] = json!("2026-06-01"))
        .await;
    let other_program = app.create_program("Lakeside").await;
    let shared_pool = app.add_sponsor(&other_program, |_| {}).await;

    let list = candidates(&app, &manager, seeker_id).await;
    let ids = candidate_ids(&list);
    assert_eq!(ids[0], id(&best), "most shared hours first: {list}");
    assert!(ids.contains(&id(&good)));
    assert!(
        ids.contains(&id(&shared_pool)),
        "sponsors are shared across programs"
    );
    for excluded in [&paused, &man, &no_mat, &new_in_recovery] {
        assert!(!ids.contains(&id(excluded)), "{list}");
    }
    assert_eq!(list["policy_version"], 1);
    let first = &list["candidates"][0];
    assert_eq!(first["alias"], "Sam");
    assert_eq!(first["fellowships"], json!(["aa", "na"]));
    assert_eq!(first["filters_failed"], json!([]));
    let score = first["score"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&score));
    let scores: Vec<f64> = list["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["score"].as_f64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );
    let availability = first["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["component"] == "availability")
        .unwrap();
    assert_eq!(availability["shared_hours"], 4);
    let text = list.to_string();
    for private in [
        "sam@example.org",
        "contact",
        "latitude",
        "41.88",
        "internal_notes",
    ] {
        assert!(
            !text.contains(private),
            "candidates reveal {private}: {text}"
        );
    }

    // Why not: the failing filters, no score.
    let path = format!("/api/v1/seekers/{seeker_id}/candidates/{}", id(&man));
    let why = expect_json(
        app.get(&path, &manager).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(why["score"], Value::Null);
    assert_eq!(
        why["filters_failed"],
        json!(["sponsor_accepts_gender", "seeker_accepts_gender"])
    );
    let path = format!("/api/v1/seekers/{seeker_id}/candidates/{}", id(&no_mat));
    let why = expect_json(
        app.get(&path, &portal).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(why["filters_failed"], json!(["needs"]));
    let unknown = format!(
        "/api/v1/seekers/{seeker_id}/candidates/{}",
        uuid::Uuid::now_v7()
    );
    expect_problem(
        app.get(&unknown, &manager).send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn changes_to_a_sponsor_change_their_candidacy_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let seeker = app.create_seeker(&admin).await;
    let seeker_id = seeker["id"].as_str().unwrap();
    let sponsor = app.add_sponsor(&admin, |_| {}).await;
    assert_eq!(
        candidate_ids(&candidates(&app, &admin, seeker_id).await),
        [id(&sponsor)]
    );

    let mut paused = sponsor_body();
    paused["status"] = json!("paused");
    let response = app
        .put("/api/v1/sponsors/me", &sponsor, &paused)
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(candidate_ids(&candidates(&app, &admin, seeker_id).await).is_empty());
}

#[tokio::test]
async fn limits_are_checked_and_reads_are_audited() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let manager = app.add_user(&admin, "case_manager").await;
    let seeker = app.create_seeker(&admin).await;
    let seeker_id = seeker["id"].as_str().unwrap();
    let sponsor = app.add_sponsor(&admin, |_| {}).await;
    for query in ["limit=0", "limit=51", "limit=x", "other=1"] {
        let path = format!("/api/v1/seekers/{seeker_id}/candidates?{query}");
        let problem = expect_problem(
            app.get(&path, &manager).send().await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert!(!problem["errors"].as_array().unwrap().is_empty(), "{query}");
    }
    candidates(&app, &manager, seeker_id).await;
    let events = expect_json(
        app.get("/api/v1/audit-events?limit=100", &admin)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let actions: Vec<(String, String)> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor_id"] == id(&manager))
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["record_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        actions.contains(&("seeker.candidates".to_owned(), seeker_id.to_owned())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("sponsor_profile.candidate".to_owned(), id(&sponsor))),
        "{actions:?}"
    );
}

#[tokio::test]
async fn the_policy_is_versioned_validated_and_steers_the_ranking() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let policy = expect_json(
        app.get("/api/v1/matching-policy", &admin)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(policy["version"], 1);
    assert_eq!(policy["min_sobriety_days"], 365);

    let strict = json!({
        "min_sobriety_days": 3650,
        "sobriety_half_life_days": 730,
        "weights": { "sobriety": 1, "availability": 0, "preferences": 0, "distance": 0, "load": 0 }
    });
    let put = |body: Value, version: Option<&'static str>| {
        let mut request = app.put("/api/v1/matching-policy", &admin, &body);
        if let Some(version) = version {
            request = request.header("If-Match", version);
        }
        request.send()
    };
    expect_problem(
        put(strict.clone(), None).await.unwrap(),
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    let mut zero = strict.clone();
    zero["weights"]["sobriety"] = json!(0);
    let problem = expect_problem(
        put(zero, Some("\"1\"")).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "weights");
    let mut negative = strict.clone();
    negative["weights"]["load"] = json!(-1);
    let problem = expect_problem(
        put(negative, Some("\"1\"")).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "weights.load");
    let updated = expect_json(
        put(strict.clone(), Some("\"1\"")).await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(updated["version"], 2);
    expect_problem(
        put(strict, Some("\"1\"")).await.unwrap(),
        StatusCode::PRECONDITION_FAILED,
    )
    .await;

    // Ten years' minimum: the seven-year sponsor is no longer a candidate.
    let seeker = app.create_seeker(&admin).await;
    app.add_sponsor(&admin, |_| {}).await;
    let list = candidates(&app, &admin, seeker["id"].as_str().unwrap()).await;
    assert_eq!(list["policy_version"], 2);
    assert!(candidate_ids(&list).is_empty(), "{list}");
}

/// Two instances on one database: a change through one reaches the other's index
/// within a second.
#[tokio::test]
async fn a_second_instance_follows_sponsor_changes_within_a_second() {
    let app = TestApp::builder()
        .with(|s| s.matching.follow_interval_ms = 100)
        .spawn()
        .await;
    let other = app.another_instance().await;
    let admin = app.create_program("Riverside").await;
    let seeker = app.create_seeker(&admin).await;
    let path = format!(
        "/api/v1/seekers/{}/candidates",
        seeker["id"].as_str().unwrap()
    );
    let on_other = || {
        app.client
            .request(Method::GET, format!("{other}{path}"))
            .bearer_auth(&admin.token)
            .send()
    };
    assert!(
        candidate_ids(&expect_json(on_other().await.unwrap(), StatusCode::OK).await).is_empty()
    );

    let changed = Instant::now();
    let sponsor = app.add_sponsor(&admin, |_| {}).await;
    loop {
        let list = expect_json(on_other().await.unwrap(), StatusCode::OK).await;
        if candidate_ids(&list) == [id(&sponsor)] {
            break;
        }
        assert!(
            changed.elapsed() < Duration::from_secs(1),
            "not followed within a second"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Candidate lists show aliases from memory: a new one shows at once on the instance
    // that took it, and within a second on the other.
    let mut renamed = sponsor_body();
    renamed["alias"] = json!("Robin");
    let response = app
        .put("/api/v1/sponsors/me", &sponsor, &renamed)
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    expect_json(response, StatusCode::OK).await;
    let renamed_at = Instant::now();
    let here = candidates(&app, &admin, seeker["id"].as_str().unwrap()).await;
    assert_eq!(here["candidates"][0]["alias"], "Robin", "{here}");
    loop {
        let list = expect_json(on_other().await.unwrap(), StatusCode::OK).await;
        if list["candidates"][0]["alias"] == "Robin" {
            break;
        }
        assert!(
            renamed_at.elapsed() < Duration::from_secs(1),
            "alias not followed within a second: {list}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
