//! A sponsor's requests, sponsees and check-ins in the console, over real HTTP.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::Browserless;
use crate::helpers::{Caller, TestApp, expect_json};
use crate::journey::{Program, consenting_seeker, get_match, introduced, program, propose_to};

const WAIT: Duration = Duration::from_secs(30);

async fn requested(app: &TestApp, p: &Program, sponsor: &Caller) -> String {
    let seeker = consenting_seeker(app, &p.portal).await;
    propose_to(app, &p.portal, &seeker, sponsor).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_sponsor_reviews_a_request_in_words_and_accepts_it_with_the_contact_consent() {
    let app = TestApp::spawn().await;
    let p = program(&app).await;
    let sponsor = app
        .add_sponsor(&p.admin, |b| b["time_zone"] = json!("America/New_York"))
        .await;
    let id = requested(&app, &p, &sponsor).await;
    let mut browser = Browserless::signed_in(&app, &sponsor);

    let list = browser.get("/app/requests").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.html.contains(&format!("/app/requests/{id}")));
    // The answer-by time is on the sponsor's own clock, with its abbreviation.
    assert!(
        list.html.contains("EST") || list.html.contains("EDT"),
        "{}",
        list.html
    );

    let detail = browser.get(&format!("/app/requests/{id}")).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.html.contains("Jo"));
    assert!(
        !detail.html.contains("supports_mat"),
        "codes are shown in words"
    );
    assert!(
        !detail.html.contains("under_2_km"),
        "codes are shown in words"
    );

    // Without the contact consent the form comes back with the error beside the box.
    let path = format!("/app/requests/{id}");
    let refused = browser.submit(&path, &format!("{path}/accept"), &[]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("tick the box"));
    assert!(refused.html.contains("aria-invalid=\"true\""));
    assert_eq!(
        get_match(&app, &p.manager, &id).await["state"],
        "awaiting_sponsor"
    );

    let accepted = browser
        .submit(
            &path,
            &format!("{path}/accept"),
            &[("share_contact_details", "yes")],
        )
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
    assert_eq!(
        get_match(&app, &p.manager, &id).await["state"],
        "awaiting_seeker"
    );
    let after = browser.get(accepted.location.as_deref().unwrap()).await;
    assert!(after.html.contains("You accepted"));
}

#[tokio::test]
async fn a_sponsor_declines_with_a_reason_and_a_full_sponsor_is_told_why_they_cannot_accept() {
    let app = TestApp::spawn().await;
    let p = program(&app).await;
    let sponsor = app
        .add_sponsor(&p.admin, |b| b["capacity"] = json!(1))
        .await;
    let first = requested(&app, &p, &sponsor).await;
    let second = requested(&app, &p, &sponsor).await;
    let mut browser = Browserless::signed_in(&app, &sponsor);

    let path = format!("/app/requests/{first}");
    let accepted = browser
        .submit(
            &path,
            &format!("{path}/accept"),
            &[("share_contact_details", "yes")],
        )
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);

    // The only slot is taken: the page says so to them, and still offers to decline.
    let path = format!("/app/requests/{second}");
    let full = browser
        .submit(
            &path,
            &format!("{path}/accept"),
            &[("share_contact_details", "yes")],
        )
        .await;
    assert_eq!(full.status, StatusCode::CONFLICT);
    assert!(
        full.html.contains("You have no free place"),
        "{}",
        full.html
    );
    assert!(full.html.contains(&format!("{path}/decline")));

    let declined = browser
        .submit(
            &path,
            &format!("{path}/decline"),
            &[("reason", "no_capacity")],
        )
        .await;
    assert_eq!(declined.status, StatusCode::SEE_OTHER);
    let record = get_match(&app, &p.manager, &second).await;
    assert_eq!(record["state"], "declined");
    assert_eq!(record["reason"], "no_capacity");

    // A reason the service keeps for itself is not one a sponsor can give.
    let third = requested(&app, &p, &app.add_sponsor(&p.admin, |_| {}).await).await;
    let stranger = browser
        .submit(
            "/app/requests",
            &format!("/app/requests/{third}/decline"),
            &[],
        )
        .await;
    assert_eq!(
        stranger.status,
        StatusCode::NOT_FOUND,
        "another sponsor's request"
    );
}

#[tokio::test]
async fn a_sponsor_sees_a_sponsee_with_contact_details_after_the_introduction_and_ends_it() {
    let app = TestApp::spawn().await;
    let p = program(&app).await;
    let sponsor = app.add_sponsor(&p.admin, |_| {}).await;
    let mut browser = Browserless::signed_in(&app, &sponsor);
    let empty = browser.get("/app/sponsees").await;
    assert!(
        empty.html.contains("You are not sponsoring anyone"),
        "{} {}",
        empty.status,
        empty.html
    );

    let id = introduced(&app, &p, &sponsor).await;
    // The contact details show once the introduction has been sent (and logged).
    let deadline = tokio::time::Instant::now() + WAIT;
    let page = loop {
        let page = browser.get("/app/sponsees").await;
        if page.html.contains("mailto:") {
            break page;
        }
        assert!(tokio::time::Instant::now() < deadline, "{}", page.html);
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(page.html.contains("Jo"));

    let activated = browser
        .submit(
            "/app/sponsees",
            &format!("/app/sponsees/{id}/activate"),
            &[],
        )
        .await;
    assert_eq!(activated.status, StatusCode::SEE_OTHER);
    assert_eq!(get_match(&app, &p.manager, &id).await["state"], "active");

    let no_reason = browser
        .submit(
            "/app/sponsees",
            &format!("/app/sponsees/{id}/end"),
            &[("reason", "")],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.html.contains("Choose a reason"));
    // That sponsorship's form is open again, the error beside its list and linked to.
    assert!(no_reason.html.contains("<details open>"));
    assert!(no_reason.html.contains(&format!("href=\"#reason-{id}\"")));
    assert!(
        no_reason
            .html
            .contains(&format!("id=\"reason-{id}-error\""))
    );
    assert!(no_reason.html.contains("aria-invalid=\"true\""));

    let ended = browser
        .submit(
            "/app/sponsees",
            &format!("/app/sponsees/{id}/end"),
            &[("reason", "boundary_violation")],
        )
        .await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER);
    let record = get_match(&app, &p.manager, &id).await;
    assert_eq!(record["state"], "ended");
    assert_eq!(record["reason"], "boundary_violation");
    assert!(
        browser
            .get("/app/sponsees")
            .await
            .html
            .contains("You are not sponsoring anyone")
    );
}

#[tokio::test]
async fn a_sponsor_answers_a_check_in_in_the_console() {
    let app = TestApp::builder()
        .with(|s| {
            s.check_ins.days = vec![0];
            s.matching.expiry_interval_ms = 50;
        })
        .spawn()
        .await;
    let p = program(&app).await;
    let sponsor = app.add_sponsor(&p.admin, |_| {}).await;
    let mut browser = Browserless::signed_in(&app, &sponsor);
    assert!(
        browser
            .get("/app/check-ins")
            .await
            .html
            .contains("No check-in is waiting")
    );
    let id = introduced(&app, &p, &sponsor).await;

    let deadline = tokio::time::Instant::now() + WAIT;
    let page = loop {
        let page = browser.get("/app/check-ins").await;
        if page.html.contains("/app/check-ins/") {
            break page;
        }
        assert!(tokio::time::Instant::now() < deadline, "no round opened");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let start = page.html.find("action=\"/app/check-ins/").unwrap() + "action=\"".len();
    let end = page.html[start..].find('"').unwrap() + start;
    let action = page.html[start..end].to_owned();

    let answered = browser
        .submit("/app/check-ins", &action, &[("answer", "going_well")])
        .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER);
    let path = format!("/api/v1/matches/{id}/check-ins");
    let response = app.get(&path, &p.manager).send().await.unwrap();
    let check_ins = expect_json(response, StatusCode::OK).await;
    let theirs = check_ins["check_ins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["party"] == "sponsor")
        .unwrap()
        .clone();
    assert_eq!(theirs["answer"], "going_well", "{check_ins}");

    // Another sponsor cannot answer it.
    let other = app.add_sponsor(&p.admin, |_| {}).await;
    let mut stranger = Browserless::signed_in(&app, &other);
    let refused = stranger
        .submit("/app/check-ins", &action, &[("answer", "need_help")])
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
}
