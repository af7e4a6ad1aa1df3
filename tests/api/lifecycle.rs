//! The match lifecycle over real HTTP: the journey, the refusals, and the invariants
//! under concurrent requests (capacity, one match per seeker, idempotency).

use diesel::prelude::*;
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sponsor_match::store::schema::{disclosures, matches, outbox_messages};

use crate::helpers::{TestApp, consent_body, expect_json, expect_problem};
use crate::journey::{
    accept, consenting_seeker, contact_consent, get_match, program, propose, propose_to,
    record_consent, revoke_first_consent, step, user_id,
};

/// A service that queues messages but does not deliver them, so tests see the queue.
async fn quiet_app() -> TestApp {
    TestApp::builder()
        .with(|s| s.outbox.deliver_in_serve = false)
        .spawn()
        .await
}

fn actions(record: &Value) -> Vec<String> {
    record["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn outbox_kinds(app: &TestApp, match_id: &str) -> Vec<(String, String)> {
    let id = match_id.to_owned();
    app.db
        .run(move |conn| {
            Ok(outbox_messages::table
                .filter(outbox_messages::match_id.eq(id))
                .order(outbox_messages::id.asc())
                .select((outbox_messages::kind, outbox_messages::status))
                .load::<(String, String)>(conn)?)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn a_match_goes_from_proposal_to_completion_disclosing_only_what_was_consented() {
    let app = quiet_app().await;
    let p = program(&app).await;
    let sponsor = app.add_sponsor(&p.admin, |_| {}).await;
    let seeker = consenting_seeker(&app, &p.portal).await;

    let proposed = expect_json(
        propose(&app, &p.portal, &seeker, None).await,
        StatusCode::CREATED,
    )
    .await;
    let id = proposed["id"].as_str().unwrap().to_owned();
    assert_eq!(proposed["state"], "awaiting_sponsor", "{proposed}");
    assert_eq!(proposed["sponsor_id"], user_id(&sponsor));
    assert!(proposed["answer_by"].is_string());
    assert!(proposed["breakdown"]["score"].as_f64().unwrap() > 0.0);
    assert_eq!(actions(&proposed), ["propose", "submit"]);

    // The sponsor sees a minimal summary: what the consent names, nothing to reach anyone.
    let response = app
        .get("/api/v1/sponsors/me/requests", &sponsor)
        .send()
        .await
        .unwrap();
    let text = response.text().await.unwrap();
    let requests: Value = serde_json::from_str(&text).unwrap();
    let request = &requests["items"][0];
    assert_eq!(request["id"], id.as_str());
    assert_eq!(request["seeker"]["alias"], "Jo");
    assert_eq!(request["seeker"]["fellowships"], json!(["aa"]));
    assert_eq!(request["seeker"]["needs"], json!(["supports_mat"]));
    assert_eq!(request["seeker"]["distance_band"], "under_2_km");
    assert!(request["seeker"]["shared_hours"].is_u64());
    assert_eq!(request["seeker"]["languages"], Value::Null, "not consented");
    for private in [
        "jo@example.org",
        "+1312",
        "Prefers evening",
        "41.88",
        "internal_notes",
    ] {
        assert!(!text.contains(private), "{private} leaked: {text}");
    }

    // A yes must confirm sharing contact details at introduction.
    let refused = step(&app, &sponsor, &id, "sponsor-accept", json!({})).await;
    let problem = expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem["errors"][0]["field"], "share_contact_details");
    let accepted = expect_json(
        step(&app, &sponsor, &id, "sponsor-accept", accept()).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(accepted["state"], "awaiting_seeker");
    assert!(
        accepted.get("breakdown").is_none(),
        "the sponsor gets the outcome only"
    );

    // Both agreed; the introduction waits for the seeker's consent to share contact details.
    let agreed = expect_json(
        step(&app, &p.portal, &id, "seeker-accept", json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(agreed["state"], "agreed");
    assert_eq!(
        outbox_kinds(&app, &id).await,
        [("sponsor_request".to_owned(), "pending".to_owned())]
    );
    record_consent(&app, &p.portal, &seeker, contact_consent()).await;
    let introduced = get_match(&app, &p.manager, &id).await;
    assert_eq!(introduced["state"], "introduced");
    let kinds: Vec<String> = outbox_kinds(&app, &id)
        .await
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        kinds,
        [
            "sponsor_request",
            "introduction_to_sponsor",
            "introduction_to_seeker"
        ]
    );

    let active = expect_json(
        step(&app, &sponsor, &id, "activate", json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(active["state"], "active");
    let done = step(
        &app,
        &p.portal,
        &id,
        "complete",
        json!({ "reason": "goals_met" }),
    )
    .await;
    let done = expect_json(done, StatusCode::OK).await;
    assert_eq!(done["state"], "completed");
    assert_eq!(done["reason"], "goals_met");
    assert_eq!(
        actions(&done),
        [
            "propose",
            "submit",
            "sponsor_accept",
            "seeker_accept",
            "introduce",
            "activate",
            "complete"
        ]
    );
    let by_sponsor = &done["history"][2];
    assert_eq!(by_sponsor["actor_kind"], "user");
    assert_eq!(by_sponsor["actor_id"], user_id(&sponsor));

    // The summary is on record as disclosed at the request; the contact details only once
    // the introduction is sent (tests/api/email.rs), and no worker runs here.
    let match_id = id.clone();
    let disclosed = app
        .db
        .run(move |conn| {
            Ok(disclosures::table
                .filter(disclosures::match_id.eq(match_id))
                .order(disclosures::id.asc())
                .select(disclosures::items)
                .load::<String>(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(disclosed.len(), 1, "{disclosed:?}");
    assert!(!disclosed[0].contains("contact_details"));

    // The audit trail has every step.
    let audit = app
        .get("/api/v1/audit-events?limit=100", &p.admin)
        .send()
        .await
        .unwrap();
    let audit = expect_json(audit, StatusCode::OK).await;
    let logged: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["record_id"] == id.as_str())
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "match.propose",
        "match.sponsor_accept",
        "match.seeker_accept",
        "match.introduce",
        "match.complete",
    ] {
        assert!(logged.contains(&action), "{action} missing from {logged:?}");
    }

    // Finished is finished: a step the state does not allow names the state.
    let late = step(
        &app,
        &p.manager,
        &id,
        "veto",
        json!({ "reason": "safety_concern" }),
    )
    .await;
    let problem = expect_problem(late, StatusCode::CONFLICT).await;
    assert_eq!(
        problem["type"],
        "urn:problem:sponsor-match:invalid-transition"
    );
    assert_eq!(problem["current_state"], "completed");
}

#[tokio::test]
async fn with_review_required_a_case_manager_approves_before_the_sponsor_sees_anything() {
    let app = quiet_app().await;
    let p = program(&app).await;
    let policy = app
        .put("/api/v1/matching-policy", &p.admin, &json!({
            "min_sobriety_days": 365,
            "sobriety_half_life_days": 730,
            "weights": { "sobriety": 0.2, "availability": 0.35, "preferences": 0.2, "distance": 0.1, "load": 0.15 },
            "lifecycle": { "review_required": true, "answer_within_hours": 48, "urgent_answer_within_hours": 12 }
        }))
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    let policy = expect_json(policy, StatusCode::OK).await;
    assert_eq!(
        policy["lifecycle"]["auto_advance"], true,
        "defaults fill the rest"
    );
    let sponsor = app.add_sponsor(&p.admin, |_| {}).await;
    let seeker = consenting_seeker(&app, &p.portal).await;

    let proposed = expect_json(
        propose(&app, &p.manager, &seeker, Some(&sponsor)).await,
        StatusCode::CREATED,
    )
    .await;
    let id = proposed["id"].as_str().unwrap();
    assert_eq!(proposed["state"], "pending_review");
    let seen = app
        .get("/api/v1/sponsors/me/requests", &sponsor)
        .send()
        .await
        .unwrap();
    assert_eq!(expect_json(seen, StatusCode::OK).await["items"], json!([]));
    let early = step(&app, &sponsor, id, "sponsor-accept", accept()).await;
    assert_eq!(
        expect_problem(early, StatusCode::CONFLICT).await["current_state"],
        "pending_review"
    );
    let no_reason = step(&app, &p.manager, id, "veto", json!({})).await;
    assert_eq!(
        expect_problem(no_reason, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"],
        "reason"
    );

    let approved = expect_json(
        step(&app, &p.manager, id, "approve", json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(approved["state"], "awaiting_sponsor");
    let seen = app
        .get("/api/v1/sponsors/me/requests", &sponsor)
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_json(seen, StatusCode::OK).await["items"][0]["id"],
        id
    );
    // The portal relays the seeker; it does not review.
    let portal_review = step(&app, &p.portal, id, "approve", json!({})).await;
    expect_problem(portal_review, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn a_declined_pair_is_never_proposed_again() {
    let app = quiet_app().await;
    let p = program(&app).await;
    let sponsor = app.add_sponsor(&p.admin, |_| {}).await;
    let seeker = consenting_seeker(&app, &p.portal).await;
    let proposed = propose_to(&app, &p.portal, &seeker, &sponsor).await;
    let id = proposed["id"].as_str().unwrap();
    let declined = step(
        &app,
        &sponsor,
        id,
        "sponsor-decline",
        json!({ "reason": "schedule_conflict" }),
    )
    .await;
    assert_eq!(
        expect_json(declined, StatusCode::OK).await["state"],
        "declined"
    );
    assert_eq!(
        outbox_kinds(&app, id).await,
        [
            ("sponsor_request".to_owned(), "cancelled".to_owned()),
            ("decline_notice".to_owned(), "pending".to_owned())
        ]
    );

    let again = propose(&app, &p.portal, &seeker, Some(&sponsor)).await;
    let problem = expect_problem(again, StatusCode::CONFLICT).await;
    assert_eq!(problem["type"], "urn:problem:sponsor-match:not-a-candidate");
    assert_eq!(problem["filters_failed"], json!(["not_previously_paired"]));
    let best = propose(&app, &p.portal, &seeker, None).await;
    assert_eq!(
        expect_problem(best, StatusCode::CONFLICT).await["type"],
        "urn:problem:sponsor-match:no-candidate"
    );
    let path = format!("/api/v1/seekers/{seeker}/candidates");
    let listed = expect_json(
        app.get(&path, &p.manager).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["candidates"], json!([]));
    let why = format!("/api/v1/seekers/{seeker}/candidates/{}", user_id(&sponsor));
    let why = expect_json(
        app.get(&why, &p.manager).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(why["filters_failed"], json!(["not_previously_paired"]));

    // A service-only reason cannot be claimed.
    let other = app.add_sponsor(&p.admin, |_| {}).await;
    let proposed = propose_to(&app, &p.portal, &seeker, &other).await;
    let claimed = step(
        &app,
        &other,
        proposed["id"].as_str().unwrap(),
        "sponsor-decline",
        json!({ "reason": "sponsor_paused" }),
    )
    .await;
    assert_eq!(
        expect_problem(claimed, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["code"],
        "reserved"
    );
}

#[tokio::test]
async fn proposals_need_consent_and_a_seeker_has_one_match_under_way() {
    let app = quiet_app().await;
    let p = program(&app).await;
    let first = app.add_sponsor(&p.admin, |_| {}).await;
    let second = app.add_sponsor(&p.admin, |_| {}).await;
    let seeker = app.create_seeker(&p.portal).await;
    let seeker = seeker["id"].as_str().unwrap().to_owned();
    let unconsented = propose(&app, &p.portal, &seeker, None).await;
    assert_eq!(
        expect_problem(unconsented, StatusCode::CONFLICT).await["type"],
        "urn:problem:sponsor-match:consent-required"
    );
    record_consent(&app, &p.portal, &seeker, consent_body()).await;

    let racing = (0..8).map(|i| {
        let sponsor = if i % 2 == 0 { &first } else { &second };
        propose(&app, &p.portal, &seeker, Some(sponsor))
    });
    let responses = join_all(racing).await;
    let mut created = 0;
    for response in responses {
        match response.status() {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {
                let problem = expect_problem(response, StatusCode::CONFLICT).await;
                assert_eq!(problem["type"], "urn:problem:sponsor-match:match-under-way");
            }
            other => panic!("unexpected {other}: {}", response.text().await.unwrap()),
        }
    }
    assert_eq!(created, 1);
    let history = app
        .get(&format!("/api/v1/seekers/{seeker}/matches"), &p.manager)
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_json(history, StatusCode::OK)
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn many_simultaneous_accepts_for_one_free_slot_let_exactly_one_through() {
    let app = quiet_app().await;
    let p = program(&app).await;
    let sponsor = app
        .add_sponsor(&p.admin, |b| b["capacity"] = json!(1))
        .await;
    let mut ids = Vec::new();
    for _ in 0..50 {
        let seeker = consenting_seeker(&app, &p.portal).await;
        let proposed = propose_to(&app, &p.portal, &seeker, &sponsor).await;
        ids.push(proposed["id"].as_str().unwrap().to_owned());
    }
    let accepts = ids
        .iter()
        .map(|id| step(&app, &sponsor, id, "sponsor-accept", accept()));
    let responses = join_all(accepts).await;
    let (mut won, mut refused) = (0, 0);
    for response in responses {
        match response.status() {
            StatusCode::OK => won += 1,
            StatusCode::CONFLICT => {
                let problem = expect_problem(response, StatusCode::CONFLICT).await;
                assert_eq!(problem["type"], "urn:problem:sponsor-match:no-capacity");
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", response.text().await.unwrap()),
        }
    }
    assert_eq!((won, refused), (1, 49));
    let sponsor_id = user_id(&sponsor);
    let holding = app
        .db
        .run(move |conn| {
            Ok(matches::table
                .filter(matches::sponsor_id.eq(sponsor_id))
                .filter(matches::state.eq("awaiting_seeker"))
                .count()
                .get_result::<i64>(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(holding, 1);

    // The full sponsor is no longer a candidate for anyone.
    let seeker = consenting_seeker(&app, &p.portal).await;
    let path = format!("/api/v1/seekers/{seeker}/candidates/{}", user_id(&sponsor));
    let why = expect_json(
        app.get(&path, &p.manager).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(why["filters_failed"], json!(["free_capacity"]));
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_answer_with_no_second_effect() {
    let app = quiet_app().await;
    let p = program(&app).await;
    let sponsor = app.add_sponsor(&p.admin, |_| {}).await;
    let seeker = consenting_seeker(&app, &p.portal).await;
    let path = format!("/api/v1/seekers/{seeker}/matches");
    let send = |key: &'static str, body: Value| {
        app.post(&path, &p.portal, &body)
            .header("Idempotency-Key", key)
            .send()
    };
    let body = json!({ "sponsor_id": user_id(&sponsor) });
    let first = send("key-1", body.clone()).await.unwrap();
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first = expect_json(first, StatusCode::CREATED).await;
    let repeats = join_all((0..5).map(|_| send("key-1", body.clone()))).await;
    for repeat in repeats {
        let repeat = repeat.unwrap();
        assert_eq!(repeat.headers().get("idempotent-replayed").unwrap(), "true");
        assert_eq!(expect_json(repeat, StatusCode::CREATED).await, first);
    }
    let reused = send("key-1", json!({})).await.unwrap();
    assert_eq!(
        expect_problem(reused, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["code"],
        "reused"
    );
    let history = app
        .get(&format!("/api/v1/seekers/{seeker}/matches"), &p.manager)
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_json(history, StatusCode::OK)
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Racing repeats of one step: one effect, one answer.
    let id = first["id"].as_str().unwrap();
    let step_path = format!("/api/v1/matches/{id}/sponsor-accept");
    let racing = (0..10).map(|_| {
        app.post(&step_path, &sponsor, &accept())
            .header("Idempotency-Key", "accept-1")
            .send()
    });
    let answers = join_all(racing).await;
    let mut bodies = Vec::new();
    for answer in answers {
        bodies.push(expect_json(answer.unwrap(), StatusCode::OK).await);
    }
    assert!(bodies.iter().all(|b| *b == bodies[0]), "{bodies:?}");
    let record = get_match(&app, &p.manager, id).await;
    assert_eq!(actions(&record), ["propose", "submit", "sponsor_accept"]);
}

#[tokio::test]
async fn pausing_declines_waiting_requests_and_revoking_consent_withdraws_them() {
    let app = quiet_app().await;
    let p = program(&app).await;
    let sponsor = app.add_sponsor(&p.admin, |_| {}).await;
    let seeker = consenting_seeker(&app, &p.portal).await;
    let proposed = propose_to(&app, &p.portal, &seeker, &sponsor).await;
    let paused_id = proposed["id"].as_str().unwrap().to_owned();
    let own = app
        .get("/api/v1/sponsors/me", &sponsor)
        .send()
        .await
        .unwrap();
    let version = own
        .headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let mut profile = crate::helpers::sponsor_body();
    profile["status"] = json!("paused");
    let paused = app
        .put("/api/v1/sponsors/me", &sponsor, &profile)
        .header("If-Match", version)
        .send()
        .await
        .unwrap();
    expect_json(paused, StatusCode::OK).await;
    let record = get_match(&app, &p.manager, &paused_id).await;
    assert_eq!(record["state"], "declined");
    assert_eq!(record["reason"], "sponsor_paused");
    assert_eq!(record["history"][2]["actor_id"], user_id(&sponsor));

    let other = app.add_sponsor(&p.admin, |_| {}).await;
    let proposed = expect_json(
        propose(&app, &p.portal, &seeker, None).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        proposed["sponsor_id"],
        user_id(&other),
        "the paused sponsor is out"
    );
    let id = proposed["id"].as_str().unwrap();
    revoke_first_consent(&app, &p.portal, &seeker).await;
    let record = get_match(&app, &p.manager, id).await;
    assert_eq!(record["state"], "withdrawn");
    assert_eq!(record["reason"], "consent_revoked");
    assert_eq!(
        outbox_kinds(&app, id).await,
        [("sponsor_request".to_owned(), "cancelled".to_owned())]
    );
}

async fn make_overdue(app: &TestApp, id: &str) {
    let id = id.to_owned();
    app.db
        .run(move |conn| {
            let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1);
            diesel::update(matches::table.find(id))
                .set(matches::answer_by.eq(Some(past)))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
}

async fn seeker_matches(
    app: &TestApp,
    caller: &crate::helpers::Caller,
    seeker: &str,
) -> Vec<Value> {
    let path = format!("/api/v1/seekers/{seeker}/matches");
    let history = app.get(&path, caller).send().await.unwrap();
    expect_json(history, StatusCode::OK)
        .await
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn an_unanswered_request_expires_once_and_moves_on_to_the_next_candidate() {
    let app = TestApp::builder()
        .with(|s| {
            s.outbox.deliver_in_serve = false;
            s.matching.expiry_interval_ms = 100;
        })
        .spawn()
        .await;
    // A second instance runs the same job on the same database.
    let _second = app.another_instance().await;
    let p = program(&app).await;
    let first = app.add_sponsor(&p.admin, |_| {}).await;
    let second = app.add_sponsor(&p.admin, |_| {}).await;
    let seeker = consenting_seeker(&app, &p.portal).await;
    let proposed = propose_to(&app, &p.portal, &seeker, &first).await;
    let id = proposed["id"].as_str().unwrap().to_owned();
    assert_eq!(proposed["urgent"], false);
    let answer_by: chrono::DateTime<chrono::Utc> =
        proposed["answer_by"].as_str().unwrap().parse().unwrap();
    let window = answer_by - chrono::Utc::now();
    assert!(
        (71..=72).contains(&window.num_hours()),
        "the policy's 72 hours: {window}"
    );

    // Both instances' rank indexes know both sponsors (each follows the other's writes).
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    make_overdue(&app, &id).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let history = loop {
        let history = seeker_matches(&app, &p.manager, &seeker).await;
        if history.len() == 2 {
            break history;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not expired: {history:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    // Give the other instance its chance to do it twice.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let history_again = seeker_matches(&app, &p.manager, &seeker).await;
    assert_eq!(history_again.len(), 2, "{history_again:?}");
    let (next, expired) = (&history[0], &history[1]);
    assert_eq!(expired["id"], id.as_str());
    assert_eq!(expired["state"], "expired");
    let expiries: Vec<&Value> = expired["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["action"] == "expire")
        .collect();
    assert_eq!(expiries.len(), 1);
    assert_eq!(expiries[0]["actor_kind"], "service");
    assert_eq!(expiries[0]["actor_id"], "expiry");
    assert_eq!(next["state"], "awaiting_sponsor");
    assert_eq!(
        next["sponsor_id"],
        user_id(&second),
        "the expired pair is barred"
    );
    let kinds = outbox_kinds(&app, &id).await;
    assert!(
        kinds.contains(&("expiry_notice".to_owned(), "pending".to_owned())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("sponsor_request".to_owned(), "cancelled".to_owned())),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn urgent_seekers_get_the_shorter_window_and_without_auto_advance_an_expiry_just_ends() {
    let app = TestApp::builder()
        .with(|s| {
            s.outbox.deliver_in_serve = false;
            s.matching.expiry_interval_ms = 100;
        })
        .spawn()
        .await;
    let p = program(&app).await;
    let policy = app
        .put("/api/v1/matching-policy", &p.admin, &json!({
            "min_sobriety_days": 365,
            "sobriety_half_life_days": 730,
            "weights": { "sobriety": 0.2, "availability": 0.35, "preferences": 0.2, "distance": 0.1, "load": 0.15 },
            "lifecycle": { "answer_within_hours": 48, "urgent_answer_within_hours": 6, "auto_advance": false }
        }))
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    expect_json(policy, StatusCode::OK).await;
    let sponsor = app.add_sponsor(&p.admin, |_| {}).await;
    app.add_sponsor(&p.admin, |_| {}).await;
    let mut body = crate::helpers::seeker_body();
    body["discharge_date"] =
        json!((chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string());
    let created = app
        .post("/api/v1/seekers", &p.portal, &body)
        .send()
        .await
        .unwrap();
    let seeker = expect_json(created, StatusCode::CREATED).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    record_consent(&app, &p.portal, &seeker, consent_body()).await;
    let proposed = propose_to(&app, &p.portal, &seeker, &sponsor).await;
    assert_eq!(proposed["urgent"], true);
    let answer_by: chrono::DateTime<chrono::Utc> =
        proposed["answer_by"].as_str().unwrap().parse().unwrap();
    assert!((5..=6).contains(&(answer_by - chrono::Utc::now()).num_hours()));

    let id = proposed["id"].as_str().unwrap().to_owned();
    make_overdue(&app, &id).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while get_match(&app, &p.manager, &id).await["state"] != "expired" {
        assert!(std::time::Instant::now() < deadline, "not expired");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        seeker_matches(&app, &p.manager, &seeker).await.len(),
        1,
        "no auto-advance"
    );
}

#[tokio::test]
async fn a_case_manager_reassigns_and_the_program_can_list_every_disclosure() {
    let app = quiet_app().await;
    let p = program(&app).await;
    let first = app.add_sponsor(&p.admin, |_| {}).await;
    let second = app.add_sponsor(&p.admin, |_| {}).await;
    let seeker = consenting_seeker(&app, &p.portal).await;
    let proposed = propose_to(&app, &p.portal, &seeker, &first).await;
    let id = proposed["id"].as_str().unwrap();

    let by_portal = app
        .post(
            &format!("/api/v1/matches/{id}/reassign"),
            &p.portal,
            &json!({}),
        )
        .send()
        .await
        .unwrap();
    expect_problem(by_portal, StatusCode::FORBIDDEN).await;
    let reassigned = app
        .post(
            &format!("/api/v1/matches/{id}/reassign"),
            &p.manager,
            &json!({}),
        )
        .send()
        .await
        .unwrap();
    assert!(
        reassigned.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/api/v1/matches/")
    );
    let reassigned = expect_json(reassigned, StatusCode::CREATED).await;
    assert_eq!(
        reassigned["sponsor_id"],
        user_id(&second),
        "another sponsor than the one left"
    );
    assert_eq!(reassigned["state"], "awaiting_sponsor");
    let old = get_match(&app, &p.manager, id).await;
    assert_eq!(
        (old["state"].as_str(), old["reason"].as_str()),
        (Some("withdrawn"), Some("reassigned"))
    );

    // Reassigning what is no longer open changes nothing.
    let again = app
        .post(
            &format!("/api/v1/matches/{id}/reassign"),
            &p.manager,
            &json!({}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_problem(again, StatusCode::CONFLICT).await["current_state"],
        "withdrawn"
    );
    assert_eq!(seeker_matches(&app, &p.manager, &seeker).await.len(), 2);

    let listed = app
        .get(&format!("/api/v1/seekers/{seeker}/disclosures"), &p.portal)
        .send()
        .await
        .unwrap();
    let listed = expect_json(listed, StatusCode::OK).await;
    let recipients: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["recipient_id"].as_str().unwrap())
        .collect();
    assert_eq!(recipients, [user_id(&first), user_id(&second)]);
    assert_eq!(
        listed[0]["items"],
        json!([
            "alias",
            "fellowships",
            "needs",
            "availability",
            "meeting_area"
        ])
    );
    assert_eq!(listed[0]["purpose"], "To find a peer sponsor in recovery");
    assert!(listed[0]["consent_id"].is_string() && listed[0]["disclosed_at"].is_string());
}

#[tokio::test]
async fn a_sponsor_can_take_back_their_yes_until_the_introduction() {
    let app = quiet_app().await;
    let p = program(&app).await;
    let sponsor = app
        .add_sponsor(&p.admin, |b| b["capacity"] = json!(1))
        .await;
    let seeker = consenting_seeker(&app, &p.portal).await;
    let proposed = propose_to(&app, &p.portal, &seeker, &sponsor).await;
    let id = proposed["id"].as_str().unwrap();
    assert_eq!(proposed["sponsor_consent"], Value::Null);
    expect_json(
        step(&app, &sponsor, id, "sponsor-accept", accept()).await,
        StatusCode::OK,
    )
    .await;
    let record = get_match(&app, &p.manager, id).await;
    let consent = &record["sponsor_consent"];
    assert_eq!(consent["information"], json!(["contact_details"]));
    assert!(
        consent["signed_at"].is_string()
            && consent["revocation"]
                .as_str()
                .unwrap()
                .contains("sponsor-withdraw")
    );

    let by_portal = step(&app, &p.portal, id, "sponsor-withdraw", json!({})).await;
    expect_problem(by_portal, StatusCode::FORBIDDEN).await;
    let withdrawn = step(
        &app,
        &sponsor,
        id,
        "sponsor-withdraw",
        json!({ "reason": "personal_circumstances" }),
    )
    .await;
    assert_eq!(
        expect_json(withdrawn, StatusCode::OK).await["state"],
        "withdrawn"
    );
    // The slot is free again: the sponsor is a candidate for someone else.
    let other = consenting_seeker(&app, &p.portal).await;
    let again = propose(&app, &p.portal, &other, Some(&sponsor)).await;
    expect_json(again, StatusCode::CREATED).await;
}
