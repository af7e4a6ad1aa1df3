//! Headers every response carries: `X-Content-Type-Options: nosniff`, and
//! `Cache-Control: no-store`, as nearly every answer holds personal or health data.

use reqwest::{Method, RequestBuilder, StatusCode};

use crate::helpers::{TestApp, consent_body, seeker_body};

#[tokio::test]
async fn every_response_is_nosniff_and_never_stored() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let portal = app.add_portal_key(&admin).await;
    let sponsor = app.add_sponsor(&admin, |_| {}).await;
    let seeker = app.create_seeker(&portal).await;
    let seeker_path = format!("/api/v1/seekers/{}", seeker["id"].as_str().unwrap());
    let consents_path = format!("{seeker_path}/consents");
    let sponsor_path = format!("/api/v1/sponsors/{}", sponsor.user_id.unwrap());
    let user_path = format!("/api/v1/users/{}", sponsor.user_id.unwrap());

    let requests: Vec<(&str, RequestBuilder, StatusCode)> = vec![
        (
            "a new seeker: notes and contact details",
            app.post("/api/v1/seekers", &portal, &seeker_body()),
            StatusCode::CREATED,
        ),
        ("a seeker", app.get(&seeker_path, &portal), StatusCode::OK),
        (
            "seekers",
            app.get("/api/v1/seekers", &portal),
            StatusCode::OK,
        ),
        (
            "a consent",
            app.post(&consents_path, &portal, &consent_body()),
            StatusCode::CREATED,
        ),
        ("consents", app.get(&consents_path, &portal), StatusCode::OK),
        (
            "a sponsor's own profile: contact details",
            app.get("/api/v1/sponsors/me", &sponsor),
            StatusCode::OK,
        ),
        (
            "a sponsor's profile, read by staff",
            app.get(&sponsor_path, &admin),
            StatusCode::OK,
        ),
        ("a user", app.get(&user_path, &admin), StatusCode::OK),
        (
            "a problem",
            app.get("/api/v1/nope", &admin),
            StatusCode::NOT_FOUND,
        ),
        (
            "a refusal before any handler",
            app.request(Method::GET, &seeker_path),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "a probe",
            app.request(Method::GET, "/healthz"),
            StatusCode::OK,
        ),
    ];
    for (what, request, status) in requests {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status, "{what}");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(
            header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{what}"
        );
        assert_eq!(
            header("cache-control").as_deref(),
            Some("no-store"),
            "{what}"
        );
    }
}
