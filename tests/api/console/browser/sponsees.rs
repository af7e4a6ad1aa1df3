//! A sponsor's sponsees and check-ins with the keyboard: the contact details after the
//! introduction, a check-in answered through the emailed link (signed out) and changed on
//! the page, the sponsorship marked active and then ended for a safety reason.

use std::time::Duration;

use fantoccini::key::Key;
use reqwest::StatusCode;
use serde_json::json;

use super::{Browser, DESKTOP, PHONE, SAM_EMAIL, link_in, sam};
use crate::email::send_to;
use crate::helpers::{PASSWORD, TestApp, expect_json};
use crate::journey::{Program, get_match, introduced, program};
use crate::smtp::{Mail, MailServer};

const WAIT: Duration = Duration::from_secs(30);

/// The check-in email to the sponsor, once it has come.
async fn check_in_mail(mail: &MailServer) -> Mail {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let found = mail
            .received()
            .into_iter()
            .find(|m| m.message_id().contains(".check_in_to_sponsor."));
        if let Some(found) = found {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no check-in email in {:?}",
            mail.received()
                .iter()
                .map(Mail::message_id)
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The sponsor's answer to the match's check-in, as the program sees it.
async fn sponsor_answer(app: &TestApp, p: &Program, id: &str) -> String {
    let path = format!("/api/v1/matches/{id}/check-ins");
    let response = app.get(&path, &p.manager).send().await.expect("check-ins");
    let check_ins = expect_json(response, StatusCode::OK).await;
    let theirs = check_ins["check_ins"]
        .as_array()
        .expect("check-ins")
        .iter()
        .find(|c| c["party"] == "sponsor")
        .expect("the sponsor's check-in");
    theirs["answer"].as_str().unwrap_or_default().to_owned()
}

/// Reloads `path` until the page has `selector` (work done in the background).
async fn visit_until(browser: &Browser, path: &str, selector: &str) {
    let check = format!(
        "return document.querySelector({}) !== null",
        json!(selector)
    );
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        browser.visit(path).await;
        if browser.script(&check).await == true {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{path}: no {selector}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn a_sponsor_answers_a_check_in_and_ends_for_safety(size: (u32, u32)) {
    let mail = MailServer::start();
    let app = TestApp::builder()
        .with(send_to(&mail))
        .with(|s| {
            s.check_ins.days = vec![0];
            s.matching.expiry_interval_ms = 50;
        })
        .spawn()
        .await;
    let Some(browser) = Browser::open(&app, size).await else {
        return;
    };
    let p = program(&app).await;
    let sponsor = sam(&app, &p.admin).await;
    browser.sign_in(SAM_EMAIL, PASSWORD).await;
    browser.go_by_nav("/app/sponsees").await;
    browser.check_page("sponsees-empty").await;
    browser.go_by_nav("/app/check-ins").await;
    browser.check_page("check-ins-empty").await;

    let id = introduced(&app, &p, &sponsor).await;
    // The contact details show once the introduction has been sent.
    visit_until(&browser, "/app/sponsees", "a[href^='mailto:']").await;
    browser.check_page("sponsees").await;

    let form = "form[action^='/app/check-ins/']";
    visit_until(&browser, "/app/check-ins", form).await;
    browser.check_page("check-ins").await;
    // The email's first link says "going well".
    let link = link_in(&check_in_mail(&mail).await, "/check-in/");

    // Signed out, the emailed link asks to confirm, and takes the answer.
    browser.tab_to(".sign-out button").await;
    browser.press(Key::Enter).await;
    browser.wait_for_path("/sign-in?done=note-signed-out").await;
    browser.check_page("sign-in-signed-out").await;
    browser.visit(&link).await;
    browser.check_page("check-in-link").await;
    browser.tab_to("main form button").await;
    browser.press(Key::Enter).await;
    browser.wait_for_text("Thank you").await;
    browser.check_page("check-in-link-done").await;
    assert_eq!(sponsor_answer(&app, &p, &id).await, "going_well");

    // Signed in again, the answer is changed on the page: the arrow key moves along the
    // choices, as in any group of radio buttons.
    browser.sign_in(SAM_EMAIL, PASSWORD).await;
    browser.go_by_nav("/app/check-ins").await;
    let going_well = format!("{form} input[value=going_well]");
    assert!(browser.ticked(&going_well).await);
    browser.tab_to(&going_well).await;
    browser.press(Key::Down).await;
    assert!(
        browser
            .ticked(&format!("{form} input[value=need_help]"))
            .await
    );
    browser.tab_to(&format!("{form} button")).await;
    browser.press(Key::Enter).await;
    browser
        .wait_for_path("/app/check-ins?done=note-check-in-answered")
        .await;
    browser.check_page("check-ins-answered").await;
    assert_eq!(sponsor_answer(&app, &p, &id).await, "need_help");

    // Ended, for a reason under "About safety", picked by typing its first letters.
    browser.go_by_nav("/app/sponsees").await;
    browser
        .tab_to(&format!(
            "form[action='/app/sponsees/{id}/activate'] button"
        ))
        .await;
    browser.press(Key::Enter).await;
    browser
        .wait_for_path("/app/sponsees?done=note-activated")
        .await;
    browser.check_page("sponsees-active").await;
    assert_eq!(get_match(&app, &p.manager, &id).await["state"], "active");
    let end = format!("form[action='/app/sponsees/{id}/end'] button");
    browser.tab_to("details summary").await;
    browser.press(Key::Enter).await;
    browser.tab_to(&end).await;
    browser.press(Key::Enter).await;
    browser.wait_for_text("Choose a reason for ending").await;
    browser.check_page("sponsees-end-error").await;
    assert_eq!(get_match(&app, &p.manager, &id).await["state"], "active");
    // The form is open again, the error beside the list; the summary's link goes there.
    let reason = format!("#reason-{id}");
    let beside = browser
        .script(&format!(
            "const r = document.querySelector('{reason}');
             return [r.closest('details').open, r.getAttribute('aria-invalid'),
                     document.getElementById('reason-{id}-error').innerText];"
        ))
        .await;
    assert_eq!((&beside[0], &beside[1]), (&json!(true), &json!("true")));
    let error = beside[2].as_str().unwrap_or_default();
    assert!(error.contains("Choose a reason for ending"), "{error}");
    browser.tab_to(".error-summary a").await;
    browser.press(Key::Enter).await;
    let focused = browser.script("return document.activeElement.id").await;
    assert_eq!(focused, format!("reason-{id}"));
    browser.type_text("Bo").await;
    assert_eq!(browser.value(&reason).await, "boundary_violation");
    let group = browser
        .script(&format!(
            "return document.querySelector('{reason}').selectedOptions[0].parentElement.label"
        ))
        .await;
    assert_eq!(group, "About safety");
    browser.check_page("sponsees-ending").await;
    browser
        .tab_to(&format!("form[action='/app/sponsees/{id}/end'] button"))
        .await;
    browser.press(Key::Enter).await;
    browser.wait_for_path("/app/sponsees?done=note-ended").await;
    browser.check_page("sponsees-ended").await;
    let record = get_match(&app, &p.manager, &id).await;
    assert_eq!(record["state"], "ended");
    assert_eq!(record["reason"], "boundary_violation");

    // The check-in link of an ended sponsorship says so.
    browser.visit(&link).await;
    browser.wait_for_text("This sponsorship has ended").await;
    browser.check_page("check-in-link-closed").await;
}

#[tokio::test]
async fn browser_a_sponsor_answers_a_check_in_and_ends_for_safety_on_a_phone() {
    a_sponsor_answers_a_check_in_and_ends_for_safety(PHONE).await;
}

#[tokio::test]
async fn browser_a_sponsor_answers_a_check_in_and_ends_for_safety_on_a_desktop() {
    a_sponsor_answers_a_check_in_and_ends_for_safety(DESKTOP).await;
}
