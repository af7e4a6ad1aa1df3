//! A forgotten password, with the keyboard: the link on the sign-in page, the form, the
//! email over real SMTP, its link, a new password (too short first), signing in with it.

use std::time::Duration;

use fantoccini::key::Key;

use super::{Browser, PHONE, SAM_EMAIL, link_in, sam};
use crate::email::smtp_app;
use crate::helpers::TestApp;
use crate::smtp::MailServer;

const WAIT: Duration = Duration::from_secs(30);
const NEW_PASSWORD: &str = "another passphrase entirely";

#[tokio::test]
async fn browser_a_forgotten_password_is_chosen_again_from_the_emailed_link() {
    let mail = MailServer::start();
    let app: TestApp = smtp_app(&mail).await;
    let Some(browser) = Browser::open(&app, PHONE).await else {
        return;
    };
    let admin = app.create_program("Riverside").await;
    sam(&app, &admin).await;

    browser.visit("/sign-in").await;
    browser.tab_to("a[href='/forgot-password']").await;
    browser.press(Key::Enter).await;
    browser.wait_for_path("/forgot-password").await;
    browser.check_page("forgot-password").await;
    browser.tab_to("#email").await;
    browser.type_text(SAM_EMAIL).await;
    browser.press(Key::Enter).await;
    browser.wait_for_text("Check your email").await;
    browser.check_page("forgot-password-sent").await;

    let letter = mail.wait_for(1, WAIT).await.remove(0);
    assert_eq!(letter.to, [SAM_EMAIL]);
    let link = link_in(&letter, "/reset-password/");
    browser.visit(&link).await;
    browser.check_page("reset-password").await;
    browser.tab_to("#password").await;
    browser.type_text("short").await;
    browser.press(Key::Enter).await;
    browser.wait_for_text("at least 12 characters").await;
    browser.check_page("reset-password-error").await;
    browser.tab_to("#password").await;
    browser.type_text(NEW_PASSWORD).await;
    browser.press(Key::Enter).await;
    browser
        .wait_for_path("/sign-in?done=note-password-reset")
        .await;
    browser.check_page("sign-in-password-reset").await;

    browser.sign_in(SAM_EMAIL, NEW_PASSWORD).await;
    assert_eq!(browser.current_nav().await, "Home");

    // The link is spent.
    browser.visit(&link).await;
    browser.check_page("reset-password-used").await;
    assert!(
        browser
            .script("return document.querySelector('#password') === null")
            .await
            == true
    );
}
