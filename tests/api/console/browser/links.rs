//! The emailed request links, signed out, with the keyboard: Accept (the box ticked with
//! Space), the page of a link used again, and Decline with a reason.

use std::time::Duration;

use fantoccini::key::Key;

use super::{Browser, PHONE, SAM_EMAIL, sam};
use crate::email::smtp_app;
use crate::journey::{consenting_seeker, get_match, program, propose_to};
use crate::smtp::{Mail, MailServer};

const WAIT: Duration = Duration::from_secs(30);

/// `/respond/<token>` after `label` (`Accept:`) in a request email.
fn respond_link(mail: &Mail, label: &str) -> String {
    let url = mail.line_after(label).expect("a link");
    let (_, token) = url.split_once("/respond/").expect("a respond link");
    format!("/respond/{token}")
}

#[tokio::test]
async fn browser_a_sponsor_answers_requests_from_the_emailed_links() {
    let mail = MailServer::start();
    let app = smtp_app(&mail).await;
    let Some(browser) = Browser::open(&app, PHONE).await else {
        return;
    };
    let p = program(&app).await;
    let sponsor = sam(&app, &p.admin).await;
    let seeker = consenting_seeker(&app, &p.portal).await;
    let first = propose_to(&app, &p.portal, &seeker, &sponsor).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let request = mail.wait_for(1, WAIT).await.remove(0);
    assert_eq!(request.to, [SAM_EMAIL]);

    let accept = respond_link(&request, "Accept:");
    browser.visit(&accept).await;
    browser.check_page("respond").await;
    browser.tab_to("#share_contact_details").await;
    browser.press(Key::Space).await;
    browser.tab_to("main form button").await;
    browser.press(Key::Enter).await;
    browser.wait_for_text("You accepted").await;
    browser.check_page("respond-accepted").await;
    assert_eq!(
        get_match(&app, &p.manager, &first).await["state"],
        "awaiting_seeker"
    );

    // Used again (or its email's other link): the page says it has been answered.
    browser.visit(&accept).await;
    browser.wait_for_text("You have already answered").await;
    browser.check_page("link-used").await;
    browser.visit(&respond_link(&request, "Decline:")).await;
    browser.wait_for_text("You have already answered").await;

    let seeker = consenting_seeker(&app, &p.portal).await;
    let second = propose_to(&app, &p.portal, &seeker, &sponsor).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let request = mail.wait_for(2, WAIT).await.remove(1);
    browser.visit(&respond_link(&request, "Decline:")).await;
    browser.check_page("respond-decline").await;
    browser.tab_to("#reason").await;
    browser.type_text("Not").await;
    assert_eq!(browser.value("#reason").await, "not_a_good_fit");
    browser.tab_to("main form button").await;
    browser.press(Key::Enter).await;
    browser.wait_for_text("You declined").await;
    browser.check_page("respond-declined").await;
    let declined = get_match(&app, &p.manager, &second).await;
    assert_eq!(declined["state"], "declined");
    assert_eq!(declined["reason"], "not_a_good_fit");
}
