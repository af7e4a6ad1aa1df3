//! Match health over real parts: check-in emails through a real SMTP server, the
//! one-click answers behind their links, what case managers see, and the no-fault
//! rematch.

use std::time::Duration;

use chrono::Utc;
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use sponsor_match::config::{EmailTransport, Settings, SmtpSecurity};
use sponsor_match::domain::check_in::CheckInAnswer;
use sponsor_match::notify::links::{CheckInClaim, sign_check_in};

use crate::console::Browserless;
use crate::helpers::{Caller, TestApp, expect_json, expect_problem};
use crate::journey::{get_match, introduced, program, user_id};
use crate::smtp::MailServer;

const WAIT: Duration = Duration::from_secs(30);

/// Check-in rounds at the introduction itself, looked for every 50 ms.
fn check_in_at_once(silent_after_days: u32) -> impl FnOnce(&mut Settings) + 'static {
    move |s| {
        s.check_ins.days = vec![0];
        s.check_ins.silent_after_days = silent_after_days;
        s.matching.expiry_interval_ms = 50;
    }
}

async fn check_ins_of(app: &TestApp, caller: &Caller, match_id: &str) -> Vec<Value> {
    let path = format!("/api/v1/matches/{match_id}/check-ins");
    let response = app.get(&path, caller).send().await.unwrap();
    expect_json(response, StatusCode::OK).await["check_ins"]
        .as_array()
        .unwrap()
        .clone()
}

/// The match's check-ins once the round has opened.
async fn opened_round(app: &TestApp, caller: &Caller, match_id: &str) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let check_ins = check_ins_of(app, caller, match_id).await;
        if check_ins.len() == 2 {
            return check_ins;
        }
        assert!(tokio::time::Instant::now() < deadline, "no round opened");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn of_party<'a>(check_ins: &'a [Value], party: &str) -> &'a Value {
    check_ins
        .iter()
        .find(|c| c["party"] == party)
        .expect("a check-in for the party")
}

/// The link an email would carry for `answer`, signed with the service's key.
fn link(app: &TestApp, check_in: &Value, answer: CheckInAnswer) -> String {
    let secrets = app.settings().secrets().unwrap();
    let claim = CheckInClaim {
        check_in: check_in["id"].as_str().unwrap().parse().unwrap(),
        answer,
        expires: Utc::now() + chrono::Duration::days(1),
    };
    let token = sign_check_in(secrets.token_signing_key.expose_secret().as_bytes(), &claim);
    format!("/check-in/{token}")
}

async fn queue_of_check_ins(app: &TestApp, caller: &Caller) -> Vec<Value> {
    let response = app
        .get("/api/v1/review-queue?kind=check_in", caller)
        .send()
        .await
        .unwrap();
    expect_json(response, StatusCode::OK).await["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn both_sides_are_asked_and_a_call_for_help_reaches_the_case_manager() {
    let mail = MailServer::start();
    let port = mail.port;
    let app = TestApp::builder()
        .with(move |s| {
            s.email.transport = EmailTransport::Smtp;
            s.email.smtp.host = "127.0.0.1".into();
            s.email.smtp.port = port;
            s.email.smtp.security = SmtpSecurity::None;
            s.outbox.poll_interval_ms = 50;
        })
        .with(check_in_at_once(7))
        .spawn()
        .await;
    let p = program(&app).await;
    let sponsor = app.add_sponsor(&p.admin, |_| {}).await;
    let id = introduced(&app, &p, &sponsor).await;

    // After the introductions, a check-in to each side.
    let deadline = tokio::time::Instant::now() + WAIT;
    let check_in_mails = loop {
        let check_in_mails: Vec<_> = mail
            .received()
            .into_iter()
            .filter(|m| m.message_id().contains(".check_in_to_"))
            .collect();
        if check_in_mails.len() >= 2 || tokio::time::Instant::now() > deadline {
            break check_in_mails;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(check_in_mails.len(), 2, "one to each side");
    for mail in &check_in_mails {
        assert_eq!(mail.subject(), "A quick question", "nothing revealing");
        assert!(mail.message_id().contains(&format!("{id}.check_in_to_")));
        assert!(mail.text().contains("/check-in/"));
    }
    let to_seeker = check_in_mails
        .iter()
        .find(|m| m.message_id().contains("check_in_to_seeker"))
        .unwrap();
    assert_eq!(to_seeker.to, ["jo@example.org"]);
    assert!(to_seeker.text().contains("a different sponsor"));

    // The seeker's "need help" link: the page asks to confirm and records nothing.
    let links: Vec<String> = to_seeker
        .text()
        .lines()
        .filter_map(|line| line.trim().split_once("/check-in/"))
        .map(|(_, token)| format!("/check-in/{token}"))
        .collect();
    assert_eq!(links.len(), 3, "going well, need help, want a change");
    let need_help = &links[1];
    let mut browser = Browserless::new(&app);
    let page = browser.get(need_help).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers["referrer-policy"], "no-referrer");
    let html = page.html;
    assert!(html.contains("Send this answer?"), "{html}");
    assert!(html.contains("someone from the program"), "{html}");
    assert!(html.contains("not a crisis service"), "{html}");
    let check_ins = check_ins_of(&app, &p.manager, &id).await;
    assert_eq!(of_party(&check_ins, "seeker")["status"], "waiting");
    assert!(queue_of_check_ins(&app, &p.manager).await.is_empty());

    // Confirming records it; the case manager sees it, urgent, in the queue.
    // Without the page's CSRF token nothing is recorded.
    let forged = browser.post_raw(need_help, &[]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        of_party(&check_ins_of(&app, &p.manager, &id).await, "seeker")["status"],
        "waiting"
    );
    let answered = browser.submit(need_help, need_help, &[]).await;
    assert_eq!(answered.status, StatusCode::OK);
    assert!(answered.html.contains("will be in touch"));
    let check_ins = check_ins_of(&app, &p.manager, &id).await;
    let seeker_check_in = of_party(&check_ins, "seeker");
    assert_eq!(seeker_check_in["status"], "answered");
    assert_eq!(seeker_check_in["answer"], "need_help");
    assert_eq!(seeker_check_in["concern"], "need_help");
    assert_eq!(seeker_check_in["day"], 0);
    assert_eq!(of_party(&check_ins, "sponsor")["status"], "waiting");
    let queue = queue_of_check_ins(&app, &p.manager).await;
    assert_eq!(queue.len(), 1, "{queue:?}");
    assert_eq!(queue[0]["kind"], "check_in");
    assert_eq!(queue[0]["urgent"], true);
    assert_eq!(queue[0]["match_id"], id.as_str());
    assert_eq!(queue[0]["check_in"]["party"], "seeker");
    assert_eq!(queue[0]["check_in"]["concern"], "need_help");
    assert_eq!(queue[0]["check_in"]["id"], seeker_check_in["id"]);

    // Followed up: it leaves the queue, with who did it on record.
    let path = format!(
        "/api/v1/check-ins/{}/follow-up",
        seeker_check_in["id"].as_str().unwrap()
    );
    let followed = expect_json(
        app.post(&path, &p.manager, &json!({}))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(followed["followed_up_by"], user_id(&p.manager));
    assert!(queue_of_check_ins(&app, &p.manager).await.is_empty());

    // The sponsor's "going well" needs nobody; the match runs on.
    let to_sponsor = check_in_mails
        .iter()
        .find(|m| m.message_id().contains("check_in_to_sponsor"))
        .unwrap();
    let going_well = to_sponsor
        .text()
        .lines()
        .find_map(|line| line.trim().split_once("/check-in/"))
        .map(|(_, token)| format!("/check-in/{token}"))
        .unwrap();
    let answered = browser.submit(&going_well, &going_well, &[]).await;
    assert_eq!(answered.status, StatusCode::OK);
    let check_ins = check_ins_of(&app, &p.manager, &id).await;
    assert_eq!(of_party(&check_ins, "sponsor")["answer"], "going_well");
    assert!(of_party(&check_ins, "sponsor").get("concern").is_none());
    assert!(queue_of_check_ins(&app, &p.manager).await.is_empty());
    assert_eq!(
        get_match(&app, &p.manager, &id).await["state"],
        "introduced"
    );

    // A forged link names nothing, and says so.
    let forged = browser.get("/check-in/AAAA").await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
    assert!(forged.html.contains("This link is not valid"));

    // One round per match however often the job looks.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(check_ins_of(&app, &p.manager, &id).await.len(), 2);
}

#[tokio::test]
async fn a_wish_for_a_different_sponsor_opens_a_no_fault_rematch_without_them() {
    let app = TestApp::builder()
        .with(|s| s.outbox.deliver_in_serve = false)
        .with(check_in_at_once(7))
        .spawn()
        .await;
    let p = program(&app).await;
    let first = app.add_sponsor(&p.admin, |_| {}).await;
    let id = introduced(&app, &p, &first).await;
    let second = app.add_sponsor(&p.admin, |_| {}).await;
    let check_ins = opened_round(&app, &p.manager, &id).await;
    let seeker_check_in = of_party(&check_ins, "seeker");

    let want_change = link(&app, seeker_check_in, CheckInAnswer::WantChange);
    let mut browser = Browserless::new(&app);
    let answered = browser.submit(&want_change, &want_change, &[]).await;
    assert_eq!(answered.status, StatusCode::OK);
    assert!(answered.html.contains("nobody is blamed"));

    // The match ended, blaming nobody, and the policy proposed the next candidate.
    let ended = get_match(&app, &p.manager, &id).await;
    assert_eq!(ended["state"], "ended");
    assert_eq!(ended["reason"], "rematch_requested");
    let seeker = ended["seeker_id"].as_str().unwrap();
    let history = expect_json(
        app.get(&format!("/api/v1/seekers/{seeker}/matches"), &p.manager)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let matches = history.as_array().unwrap();
    assert_eq!(matches.len(), 2, "{history}");
    let next = matches.iter().find(|m| m["id"] != id.as_str()).unwrap();
    assert_eq!(
        next["sponsor_id"],
        user_id(&second),
        "never the same sponsor"
    );
    assert_eq!(next["state"], "awaiting_sponsor");
    let candidates = expect_json(
        app.get(&format!("/api/v1/seekers/{seeker}/candidates"), &p.manager)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(
        !candidates.to_string().contains(&user_id(&first)),
        "the previous sponsor is barred: {candidates}"
    );

    // The case manager sees why, urgent, until followed up.
    let queue = queue_of_check_ins(&app, &p.manager).await;
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0]["check_in"]["concern"], "want_change");
    assert_eq!(queue[0]["urgent"], true);

    // Every link of the ended match is spent.
    let sponsor_link = link(
        &app,
        of_party(&check_ins, "sponsor"),
        CheckInAnswer::GoingWell,
    );
    let gone = browser.submit("/sign-in", &sponsor_link, &[]).await;
    assert_eq!(gone.status, StatusCode::GONE);
    assert!(
        gone.html.contains("This sponsorship has ended"),
        "{}",
        gone.html
    );
    let again = browser.get(&want_change).await;
    assert_eq!(again.status, StatusCode::GONE);
}

#[tokio::test]
async fn silence_shows_once_the_time_to_answer_has_passed() {
    let app = TestApp::builder()
        .with(|s| s.outbox.deliver_in_serve = false)
        .with(check_in_at_once(0))
        .spawn()
        .await;
    let p = program(&app).await;
    let sponsor = app.add_sponsor(&p.admin, |_| {}).await;
    let id = introduced(&app, &p, &sponsor).await;
    let check_ins = opened_round(&app, &p.manager, &id).await;
    for check_in in &check_ins {
        assert_eq!(check_in["status"], "silent");
        assert_eq!(check_in["concern"], "silent");
    }
    let queue = queue_of_check_ins(&app, &p.manager).await;
    assert_eq!(queue.len(), 2, "one per silent side");
    assert!(queue.iter().all(|item| item["urgent"] == false));

    // Another program's staff see none of it.
    let other = app.create_program("Elsewhere").await;
    assert!(queue_of_check_ins(&app, &other).await.is_empty());
    let path = format!("/api/v1/matches/{id}/check-ins");
    let response = app.get(&path, &other).send().await.unwrap();
    expect_problem(response, StatusCode::NOT_FOUND).await;

    // An answer, even late, ends the silence.
    let going_well = link(
        &app,
        of_party(&check_ins, "seeker"),
        CheckInAnswer::GoingWell,
    );
    let mut browser = Browserless::new(&app);
    let answered = browser.submit(&going_well, &going_well, &[]).await;
    assert_eq!(answered.status, StatusCode::OK);
    let queue = queue_of_check_ins(&app, &p.manager).await;
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0]["check_in"]["party"], "sponsor");
}
