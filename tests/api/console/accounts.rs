//! The account pages: a forgotten password through the emailed link (over real SMTP),
//! changing the password, the sessions in force, the invite page; their CSRF checks and
//! who may use them.

use std::time::Duration;

use diesel::prelude::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use sponsor_match::auth::credentials::sha256_hex;
use sponsor_match::store::schema::{password_resets, session_tokens};

use super::Browserless;
use crate::email::{email_of, smtp_app};
use crate::helpers::{Caller, PASSWORD, TestApp, expect_json};
use crate::smtp::{Mail, MailServer};

const WAIT: Duration = Duration::from_secs(30);
const NEW_PASSWORD: &str = "a brand new passphrase";

/// The token of the reset link in an email.
fn reset_token(mail: &Mail) -> String {
    mail.text()
        .lines()
        .find_map(|line| {
            line.trim()
                .split_once("/reset-password/")
                .map(|(_, t)| t.to_owned())
        })
        .expect("a reset link")
}

/// Whether a session token still opens the API.
async fn works(app: &TestApp, caller: &Caller) -> bool {
    let me = app.get("/api/v1/me", caller).send().await.expect("me");
    match me.status() {
        StatusCode::OK => true,
        StatusCode::UNAUTHORIZED => false,
        other => panic!("GET /me: {other}"),
    }
}

async fn logs_in(app: &TestApp, email: &str, password: &str) -> bool {
    let response = app
        .request(Method::POST, "/api/v1/auth/login")
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .expect("login");
    response.status() == StatusCode::OK
}

async fn session_id(app: &TestApp, caller: &Caller) -> String {
    let hash = sha256_hex(&caller.token);
    app.db
        .run(move |conn| {
            Ok(session_tokens::table
                .filter(session_tokens::token_hash.eq(hash))
                .select(session_tokens::id)
                .first::<String>(conn)?)
        })
        .await
        .expect("a session")
}

/// Asks for a reset link for `email` in a browser of its own; the page it answers with.
async fn ask_for_link(browser: &mut Browserless<'_>, email: &str) -> String {
    let page = browser
        .submit("/forgot-password", "/forgot-password", &[("email", email)])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    page.html
}

#[tokio::test]
async fn a_forgotten_password_is_chosen_again_through_the_emailed_link_once() {
    let mail = MailServer::start();
    let app = smtp_app(&mail).await;
    let admin = app.create_program("Riverside").await;
    let email = email_of(&app, &admin).await;
    let elsewhere = app.login(&email, PASSWORD).await;

    let mut browser = Browserless::new(&app);
    let form = browser.get("/forgot-password").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.html.contains("name=\"email\""));
    let known = ask_for_link(&mut browser, &email).await;
    assert!(known.contains("If an account exists for that address"));
    assert!(known.contains("works for 30 minutes"));
    // An address without an account gets the very same page, and no email.
    let unknown = ask_for_link(&mut browser, "nobody@example.org").await;
    assert_eq!(unknown, known);

    let mails = mail.wait_for(1, WAIT).await;
    let letter = &mails[0];
    assert_eq!(letter.to, std::slice::from_ref(&email));
    assert_eq!(letter.subject(), "Choose a new password");
    let sign_in = format!("{}/sign-in", app.settings().email.public_url);
    assert!(letter.text().contains(&sign_in), "{}", letter.text());
    assert!(letter.html().contains(&format!("href=\"{sign_in}\"")));
    let token = reset_token(letter);
    assert!(token.starts_with("smr_"));
    assert!(letter.html().contains(&token));
    // Only the token's hash is stored.
    let stored: Vec<String> = app
        .db
        .run(|conn| {
            Ok(password_resets::table
                .select(password_resets::token_hash)
                .load(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(stored, [sha256_hex(&token)]);

    let path = format!("/reset-password/{token}");
    let page = browser.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers["referrer-policy"], "no-referrer");
    assert!(page.html.contains("name=\"password\""));
    let weak = browser.submit(&path, &path, &[("password", "short")]).await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.html.contains("at least 12 characters"));
    assert!(weak.html.contains("href=\"#password\""));
    assert!(
        works(&app, &elsewhere).await,
        "a weak password changed nothing"
    );

    let done = browser
        .submit(&path, &path, &[("password", NEW_PASSWORD)])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        done.location.as_deref(),
        Some("/sign-in?done=note-password-reset")
    );
    assert!(!works(&app, &elsewhere).await, "every session ended");
    assert!(!works(&app, &admin).await);
    assert!(!logs_in(&app, &email, PASSWORD).await);
    assert!(logs_in(&app, &email, NEW_PASSWORD).await);

    // The link works once.
    let again = browser.get(&path).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert!(
        again
            .html
            .contains("This link has been used or has expired")
    );
    assert!(again.html.contains("href=\"/forgot-password\""));
    let reuse = browser
        .submit(
            "/forgot-password",
            &path,
            &[("password", "yet another passphrase")],
        )
        .await;
    assert_eq!(reuse.status, StatusCode::NOT_FOUND);
    assert!(logs_in(&app, &email, NEW_PASSWORD).await);

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(mail.received().len(), 1, "nothing to the unknown address");
}

#[tokio::test]
async fn an_expired_reset_link_is_refused() {
    let mail = MailServer::start();
    let app = smtp_app(&mail).await;
    let admin = app.create_program("Riverside").await;
    let email = email_of(&app, &admin).await;
    let mut browser = Browserless::new(&app);
    ask_for_link(&mut browser, &email).await;
    let token = reset_token(&mail.wait_for(1, WAIT).await[0]);
    let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1);
    app.db
        .run(move |conn| {
            Ok(diesel::update(password_resets::table)
                .set(password_resets::expires_at.eq(past))
                .execute(conn)?)
        })
        .await
        .unwrap();

    let path = format!("/reset-password/{token}");
    let page = browser.get(&path).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.html.contains("This link has been used or has expired"));
    let post = browser
        .submit("/forgot-password", &path, &[("password", NEW_PASSWORD)])
        .await;
    assert_eq!(post.status, StatusCode::NOT_FOUND);
    assert!(logs_in(&app, &email, PASSWORD).await);
    assert!(works(&app, &admin).await);
    // A made-up link says the same.
    let made_up = browser.get("/reset-password/smr_made-up").await;
    assert_eq!(made_up.status, StatusCode::NOT_FOUND);
    assert!(
        made_up
            .html
            .contains("This link has been used or has expired")
    );
}

#[tokio::test]
async fn asking_for_links_is_throttled_per_address() {
    let app = TestApp::builder()
        .with(|s| s.auth.login_failures_per_account = 2)
        .spawn()
        .await;
    let mut browser = Browserless::new(&app);
    for _ in 0..2 {
        ask_for_link(&mut browser, "someone@example.org").await;
    }
    let page = browser
        .submit(
            "/forgot-password",
            "/forgot-password",
            &[("email", "Someone@example.org ")],
        )
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.headers.contains_key("retry-after"));
    assert!(page.html.contains("Please wait a few minutes"));
    assert!(page.html.contains("value=\"Someone@example.org \""));
    // Another address is not held up.
    ask_for_link(&mut browser, "other@example.org").await;
    let empty = browser
        .submit("/forgot-password", "/forgot-password", &[("email", " ")])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.html.contains("Enter your email address."));
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_only_the_other_sessions() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let email = email_of(&app, &admin).await;
    let other = app.login(&email, PASSWORD).await;
    let mut browser = Browserless::signed_in(&app, &admin);
    let change = |current: &'static str, new: &'static str| {
        [("current_password", current), ("new_password", new)]
    };

    let wrong = browser
        .submit(
            "/app/account",
            "/app/account/password",
            &change("not my password at all", NEW_PASSWORD),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.html.contains("That is not your current password"));
    assert!(wrong.html.contains("href=\"#current_password\""));
    assert!(wrong.html.contains("id=\"current_password-error\""));

    let weak = browser
        .submit(
            "/app/account",
            "/app/account/password",
            &change(PASSWORD, "short"),
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.html.contains("at least 12 characters"));
    assert!(weak.html.contains("id=\"new_password-error\""));
    assert!(
        !weak.html.contains(PASSWORD),
        "passwords are never shown again"
    );
    assert!(works(&app, &other).await && logs_in(&app, &email, PASSWORD).await);

    let done = browser
        .submit(
            "/app/account",
            "/app/account/password",
            &change(PASSWORD, NEW_PASSWORD),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let location = done.location.expect("a redirect");
    assert_eq!(location, "/app/account?done=note-password-changed");
    let page = browser.get(&location).await;
    assert_eq!(page.status, StatusCode::OK, "this browser stays signed in");
    assert!(page.html.contains("Your password has been changed"));
    assert!(!works(&app, &other).await, "the other session ended");
    assert!(works(&app, &admin).await);
    assert!(logs_in(&app, &email, NEW_PASSWORD).await);
    assert!(!logs_in(&app, &email, PASSWORD).await);
}

#[tokio::test]
async fn sessions_are_listed_and_ended_one_at_a_time_or_all_but_this_one() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let email = email_of(&app, &admin).await;
    let (second, third) = (
        app.login(&email, PASSWORD).await,
        app.login(&email, PASSWORD).await,
    );
    let mut browser = Browserless::signed_in(&app, &admin);

    let page = browser.get("/app/account").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.html
            .matches("<span class=\"badge\">This browser</span>")
            .count(),
        1
    );
    let second_id = session_id(&app, &second).await;
    let third_id = session_id(&app, &third).await;
    let own_id = session_id(&app, &admin).await;
    for id in [&second_id, &third_id] {
        assert!(
            page.html
                .contains(&format!("/app/account/sessions/{id}/revoke"))
        );
    }
    assert!(
        !page
            .html
            .contains(&format!("/app/account/sessions/{own_id}/revoke"))
    );
    assert!(page.html.contains("/app/account/sessions/revoke-others"));
    for caller in [&admin, &second, &third] {
        assert!(
            !page.html.contains(&sha256_hex(&caller.token)),
            "no token hashes"
        );
    }

    let ended = browser
        .submit(
            "/app/account",
            &format!("/app/account/sessions/{second_id}/revoke"),
            &[],
        )
        .await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER);
    assert_eq!(
        ended.location.as_deref(),
        Some("/app/account?done=note-session-ended")
    );
    // The ended session's cookie is sent to sign in, at once.
    let mut there = Browserless::signed_in(&app, &second);
    let refused = there.get("/app/account").await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert_eq!(
        refused.location.as_deref(),
        Some("/sign-in?back_to=%2Fapp%2Faccount")
    );
    assert!(works(&app, &third).await);
    // Ending it again: nothing to end.
    let again = browser
        .submit(
            "/app/account",
            &format!("/app/account/sessions/{second_id}/revoke"),
            &[],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    let others = browser
        .submit("/app/account", "/app/account/sessions/revoke-others", &[])
        .await;
    assert_eq!(
        others.location.as_deref(),
        Some("/app/account?done=note-sessions-ended")
    );
    assert!(!works(&app, &third).await);
    let page = browser.get("/app/account?done=note-sessions-ended").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("You are signed out everywhere else."));
    assert!(!page.html.contains("/app/account/sessions/revoke-others"));
}

#[tokio::test]
async fn nobody_ends_another_persons_session() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let colleague = app.add_user(&admin, "case_manager").await;
    let stranger = app.create_program("Lakeside").await;
    let mut browser = Browserless::signed_in(&app, &admin);
    for victim in [&colleague, &stranger] {
        let id = session_id(&app, victim).await;
        let page = browser
            .submit(
                "/app/account",
                &format!("/app/account/sessions/{id}/revoke"),
                &[],
            )
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert!(works(&app, victim).await);
    }
    let page = browser.get("/app/account").await;
    assert!(!page.html.contains(&session_id(&app, &colleague).await));
    let malformed = browser
        .submit(
            "/app/account",
            "/app/account/sessions/not-an-id/revoke",
            &[],
        )
        .await;
    assert_eq!(malformed.status, StatusCode::NOT_FOUND);
    assert!(works(&app, &admin).await);
}

#[tokio::test]
async fn every_signed_in_role_has_the_account_page_and_visitors_are_sent_to_sign_in() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    for caller in [
        admin.clone(),
        app.add_user(&admin, "case_manager").await,
        app.add_user(&admin, "sponsor").await,
    ] {
        let mut browser = Browserless::signed_in(&app, &caller);
        let page = browser.get("/app/account").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.html.contains("Change your password"));
        assert!(page.html.contains("This browser"));
    }
    let portal = app.add_portal_key(&admin).await;
    let mut with_key = Browserless::signed_in(&app, &portal);
    assert_eq!(
        with_key.get("/app/account").await.status,
        StatusCode::SEE_OTHER,
        "an API key is no session"
    );

    let mut visitor = Browserless::new(&app);
    let page = visitor.get("/app/account").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location.as_deref(),
        Some("/sign-in?back_to=%2Fapp%2Faccount")
    );
    let id = session_id(&app, &admin).await;
    for (path, fields) in [
        (
            "/app/account/password",
            vec![
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
        ),
        ("/app/account/sessions/revoke-others", vec![]),
        (&*format!("/app/account/sessions/{id}/revoke"), vec![]),
    ] {
        let page = visitor.submit("/sign-in", path, &fields).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert!(page.location.unwrap().starts_with("/sign-in?back_to="));
    }
    assert!(works(&app, &admin).await);
    assert!(logs_in(&app, &email_of(&app, &admin).await, PASSWORD).await);
}

#[tokio::test]
async fn the_new_forms_refuse_a_post_without_this_browsers_csrf_token() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let other = app.add_user(&admin, "case_manager").await;
    let invite = expect_json(
        app.post(
            "/api/v1/invites",
            &admin,
            &json!({ "email": "new@example.org", "display_name": "Jo", "role": "sponsor" }),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    let invite_path = format!("/invite/{}", invite["token"].as_str().unwrap());
    let id = session_id(&app, &other).await;
    let theirs = Browserless::signed_in(&app, &other)
        .get("/app/account")
        .await
        .csrf();
    let mut browser = Browserless::signed_in(&app, &admin);
    let revoke = format!("/app/account/sessions/{id}/revoke");
    let forms: [(&str, Vec<(&str, &str)>); 6] = [
        ("/forgot-password", vec![("email", "a@example.org")]),
        ("/reset-password/smr_x", vec![("password", NEW_PASSWORD)]),
        (&invite_path, vec![("password", NEW_PASSWORD)]),
        (
            "/app/account/password",
            vec![
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
        ),
        ("/app/account/sessions/revoke-others", vec![]),
        (&revoke, vec![]),
    ];
    for (path, fields) in &forms {
        let none = browser.post_raw(path, fields).await;
        assert_eq!(none.status, StatusCode::FORBIDDEN, "{path} without a token");
        let mut foreign = fields.clone();
        foreign.push(("csrf", &theirs));
        let foreign = browser.post_raw(path, &foreign).await;
        assert_eq!(
            foreign.status,
            StatusCode::FORBIDDEN,
            "{path} with another's"
        );
    }
    // Nothing happened.
    assert!(works(&app, &other).await && works(&app, &admin).await);
    let email = email_of(&app, &admin).await;
    assert!(logs_in(&app, &email, PASSWORD).await);
    assert_eq!(browser.get(&invite_path).await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_invite_is_accepted_on_its_console_page_once() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let invite = expect_json(
        app.post(
            "/api/v1/invites",
            &admin,
            &json!({ "email": "jo@example.org", "display_name": "Jo", "role": "case_manager" }),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    let path = format!("/invite/{}", invite["token"].as_str().unwrap());
    let mut browser = Browserless::new(&app);

    let page = browser.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers["referrer-policy"], "no-referrer");
    assert!(page.html.contains("Create your account"));
    assert!(page.html.contains("autocomplete=\"new-password\""));
    let short = browser.submit(&path, &path, &[("password", "short")]).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.html.contains("at least 12 characters"));
    assert!(!logs_in(&app, "jo@example.org", "short").await);

    let created = browser
        .submit(&path, &path, &[("password", NEW_PASSWORD)])
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    assert_eq!(
        created.location.as_deref(),
        Some("/sign-in?done=note-account-created")
    );
    let sign_in = browser.get("/sign-in?done=note-account-created").await;
    assert!(sign_in.html.contains("Your account is ready"));
    let signed_in = browser
        .submit(
            "/sign-in",
            "/sign-in",
            &[("email", "jo@example.org"), ("password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(signed_in.location.as_deref(), Some("/app"));

    let spent = Browserless::new(&app).get(&path).await;
    assert_eq!(spent.status, StatusCode::NOT_FOUND);
    assert!(spent.html.contains("This invite has been used"));
    let made_up = Browserless::new(&app).get("/invite/smi_made-up").await;
    assert_eq!(made_up.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_sponsors_sessions_are_shown_on_their_own_clock_and_staffs_in_utc() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let sponsor = app
        .add_sponsor(&admin, |b| b["time_zone"] = json!("America/New_York"))
        .await;
    let page = Browserless::signed_in(&app, &sponsor)
        .get("/app/account")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.html.contains(" EST") || page.html.contains(" EDT"),
        "{}",
        page.html
    );
    let staff = Browserless::signed_in(&app, &admin)
        .get("/app/account")
        .await;
    assert!(staff.html.contains(" UTC"), "{}", staff.html);
    assert!(!staff.html.contains(" EST") && !staff.html.contains(" EDT"));
}
