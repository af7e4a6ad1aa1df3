//! Roster imports: a CSV file of sponsors through the API and the command line; the
//! invites by real SMTP, accepted on their page, the profile in the pool at once;
//! importing again; both modes with their exact rejections; content type, size, header.

use std::collections::HashMap;
use std::process::Output;
use std::time::Duration;

use diesel::prelude::*;
use reqwest::{Method, Response, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use sponsor_match::auth::credentials::sha256_hex;
use sponsor_match::domain::roster::COLUMNS;
use sponsor_match::notify::links::invite_token;
use sponsor_match::store::schema::{audit_events, invites, outbox_messages, roster_entries};

use crate::console::Browserless;
use crate::email::{email_of, smtp_app};
use crate::helpers::{Caller, PASSWORD, TestApp, expect_json, expect_problem};
use crate::smtp::MailServer;

const WAIT: Duration = Duration::from_secs(30);

pub type Row = HashMap<&'static str, String>;

/// A row of a sponsor who fits the standard seeker (`helpers::seeker_body`); `n` makes
/// the external id and the email its own.
pub fn row(n: usize) -> Row {
    HashMap::from([
        ("external_id", format!("R-{n}")),
        ("email", format!("sponsor-{n}@example.org")),
        ("display_name", format!("Sponsor {n}")),
        ("alias", format!("Sam {n}")),
        ("fellowships", "aa;na".into()),
        ("sobriety_date", "2015-03-01".into()),
        ("gender", "woman".into()),
        ("sponsors", String::new()),
        ("age_band", "30_39".into()),
        ("languages", "en;es".into()),
        ("time_zone", "America/Chicago".into()),
        ("availability", "tue:19,20;sun:10,11".into()),
        ("meeting", "video;in_person".into()),
        ("meeting.in_person.latitude", "41.88".into()),
        ("meeting.in_person.longitude", "-87.63".into()),
        ("meeting.in_person.radius_km", "15".into()),
        ("capacity", "2".into()),
        ("attributes", "supports_mat;lgbtq_affirming".into()),
        ("status", String::new()),
        ("contact.email", format!("sponsor-{n}@example.org")),
        ("contact.phone", "+13125550100".into()),
    ])
}

pub fn with(mut row: Row, column: &'static str, value: &str) -> Row {
    row.insert(column, value.to_owned());
    row
}

pub fn csv(rows: &[Row]) -> String {
    let mut text = COLUMNS.join(",");
    for row in rows {
        let cells: Vec<String> = COLUMNS
            .iter()
            .map(|c| format!("\"{}\"", row[c].replace('"', "\"\"")))
            .collect();
        text.push('\n');
        text.push_str(&cells.join(","));
    }
    text.push('\n');
    text
}

pub async fn import(app: &TestApp, admin: &Caller, mode: &str, file: String) -> Response {
    app.request(
        Method::POST,
        &format!("/api/v1/sponsors/import?mode={mode}"),
    )
    .bearer_auth(&admin.token)
    .header("Content-Type", "text/csv")
    .body(file)
    .send()
    .await
    .unwrap()
}

fn report(created: usize, updated: usize, unchanged: usize, left: usize) -> Value {
    json!({
        "created": created, "updated": updated, "unchanged": unchanged,
        "left_to_sponsor": left, "rejected": []
    })
}

/// Each rejection as (line, field, reason).
fn rejections(rows: &Value) -> Vec<(u64, String, String)> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["field"].as_str().unwrap().to_owned(),
                r["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn expected(rows: &[(u64, &str, &str)]) -> Vec<(u64, String, String)> {
    rows.iter()
        .map(|(line, field, reason)| (*line, (*field).to_owned(), (*reason).to_owned()))
        .collect()
}

/// (roster entries, invites, outbox messages) in the database.
async fn counts(app: &TestApp) -> (i64, i64, i64) {
    app.db
        .run(|conn| {
            Ok((
                roster_entries::table.count().get_result(conn)?,
                invites::table.count().get_result(conn)?,
                outbox_messages::table.count().get_result(conn)?,
            ))
        })
        .await
        .unwrap()
}

/// The invite a roster entry has now.
async fn invite_of(app: &TestApp, external_id: &'static str) -> String {
    app.db
        .run(move |conn| {
            Ok(roster_entries::table
                .filter(roster_entries::external_id.eq(external_id))
                .select(roster_entries::invite_id.assume_not_null())
                .first::<String>(conn)?)
        })
        .await
        .unwrap()
}

/// Accepts an invite through the API with the token its email carries.
async fn accept(app: &TestApp, invite: &str) -> Response {
    let secrets = app.settings().secrets().unwrap();
    let key = secrets.token_signing_key.expose_secret().as_bytes();
    let token = invite_token(key, invite.parse().unwrap());
    app.request(Method::POST, "/api/v1/invites/accept")
        .json(&json!({ "token": token, "password": PASSWORD }))
        .send()
        .await
        .unwrap()
}

async fn own_profile(app: &TestApp, email: &str) -> Value {
    let sponsor = app.login(email, PASSWORD).await;
    let response = app.get("/api/v1/sponsors/me", &sponsor).send().await;
    expect_json(response.unwrap(), StatusCode::OK).await
}

async fn audited_imports(app: &TestApp) -> Vec<(String, String, String)> {
    app.db
        .run(|conn| {
            Ok(audit_events::table
                .filter(audit_events::action.eq("roster.import"))
                .order(audit_events::id.asc())
                .select((
                    audit_events::actor_kind,
                    audit_events::actor_id,
                    audit_events::record_id,
                ))
                .load(conn)?)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn imported_sponsors_are_invited_by_email_and_join_the_pool_with_their_profile() {
    let mail = MailServer::start();
    let app = smtp_app(&mail).await;
    let admin = app.create_program("Riverside").await;
    let file = csv(&[row(1), row(2)]);
    let response = import(&app, &admin, "all-or-nothing", file.clone()).await;
    assert_eq!(
        expect_json(response, StatusCode::OK).await,
        report(2, 0, 0, 0)
    );

    // Each new sponsor gets an invite: a neutral subject, a link to their own page.
    let mails = mail.wait_for(2, WAIT).await;
    let invite = mails
        .iter()
        .find(|m| m.to == ["sponsor-1@example.org"])
        .expect("an invite to the first sponsor");
    assert_eq!(invite.subject(), "You are invited to create an account");
    let invite_id = invite_of(&app, "R-1").await;
    assert_eq!(
        invite.message_id(),
        format!("{invite_id}.sponsor_invite@sponsor-match.localhost")
    );
    assert!(invite.text().contains("Hello Sponsor 1,") && invite.text().contains("Riverside"));
    let link = invite
        .text()
        .lines()
        .find_map(|line| {
            line.trim()
                .split_once("/invite/")
                .map(|(_, t)| t.to_owned())
        })
        .expect("a link");
    let path = format!("/invite/{link}");
    // Only the token's hash is stored, as for every invite.
    let stored: Vec<String> = app
        .db
        .run(|conn| Ok(invites::table.select(invites::token_hash).load(conn)?))
        .await
        .unwrap();
    assert!(stored.contains(&sha256_hex(&link)) && !stored.contains(&link));

    // The link lands on the console's invite page: opening it changes nothing; its form
    // creates the account.
    let mut browser = Browserless::new(&app);
    let page = browser.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers["referrer-policy"], "no-referrer");
    assert!(page.html.contains("name=\"password\""));
    let short = browser.submit(&path, &path, &[("password", "short")]).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.html.contains("at least 12 characters"));
    let created = browser
        .submit(&path, &path, &[("password", PASSWORD)])
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    assert_eq!(
        created.location.as_deref(),
        Some("/sign-in?done=note-account-created")
    );
    let spent = browser
        .submit("/sign-in", &path, &[("password", PASSWORD)])
        .await;
    assert_eq!(spent.status, StatusCode::NOT_FOUND);

    // The account has the profile of its row.
    let profile = own_profile(&app, "sponsor-1@example.org").await;
    assert_eq!(profile["alias"], "Sam 1");
    assert_eq!(profile["version"], 1);
    assert_eq!(
        profile["availability"],
        json!({ "tue": [19, 20], "sun": [10, 11] })
    );
    assert_eq!(profile["meeting"]["in_person"]["radius_km"], 15.0);
    assert_eq!(profile["contact"]["phone"], "+13125550100");
    let sponsor_id = profile["sponsor_id"].as_str().unwrap().to_owned();

    // And is a candidate at once for a seeker it fits; the one who has not accepted is not.
    let seeker = app.create_seeker(&admin).await;
    let path = format!(
        "/api/v1/seekers/{}/candidates",
        seeker["id"].as_str().unwrap()
    );
    let candidates =
        expect_json(app.get(&path, &admin).send().await.unwrap(), StatusCode::OK).await;
    let ids: Vec<&str> = candidates["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["sponsor_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [sponsor_id.as_str()]);

    // The same file again: nothing changes, nothing is sent.
    let before = counts(&app).await;
    let response = import(&app, &admin, "all-or-nothing", file).await;
    assert_eq!(
        expect_json(response, StatusCode::OK).await,
        report(0, 0, 2, 0)
    );
    assert_eq!(counts(&app).await, before);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(mail.received().len(), 2);

    // One audit event per import, with its counts and nobody's details.
    let admin_id = admin.user_id.unwrap().to_string();
    assert_eq!(
        audited_imports(&app).await,
        [
            (
                "user".to_owned(),
                admin_id.clone(),
                "created=2 updated=0 unchanged=0 left_to_sponsor=0 rejected=0".to_owned()
            ),
            (
                "user".to_owned(),
                admin_id,
                "created=0 updated=0 unchanged=2 left_to_sponsor=0 rejected=0".to_owned()
            ),
        ]
    );
}

#[tokio::test]
async fn a_changed_row_replaces_a_waiting_profile_and_leaves_an_accepted_one_to_its_sponsor() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let first = [row(1), row(2), row(3), row(4)];
    let response = import(&app, &admin, "all-or-nothing", csv(&first)).await;
    assert_eq!(
        expect_json(response, StatusCode::OK).await,
        report(4, 0, 0, 0)
    );
    let accepted = accept(&app, &invite_of(&app, "R-1").await).await;
    expect_json(accepted, StatusCode::OK).await;
    let (r2, r3, r4) = (
        invite_of(&app, "R-2").await,
        invite_of(&app, "R-3").await,
        invite_of(&app, "R-4").await,
    );
    let expire = r4.clone();
    app.db
        .run(move |conn| {
            let past = chrono::Utc::now().naive_utc() - chrono::Duration::hours(1);
            diesel::update(invites::table.find(expire))
                .set(invites::expires_at.eq(past))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    let (_, _, messages) = counts(&app).await;

    // R-1 accepted: its change waits on nobody but the sponsor. R-2 waits: its profile
    // and name change, its invite stays. R-3's email changed and R-4's invite expired:
    // each gets a new invite.
    let second = [
        with(row(1), "capacity", "3"),
        with(with(row(2), "capacity", "3"), "display_name", "Robin Two"),
        with(row(3), "email", "new-3@example.org"),
        row(4),
    ];
    let response = import(&app, &admin, "all-or-nothing", csv(&second)).await;
    assert_eq!(
        expect_json(response, StatusCode::OK).await,
        report(0, 3, 0, 1)
    );
    assert_eq!(
        own_profile(&app, "sponsor-1@example.org").await["capacity"],
        2
    );
    assert_eq!(invite_of(&app, "R-2").await, r2);
    let name = app
        .db
        .run(move |conn| {
            Ok(invites::table
                .find(r2)
                .select(invites::display_name)
                .first::<String>(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(name, "Robin Two");
    assert_ne!(invite_of(&app, "R-3").await, r3);
    assert_ne!(invite_of(&app, "R-4").await, r4);
    assert_eq!(
        counts(&app).await.2,
        messages + 2,
        "two new invites emailed"
    );
    expect_problem(accept(&app, &r3).await, StatusCode::NOT_FOUND).await;

    // Accepting R-2 now gives the profile as last imported.
    let accepted = accept(&app, &invite_of(&app, "R-2").await).await;
    expect_json(accepted, StatusCode::OK).await;
    assert_eq!(
        own_profile(&app, "sponsor-2@example.org").await["capacity"],
        3
    );

    // And the second file again changes nothing.
    let response = import(&app, &admin, "all-or-nothing", csv(&second)).await;
    assert_eq!(
        expect_json(response, StatusCode::OK).await,
        report(0, 0, 3, 1)
    );
}

/// A NUL in a text cell is refused as the API refuses it in the same field.
#[tokio::test]
async fn a_nul_in_a_text_cell_is_rejected_as_an_invalid_character() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let columns = [
        "external_id",
        "email",
        "display_name",
        "alias",
        "contact.email",
    ];
    let rows: Vec<Row> = columns
        .iter()
        .enumerate()
        .map(|(n, column)| {
            let row = row(n + 1);
            let with_nul = format!("{}\u{0}", row[column]);
            with(row, column, &with_nul)
        })
        .collect();
    // The header is line 1.
    let lines: Vec<(u64, &str, &str)> = (2..)
        .zip(columns)
        .map(|(line, column)| (line, column, "invalid_character"))
        .collect();

    let response = import(&app, &admin, "all-or-nothing", csv(&rows)).await;
    let problem = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(rejections(&problem["rows"]), expected(&lines));
    assert_eq!(counts(&app).await, (0, 0, 0), "nothing written");
}

#[tokio::test]
async fn all_or_nothing_imports_nothing_of_a_file_with_a_rejected_row_and_skip_invalid_the_rest() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let admin_email = email_of(&app, &admin).await;
    let file = csv(&[
        row(1),
        with(row(2), "email", "not-an-email"),
        with(with(row(3), "languages", "en;xx"), "capacity", "0"),
        with(row(4), "external_id", "R-1"),
        with(row(5), "email", &admin_email),
        row(6),
    ]);
    let rejected = expected(&[
        (3, "email", "invalid_email"),
        (4, "languages[1]", "unknown_language"),
        (4, "capacity", "out_of_range"),
        (5, "external_id", "duplicate"),
        (6, "email", "conflict"),
    ]);

    let response = import(&app, &admin, "all-or-nothing", file.clone()).await;
    let problem = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem["type"], "urn:problem:sponsor-match:roster-rejected");
    assert_eq!(rejections(&problem["rows"]), rejected);
    assert_eq!(
        problem["detail"],
        "Nothing was imported; `rows` lists what was rejected, by line."
    );
    assert_eq!(
        problem["rows"][0]["message"],
        "must be a valid email address"
    );
    assert_eq!(counts(&app).await, (0, 0, 0), "nothing written");
    assert_eq!(audited_imports(&app).await, []);

    let response = import(&app, &admin, "skip-invalid", file).await;
    let body = expect_json(response, StatusCode::OK).await;
    assert_eq!(body["created"], 2);
    assert_eq!(rejections(&body["rejected"]), rejected);
    assert_eq!(counts(&app).await, (2, 2, 2));
}

#[tokio::test]
async fn the_import_takes_a_csv_roster_within_its_size_limit() {
    let app = TestApp::builder()
        .with(|s| s.server.max_import_bytes = 2048)
        .spawn()
        .await;
    let admin = app.create_program("Riverside").await;
    let file = csv(&[row(1)]);
    let post = |content_type: &str, body: String| {
        app.request(Method::POST, "/api/v1/sponsors/import")
            .bearer_auth(&admin.token)
            .header("Content-Type", content_type)
            .body(body)
    };
    let json = post("application/json", file.clone()).send().await.unwrap();
    let problem = expect_problem(json, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    assert_eq!(problem["detail"], "Send `Content-Type: text/csv`.");
    let large = post("text/csv", file.repeat(10)).send().await.unwrap();
    let problem = expect_problem(large, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert!(problem["detail"].as_str().unwrap().contains("2048 bytes"));

    // A header that is not a roster's: nothing can be read, whatever the mode.
    for mode in ["all-or-nothing", "skip-invalid"] {
        let wrong = "external_id,email,colour\nR-1,a@example.org,blue\n".to_owned();
        let response = import(&app, &admin, mode, wrong).await;
        let problem = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        let rows = rejections(&problem["rows"]);
        assert_eq!(rows[0], (1, "colour".into(), "unknown_column".into()));
        assert_eq!(rows[1], (1, "display_name".into(), "missing_column".into()));
        assert_eq!(rows.len(), 1 + COLUMNS.len() - 2);
    }

    // The mode is checked before the body.
    for (query, field, code) in [
        ("mode=sometimes", "mode", "unknown_mode"),
        ("limit=5", "limit", "unknown_parameter"),
    ] {
        let response = app
            .request(Method::POST, &format!("/api/v1/sponsors/import?{query}"))
            .bearer_auth(&admin.token)
            .header("Content-Type", "application/json")
            .send()
            .await
            .unwrap();
        let problem = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem["errors"][0]["field"], field);
        assert_eq!(problem["errors"][0]["code"], code);
    }

    // Within the limit and of the right type, the default mode imports it.
    let response = post("text/csv; charset=utf-8", file).send().await.unwrap();
    assert_eq!(
        expect_json(response, StatusCode::OK).await,
        report(1, 0, 0, 0)
    );
}

/// `sponsor-match import sponsors FILE --program ID [--mode MODE]` on the test's database.
fn import_command(app: &TestApp, file: &std::path::Path, program: &str, mode: &str) -> Output {
    app.command()
        .args(["import", "sponsors"])
        .arg(file)
        .args(["--program", program, "--mode", mode])
        .env("APP__LOG__FILTER", "warn")
        .output()
        .unwrap()
}

#[tokio::test]
async fn the_command_line_imports_alike_and_prints_the_report() {
    let app = TestApp::spawn().await;
    let admin = app.create_program("Riverside").await;
    let program = admin.program_id.to_string();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("roster.csv");
    std::fs::write(&good, csv(&[row(1), row(2)])).unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, csv(&[with(row(3), "email", "nope"), row(4)])).unwrap();
    let stdout = |output: &Output| String::from_utf8_lossy(&output.stdout).into_owned();

    let first = import_command(&app, &good, &program, "all-or-nothing");
    assert!(first.status.success(), "{first:?}");
    assert!(
        stdout(&first)
            .starts_with("created 2, updated 0, unchanged 0, left to sponsor 0, rejected 0 (in "),
        "{}",
        stdout(&first)
    );
    let again = import_command(&app, &good, &program, "all-or-nothing");
    assert!(stdout(&again).starts_with("created 0, updated 0, unchanged 2,"));

    let refused = import_command(&app, &bad, &program, "all-or-nothing");
    assert!(!refused.status.success());
    let rejected_line = "line 2: email: invalid_email (must be a valid email address)";
    assert!(stdout(&refused).contains(rejected_line), "{refused:?}");
    assert_eq!(counts(&app).await.0, 2, "nothing written");
    let skipped = import_command(&app, &bad, &program, "skip-invalid");
    assert!(skipped.status.success());
    assert!(
        stdout(&skipped)
            .starts_with("created 1, updated 0, unchanged 0, left to sponsor 0, rejected 1")
    );
    assert!(stdout(&skipped).contains(rejected_line));

    // Invites from the command line have no inviting user; the audit trail names the job.
    let inviters: Vec<Option<String>> = app
        .db
        .run(|conn| Ok(invites::table.select(invites::created_by).load(conn)?))
        .await
        .unwrap();
    assert_eq!(inviters, [None, None, None]);
    let imports = audited_imports(&app).await;
    assert_eq!(imports.len(), 3, "{imports:?}");
    assert!(
        imports
            .iter()
            .all(|(kind, id, _)| kind == "service" && id == "import-sponsors")
    );

    let unknown = import_command(
        &app,
        &good,
        &uuid::Uuid::now_v7().to_string(),
        "skip-invalid",
    );
    assert!(!unknown.status.success());
}
