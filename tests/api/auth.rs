//! Logging in and out, throttling, invites, API keys.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, expect_json, expect_problem};

#[tokio::test]
async fn wrong_password_and_unknown_account_look_the_same() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let me = expect_json(
        app.get("/api/v1/me", &admin).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    let email = me["user"]["email"].as_str().unwrap().to_owned();

    let mut bodies = Vec::new();
    for (email, password) in [
        (email.as_str(), "wrong password here"),
        ("nobody@example.org", PASSWORD),
    ] {
        let response = app
            .request(Method::POST, "/api/v1/auth/login")
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let mut problem = expect_problem(response, StatusCode::UNAUTHORIZED).await;
        problem["request_id"] = json!(null);
        bodies.push(problem);
    }
    assert_eq!(bodies[0], bodies[1]);
}

#[tokio::test]
async fn email_is_case_insensitive_and_logout_ends_the_session() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let me = expect_json(
        app.get("/api/v1/me", &admin).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["kind"], "user");
    assert_eq!(me["user"]["role"], "program_admin");
    assert_eq!(me["program"]["name"], "Riverside");
    let email = me["user"]["email"].as_str().unwrap().to_uppercase();
    let second = app.login(&email, PASSWORD).await;

    let response = app
        .request(Method::POST, "/api/v1/auth/logout")
        .bearer_auth(&second.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = app.get("/api/v1/me", &second).send().await.unwrap();
    expect_problem(response, StatusCode::UNAUTHORIZED).await;
    // The other session is untouched.
    let response = app.get("/api/v1/me", &admin).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn failed_logins_are_throttled_per_account_and_per_address() {
    let app = TestApp::builder()
        .with(|s| {
            s.auth.login_failures_per_account = 3;
            s.auth.login_failures_per_address = 5;
        })
        .spawn()
        .await;
    let admin = app.create_program("Riverside").await;
    let me = expect_json(
        app.get("/api/v1/me", &admin).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    let email = me["user"]["email"].as_str().unwrap().to_owned();
    let attempt = |email: String, password: &'static str| {
        app.request(Method::POST, "/api/v1/auth/login")
            .json(&json!({ "email": email, "password": password }))
            .send()
    };
    for _ in 0..3 {
        let response = attempt(email.clone(), "not the password").await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    // Locked, even with the right password.
    let response = attempt(email.clone(), PASSWORD).await.unwrap();
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    expect_problem(response, StatusCode::TOO_MANY_REQUESTS).await;

    // Two more failures on other accounts exhaust the address.
    for n in 0..2 {
        let response = attempt(format!("other{n}@example.org"), "not the password")
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = attempt("third@example.org".into(), "not the password")
        .await
        .unwrap();
    expect_problem(response, StatusCode::TOO_MANY_REQUESTS).await;
}

#[tokio::test]
async fn invites_are_single_use_and_the_latest_one_counts() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let invite = |email: &'static str, role: &'static str| {
        app.post(
            "/api/v1/invites",
            &admin,
            &json!({ "email": email, "display_name": "Sam", "role": role }),
        )
        .send()
    };
    let first = expect_json(
        invite("sam@example.org", "sponsor").await.unwrap(),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(first["role"], "sponsor");
    assert!(first["token"].as_str().unwrap().starts_with("smi_"));
    // No account exists before acceptance.
    let response = app
        .request(Method::POST, "/api/v1/auth/login")
        .json(&json!({ "email": "sam@example.org", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // Inviting again replaces the first invite, role and all.
    let second = expect_json(
        invite("sam@example.org", "case_manager").await.unwrap(),
        StatusCode::CREATED,
    )
    .await;
    let accept = |token: serde_json::Value| {
        app.request(Method::POST, "/api/v1/invites/accept")
            .json(&json!({ "token": token, "password": PASSWORD }))
            .send()
    };
    expect_problem(
        accept(first["token"].clone()).await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    let user = expect_json(
        accept(second["token"].clone()).await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(user["status"], "active");
    assert_eq!(user["role"], "case_manager");
    expect_problem(
        accept(second["token"].clone()).await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    let manager = app.login("sam@example.org", PASSWORD).await;
    assert_eq!(manager.program_id, admin.program_id);

    // A member of the program cannot be invited into it again.
    expect_problem(
        invite("sam@example.org", "sponsor").await.unwrap(),
        StatusCode::CONFLICT,
    )
    .await;
}

/// An admin learns nothing about accounts of other programs: inviting such an address
/// succeeds like any other, and its invite fails like any spent one.
#[tokio::test]
async fn invites_reveal_nothing_about_other_programs() {
    let app = TestApp::spawn().await;
    let lakeside = app.create_program("Lakeside").await;
    let sponsor = app.add_user(&lakeside, "sponsor").await;
    let email = expect_json(
        app.get("/api/v1/me", &sponsor).send().await.unwrap(),
        StatusCode::OK,
    )
    .await["user"]["email"]
        .as_str()
        .unwrap()
        .to_owned();

    let riverside = app.create_program("Riverside").await;
    let response = app
        .post(
            "/api/v1/invites",
            &riverside,
            &json!({ "email": email, "display_name": "Sam", "role": "sponsor" }),
        )
        .send()
        .await
        .unwrap();
    let invite = expect_json(response, StatusCode::CREATED).await;
    let response = app
        .request(Method::POST, "/api/v1/invites/accept")
        .json(&json!({ "token": invite["token"], "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let problem = expect_problem(response, StatusCode::NOT_FOUND).await;
    let response = app
        .request(Method::POST, "/api/v1/invites/accept")
        .json(&json!({ "token": "smi_never-issued", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let unknown = expect_problem(response, StatusCode::NOT_FOUND).await;
    assert_eq!(problem["detail"], unknown["detail"]);
    // The existing account is untouched.
    app.login(&email, PASSWORD).await;
}

/// Authentication is decided before the request is looked at: no verdict on a body for
/// callers who may not send it.
#[tokio::test]
async fn refusals_come_before_any_judgement_of_the_body() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let sponsor = app.add_user(&admin, "sponsor").await;
    for (token, status) in [
        ("smt_forged-token".to_owned(), StatusCode::UNAUTHORIZED),
        (sponsor.token.clone(), StatusCode::FORBIDDEN),
    ] {
        let bad_json = app
            .request(Method::POST, "/api/v1/api-keys")
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        expect_problem(bad_json, status).await;
        let wrong_type = app
            .request(Method::POST, "/api/v1/api-keys")
            .bearer_auth(&token)
            .header("content-type", "text/plain")
            .body("hello")
            .send()
            .await
            .unwrap();
        expect_problem(wrong_type, status).await;
        let bad_field = app
            .request(Method::POST, "/api/v1/api-keys")
            .bearer_auth(&token)
            .json(&json!({ "name": "", "role": "x" }))
            .send()
            .await
            .unwrap();
        expect_problem(bad_field, status).await;
    }
}

#[tokio::test]
async fn expired_invites_are_refused() {
    let app = TestApp::builder()
        .with(|s| s.auth.invite_hours = 0)
        .spawn()
        .await;
    let admin = app.create_program("Riverside").await;
    let invite = app
        .post(
            "/api/v1/invites",
            &admin,
            &json!({ "email": "late@example.org", "display_name": "Lee", "role": "case_manager" }),
        )
        .send()
        .await
        .unwrap();
    let invite = expect_json(invite, StatusCode::CREATED).await;
    let response = app
        .request(Method::POST, "/api/v1/invites/accept")
        .json(&json!({ "token": invite["token"], "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_and_blocks_login() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let manager = app.add_user(&admin, "case_manager").await;
    let path = format!("/api/v1/users/{}", manager.user_id.unwrap());
    let user = expect_json(app.get(&path, &admin).send().await.unwrap(), StatusCode::OK).await;
    let email = user["email"].as_str().unwrap().to_owned();
    let response = app
        .request(Method::PATCH, &path)
        .bearer_auth(&admin.token)
        .header("If-Match", "\"1\"")
        .json(&json!({ "disabled": true }))
        .send()
        .await
        .unwrap();
    let user = expect_json(response, StatusCode::OK).await;
    assert_eq!(user["status"], "disabled");
    assert_eq!(user["version"], 2);
    expect_problem(
        app.get("/api/v1/me", &manager).send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let response = app
        .request(Method::POST, "/api/v1/auth/login")
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::UNAUTHORIZED).await;

    // An admin cannot lock themselves out.
    let own = format!("/api/v1/users/{}", admin.user_id.unwrap());
    let response = app
        .request(Method::PATCH, &own)
        .bearer_auth(&admin.token)
        .header("If-Match", "\"1\"")
        .json(&json!({ "disabled": true }))
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::CONFLICT).await;
}

/// A NUL can be in no account's email or password: such a login is a wrong
/// credential, 401, on either backend (PostgreSQL refuses a NUL in a query: it must
/// never reach it).
#[tokio::test]
async fn a_login_with_a_nul_is_a_wrong_credential() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let me = expect_json(
        app.get("/api/v1/me", &admin).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    let email = me["user"]["email"].as_str().unwrap().to_owned();
    for (email, password) in [
        (format!("{email}\u{0}"), PASSWORD.to_owned()),
        (format!("\u{0}{email}"), PASSWORD.to_owned()),
        (email.clone(), format!("{PASSWORD}\u{0}")),
    ] {
        let response = app
            .request(Method::POST, "/api/v1/auth/login")
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap();
        expect_problem(response, StatusCode::UNAUTHORIZED).await;
    }
    app.login(&email, PASSWORD).await;
}

/// The principal cache must not outlive a disabling on the instance that did it: the
/// cache's time to live here is far longer than the test.
#[tokio::test]
async fn a_disabled_users_remembered_session_is_refused_at_once() {
    let app = TestApp::builder()
        .with(|settings| settings.auth.principal_cache_ms = 600_000)
        .spawn()
        .await;
    let admin = app.create_program("Riverside").await;
    let manager = app.add_user(&admin, "case_manager").await;
    // Remembered by the instance.
    expect_json(
        app.get("/api/v1/me", &manager).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    let response = app
        .request(
            Method::PATCH,
            &format!("/api/v1/users/{}", manager.user_id.unwrap()),
        )
        .bearer_auth(&admin.token)
        .header("If-Match", "\"1\"")
        .json(&json!({ "disabled": true }))
        .send()
        .await
        .unwrap();
    expect_json(response, StatusCode::OK).await;
    expect_problem(
        app.get("/api/v1/me", &manager).send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn api_keys_are_shown_once_marked_used_and_revocable() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let portal = app.add_portal_key(&admin).await;
    assert!(portal.token.starts_with("smk_"));
    let list = expect_json(
        app.get("/api/v1/api-keys", &admin).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    let key = &list["items"][0];
    assert!(key.get("key").is_none(), "the key itself is never listed");
    assert!(!list.to_string().contains(&portal.token));
    assert_eq!(key["last_used_at"], serde_json::Value::Null);

    let me = expect_json(
        app.get("/api/v1/me", &portal).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["kind"], "portal");
    assert_eq!(me["user"], serde_json::Value::Null);
    let list = expect_json(
        app.get("/api/v1/api-keys", &admin).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(list["items"][0]["last_used_at"].is_string());

    let id = list["items"][0]["id"].as_str().unwrap();
    let response = app
        .request(Method::DELETE, &format!("/api/v1/api-keys/{id}"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    let revoked = expect_json(response, StatusCode::OK).await;
    assert!(revoked["revoked_at"].is_string());
    expect_problem(
        app.get("/api/v1/me", &portal).send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
}
