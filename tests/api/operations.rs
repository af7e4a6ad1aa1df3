//! Probes, metrics, the OpenAPI document and docs page, request ids, the binary itself.

use std::process::{Command, Stdio};

use reqwest::{Method, StatusCode};

use crate::helpers::{Binary, TestApp, expect_json};

#[tokio::test]
async fn probes_answer() {
    let app = TestApp::spawn().await;
    let health = expect_json(
        app.request(Method::GET, "/healthz").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(health["status"], "ok");
    let ready = expect_json(
        app.request(Method::GET, "/readyz").send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(ready["status"], "ready");
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let seeker = app.create_seeker(&admin).await;
    app.get(
        &format!("/api/v1/seekers/{}", seeker["id"].as_str().unwrap()),
        &admin,
    )
    .send()
    .await
    .unwrap();
    let text = app
        .request(Method::GET, "/metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains(r#"route="/api/v1/seekers/{id}""#), "{text}");
    assert!(text.contains("http_request_duration_seconds_bucket"));
    assert!(text.contains("db_pool_connections"));
    assert!(
        !text.contains(seeker["id"].as_str().unwrap()),
        "ids never become labels"
    );
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::GET, "/healthz")
        .header("x-request-id", "portal-42.abc")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "portal-42.abc");
    let response = app
        .request(Method::GET, "/healthz")
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    let generated = response.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(generated).is_ok());
}

#[tokio::test]
async fn the_openapi_document_describes_every_route_and_the_docs_page_is_self_contained() {
    let app = TestApp::spawn().await;
    let doc = expect_json(
        app.request(Method::GET, "/api/v1/openapi.json")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/invites", "post"),
        ("/api/v1/invites/accept", "post"),
        ("/api/v1/users", "get"),
        ("/api/v1/users/{id}", "get"),
        ("/api/v1/users/{id}", "patch"),
        ("/api/v1/api-keys", "get"),
        ("/api/v1/api-keys", "post"),
        ("/api/v1/api-keys/{id}", "delete"),
        ("/api/v1/sponsors/me", "get"),
        ("/api/v1/sponsors/me", "put"),
        ("/api/v1/sponsors", "get"),
        ("/api/v1/sponsors/{id}", "get"),
        ("/api/v1/sponsors/import", "post"),
        ("/api/v1/seekers", "get"),
        ("/api/v1/seekers", "post"),
        ("/api/v1/seekers/{id}", "get"),
        ("/api/v1/seekers/{id}", "put"),
        ("/api/v1/seekers/{id}/consents", "get"),
        ("/api/v1/seekers/{id}/consents", "post"),
        ("/api/v1/seekers/{id}/consents/{consent_id}/revoke", "post"),
        ("/api/v1/audit-events", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} documented"
        );
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());

    let bare = app.request(Method::GET, "/docs").send().await.unwrap();
    assert_eq!(bare.status(), StatusCode::OK, "redirected to /docs/");
    let page = app.request(Method::GET, "/docs/").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger"), "{html}");
    let assets: Vec<&str> = html
        .split(['"', '\''])
        .filter(|s| s.ends_with(".js") || s.ends_with(".css"))
        .collect();
    assert!(
        assets.len() >= 2,
        "the page loads its scripts and styles: {html}"
    );
    for asset in assets {
        assert!(
            !asset.starts_with("http"),
            "the docs page loads {asset} from the internet"
        );
        let url = if asset.starts_with('/') {
            asset.to_owned()
        } else {
            format!("/docs/{}", asset.trim_start_matches("./"))
        };
        let response = app.request(Method::GET, &url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{url}");
    }
}

/// Sends a request to the binary and reads its JSON answer.
async fn json_of(request: reqwest::RequestBuilder) -> serde_json::Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// The real binary: embedded defaults, secrets generated with mode 0600, graceful stop.
#[tokio::test]
async fn the_binary_serves_on_its_defaults_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let binary = Binary::serve(dir.path(), Stdio::null()).await;
    let var = dir.path().join("var");
    assert!(var.join("sponsor-match.db").exists());
    assert!(var.join("mail").is_dir());
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(var.join("secrets.toml"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let status = binary.stop("TERM").await;
    assert!(status.success(), "exit status {status:?}");
}

/// `demo-data` fills a program the service then serves candidates from.
#[tokio::test]
async fn demo_data_fills_a_program_with_matchable_people() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_sponsor-match"))
        .args([
            "demo-data",
            "--sponsors",
            "300",
            "--seekers",
            "5",
            "--seed",
            "7",
        ])
        .env_remove("APP__DATABASE__URL")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let printed = String::from_utf8(output.stdout).unwrap();
    let line = printed
        .lines()
        .find(|l| l.starts_with("program admin"))
        .unwrap();
    let words: Vec<&str> = line.split_whitespace().collect();
    let (email, password) = (words[2], words[4]);
    let binary = Binary::serve(dir.path(), Stdio::null()).await;
    let client = reqwest::Client::new();
    let session: serde_json::Value = json_of(
        client
            .post(binary.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "email": email, "password": password })),
    )
    .await;
    let token = session["token"].as_str().unwrap();
    let seekers: serde_json::Value =
        json_of(client.get(binary.url("/api/v1/seekers")).bearer_auth(token)).await;
    let seekers = seekers["items"].as_array().unwrap();
    assert_eq!(seekers.len(), 5);
    let mut found = 0;
    for seeker in seekers {
        let path = format!(
            "/api/v1/seekers/{}/candidates",
            seeker["id"].as_str().unwrap()
        );
        let list: serde_json::Value =
            json_of(client.get(binary.url(&path)).bearer_auth(token)).await;
        found += list["candidates"].as_array().unwrap().len();
    }
    assert!(found > 0, "300 sponsors offer some candidates to 5 seekers");
    assert!(binary.stop("TERM").await.success());
}

/// Structured logs carry no passwords, tokens, keys or seeker details.
#[tokio::test]
async fn logs_are_json_and_carry_no_secrets_or_seeker_details() {
    let dir = tempfile::tempdir().unwrap();
    let password = "a very private passphrase";
    let created = Command::new(env!("CARGO_BIN_EXE_sponsor-match"))
        .args([
            "create-admin",
            "--program",
            "Riverside",
            "--email",
            "ada@example.org",
            "--name",
            "Ada",
        ])
        .env("SPONSOR_MATCH_ADMIN_PASSWORD", password)
        .env_remove("APP__DATABASE__URL")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    let log_path = dir.path().join("service.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let binary = Binary::serve(dir.path(), Stdio::from(log)).await;
    let client = reqwest::Client::new();
    // A failed login first: its log line must not echo what was typed.
    client
        .post(binary.url("/api/v1/auth/login"))
        .json(&serde_json::json!({ "email": "ada@example.org", "password": "guess-guess-guess" }))
        .send()
        .await
        .unwrap();
    let session: serde_json::Value = json_of(
        client
            .post(binary.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "email": "ada@example.org", "password": password })),
    )
    .await;
    let token = session["token"].as_str().unwrap().to_owned();
    let key: serde_json::Value = json_of(
        client
            .post(binary.url("/api/v1/api-keys"))
            .bearer_auth(&token)
            .json(&serde_json::json!({ "name": "portal" })),
    )
    .await;
    let key = key["key"].as_str().unwrap().to_owned();
    let mut seeker = crate::helpers::seeker_body();
    seeker["alias"] = serde_json::json!("Zephyrine");
    let response = client
        .post(binary.url("/api/v1/seekers"))
        .bearer_auth(&key)
        .json(&seeker)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let seeker: serde_json::Value = response.json().await.unwrap();
    // SIGINT stops as gracefully as SIGTERM.
    assert!(binary.stop("INT").await.success());

    let logs = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<&str> = logs.lines().collect();
    assert!(lines.len() >= 5, "{logs}");
    for line in &lines {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|_| panic!("not JSON: {line}"));
    }
    assert!(logs.contains("request served"));
    assert!(logs.contains("SIGINT: shutting down"), "{logs}");
    for secret in [
        password,
        "guess-guess-guess",
        &token,
        &key,
        "Zephyrine",
        "jo@example.org",
        "+13125550100",
        "Prefers evening calls",
        seeker["id"].as_str().unwrap(),
    ] {
        assert!(!logs.contains(secret), "the log contains {secret}");
    }
}
