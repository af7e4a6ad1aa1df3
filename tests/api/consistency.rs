//! Answers that agree with themselves while sponsors change: a cohort plan, its pairs'
//! explanations and its total, and a candidate list, each come from one read of the pool.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Caller, TestApp, consent_body, expect_json, seeker_body, sponsor_body};

/// Every shown sponsor passes every filter and has a score.
fn explained_as_eligible(shown: &Value) -> bool {
    shown["score"].as_f64().is_some()
        && shown["filters_failed"]
            .as_array()
            .is_some_and(|failed| failed.is_empty())
}

/// Pauses and resumes each sponsor in turn until told to stop.
async fn keep_pausing(app: Arc<TestApp>, sponsors: Vec<Caller>, stop: Arc<AtomicBool>) -> usize {
    let mut versions = vec![1_u32; sponsors.len()];
    let mut changes = 0;
    while !stop.load(Ordering::Relaxed) {
        for (sponsor, version) in sponsors.iter().zip(versions.iter_mut()) {
            let mut body = sponsor_body();
            body["status"] = json!(if *version % 2 == 1 {
                "paused"
            } else {
                "active"
            });
            let response = app
                .put("/api/v1/sponsors/me", sponsor, &body)
                .header("If-Match", format!("\"{version}\""))
                .send()
                .await
                .expect("put profile");
            expect_json(response, StatusCode::OK).await;
            *version += 1;
            changes += 1;
        }
    }
    changes
}

#[tokio::test]
async fn plans_and_candidate_lists_agree_with_themselves_while_sponsors_pause() {
    let app = Arc::new(TestApp::spawn().await);
    let admin = app.create_program("Steady Program").await;
    let case_manager = app.add_user(&admin, "case_manager").await;
    let portal = app.add_portal_key(&admin).await;
    let mut sponsors = Vec::new();
    for _ in 0..6 {
        sponsors.push(app.add_sponsor(&admin, |s| s["capacity"] = json!(1)).await);
    }
    let mut seekers = Vec::new();
    for _ in 0..4 {
        let created = app
            .post("/api/v1/seekers", &portal, &seeker_body())
            .send()
            .await;
        let id = expect_json(created.expect("seeker"), StatusCode::CREATED).await["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let path = format!("/api/v1/seekers/{id}/consents");
        let consent = app.post(&path, &portal, &consent_body()).send().await;
        expect_json(consent.expect("consent"), StatusCode::CREATED).await;
        seekers.push(id);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let pausing = tokio::spawn(keep_pausing(app.clone(), sponsors, stop.clone()));

    let (mut plans, mut lists, mut shown) = (0, 0, 0);
    for round in 0..40 {
        let plan = app
            .get("/api/v1/cohort-assignment?mode=optimal", &case_manager)
            .send()
            .await
            .expect("plan");
        let plan = expect_json(plan, StatusCode::OK).await;
        let pairs = plan["pairs"].as_array().expect("pairs");
        let sum: f64 = pairs.iter().filter_map(|p| p["score"].as_f64()).sum();
        assert!(
            pairs.iter().all(explained_as_eligible),
            "a planned pair explained as not eligible: {plan}"
        );
        let total = plan["total"].as_f64().expect("total");
        assert!(
            (total - sum).abs() < 1e-9,
            "total {total} is not the pairs' sum {sum}: {plan}"
        );
        plans += 1;
        shown += pairs.len();

        let seeker = &seekers[round % seekers.len()];
        let path = format!("/api/v1/seekers/{seeker}/candidates");
        let list = app
            .get(&path, &case_manager)
            .send()
            .await
            .expect("candidates");
        let list = expect_json(list, StatusCode::OK).await;
        let candidates = list["candidates"].as_array().expect("candidates");
        assert!(
            candidates.iter().all(explained_as_eligible),
            "a candidate explained as not eligible: {list}"
        );
        lists += 1;
        shown += candidates.len();
    }
    stop.store(true, Ordering::Relaxed);
    let changes = pausing.await.expect("pausing task");
    assert_eq!((plans, lists), (40, 40));
    // The test means something only if sponsors changed meanwhile and answers showed some.
    assert!(changes >= 12, "only {changes} profile changes happened");
    assert!(shown > 0, "no answer showed a sponsor");
}
