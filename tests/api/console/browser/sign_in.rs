//! Signing in with the keyboard alone, and the pages around it, on a phone and a desktop.

use fantoccini::key::Key;

use super::{Browser, DESKTOP, PHONE, email_of};
use crate::helpers::{PASSWORD, TestApp};

/// Tab to the fields, type, Enter: a wrong password first, then the right one; every
/// page on the way passes axe and reads without sideways scrolling.
async fn sign_in_with_the_keyboard(size: (u32, u32)) {
    let app = TestApp::spawn().await;
    let Some(browser) = Browser::open(&app, size).await else {
        return;
    };
    let admin = app.create_program("Riverside").await;
    let sponsor = app.add_sponsor(&admin, |_| {}).await;
    let email = email_of(&app, &sponsor).await;

    browser.visit("/app/account").await;
    browser
        .wait_for_path("/sign-in?back_to=%2Fapp%2Faccount")
        .await;
    browser.check_page("sign-in").await;

    browser.tab_to("#email").await;
    browser.type_text(&email).await;
    browser.press(Key::Tab).await;
    browser.type_text("not the password").await;
    browser.press(Key::Enter).await;
    browser.wait_for_path("/sign-in").await;
    let kept = browser
        .script("return document.querySelector('#email').value")
        .await;
    assert_eq!(kept, email.as_str(), "the email is kept");
    browser.check_page("sign-in-error").await;

    // The error summary's link takes focus to the field, where the email is.
    browser.tab_to(".error-summary a").await;
    browser.press(Key::Enter).await;
    browser.tab_to("#password").await;
    browser.type_text(PASSWORD).await;
    browser.press(Key::Enter).await;
    browser.wait_for_path("/app/account").await;
    browser.check_page("account").await;
    assert_eq!(browser.current_nav().await, "Account");

    browser.visit("/app").await;
    browser.check_page("home").await;
    assert_eq!(browser.current_nav().await, "Home");
}

#[tokio::test]
async fn browser_sign_in_with_the_keyboard_on_a_phone() {
    sign_in_with_the_keyboard(PHONE).await;
}

#[tokio::test]
async fn browser_sign_in_with_the_keyboard_on_a_desktop() {
    sign_in_with_the_keyboard(DESKTOP).await;
}

/// Everything Tab reaches shows where focus is, signed out and signed in.
#[tokio::test]
async fn browser_focus_is_visible_on_every_control() {
    let app = TestApp::spawn().await;
    let Some(browser) = Browser::open(&app, PHONE).await else {
        return;
    };
    browser.visit("/sign-in").await;
    browser.check_focus_visible("sign-in").await;

    let admin = app.create_program("Riverside").await;
    let sponsor = app.add_sponsor(&admin, |_| {}).await;
    let email = email_of(&app, &sponsor).await;
    browser.tab_to("#email").await;
    browser.type_text(&email).await;
    browser.press(Key::Tab).await;
    browser.type_text(PASSWORD).await;
    browser.press(Key::Enter).await;
    browser.wait_for_path("/app").await;
    browser.check_focus_visible("home").await;
}
