//! A sponsor invited by the roster import: the emailed link, a password of their own,
//! signing in, and the profile edited with the keyboard (a mistake first, shown beside
//! its field); and a sponsor with no profile yet filling one in from nothing.

use std::time::Duration;

use fantoccini::key::Key;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Browser, DESKTOP, PHONE, SAM_EMAIL, SAM_NAME, email_of, link_in};
use crate::email::smtp_app;
use crate::helpers::{Caller, PASSWORD, TestApp, expect_json};
use crate::roster::{csv, import, row, with};
use crate::smtp::MailServer;

const WAIT: Duration = Duration::from_secs(30);
const NEW_PASSWORD: &str = "a passphrase of my own";

async fn own_profile(app: &TestApp, sponsor: &Caller) -> Value {
    let response = app.get("/api/v1/sponsors/me", sponsor).send().await;
    expect_json(response.expect("profile"), StatusCode::OK).await
}

async fn an_invited_sponsor_joins_and_corrects_the_profile(size: (u32, u32)) {
    let mail = MailServer::start();
    let app = smtp_app(&mail).await;
    let Some(browser) = Browser::open(&app, size).await else {
        return;
    };
    let admin = app.create_program("Riverside").await;
    let sam = [
        ("email", SAM_EMAIL),
        ("contact.email", SAM_EMAIL),
        ("display_name", SAM_NAME),
        ("alias", "Sam"),
    ]
    .into_iter()
    .fold(row(1), |row, (column, value)| with(row, column, value));
    let imported = import(&app, &admin, "all-or-nothing", csv(&[sam])).await;
    expect_json(imported, StatusCode::OK).await;
    let invite = mail.wait_for(1, WAIT).await.remove(0);
    assert_eq!(invite.to, [SAM_EMAIL]);

    browser.visit(&link_in(&invite, "/invite/")).await;
    browser.check_page("invite").await;
    browser.tab_to("#password").await;
    browser.type_text("too short").await;
    browser.press(Key::Enter).await;
    browser.wait_for_text("at least 12 characters").await;
    browser.check_page("invite-error").await;
    browser.tab_to("#password").await;
    browser.type_text(NEW_PASSWORD).await;
    browser.press(Key::Enter).await;
    browser
        .wait_for_path("/sign-in?done=note-account-created")
        .await;
    browser.check_page("sign-in-account-ready").await;

    browser.sign_in(SAM_EMAIL, NEW_PASSWORD).await;
    browser.go_by_nav("/app/profile").await;
    browser.check_page("profile").await;
    assert_eq!(browser.value("#capacity").await, "2");

    // A new alias, and more people than the program allows: the page comes back with the
    // error beside the field and in the summary, the typed values kept.
    browser.tab_to("#alias").await;
    browser.select_all().await;
    browser.type_text("Sammy").await;
    browser.tab_to("#capacity").await;
    browser.select_all().await;
    browser.type_text("99").await;
    browser.press(Key::Enter).await;
    browser
        .wait_for_text("Enter a whole number from 1 to")
        .await;
    browser.check_page("profile-error").await;
    assert_eq!(browser.value("#alias").await, "Sammy");
    assert_eq!(browser.value("#capacity").await, "99");
    let beside = browser
        .script(
            "const c = document.querySelector('#capacity');
             return [c.getAttribute('aria-invalid'), c.getAttribute('aria-describedby'),
                     c.closest('.field').querySelector('.field-error').id];",
        )
        .await;
    assert_eq!(
        beside,
        json!(["true", "capacity-hint capacity-error", "capacity-error"])
    );
    let sponsor = app.login(SAM_EMAIL, NEW_PASSWORD).await;
    assert_eq!(own_profile(&app, &sponsor).await["alias"], "Sam");

    // The summary's link takes focus to the field; the number is typed over, a box
    // unticked with Space, and the form sent from its button.
    browser.tab_to(".error-summary a[href='#capacity']").await;
    browser.press(Key::Enter).await;
    let focused = browser.script("return document.activeElement.id").await;
    assert_eq!(focused, "capacity");
    browser.select_all().await;
    browser.type_text("3").await;
    let lgbtq = "input[name=attributes][value=lgbtq_affirming]";
    assert!(browser.ticked(lgbtq).await);
    browser.tab_to(lgbtq).await;
    browser.press(Key::Space).await;
    browser.tab_to("#profile-form button[type=submit]").await;
    browser.press(Key::Enter).await;
    browser
        .wait_for_path("/app/profile?done=note-profile-saved")
        .await;
    browser.check_page("profile-saved").await;
    let saved = own_profile(&app, &sponsor).await;
    assert_eq!(saved["alias"], "Sammy");
    assert_eq!(saved["capacity"], 3);
    assert_eq!(saved["attributes"], json!(["supports_mat"]));
}

#[tokio::test]
async fn browser_an_invited_sponsor_joins_and_corrects_the_profile_on_a_phone() {
    an_invited_sponsor_joins_and_corrects_the_profile(PHONE).await;
}

#[tokio::test]
async fn browser_an_invited_sponsor_joins_and_corrects_the_profile_on_a_desktop() {
    an_invited_sponsor_joins_and_corrects_the_profile(DESKTOP).await;
}

/// From an empty form: sent as it is, every missing answer is named; then filled in with
/// the keyboard alone (Space ticks, typing picks from a list), it is saved.
#[tokio::test]
async fn browser_a_new_sponsor_fills_an_empty_profile_with_the_keyboard() {
    let app = TestApp::spawn().await;
    let Some(browser) = Browser::open(&app, PHONE).await else {
        return;
    };
    let admin = app.create_program("Riverside").await;
    let sponsor = app.add_user(&admin, "sponsor").await;
    browser
        .sign_in(&email_of(&app, &sponsor).await, PASSWORD)
        .await;
    browser.go_by_nav("/app/profile").await;
    browser.check_page("profile-empty").await;

    browser.tab_to("#profile-form button[type=submit]").await;
    browser.press(Key::Enter).await;
    browser.wait_for_text("Please check the form").await;
    browser.check_page("profile-errors").await;

    browser.tab_to("#alias").await;
    browser.type_text("Sam").await;
    browser.tab_to("input[name=fellowships][value=aa]").await;
    browser.press(Key::Space).await;
    browser.tab_to("#sobriety_date").await;
    browser.type_text("03012019").await;
    assert_eq!(browser.value("#sobriety_date").await, "2019-03-01");
    browser.tab_to("input[name=gender][value=woman]").await;
    browser.press(Key::Space).await;
    browser
        .tab_to("input[name=sponsors][value=same_gender]")
        .await;
    browser.press(Key::Space).await;
    // English is offered ticked, and kept so.
    assert!(browser.ticked("input[name=languages][value=en]").await);
    browser.tab_to("input[name=languages][value=es]").await;
    browser.press(Key::Space).await;
    browser.tab_to("#time_zone").await;
    browser.type_text("America/Chicago").await;
    assert_eq!(browser.value("#time_zone").await, "America/Chicago");
    for hour in ["mon-18", "mon-19"] {
        browser.tab_to(&format!("input[value={hour}]")).await;
        browser.press(Key::Space).await;
    }
    browser.tab_to("input[name=meeting][value=video]").await;
    browser.press(Key::Space).await;
    browser.tab_to("#capacity").await;
    browser.type_text("2").await;
    browser.tab_to("#contact_email").await;
    browser.type_text(SAM_EMAIL).await;
    browser.tab_to("#profile-form button[type=submit]").await;
    browser.press(Key::Enter).await;
    browser.wait_for_text("Your profile has been saved").await;
    browser.check_page("profile-created").await;

    let saved = own_profile(&app, &sponsor).await;
    assert_eq!(saved["alias"], "Sam");
    assert_eq!(saved["fellowships"], json!(["aa"]));
    assert_eq!(saved["languages"], json!(["en", "es"]));
    assert_eq!(saved["sobriety_date"], "2019-03-01");
    assert_eq!(saved["time_zone"], "America/Chicago");
    assert_eq!(saved["availability"], json!({ "mon": [18, 19] }));
    assert_eq!(saved["capacity"], 2);
    assert_eq!(saved["contact"]["email"], SAM_EMAIL);
}
