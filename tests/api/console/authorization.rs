//! The console's authorization matrix: every page and form of `console::PAGES`, for a
//! visitor who is not signed in, each role, and a sponsor of another program. A page
//! admits what its table row says and refuses everyone else; a record of one sponsor
//! is not found for any other.

use reqwest::StatusCode;
use sponsor_match::console::{Admits, PAGES};

use super::{Browserless, Page};
use crate::helpers::{Caller, PASSWORD, TestApp};
use crate::journey::{consenting_seeker, program, propose_to};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Nobody,
    Sponsor,
    SponsorElsewhere,
    CaseManager,
    Admin,
}

fn signed_in_away(page: &Page) -> bool {
    page.status == StatusCode::SEE_OTHER
        && page
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with("/sign-in?back_to="))
}

async fn email_of(app: &TestApp, caller: &Caller) -> String {
    let me = app.get("/api/v1/me", caller).send().await.unwrap();
    let me: serde_json::Value = me.json().await.unwrap();
    me["user"]["email"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_page_admits_its_roles_and_refuses_everyone_else() {
    let app = TestApp::spawn().await;
    let p = program(&app).await;
    let sponsor = app.add_sponsor(&p.admin, |_| {}).await;
    let elsewhere_admin = app.create_program("Elsewhere").await;
    let elsewhere = app.add_sponsor(&elsewhere_admin, |_| {}).await;
    let seeker = consenting_seeker(&app, &p.portal).await;
    let match_id = propose_to(&app, &p.portal, &seeker, &sponsor).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let callers = [
        (Who::Nobody, None),
        (Who::Sponsor, Some(email_of(&app, &sponsor).await)),
        (
            Who::SponsorElsewhere,
            Some(email_of(&app, &elsewhere).await),
        ),
        (Who::CaseManager, Some(email_of(&app, &p.manager).await)),
        (Who::Admin, Some(email_of(&app, &p.admin).await)),
    ];
    let mut cells = 0;
    for route in PAGES {
        let names_a_record = route.path.contains("{id}");
        let path = route.path.replace("{token}", "not-a-token").replace(
            "{id}",
            if route.path.starts_with("/app/requests") || route.path.starts_with("/app/sponsees") {
                &match_id
            } else {
                "01900000-0000-7000-8000-000000000000"
            },
        );
        for (who, caller) in &callers {
            // Each cell its own session: a form may end the one it was sent with.
            let mut browser = match caller {
                Some(email) => {
                    let fresh = app.login(email, PASSWORD).await;
                    Browserless::signed_in(&app, &fresh)
                }
                None => Browserless::new(&app),
            };
            let page = if route.method.as_str() == "GET" {
                browser.get(&path).await
            } else {
                let from = if caller.is_some() {
                    "/app/account"
                } else {
                    "/sign-in"
                };
                // Fields a form of each kind would carry, so a refusal is about who asks,
                // not about a field left out.
                let fields = [
                    ("reason", "other"),
                    ("answer", "going_well"),
                    ("share_contact_details", "yes"),
                    ("password", "a long enough new password"),
                ];
                browser.submit(from, &path, &fields).await
            };
            cells += 1;
            let label = format!("{} {path} as {who:?}: {}", route.method, page.status);
            match (route.admits, who) {
                (Admits::Anyone, _) => {
                    assert!(page.status != StatusCode::FORBIDDEN, "{label}");
                    assert!(!page.status.is_server_error(), "{label}");
                }
                (Admits::LinkHolder, _) => {
                    // A made-up link names nothing; guessing many is throttled.
                    assert!(
                        [StatusCode::NOT_FOUND, StatusCode::TOO_MANY_REQUESTS]
                            .contains(&page.status),
                        "{label}"
                    );
                }
                (Admits::People | Admits::Sponsors, Who::Nobody) => {
                    assert!(signed_in_away(&page), "{label}");
                }
                (Admits::Sponsors, Who::CaseManager | Who::Admin) => {
                    assert_eq!(page.status, StatusCode::FORBIDDEN, "{label}");
                }
                (Admits::Sponsors, Who::SponsorElsewhere) if names_a_record => {
                    assert_eq!(
                        page.status,
                        StatusCode::NOT_FOUND,
                        "another's record: {label}"
                    );
                }
                (Admits::People | Admits::Sponsors, _) => {
                    assert!(
                        page.status != StatusCode::FORBIDDEN && !signed_in_away(&page),
                        "{label}"
                    );
                    assert!(!page.status.is_server_error(), "{label}");
                }
            }
        }
    }
    eprintln!(
        "console authorization matrix: {} routes x {} callers = {cells} cells",
        PAGES.len(),
        callers.len()
    );
}
