//! Email through real parts: the outbox worker sending to a real SMTP server on
//! loopback; the links in the emails; SMTP down and back; consent revoked before
//! sending; dead letters; two instances; a worker killed mid-run.

use std::collections::HashSet;
use std::process::{Child, Stdio};
use std::time::Duration;

use diesel::prelude::*;
use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::json;
use sponsor_match::config::{EmailTransport, Settings, SmtpSecurity};
use sponsor_match::delivery::worker::Worker;
use sponsor_match::store::schema::{consents, disclosures, outbox_messages};

use crate::console::Browserless;
use crate::helpers::{Caller, TestApp, expect_json, expect_problem};
use crate::journey::{
    accept, consenting_seeker, contact_consent, get_match, introduced, program, propose,
    propose_to, record_consent, revoke_first_consent, step, user_id,
};
use crate::smtp::{Mail, MailServer};

const WAIT: Duration = Duration::from_secs(30);

pub fn send_to(mail: &MailServer) -> impl FnOnce(&mut Settings) + 'static {
    let port = mail.port;
    move |s| {
        s.email.transport = EmailTransport::Smtp;
        s.email.smtp.host = "127.0.0.1".into();
        s.email.smtp.port = port;
        s.email.smtp.security = SmtpSecurity::None;
        s.outbox.poll_interval_ms = 50;
        s.outbox.retry_base_seconds = 1;
        s.outbox.retry_max_seconds = 1;
    }
}

pub async fn smtp_app(mail: &MailServer) -> TestApp {
    TestApp::builder().with(send_to(mail)).spawn().await
}

pub async fn email_of(app: &TestApp, caller: &Caller) -> String {
    let me = expect_json(
        app.get("/api/v1/me", caller).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    me["user"]["email"].as_str().unwrap().to_owned()
}

/// `/respond/<token>` from a link in an email, to call on the test's own address.
fn respond_path(url: &str) -> String {
    let (_, token) = url.split_once("/respond/").expect("a respond link");
    format!("/respond/{token}")
}

async fn outbox_rows(app: &TestApp) -> Vec<(String, String, i32, Option<String>)> {
    app.db
        .run(|conn| {
            Ok(outbox_messages::table
                .order(outbox_messages::id.asc())
                .select((
                    outbox_messages::kind,
                    outbox_messages::status,
                    outbox_messages::attempts,
                    outbox_messages::last_error,
                ))
                .load(conn)?)
        })
        .await
        .unwrap()
}

/// Every message settled as sent. The worker settles a message just after the server
/// took it, so a test that saw the mail arrive may look a moment too early.
async fn assert_all_sent(app: &TestApp) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let rows = outbox_rows(app).await;
        if rows.iter().all(|(_, status, ..)| status == "sent") {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{rows:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn of_kind<'a>(mails: &'a [Mail], kind: &str) -> Vec<&'a Mail> {
    mails
        .iter()
        .filter(|m| m.message_id().contains(&format!(".{kind}@")))
        .collect()
}

#[tokio::test]
async fn the_journey_reaches_both_people_through_real_smtp() {
    let mail = MailServer::start();
    let app = smtp_app(&mail).await;
    let p = program(&app).await;
    let sponsor = app.add_sponsor(&p.admin, |_| {}).await;
    let sponsor_email = email_of(&app, &sponsor).await;
    let seeker = consenting_seeker(&app, &p.portal).await;
    let proposed = propose(&app, &p.portal, &seeker, Some(&sponsor)).await;
    let id = expect_json(proposed, StatusCode::CREATED).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The request: to the sponsor, saying nothing about anyone, with two links.
    let request = mail.wait_for(1, WAIT).await.remove(0);
    assert_eq!(request.to, std::slice::from_ref(&sponsor_email));
    assert_eq!(request.subject(), "A request is waiting for your answer");
    assert_eq!(
        request.message_id(),
        format!("{id}.sponsor_request@sponsor-match.localhost")
    );
    let text = request.text();
    for private in ["Jo", "aa", "supports_mat", "jo@example.org"] {
        assert!(
            !text.split_whitespace().any(|w| w == private),
            "{private} in {text}"
        );
    }
    assert!(request.html().contains("Review and accept"));
    // Links in the HTML part are plain addresses: no `&#x2f;` for link scanners to mangle.
    let accept_url = request.line_after("Accept:").unwrap();
    assert!(
        request.html().contains(&format!("href=\"{accept_url}\"")),
        "{}",
        request.html()
    );
    assert!(!request.html().contains("&#x2f;"));
    let accept_link = respond_path(&accept_url);
    let decline_link = respond_path(&request.line_after("Decline:").unwrap());

    // Opening the link shows the request and asks; it changes nothing.
    let mut browser = Browserless::new(&app);
    let page = browser.get(&accept_link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers["referrer-policy"], "no-referrer");
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = page.html;
    assert!(
        page.contains("Accept this request?")
            && page.contains("Jo")
            && page.contains("<form method=\"post\" novalidate>")
            && page.contains("Please answer by")
    );
    assert!(!page.contains("jo@example.org"));
    assert_eq!(
        get_match(&app, &p.manager, &id).await["state"],
        "awaiting_sponsor"
    );

    // Confirming needs the box ticked; then the sponsor has said yes.
    let unticked = browser.submit(&accept_link, &accept_link, &[]).await;
    assert_eq!(unticked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unticked.html.contains("tick the box"));
    let confirmed = browser
        .submit(
            &accept_link,
            &accept_link,
            &[("share_contact_details", "yes")],
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK);
    assert!(confirmed.html.contains("You accepted"));
    let record = get_match(&app, &p.manager, &id).await;
    assert_eq!(record["state"], "awaiting_seeker");
    assert_eq!(record["history"][2]["actor_id"], user_id(&sponsor));

    // Spent: the link, and the other link of the same email, no longer work.
    let again = browser
        .submit(
            "/sign-in",
            &accept_link,
            &[("share_contact_details", "yes")],
        )
        .await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(
        again.html.contains("You have already answered"),
        "{}",
        again.html
    );
    let other = browser.get(&decline_link).await;
    assert_eq!(other.status, StatusCode::GONE);
    let forged = browser.get("/respond/not-a-token").await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
    assert!(forged.html.contains("This link is not valid"));

    // Both agreed and consented: each gets the other's details and the notice.
    expect_json(
        step(&app, &p.portal, &id, "seeker-accept", json!({})).await,
        StatusCode::OK,
    )
    .await;
    record_consent(&app, &p.portal, &seeker, contact_consent()).await;
    let mails = mail.wait_for(3, WAIT).await;
    let to_sponsor = of_kind(&mails, "introduction_to_sponsor");
    let to_seeker = of_kind(&mails, "introduction_to_seeker");
    assert_eq!((to_sponsor.len(), to_seeker.len()), (1, 1));
    let (to_sponsor, to_seeker) = (to_sponsor[0], to_seeker[0]);
    assert_eq!(to_sponsor.to, [sponsor_email]);
    assert_eq!(to_seeker.to, ["jo@example.org"]);
    for intro in [to_sponsor, to_seeker] {
        assert_eq!(intro.subject(), "You have been introduced");
        assert!(intro.text().contains("42 CFR part 2"), "{}", intro.text());
        assert!(intro.html().contains("42 CFR part 2"));
        assert!(intro.text().contains("First steps"));
    }
    assert!(to_sponsor.text().contains("jo@example.org"));
    assert!(to_sponsor.text().contains("+13125550100"));
    assert!(to_seeker.text().contains("sam@example.org"));
    assert_eq!(
        to_seeker.message_id(),
        format!("{id}.introduction_to_seeker@sponsor-match.localhost")
    );
    for mail in &mails {
        let subject = mail.subject().to_lowercase();
        for word in ["recovery", "sponsor", "sober", "treatment", "addiction"] {
            assert!(!subject.contains(word), "{subject}");
        }
    }
    assert_all_sent(&app).await;
    let disclosed = disclosed(&app, &id).await;
    assert_eq!(disclosed.len(), 2, "{disclosed:?}");
    assert!(!disclosed[0].1.contains("contact_details"));
    assert!(disclosed[1].1.contains("contact_details"));
}

/// The disclosure log's rows for the match: consent and items, oldest first.
async fn disclosed(app: &TestApp, match_id: &str) -> Vec<(Option<String>, String)> {
    let match_id = match_id.to_owned();
    app.db
        .run(move |conn| {
            Ok(disclosures::table
                .filter(disclosures::match_id.eq(match_id))
                .order(disclosures::id.asc())
                .select((disclosures::consent_id, disclosures::items))
                .load(conn)?)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn an_introduction_is_logged_as_disclosed_when_it_is_sent_and_not_before() {
    let mail = MailServer::start();
    let app = TestApp::builder()
        .with(send_to(&mail))
        .with(|s| s.outbox.deliver_in_serve = false)
        .spawn()
        .await;
    let p = program(&app).await;
    let sponsor = app.add_sponsor(&p.admin, |_| {}).await;
    let seeker = consenting_seeker(&app, &p.portal).await;
    let id = propose_to(&app, &p.portal, &seeker, &sponsor).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (caller, action, body) in [
        (&sponsor, "sponsor-accept", accept()),
        (&p.portal, "seeker-accept", json!({})),
    ] {
        expect_json(step(&app, caller, &id, action, body).await, StatusCode::OK).await;
    }
    let first = record_consent(&app, &p.portal, &seeker, contact_consent()).await;
    assert_eq!(
        get_match(&app, &p.manager, &id).await["state"],
        "introduced"
    );
    // Queued, not sent: only the request's summary is on record.
    assert_eq!(disclosed(&app, &id).await.len(), 1);

    // The consent is revoked before the worker runs: the introductions are cancelled,
    // nothing of the contact details went anywhere, and the log says so.
    let revoke = format!(
        "/api/v1/seekers/{seeker}/consents/{}/revoke",
        first["id"].as_str().unwrap()
    );
    let revoked = app
        .post(&revoke, &p.portal, &json!({}))
        .send()
        .await
        .unwrap();
    expect_json(revoked, StatusCode::OK).await;
    let secrets = app.settings().secrets().unwrap();
    let worker = Worker::new(app.settings(), &secrets, app.db.clone()).unwrap();
    while worker.deliver_due().await.unwrap() > 0 {}
    assert!(of_kind(&mail.received(), "introduction_to_sponsor").is_empty());
    assert_eq!(disclosed(&app, &id).await.len(), 1);

    // Given again: queued again, sent once, logged once, under the consent in force.
    let second = record_consent(&app, &p.portal, &seeker, contact_consent()).await;
    while worker.deliver_due().await.unwrap() > 0 {}
    let mails = mail.wait_for(2, WAIT).await;
    assert_eq!(of_kind(&mails, "introduction_to_sponsor").len(), 1);
    let disclosed = disclosed(&app, &id).await;
    assert_eq!(disclosed.len(), 2, "{disclosed:?}");
    assert!(disclosed[1].1.contains("contact_details"));
    assert_eq!(disclosed[1].0.as_deref(), second["id"].as_str());
}

#[tokio::test]
async fn a_decline_by_link_notifies_the_case_managers() {
    let mail = MailServer::start();
    let app = smtp_app(&mail).await;
    let p = program(&app).await;
    let manager_email = email_of(&app, &p.manager).await;
    let sponsor = app.add_sponsor(&p.admin, |_| {}).await;
    let seeker = consenting_seeker(&app, &p.portal).await;
    let proposed = propose(&app, &p.portal, &seeker, Some(&sponsor)).await;
    let id = expect_json(proposed, StatusCode::CREATED).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let request = mail.wait_for(1, WAIT).await.remove(0);
    let decline = respond_path(&request.line_after("Decline:").unwrap());
    let mut browser = Browserless::new(&app);
    let page = browser.get(&decline).await;
    assert!(
        page.html.contains("Our schedules do not fit"),
        "reasons are offered in words"
    );
    let reserved = browser
        .submit(&decline, &decline, &[("reason", "sponsor_paused")])
        .await;
    assert_eq!(reserved.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reserved.html.contains("href=\"#reason\""));
    let done = browser
        .submit(&decline, &decline, &[("reason", "schedule_conflict")])
        .await;
    assert_eq!(done.status, StatusCode::OK);
    let record = get_match(&app, &p.manager, &id).await;
    assert_eq!(
        (record["state"].as_str(), record["reason"].as_str()),
        (Some("declined"), Some("schedule_conflict"))
    );

    let mails = mail.wait_for(2, WAIT).await;
    let notice = of_kind(&mails, "decline_notice");
    assert_eq!(notice.len(), 1);
    assert_eq!(notice[0].to, [manager_email]);
    assert_eq!(notice[0].subject(), "A request was declined");
    assert!(notice[0].text().contains("schedule_conflict (fit)"));
}

#[tokio::test]
async fn messages_wait_while_smtp_is_down_and_all_arrive_once_it_is_back() {
    let mail = MailServer::start();
    mail.set_down(true);
    let app = smtp_app(&mail).await;
    let p = program(&app).await;
    let sponsor = app.add_sponsor(&p.admin, |_| {}).await;
    for _ in 0..5 {
        let seeker = consenting_seeker(&app, &p.portal).await;
        propose_to(&app, &p.portal, &seeker, &sponsor).await;
    }
    // Several attempts fail while the server refuses service.
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let rows = outbox_rows(&app).await;
        if rows.iter().all(|(_, _, attempts, _)| *attempts >= 2) {
            assert!(
                rows.iter()
                    .all(|(_, status, _, error)| status == "pending" && error.is_some()),
                "{rows:?}"
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no retries: {rows:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(mail.received().is_empty());

    mail.set_down(false);
    mail.wait_for(5, WAIT).await;
    // Give a doubled message time to show up.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let received = mail.received();
    let ids: HashSet<String> = received.iter().map(Mail::message_id).collect();
    assert_eq!(
        (received.len(), ids.len()),
        (5, 5),
        "none lost, none doubled"
    );
    assert_all_sent(&app).await;
}

#[tokio::test]
async fn nothing_is_sent_once_consent_is_revoked_or_runs_out_before_sending() {
    let mail = MailServer::start();
    let app = TestApp::builder()
        .with(send_to(&mail))
        .with(|s| s.outbox.deliver_in_serve = false)
        .spawn()
        .await;
    let p = program(&app).await;
    let sponsor = app.add_sponsor(&p.admin, |_| {}).await;

    // Revoked through the API: the request is withdrawn and its message cancelled.
    let revoked = consenting_seeker(&app, &p.portal).await;
    propose_to(&app, &p.portal, &revoked, &sponsor).await;
    revoke_first_consent(&app, &p.portal, &revoked).await;

    // Ran out after queueing: the worker sees it at delivery and sends nothing.
    let lapsed = consenting_seeker(&app, &p.portal).await;
    propose_to(&app, &p.portal, &lapsed, &sponsor).await;
    let seeker = lapsed.clone();
    app.db
        .run(move |conn| {
            let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1);
            diesel::update(consents::table.filter(consents::seeker_id.eq(seeker)))
                .set(consents::expires_at.eq(past))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();

    let secrets = app.settings().secrets().unwrap();
    let worker = Worker::new(app.settings(), &secrets, app.db.clone()).unwrap();
    while worker.deliver_due().await.unwrap() > 0 {}
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(mail.received().is_empty(), "{:?}", mail.received());
    let rows = outbox_rows(&app).await;
    let statuses: Vec<(&str, &str)> = rows
        .iter()
        .map(|(k, s, ..)| (k.as_str(), s.as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("sponsor_request", "cancelled"),
            ("sponsor_request", "cancelled")
        ]
    );
}

#[tokio::test]
async fn a_refused_message_is_dead_lettered_and_an_admin_can_send_it_again() {
    let mail = MailServer::start();
    let app = smtp_app(&mail).await;
    let p = program(&app).await;
    let sponsor = app.add_sponsor(&p.admin, |_| {}).await;
    let address = email_of(&app, &sponsor).await;
    mail.refuse(&address, true);
    let seeker = consenting_seeker(&app, &p.portal).await;
    propose_to(&app, &p.portal, &seeker, &sponsor).await;

    let deadline = std::time::Instant::now() + WAIT;
    let dead = loop {
        let page = app
            .get("/api/v1/outbox/dead", &p.admin)
            .send()
            .await
            .unwrap();
        let page = expect_json(page, StatusCode::OK).await;
        if let Some(message) = page["items"].as_array().unwrap().first() {
            break message.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "nothing was dead-lettered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(dead["kind"], "sponsor_request");
    assert_eq!(dead["attempts"], 1, "a permanent refusal is not retried");
    assert!(
        dead["last_error"].as_str().unwrap().contains("550"),
        "{dead}"
    );
    assert!(
        !dead["last_error"].as_str().unwrap().contains('@'),
        "no address is kept: {dead}"
    );
    assert!(mail.received().is_empty());
    let manager_view = app
        .get("/api/v1/outbox/dead", &p.manager)
        .send()
        .await
        .unwrap();
    expect_problem(manager_view, StatusCode::FORBIDDEN).await;

    mail.refuse(&address, false);
    let retry = format!(
        "/api/v1/outbox/messages/{}/retry",
        dead["id"].as_str().unwrap()
    );
    let retried = expect_json(
        app.post(&retry, &p.admin, &json!({})).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(retried["status"], "pending");
    let arrived = mail.wait_for(1, WAIT).await;
    assert_eq!(arrived[0].to, [address]);
    let twice = app.post(&retry, &p.admin, &json!({})).send().await.unwrap();
    expect_problem(twice, StatusCode::CONFLICT).await;
    let other = app.create_program("Lakeside").await;
    let elsewhere = app.post(&retry, &other, &json!({})).send().await.unwrap();
    expect_problem(elsewhere, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn two_instances_send_each_introduction_exactly_once() {
    const AGREEMENTS: usize = 200;
    let mail = MailServer::start();
    let app = smtp_app(&mail).await;
    let _second = app.another_instance().await;
    let p = program(&app).await;
    let mut sponsors = Vec::new();
    for _ in 0..AGREEMENTS / 5 {
        sponsors.push(
            app.add_sponsor(&p.admin, |b| b["capacity"] = json!(5))
                .await,
        );
    }
    for chunk in (0..AGREEMENTS).collect::<Vec<_>>().chunks(20) {
        join_all(
            chunk
                .iter()
                .map(|i| introduced(&app, &p, &sponsors[i % sponsors.len()])),
        )
        .await;
    }
    // Requests a sponsor answered before delivery are rightly never sent; every
    // introduction is.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while of_kind(&mail.received(), "introduction_to_sponsor").len()
        + of_kind(&mail.received(), "introduction_to_seeker").len()
        < AGREEMENTS * 2
    {
        assert!(
            std::time::Instant::now() < deadline,
            "introductions missing"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let received = mail.received();
    let introductions: Vec<String> = received
        .iter()
        .map(Mail::message_id)
        .filter(|id| id.contains(".introduction_to_"))
        .collect();
    let distinct: HashSet<&String> = introductions.iter().collect();
    println!(
        "two instances, {AGREEMENTS} agreements: {} introduction emails ({} distinct), {} messages in all",
        introductions.len(),
        distinct.len(),
        received.len()
    );
    assert_eq!(introductions.len(), AGREEMENTS * 2);
    assert_eq!(distinct.len(), AGREEMENTS * 2);
    let all: HashSet<String> = received.iter().map(Mail::message_id).collect();
    assert_eq!(all.len(), received.len(), "nothing sent twice");
    let rows = outbox_rows(&app).await;
    let sent = rows
        .iter()
        .filter(|(_, status, ..)| status == "sent")
        .count();
    assert_eq!(sent, received.len(), "{rows:?}");
}

/// `sponsor-match worker` as its own process, on the test's database.
fn worker_process(app: &TestApp, mail: &MailServer) -> Child {
    app.command()
        .arg("worker")
        .env("APP__EMAIL__TRANSPORT", "smtp")
        .env("APP__EMAIL__SMTP__HOST", "127.0.0.1")
        .env("APP__EMAIL__SMTP__PORT", mail.port.to_string())
        .env("APP__EMAIL__SMTP__SECURITY", "none")
        .env("APP__OUTBOX__POLL_INTERVAL_MS", "50")
        .env("APP__OUTBOX__BATCH_SIZE", "10")
        .env("APP__OUTBOX__LEASE_SECONDS", "2")
        .env("APP__LOG__FILTER", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn a_worker_killed_mid_run_resumes_after_restart_and_loses_nothing() {
    const MESSAGES: usize = 100;
    let mail = MailServer::start();
    mail.set_delay(Duration::from_millis(30));
    let app = TestApp::builder()
        .with(|s| s.outbox.deliver_in_serve = false)
        .spawn()
        .await;
    let p = program(&app).await;
    let sponsor = app.add_sponsor(&p.admin, |_| {}).await;
    for _ in 0..MESSAGES {
        let seeker = consenting_seeker(&app, &p.portal).await;
        propose_to(&app, &p.portal, &seeker, &sponsor).await;
    }

    let mut worker = worker_process(&app, &mail);
    mail.wait_for(10, WAIT).await;
    worker.kill().unwrap(); // SIGKILL
    worker.wait().unwrap();
    let before_restart = mail.received().len();
    assert!(before_restart < MESSAGES, "the worker was killed mid-run");

    let mut restarted = worker_process(&app, &mail);
    // Done when every message is settled as sent; those in flight at the kill had no
    // outcome recorded, so they go out again once their lease ends.
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let rows = outbox_rows(&app).await;
        if rows.iter().all(|(_, status, ..)| status == "sent") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not all sent: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    restarted.kill().unwrap();
    restarted.wait().unwrap();
    let received = mail.received();
    let distinct: HashSet<String> = received.iter().map(Mail::message_id).collect();
    println!(
        "worker killed after {before_restart} of {MESSAGES}; after restart {} distinct, {} received ({} sent again after the kill)",
        distinct.len(),
        received.len(),
        received.len() - distinct.len()
    );
    assert_eq!(distinct.len(), MESSAGES, "none lost");
    // At most the messages in flight at the kill go out twice, with the same Message-ID.
    assert!(
        received.len() - distinct.len() <= 10,
        "{} received",
        received.len()
    );
}

#[tokio::test]
async fn a_link_stops_working_once_the_sponsor_account_is_disabled() {
    let mail = MailServer::start();
    let app = smtp_app(&mail).await;
    let p = program(&app).await;
    let sponsor = app.add_sponsor(&p.admin, |_| {}).await;
    let seeker = consenting_seeker(&app, &p.portal).await;
    propose_to(&app, &p.portal, &seeker, &sponsor).await;
    let request = mail.wait_for(1, WAIT).await.remove(0);
    let accept_link = respond_path(&request.line_after("Accept:").unwrap());

    let user = format!("/api/v1/users/{}", user_id(&sponsor));
    let current = app.get(&user, &p.admin).send().await.unwrap();
    let version = current.headers()["etag"].to_str().unwrap().to_owned();
    let disabled = app
        .request(Method::PATCH, &user)
        .bearer_auth(&p.admin.token)
        .header("If-Match", version)
        .json(&json!({ "disabled": true }))
        .send()
        .await
        .unwrap();
    expect_json(disabled, StatusCode::OK).await;

    let mut browser = Browserless::new(&app);
    let page = browser.get(&accept_link).await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(
        page.html.contains("Your account has been closed"),
        "{}",
        page.html
    );
    let confirm = browser
        .submit(
            "/sign-in",
            &accept_link,
            &[("share_contact_details", "yes")],
        )
        .await;
    assert_eq!(confirm.status, StatusCode::GONE);
}
