//! Steps of the match journey over HTTP, shared by the lifecycle and email tests.

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Caller, TestApp, consent_body, expect_json};

pub struct Program {
    pub admin: Caller,
    pub manager: Caller,
    pub portal: Caller,
}

pub async fn program(app: &TestApp) -> Program {
    let admin = app.create_program("Riverside").await;
    let manager = app.add_user(&admin, "case_manager").await;
    let portal = app.add_portal_key(&admin).await;
    Program {
        admin,
        manager,
        portal,
    }
}

pub fn user_id(caller: &Caller) -> String {
    caller.user_id.expect("a person").to_string()
}

/// A seeker whose consent to disclose a summary to candidate sponsors is in force.
pub async fn consenting_seeker(app: &TestApp, portal: &Caller) -> String {
    let seeker = app.create_seeker(portal).await;
    let id = seeker["id"].as_str().unwrap().to_owned();
    record_consent(app, portal, &id, consent_body()).await;
    id
}

pub async fn record_consent(app: &TestApp, caller: &Caller, seeker: &str, body: Value) -> Value {
    let path = format!("/api/v1/seekers/{seeker}/consents");
    let response = app.post(&path, caller, &body).send().await.unwrap();
    expect_json(response, StatusCode::CREATED).await
}

/// The seeker's consent to give the matched sponsor their contact details.
pub fn contact_consent() -> Value {
    let mut body = consent_body();
    body["recipient_class"] = json!("matched_sponsor");
    body["information"] = json!(["contact_details"]);
    body["purpose"] = json!("To be introduced to the sponsor I agreed to");
    body
}

pub async fn propose(
    app: &TestApp,
    caller: &Caller,
    seeker: &str,
    sponsor: Option<&Caller>,
) -> Response {
    let body = match sponsor {
        Some(sponsor) => json!({ "sponsor_id": user_id(sponsor) }),
        None => json!({}),
    };
    let path = format!("/api/v1/seekers/{seeker}/matches");
    app.post(&path, caller, &body).send().await.unwrap()
}

pub async fn step(app: &TestApp, caller: &Caller, id: &str, action: &str, body: Value) -> Response {
    let path = format!("/api/v1/matches/{id}/{action}");
    app.post(&path, caller, &body).send().await.unwrap()
}

pub async fn get_match(app: &TestApp, caller: &Caller, id: &str) -> Value {
    let response = app
        .get(&format!("/api/v1/matches/{id}"), caller)
        .send()
        .await
        .unwrap();
    expect_json(response, StatusCode::OK).await
}

pub fn accept() -> Value {
    json!({ "share_contact_details": true })
}

/// Proposes the chosen sponsor for the seeker and returns the new match.
pub async fn propose_to(app: &TestApp, portal: &Caller, seeker: &str, sponsor: &Caller) -> Value {
    expect_json(
        propose(app, portal, seeker, Some(sponsor)).await,
        StatusCode::CREATED,
    )
    .await
}

/// Revokes the seeker's first consent, through the API.
pub async fn revoke_first_consent(app: &TestApp, portal: &Caller, seeker: &str) {
    let listed = app
        .get(&format!("/api/v1/seekers/{seeker}/consents"), portal)
        .send()
        .await
        .unwrap();
    let consent = expect_json(listed, StatusCode::OK).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoke = format!("/api/v1/seekers/{seeker}/consents/{consent}/revoke");
    let revoked = app.post(&revoke, portal, &json!({})).send().await.unwrap();
    expect_json(revoked, StatusCode::OK).await;
}

/// A match of a new seeker with `sponsor`, taken to its introduction; its id.
pub async fn introduced(app: &TestApp, p: &Program, sponsor: &Caller) -> String {
    let seeker = consenting_seeker(app, &p.portal).await;
    let id = propose_to(app, &p.portal, &seeker, sponsor).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let accepted = step(app, sponsor, &id, "sponsor-accept", accept()).await;
    expect_json(accepted, StatusCode::OK).await;
    let agreed = step(app, &p.portal, &id, "seeker-accept", json!({})).await;
    expect_json(agreed, StatusCode::OK).await;
    record_consent(app, &p.portal, &seeker, contact_consent()).await;
    id
}
