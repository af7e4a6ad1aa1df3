//! Signing in and out of the console, sessions in cookies, CSRF.

use reqwest::StatusCode;

use super::Browserless;
use crate::helpers::{PASSWORD, TestApp};

async fn admin_email(app: &TestApp) -> String {
    let admin = app.create_program("Riverside").await;
    let me = app.get("/api/v1/me", &admin).send().await.expect("me");
    let me: serde_json::Value = me.json().await.expect("json");
    me["user"]["email"].as_str().expect("email").to_owned()
}

#[tokio::test]
async fn signing_in_sets_a_new_http_only_session_and_signing_out_ends_it() {
    let app = TestApp::spawn().await;
    let email = admin_email(&app).await;
    let mut browser = Browserless::new(&app);

    let form = browser.get("/sign-in").await;
    assert_eq!(form.status, StatusCode::OK);
    let visitor_cookie = form
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a visitor cookie to bind the form to")
        .to_owned();
    assert!(visitor_cookie.contains("HttpOnly") && visitor_cookie.contains("SameSite=Lax"));

    let signed_in = browser
        .submit(
            "/sign-in",
            "/sign-in",
            &[
                ("email", &email),
                ("password", PASSWORD),
                ("back_to", "/app/account"),
            ],
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_in.location.as_deref(), Some("/app/account"));
    let session = signed_in
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a session cookie")
        .to_owned();
    assert!(session.starts_with("sm_session=smt_"), "{session}");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Lax"));
    assert!(
        !session.contains("Secure"),
        "plain http in tests: {session}"
    );

    let account = browser.get("/app/account").await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(account.html.contains(&email));

    let out = browser.submit("/app/account", "/sign-out", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(
        out.location.as_deref(),
        Some("/sign-in?done=note-signed-out")
    );
    // The old token no longer works, even if a copy of the cookie is kept.
    let token = session
        .trim_start_matches("sm_session=")
        .split(';')
        .next()
        .expect("token")
        .to_owned();
    let mut copy = Browserless::new(&app);
    copy.cookies.push(("sm_session".into(), token));
    let page = copy.get("/app/account").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location.as_deref(),
        Some("/sign-in?back_to=%2Fapp%2Faccount")
    );
}

#[tokio::test]
async fn a_wrong_password_shows_the_form_again_with_the_email_kept() {
    let app = TestApp::spawn().await;
    let email = admin_email(&app).await;
    let mut browser = Browserless::new(&app);
    let page = browser
        .submit(
            "/sign-in",
            "/sign-in",
            &[("email", &email), ("password", "not the password at all")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.html.contains("do not match an account"));
    assert!(page.html.contains(&format!("value=\"{email}\"")));
    assert!(!browser.cookies.iter().any(|(n, _)| n == "sm_session"));
}

#[tokio::test]
async fn forms_without_this_browsers_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let other = app.add_user(&admin, "case_manager").await;
    let mut browser = Browserless::signed_in(&app, &admin);
    let mut stranger = Browserless::signed_in(&app, &other);

    let none = browser.post_raw("/sign-out", &[]).await;
    assert_eq!(none.status, StatusCode::FORBIDDEN);
    let theirs = stranger.get("/app/account").await.csrf();
    let foreign = browser.post_raw("/sign-out", &[("csrf", &theirs)]).await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    assert!(foreign.html.contains("This form has expired"));
    // Still signed in: neither post did anything.
    assert_eq!(browser.get("/app/account").await.status, StatusCode::OK);

    // Signing in needs the token of the visitor cookie, too.
    let mut anonymous = Browserless::new(&app);
    let page = anonymous
        .post_raw("/sign-in", &[("email", "a@example.org"), ("password", "x")])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sign_in_goes_back_only_to_a_page_of_this_site() {
    let app = TestApp::spawn().await;
    let email = admin_email(&app).await;
    for back_to in [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
    ] {
        let mut browser = Browserless::new(&app);
        let page = browser
            .submit(
                "/sign-in",
                "/sign-in",
                &[
                    ("email", &email),
                    ("password", PASSWORD),
                    ("back_to", back_to),
                ],
            )
            .await;
        assert_eq!(page.location.as_deref(), Some("/app"), "{back_to}");
    }
}

#[tokio::test]
async fn pages_carry_the_security_headers() {
    let app = TestApp::spawn().await;
    let mut browser = Browserless::new(&app);
    let page = browser.get("/sign-in").await;
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(page.headers["referrer-policy"], "no-referrer");
    assert_eq!(page.headers["cache-control"], "no-store");
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
    // The stylesheet the page names is served, and may be kept.
    let start = page.html.find("/assets/console.").expect("stylesheet");
    let end = page.html[start..].find('"').unwrap() + start;
    let css = browser.get(&page.html[start..end]).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(
        css.headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
}

#[tokio::test]
async fn behind_https_the_cookies_are_secure_and_host_only() {
    let app = TestApp::builder()
        .with(|s| s.email.public_url = "https://sponsors.example.org".into())
        .spawn()
        .await;
    let email = admin_email(&app).await;
    let mut browser = Browserless::new(&app);
    let form = browser.get("/sign-in").await;
    let visitor = form.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(visitor.starts_with("__Host-sm_visitor="), "{visitor}");
    assert!(
        visitor.contains("Secure") && visitor.contains("Path=/"),
        "{visitor}"
    );
    assert!(!visitor.contains("Domain"), "{visitor}");
    let signed_in = browser
        .submit(
            "/sign-in",
            "/sign-in",
            &[("email", &email), ("password", PASSWORD)],
        )
        .await;
    let session = signed_in.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(session.starts_with("__Host-sm_session=smt_"), "{session}");
    assert!(
        session.contains("Secure") && session.contains("HttpOnly"),
        "{session}"
    );
    assert_eq!(browser.get("/app/account").await.status, StatusCode::OK);
}
