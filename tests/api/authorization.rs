//! The authorization matrix: every endpoint called by every kind of caller of program A,
//! by every kind of caller of program B, and with missing, expired, revoked and forged
//! credentials. Allowed callers succeed; the rest get 401 (no valid credential), 403
//! (wrong role) or 404 (another program's record: its existence is never revealed).

use std::collections::BTreeSet;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use sponsor_match::api;
use sponsor_match::auth::credentials::{SESSION_TOKEN_PREFIX, random_token, sha256_hex};
use sponsor_match::domain::roster::COLUMNS;
use sponsor_match::store::accounts;

use crate::helpers::{Caller, TestApp, consent_body, expect_json, seeker_body, sponsor_body};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Admin,
    CaseManager,
    Sponsor,
    Portal,
}

/// A program's callers and the records the matrix points at.
struct Program {
    admin: Caller,
    case_manager: Caller,
    sponsor: Caller,
    portal: Caller,
    seeker_id: String,
    consent_id: String,
    /// A case manager whose name the matrix keeps changing.
    target_user_id: String,
    /// A key the matrix keeps revoking.
    target_key_id: String,
    /// A match of the program's seeker with the program's sponsor.
    match_id: String,
}

impl Program {
    async fn set_up(app: &TestApp, name: &str) -> Self {
        let admin = app.create_program(name).await;
        let case_manager = app.add_user(&admin, "case_manager").await;
        let sponsor = app.add_user(&admin, "sponsor").await;
        app.put_sponsor_profile(&sponsor).await;
        let portal = app.add_portal_key(&admin).await;
        let seeker = app.create_seeker(&portal).await;
        let seeker_id = seeker["id"].as_str().unwrap_or_default().to_owned();
        let consent = app
            .post(
                &format!("/api/v1/seekers/{seeker_id}/consents"),
                &portal,
                &consent_body(),
            )
            .send()
            .await
            .expect("consent");
        let consent = expect_json(consent, StatusCode::CREATED).await;
        let target_user = app.add_user(&admin, "case_manager").await;
        let target_key = app
            .post("/api/v1/api-keys", &admin, &json!({ "name": "spare" }))
            .send()
            .await
            .expect("key");
        let target_key = expect_json(target_key, StatusCode::CREATED).await;
        let hook = json!({ "url": "http://127.0.0.1:9/hooks" });
        let webhook = app.put("/api/v1/webhook", &admin, &hook).send().await;
        expect_json(webhook.expect("webhook"), StatusCode::OK).await;
        let sponsor_id = sponsor.user_id.map(|id| id.to_string()).unwrap_or_default();
        let proposed = app
            .post(
                &format!("/api/v1/seekers/{seeker_id}/matches"),
                &portal,
                &json!({ "sponsor_id": sponsor_id }),
            )
            .send()
            .await
            .expect("propose");
        let proposed = expect_json(proposed, StatusCode::CREATED).await;
        Self {
            admin,
            case_manager,
            sponsor,
            portal,
            seeker_id,
            consent_id: consent["id"].as_str().unwrap_or_default().to_owned(),
            target_user_id: target_user
                .user_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            target_key_id: target_key["id"].as_str().unwrap_or_default().to_owned(),
            match_id: proposed["id"].as_str().unwrap_or_default().to_owned(),
        }
    }

    /// A new match of a new consenting seeker with the program's sponsor, moved on to
    /// `state`: awaiting_sponsor, awaiting_seeker or introduced.
    async fn fresh_match(&self, app: &TestApp, state: &str) -> String {
        let seeker = app.create_seeker(&self.portal).await;
        let seeker = seeker["id"].as_str().unwrap_or_default().to_owned();
        let consents = format!("/api/v1/seekers/{seeker}/consents");
        let consent = app
            .post(&consents, &self.portal, &consent_body())
            .send()
            .await;
        expect_json(consent.expect("consent"), StatusCode::CREATED).await;
        let sponsor_id = self
            .sponsor
            .user_id
            .map(|id| id.to_string())
            .unwrap_or_default();
        let proposed = app
            .post(
                &format!("/api/v1/seekers/{seeker}/matches"),
                &self.portal,
                &json!({ "sponsor_id": sponsor_id }),
            )
            .send()
            .await
            .expect("propose");
        let id = expect_json(proposed, StatusCode::CREATED).await["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let steps: &[(&Caller, &str, Value)] = match state {
            "awaiting_sponsor" => &[],
            "awaiting_seeker" => &[(
                &self.sponsor,
                "sponsor-accept",
                json!({ "share_contact_details": true }),
            )],
            _ => &[
                (
                    &self.sponsor,
                    "sponsor-accept",
                    json!({ "share_contact_details": true }),
                ),
                (&self.portal, "seeker-accept", json!({})),
            ],
        };
        for (caller, action, body) in steps {
            let path = format!("/api/v1/matches/{id}/{action}");
            let response = app.post(&path, caller, body).send().await.expect("step");
            expect_json(response, StatusCode::OK).await;
        }
        if state == "introduced" {
            let mut contact = consent_body();
            contact["recipient_class"] = json!("matched_sponsor");
            contact["information"] = json!(["contact_details"]);
            let consent = app.post(&consents, &self.portal, &contact).send().await;
            expect_json(consent.expect("consent"), StatusCode::CREATED).await;
        }
        id
    }

    /// A message of the program's match that could not be delivered.
    async fn dead_message(&self, app: &TestApp) -> String {
        use diesel::prelude::*;
        use sponsor_match::store::schema::outbox_messages;
        let id = uuid::Uuid::now_v7().to_string();
        let (row_id, program, match_id) = (
            id.clone(),
            self.admin.program_id.to_string(),
            self.match_id.clone(),
        );
        app.db
            .run(move |conn| {
                let at = chrono::Utc::now().naive_utc();
                diesel::insert_into(outbox_messages::table)
                    .values((
                        outbox_messages::id.eq(&row_id),
                        outbox_messages::program_id.eq(program),
                        outbox_messages::match_id.eq(Some(match_id)),
                        outbox_messages::kind.eq("decline_notice"),
                        outbox_messages::dedupe_key.eq(&row_id),
                        outbox_messages::status.eq("dead"),
                        outbox_messages::attempts.eq(10),
                        outbox_messages::next_attempt_at.eq(at),
                        outbox_messages::created_at.eq(at),
                    ))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .expect("dead message");
        id
    }

    /// The seeker's check-in of a round opened now for an introduced match.
    async fn check_in(&self, app: &TestApp, match_id: &str) -> String {
        use diesel::prelude::*;
        use sponsor_match::store::check_ins::{DueRound, open_round};
        use sponsor_match::store::schema::check_ins;
        let round = DueRound {
            match_id: match_id.parse().expect("match id"),
            program: self.admin.program_id,
            day: 0,
        };
        let id = match_id.to_owned();
        app.db
            .run(move |conn| {
                open_round(conn, round)?;
                Ok(check_ins::table
                    .filter(check_ins::match_id.eq(id))
                    .filter(check_ins::party.eq("seeker"))
                    .select(check_ins::id)
                    .first::<String>(conn)?)
            })
            .await
            .expect("check-in")
    }

    /// Frees the sponsor's slot a fresh match may hold, whatever state it reached.
    async fn release(&self, app: &TestApp, id: &str) {
        for (action, body) in [
            ("withdraw", json!({})),
            ("end", json!({ "reason": "other" })),
        ] {
            let path = format!("/api/v1/matches/{id}/{action}");
            let _ = app.post(&path, &self.admin, &body).send().await;
        }
    }

    fn caller(&self, kind: Kind) -> &Caller {
        match kind {
            Kind::Admin => &self.admin,
            Kind::CaseManager => &self.case_manager,
            Kind::Sponsor => &self.sponsor,
            Kind::Portal => &self.portal,
        }
    }

    /// Ids that must never appear in another program's answers.
    fn record_ids(&self) -> Vec<String> {
        let mut ids = vec![
            self.seeker_id.clone(),
            self.consent_id.clone(),
            self.target_user_id.clone(),
            self.target_key_id.clone(),
            self.match_id.clone(),
        ];
        ids.extend(
            [&self.admin, &self.case_manager, &self.sponsor]
                .iter()
                .filter_map(|c| c.user_id.map(|id| id.to_string())),
        );
        ids
    }
}

#[derive(Debug, Clone, Copy)]
enum Endpoint {
    Me,
    Invite,
    ListUsers,
    GetUser,
    UpdateUser,
    CreateKey,
    ListKeys,
    RevokeKey,
    GetOwnSponsorProfile,
    PutOwnSponsorProfile,
    ListSponsors,
    GetSponsor,
    CreateSeeker,
    ListSeekers,
    GetSeeker,
    UpdateSeeker,
    RecordConsent,
    ListConsents,
    RevokeConsent,
    ListAuditEvents,
    GetPolicy,
    PutPolicy,
    Candidates,
    Candidate,
    ProposeMatch,
    SeekerMatches,
    GetMatch,
    SponsorRequests,
    SponsorAccept,
    SeekerAccept,
    VetoMatch,
    EndMatch,
    GetWebhook,
    PutWebhook,
    DeleteWebhook,
    ListOutbox,
    RetryOutboxMessage,
    Reassign,
    Disclosures,
    CohortPlan,
    CohortAccept,
    ReviewQueue,
    MatchCheckIns,
    FollowUpCheckIn,
    Reports,
    ImportSponsors,
    /// Last: it ends the caller's session.
    Logout,
}

const ENDPOINTS: [Endpoint; 47] = [
    Endpoint::Me,
    Endpoint::Invite,
    Endpoint::ListUsers,
    Endpoint::GetUser,
    Endpoint::UpdateUser,
    Endpoint::CreateKey,
    Endpoint::ListKeys,
    Endpoint::RevokeKey,
    Endpoint::GetOwnSponsorProfile,
    Endpoint::PutOwnSponsorProfile,
    Endpoint::ListSponsors,
    Endpoint::GetSponsor,
    Endpoint::CreateSeeker,
    Endpoint::ListSeekers,
    Endpoint::GetSeeker,
    Endpoint::UpdateSeeker,
    Endpoint::RecordConsent,
    Endpoint::ListConsents,
    Endpoint::RevokeConsent,
    Endpoint::ListAuditEvents,
    Endpoint::GetPolicy,
    Endpoint::PutPolicy,
    Endpoint::Candidates,
    Endpoint::Candidate,
    Endpoint::ProposeMatch,
    Endpoint::SeekerMatches,
    Endpoint::GetMatch,
    Endpoint::SponsorRequests,
    Endpoint::SponsorAccept,
    Endpoint::SeekerAccept,
    Endpoint::VetoMatch,
    Endpoint::EndMatch,
    Endpoint::GetWebhook,
    Endpoint::PutWebhook,
    Endpoint::DeleteWebhook,
    Endpoint::ListOutbox,
    Endpoint::RetryOutboxMessage,
    Endpoint::Reassign,
    Endpoint::Disclosures,
    Endpoint::CohortPlan,
    Endpoint::CohortAccept,
    Endpoint::ReviewQueue,
    Endpoint::MatchCheckIns,
    Endpoint::FollowUpCheckIn,
    Endpoint::Reports,
    Endpoint::ImportSponsors,
    Endpoint::Logout,
];

impl Endpoint {
    fn allows(self, kind: Kind) -> bool {
        use Kind::*;
        let allowed: &[Kind] = match self {
            Endpoint::Me => &[Admin, CaseManager, Sponsor, Portal],
            Endpoint::Logout => &[Admin, CaseManager, Sponsor],
            Endpoint::Invite
            | Endpoint::ListUsers
            | Endpoint::GetUser
            | Endpoint::UpdateUser
            | Endpoint::CreateKey
            | Endpoint::ListKeys
            | Endpoint::RevokeKey
            | Endpoint::PutPolicy
            | Endpoint::GetWebhook
            | Endpoint::PutWebhook
            | Endpoint::DeleteWebhook
            | Endpoint::ListOutbox
            | Endpoint::RetryOutboxMessage
            | Endpoint::ImportSponsors => &[Admin],
            Endpoint::GetOwnSponsorProfile
            | Endpoint::PutOwnSponsorProfile
            | Endpoint::SponsorRequests
            | Endpoint::SponsorAccept => &[Sponsor],
            Endpoint::VetoMatch | Endpoint::Reassign => &[Admin, CaseManager],
            Endpoint::EndMatch => &[Portal, Admin, CaseManager, Sponsor],
            Endpoint::ListSponsors
            | Endpoint::GetSponsor
            | Endpoint::ListAuditEvents
            | Endpoint::GetPolicy
            | Endpoint::CohortPlan
            | Endpoint::CohortAccept
            | Endpoint::ReviewQueue
            | Endpoint::MatchCheckIns
            | Endpoint::FollowUpCheckIn
            | Endpoint::Reports => &[Admin, CaseManager],
            Endpoint::CreateSeeker
            | Endpoint::ListSeekers
            | Endpoint::GetSeeker
            | Endpoint::UpdateSeeker
            | Endpoint::RecordConsent
            | Endpoint::ListConsents
            | Endpoint::RevokeConsent
            | Endpoint::Candidates
            | Endpoint::Candidate
            | Endpoint::ProposeMatch
            | Endpoint::SeekerMatches
            | Endpoint::GetMatch
            | Endpoint::SeekerAccept
            | Endpoint::Disclosures => &[Portal, Admin, CaseManager],
        };
        allowed.contains(&kind)
    }

    /// Whether the path names a record of program A.
    fn names_a_record(self) -> bool {
        matches!(
            self,
            Endpoint::GetUser
                | Endpoint::UpdateUser
                | Endpoint::RevokeKey
                | Endpoint::GetSponsor
                | Endpoint::GetSeeker
                | Endpoint::UpdateSeeker
                | Endpoint::RecordConsent
                | Endpoint::ListConsents
                | Endpoint::RevokeConsent
                | Endpoint::Candidates
                | Endpoint::Candidate
                | Endpoint::ProposeMatch
                | Endpoint::SeekerMatches
                | Endpoint::GetMatch
                | Endpoint::SponsorAccept
                | Endpoint::SeekerAccept
                | Endpoint::VetoMatch
                | Endpoint::EndMatch
                | Endpoint::RetryOutboxMessage
                | Endpoint::Reassign
                | Endpoint::Disclosures
                | Endpoint::CohortAccept
                | Endpoint::MatchCheckIns
                | Endpoint::FollowUpCheckIn
        )
    }

    /// The state of the fresh match the endpoint acts on, if it needs one.
    fn fresh_match_state(self) -> Option<&'static str> {
        match self {
            Endpoint::SponsorAccept | Endpoint::VetoMatch | Endpoint::Reassign => {
                Some("awaiting_sponsor")
            }
            Endpoint::SeekerAccept => Some("awaiting_seeker"),
            Endpoint::EndMatch | Endpoint::FollowUpCheckIn => Some("introduced"),
            _ => None,
        }
    }

    /// The request, and the fresh match it acts on (to release afterwards).
    async fn request(
        self,
        app: &TestApp,
        a: &Program,
        token: Option<&str>,
    ) -> (RequestBuilder, Option<String>) {
        let fresh = match self.fresh_match_state() {
            Some(state) => Some(a.fresh_match(app, state).await),
            None => None,
        };
        let fresh_id = fresh.clone().unwrap_or_default();
        let step = |action: &str, body: Value| {
            app.request(
                Method::POST,
                &format!("/api/v1/matches/{fresh_id}/{action}"),
            )
            .json(&body)
        };
        let seeker = &a.seeker_id;
        let a_sponsor = a
            .sponsor
            .user_id
            .map(|id| id.to_string())
            .unwrap_or_default();
        let request = match self {
            Endpoint::Me => app.request(Method::GET, "/api/v1/me"),
            Endpoint::Logout => app.request(Method::POST, "/api/v1/auth/logout"),
            Endpoint::Invite => app.request(Method::POST, "/api/v1/invites").json(&json!({
                "email": format!("invitee-{}@example.org", uuid::Uuid::now_v7().simple()),
                "display_name": "Robin",
                "role": "case_manager",
            })),
            Endpoint::ListUsers => app.request(Method::GET, "/api/v1/users"),
            Endpoint::GetUser => {
                app.request(Method::GET, &format!("/api/v1/users/{}", a.target_user_id))
            }
            Endpoint::UpdateUser => {
                let path = format!("/api/v1/users/{}", a.target_user_id);
                let version = etag(app.get(&path, &a.admin)).await;
                app.request(Method::PATCH, &path)
                    .header("If-Match", version)
                    .json(&json!({ "display_name": "Robin Renamed" }))
            }
            Endpoint::CreateKey => app
                .request(Method::POST, "/api/v1/api-keys")
                .json(&json!({ "name": "another portal" })),
            Endpoint::ListKeys => app.request(Method::GET, "/api/v1/api-keys"),
            Endpoint::RevokeKey => app.request(
                Method::DELETE,
                &format!("/api/v1/api-keys/{}", a.target_key_id),
            ),
            Endpoint::GetOwnSponsorProfile => app.request(Method::GET, "/api/v1/sponsors/me"),
            Endpoint::PutOwnSponsorProfile => {
                let mut request = app.request(Method::PUT, "/api/v1/sponsors/me");
                if let Some(token) = token {
                    let own = app
                        .request(Method::GET, "/api/v1/sponsors/me")
                        .bearer_auth(token);
                    request = request.header("If-Match", etag(own).await);
                }
                request.json(&sponsor_body())
            }
            Endpoint::ListSponsors => app.request(Method::GET, "/api/v1/sponsors"),
            Endpoint::GetSponsor => {
                app.request(Method::GET, &format!("/api/v1/sponsors/{a_sponsor}"))
            }
            Endpoint::CreateSeeker => app
                .request(Method::POST, "/api/v1/seekers")
                .json(&seeker_body()),
            Endpoint::ListSeekers => app.request(Method::GET, "/api/v1/seekers"),
            Endpoint::GetSeeker => app.request(Method::GET, &format!("/api/v1/seekers/{seeker}")),
            Endpoint::UpdateSeeker => {
                let path = format!("/api/v1/seekers/{seeker}");
                let version = etag(app.get(&path, &a.admin)).await;
                app.request(Method::PUT, &path)
                    .header("If-Match", version)
                    .json(&seeker_body())
            }
            Endpoint::RecordConsent => app
                .request(Method::POST, &format!("/api/v1/seekers/{seeker}/consents"))
                .json(&consent_body()),
            Endpoint::ListConsents => {
                app.request(Method::GET, &format!("/api/v1/seekers/{seeker}/consents"))
            }
            Endpoint::RevokeConsent => app.request(
                Method::POST,
                &format!("/api/v1/seekers/{seeker}/consents/{}/revoke", a.consent_id),
            ),
            Endpoint::ListAuditEvents => app.request(Method::GET, "/api/v1/audit-events"),
            Endpoint::GetPolicy => app.request(Method::GET, "/api/v1/matching-policy"),
            Endpoint::PutPolicy => {
                // Each program changes its own policy: the caller's current version.
                let mut request = app.request(Method::PUT, "/api/v1/matching-policy");
                if let Some(token) = token {
                    let own = app
                        .request(Method::GET, "/api/v1/matching-policy")
                        .bearer_auth(token);
                    request = request.header("If-Match", etag(own).await);
                }
                request.json(&json!({
                    "min_sobriety_days": 365,
                    "sobriety_half_life_days": 730,
                    "weights": { "sobriety": 1, "availability": 1, "preferences": 1, "distance": 1, "load": 1 }
                }))
            }
            Endpoint::Candidates => {
                app.request(Method::GET, &format!("/api/v1/seekers/{seeker}/candidates"))
            }
            Endpoint::Candidate => app.request(
                Method::GET,
                &format!("/api/v1/seekers/{seeker}/candidates/{a_sponsor}"),
            ),
            Endpoint::ProposeMatch => {
                // A new seeker each time: a seeker has one match under way.
                let fresh_seeker = app.create_seeker(&a.portal).await;
                let fresh_seeker = fresh_seeker["id"].as_str().unwrap_or_default();
                let consents = format!("/api/v1/seekers/{fresh_seeker}/consents");
                let consent = app.post(&consents, &a.portal, &consent_body()).send().await;
                expect_json(consent.expect("consent"), StatusCode::CREATED).await;
                app.request(
                    Method::POST,
                    &format!("/api/v1/seekers/{fresh_seeker}/matches"),
                )
                .json(&json!({ "sponsor_id": a_sponsor }))
            }
            Endpoint::SeekerMatches => {
                app.request(Method::GET, &format!("/api/v1/seekers/{seeker}/matches"))
            }
            Endpoint::GetMatch => {
                app.request(Method::GET, &format!("/api/v1/matches/{}", a.match_id))
            }
            Endpoint::SponsorRequests => app.request(Method::GET, "/api/v1/sponsors/me/requests"),
            Endpoint::SponsorAccept => {
                step("sponsor-accept", json!({ "share_contact_details": true }))
            }
            Endpoint::SeekerAccept => step("seeker-accept", json!({})),
            Endpoint::VetoMatch => step("veto", json!({ "reason": "safety_concern" })),
            Endpoint::EndMatch => step("end", json!({ "reason": "not_a_good_fit" })),
            Endpoint::GetWebhook => app.request(Method::GET, "/api/v1/webhook"),
            Endpoint::ListOutbox => app.request(Method::GET, "/api/v1/outbox/dead"),
            Endpoint::Reassign => app
                .request(
                    Method::POST,
                    &format!("/api/v1/matches/{fresh_id}/reassign"),
                )
                .json(&json!({ "sponsor_id": a_sponsor })),
            Endpoint::Disclosures => app.request(
                Method::GET,
                &format!("/api/v1/seekers/{seeker}/disclosures"),
            ),
            Endpoint::CohortPlan => app.request(Method::GET, "/api/v1/cohort-assignment"),
            Endpoint::ReviewQueue => app.request(Method::GET, "/api/v1/review-queue"),
            Endpoint::MatchCheckIns => app.request(
                Method::GET,
                &format!("/api/v1/matches/{}/check-ins", a.match_id),
            ),
            Endpoint::FollowUpCheckIn => {
                let id = a.check_in(app, &fresh_id).await;
                app.request(Method::POST, &format!("/api/v1/check-ins/{id}/follow-up"))
            }
            Endpoint::Reports => app.request(Method::GET, "/api/v1/reports"),
            Endpoint::ImportSponsors => {
                // A new person each time, into the caller's own program.
                let n = uuid::Uuid::now_v7().simple().to_string();
                let row = format!(
                    "{n},sponsor-{n}@example.org,Robin,Robin,aa,2019-03-01,woman,,,en,\
                     America/Chicago,mon:18,phone,,,,2,,,robin@example.org,"
                );
                app.request(Method::POST, "/api/v1/sponsors/import")
                    .header("Content-Type", "text/csv")
                    .body(format!("{}\n{row}\n", COLUMNS.join(",")))
            }
            Endpoint::CohortAccept => {
                let fresh_seeker = app.create_seeker(&a.portal).await;
                let fresh_seeker = fresh_seeker["id"].as_str().unwrap_or_default();
                let consents = format!("/api/v1/seekers/{fresh_seeker}/consents");
                let consent = app.post(&consents, &a.portal, &consent_body()).send().await;
                expect_json(consent.expect("consent"), StatusCode::CREATED).await;
                app.request(Method::POST, "/api/v1/cohort-assignment/accept")
                    .json(&json!({ "pairs": [{ "seeker_id": fresh_seeker, "sponsor_id": a_sponsor }] }))
            }
            Endpoint::RetryOutboxMessage => {
                let id = a.dead_message(app).await;
                app.request(Method::POST, &format!("/api/v1/outbox/messages/{id}/retry"))
            }
            Endpoint::PutWebhook => app
                .request(Method::PUT, "/api/v1/webhook")
                .json(&json!({ "url": "http://127.0.0.1:9/hooks" })),
            Endpoint::DeleteWebhook => {
                // Each caller deletes a webhook its own program has, if it may set one.
                if let Some(token) = token {
                    let _ = app
                        .request(Method::PUT, "/api/v1/webhook")
                        .bearer_auth(token)
                        .json(&json!({ "url": "http://127.0.0.1:9/hooks" }))
                        .send()
                        .await;
                }
                app.request(Method::DELETE, "/api/v1/webhook")
            }
        };
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        (request, fresh)
    }
}

/// The ETag of a GET, or a version that cannot match when there is none.
async fn etag(request: RequestBuilder) -> String {
    let response = request.send().await.expect("GET for version");
    response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("\"0\"")
        .to_owned()
}

enum Who {
    Of { program_a: bool, kind: Kind },
    Nobody,
    Credential(&'static str, String),
}

impl std::fmt::Debug for Who {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Who::Of { program_a, kind } => {
                write!(
                    f,
                    "{kind:?} of program {}",
                    if *program_a { "A" } else { "B" }
                )
            }
            Who::Nobody => write!(f, "no credential"),
            Who::Credential(label, _) => write!(f, "{label}"),
        }
    }
}

#[tokio::test]
async fn every_endpoint_admits_exactly_its_callers() {
    let app = TestApp::spawn().await;
    let a = Program::set_up(&app, "Program A").await;
    let b = Program::set_up(&app, "Program B").await;

    // Credentials that must not work.
    let expired = random_token(SESSION_TOKEN_PREFIX);
    let (expired_hash, admin_id) = (sha256_hex(&expired), a.admin.user_id.expect("admin id"));
    app.db
        .run(move |conn| {
            let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1);
            accounts::create_session(conn, admin_id, &expired_hash, past)
        })
        .await
        .expect("expired session");
    let logged_out = app.add_user(&a.admin, "case_manager").await;
    let response = app
        .request(Method::POST, "/api/v1/auth/logout")
        .bearer_auth(&logged_out.token)
        .send()
        .await
        .expect("logout");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let revoked_key = app.add_portal_key(&a.admin).await;
    let keys: Value = app
        .get("/api/v1/api-keys?limit=100", &a.admin)
        .send()
        .await
        .expect("keys")
        .json()
        .await
        .expect("json");
    let revoked_key_id = keys["items"]
        .as_array()
        .and_then(|items| items.last())
        .and_then(|k| k["id"].as_str())
        .expect("newest key")
        .to_owned();
    let response = app
        .request(
            Method::DELETE,
            &format!("/api/v1/api-keys/{revoked_key_id}"),
        )
        .bearer_auth(&a.admin.token)
        .send()
        .await
        .expect("revoke");
    assert_eq!(response.status(), StatusCode::OK);
    let disabled = app.add_user(&a.admin, "case_manager").await;
    let path = format!("/api/v1/users/{}", disabled.user_id.expect("id"));
    let version = etag(app.get(&path, &a.admin)).await;
    let response = app
        .request(Method::PATCH, &path)
        .bearer_auth(&a.admin.token)
        .header("If-Match", version)
        .json(&json!({ "disabled": true }))
        .send()
        .await
        .expect("disable");
    assert_eq!(response.status(), StatusCode::OK);

    let kinds = [Kind::Admin, Kind::CaseManager, Kind::Sponsor, Kind::Portal];
    let mut callers: Vec<Who> = Vec::new();
    for program_a in [true, false] {
        for kind in kinds {
            callers.push(Who::Of { program_a, kind });
        }
    }
    callers.push(Who::Nobody);
    callers.push(Who::Credential("expired session", expired));
    callers.push(Who::Credential("logged-out session", logged_out.token));
    callers.push(Who::Credential("revoked API key", revoked_key.token));
    callers.push(Who::Credential("disabled user", disabled.token));
    callers.push(Who::Credential(
        "forged session",
        random_token(SESSION_TOKEN_PREFIX),
    ));
    callers.push(Who::Credential("forged API key", random_token("smk_")));
    callers.push(Who::Credential("not a token", "hello".into()));

    let a_ids = a.record_ids();
    let (mut cells, mut allowed, mut refused) = (0, 0, 0);
    let mut failures = Vec::new();
    let mut covered = BTreeSet::new();
    for endpoint in ENDPOINTS {
        for who in &callers {
            let (token, expected): (Option<&str>, Result<(), StatusCode>) = match who {
                Who::Of { program_a, kind } => {
                    let program = if *program_a { &a } else { &b };
                    let expected = if !endpoint.allows(*kind) {
                        Err(StatusCode::FORBIDDEN)
                    } else if !program_a && endpoint.names_a_record() {
                        Err(StatusCode::NOT_FOUND)
                    } else {
                        Ok(())
                    };
                    (Some(program.caller(*kind).token.as_str()), expected)
                }
                Who::Nobody => (None, Err(StatusCode::UNAUTHORIZED)),
                Who::Credential(_, token) => (Some(token.as_str()), Err(StatusCode::UNAUTHORIZED)),
            };
            let (request, fresh) = endpoint.request(&app, &a, token).await;
            if let Some(built) = request.try_clone().and_then(|r| r.build().ok()) {
                covered.extend(served_route(built.method(), built.url().path()));
            }
            let response = request.send().await.expect("request");
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            if let Some(id) = fresh {
                a.release(&app, &id).await;
            }
            cells += 1;
            match expected {
                Ok(()) => {
                    allowed += 1;
                    if !status.is_success() {
                        failures.push(format!("{endpoint:?} as {who:?}: {status} {body}"));
                    }
                    // Program B sees its own lists, never a trace of program A.
                    if matches!(
                        who,
                        Who::Of {
                            program_a: false,
                            ..
                        }
                    ) && let Some(id) = a_ids.iter().find(|id| body.contains(id.as_str()))
                    {
                        failures.push(format!("{endpoint:?} as {who:?} revealed {id}"));
                    }
                }
                Err(expected) => {
                    refused += 1;
                    if status != expected {
                        failures.push(format!(
                            "{endpoint:?} as {who:?}: expected {expected}, got {status} {body}"
                        ));
                    } else if !body.contains("urn:problem:sponsor-match:") {
                        failures.push(format!("{endpoint:?} as {who:?}: not a problem: {body}"));
                    }
                }
            }
        }
    }
    println!(
        "authorization matrix: {} endpoints x {} callers = {cells} calls, {allowed} allowed, {refused} refused as expected",
        ENDPOINTS.len(),
        callers.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(cells, ENDPOINTS.len() * callers.len());
    let absent: Vec<&str> = api::ENDPOINTS
        .iter()
        .filter(|e| needs_a_credential(e) && !covered.contains(e.operation_id))
        .map(|e| e.operation_id)
        .collect();
    assert!(
        absent.is_empty(),
        "served routes that need a credential but are absent from the matrix: {absent:?}"
    );
}

fn needs_a_credential(endpoint: &api::Endpoint) -> bool {
    let (_, _, operation) = (endpoint.describe)();
    operation.security.is_some_and(|s| !s.is_empty())
}

/// The route actix serves `method path` with: the first resource whose pattern
/// matches the path (in the table's order, as actix tries them), then its method.
fn served_route(method: &Method, path: &str) -> Option<&'static str> {
    let matches = |pattern: &str| {
        let (pattern, path): (Vec<&str>, Vec<&str>) =
            (pattern.split('/').collect(), path.split('/').collect());
        pattern.len() == path.len()
            && pattern
                .iter()
                .zip(&path)
                .all(|(p, s)| p == s || p.starts_with('{') && !s.is_empty())
    };
    let pattern = api::ENDPOINTS
        .iter()
        .map(api::Endpoint::path)
        .find(|pattern| matches(pattern))?;
    api::ENDPOINTS
        .iter()
        .find(|e| e.path() == pattern && e.method().as_str() == method.as_str())
        .map(|e| e.operation_id)
}

#[test]
fn a_route_is_found_as_actix_would_find_it() {
    assert_eq!(
        served_route(&Method::POST, "/api/v1/matches/0/reassign"),
        Some("matches_reassign")
    );
    assert_eq!(
        served_route(&Method::POST, "/api/v1/matches/0/veto"),
        Some("matches_step")
    );
    assert_eq!(
        served_route(&Method::GET, "/api/v1/sponsors/me"),
        Some("sponsors_get_own")
    );
    assert_eq!(served_route(&Method::DELETE, "/api/v1/sponsors/me"), None);
}
