//! A sponsor answers requests with the keyboard alone: the list, one request, the
//! contact-sharing box forgotten and then ticked, Accept; another declined with a reason.

use fantoccini::key::Key;

use super::{Browser, DESKTOP, PHONE, SAM_EMAIL, sam};
use crate::helpers::{PASSWORD, TestApp};
use crate::journey::{consenting_seeker, get_match, program, propose_to};

async fn a_sponsor_accepts_and_declines_requests(size: (u32, u32)) {
    let app = TestApp::spawn().await;
    let Some(browser) = Browser::open(&app, size).await else {
        return;
    };
    let p = program(&app).await;
    let sponsor = sam(&app, &p.admin).await;
    browser.sign_in(SAM_EMAIL, PASSWORD).await;
    browser.go_by_nav("/app/requests").await;
    browser.check_page("requests-empty").await;

    let seeker = consenting_seeker(&app, &p.portal).await;
    let first = propose_to(&app, &p.portal, &seeker, &sponsor).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    browser.go_by_nav("/app/requests").await;
    browser.check_page("requests").await;
    browser
        .tab_to(&format!("a[href='/app/requests/{first}']"))
        .await;
    browser.press(Key::Enter).await;
    let path = format!("/app/requests/{first}");
    browser.wait_for_path(&path).await;
    browser.check_page("request").await;

    // Accept without the box ticked: the page says why, beside the box.
    let accept = format!("form[action='{path}/accept'] button");
    browser.tab_to(&accept).await;
    browser.press(Key::Enter).await;
    browser.wait_for_text("tick the box").await;
    browser.check_page("request-consent-error").await;
    assert_eq!(
        get_match(&app, &p.manager, &first).await["state"],
        "awaiting_sponsor"
    );
    browser.tab_to(".error-summary a").await;
    browser.press(Key::Enter).await;
    let focused = browser.script("return document.activeElement.id").await;
    assert_eq!(focused, "share_contact_details");
    browser.press(Key::Space).await;
    assert!(browser.ticked("#share_contact_details").await);
    browser.tab_to(&accept).await;
    browser.press(Key::Enter).await;
    browser
        .wait_for_path(&format!("{path}?done=note-accepted"))
        .await;
    browser.check_page("request-accepted").await;
    assert_eq!(
        get_match(&app, &p.manager, &first).await["state"],
        "awaiting_seeker"
    );

    // Another request, declined with a reason picked by typing its first letters.
    let seeker = consenting_seeker(&app, &p.portal).await;
    let second = propose_to(&app, &p.portal, &seeker, &sponsor).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    browser.go_by_nav("/app/requests").await;
    browser.check_page("requests-answered-and-waiting").await;
    browser
        .tab_to(&format!(".items a.button[href='/app/requests/{second}']"))
        .await;
    browser.press(Key::Enter).await;
    let path = format!("/app/requests/{second}");
    browser.wait_for_path(&path).await;
    browser.tab_to("#reason").await;
    browser.type_text("Our").await;
    assert_eq!(browser.value("#reason").await, "schedule_conflict");
    browser
        .tab_to(&format!("form[action='{path}/decline'] button"))
        .await;
    browser.press(Key::Enter).await;
    browser
        .wait_for_path("/app/requests?done=note-declined")
        .await;
    browser.check_page("requests-declined").await;
    let declined = get_match(&app, &p.manager, &second).await;
    assert_eq!(declined["state"], "declined");
    assert_eq!(declined["reason"], "schedule_conflict");
}

#[tokio::test]
async fn browser_a_sponsor_accepts_and_declines_requests_on_a_phone() {
    a_sponsor_accepts_and_declines_requests(PHONE).await;
}

#[tokio::test]
async fn browser_a_sponsor_accepts_and_declines_requests_on_a_desktop() {
    a_sponsor_accepts_and_declines_requests(DESKTOP).await;
}
