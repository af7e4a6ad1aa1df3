//! Set-based reads: the statements a read runs do not grow with its rows. Each read is
//! run through the store on a connection of the test's database that counts what it
//! sends, once with 3 seekers of each kind and again with 30.

use std::sync::{Arc, Mutex};

use chrono::Utc;
use diesel::connection::{Connection, InstrumentationEvent};
use diesel::r2d2::ManageConnection;
use serde_json::json;
use sponsor_match::auth::{Principal, Role};
use sponsor_match::matching::hours::{ZoneCache, week_start};
use sponsor_match::store::audit::Actor;
use sponsor_match::store::{
    AnyConnection, ConnectionManager, PageRequest, Writer, check_ins, matches, matching,
};

use crate::helpers::{Caller, TestApp, expect_json};
use crate::journey::{Program, consenting_seeker, program, propose_to, step};

/// Adds `count` seekers of each kind the reads show: one who waits again after the
/// sponsor declined (a barred sponsor), one whose request waits for the sponsor, one
/// who waits without consent.
async fn add_seekers(app: &TestApp, p: &Program, sponsor: &Caller, count: usize) {
    for _ in 0..count {
        let declined = consenting_seeker(app, &p.portal).await;
        let request = propose_to(app, &p.portal, &declined, sponsor).await;
        let reason = json!({ "reason": "schedule_conflict" });
        let id = request["id"].as_str().expect("id");
        let answer = step(app, sponsor, id, "sponsor-decline", reason).await;
        expect_json(answer, reqwest::StatusCode::OK).await;
        let asked = consenting_seeker(app, &p.portal).await;
        propose_to(app, &p.portal, &asked, sponsor).await;
        app.create_seeker(&p.portal).await;
    }
}

/// The SQL of the statements `work` sends.
fn statements<T>(
    conn: &mut AnyConnection,
    work: impl FnOnce(&mut AnyConnection) -> T,
) -> (T, Vec<String>) {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let log = sent.clone();
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            log.lock().expect("log").push(query.to_string());
        }
    });
    let value = work(conn);
    conn.set_instrumentation(|_: InstrumentationEvent<'_>| {});
    let sent = std::mem::take(&mut *sent.lock().expect("log"));
    (value, sent)
}

/// Each read's name, the rows it returned and the statements it sent.
type Counted = Vec<(&'static str, usize, Vec<String>)>;

async fn count_reads(app: &TestApp, p: &Program, sponsor: &Caller) -> Counted {
    let url = app.settings().database_url().to_owned();
    let schedule = app.settings().check_ins.schedule().expect("schedule");
    let program = p.admin.program_id;
    let sponsor_id = sponsor.user_id.expect("a person");
    let actor = Actor {
        principal: Principal::User {
            id: sponsor_id,
            program_id: sponsor.program_id,
            role: Role::Sponsor,
        },
        request_id: "statement-count".into(),
    };
    tokio::task::spawn_blocking(move || {
        let mut conn = ConnectionManager::new(&url, std::time::Duration::from_secs(10))
            .expect("URL")
            .connect()
            .expect("connection");
        let mut zones = ZoneCache::new(week_start(Utc::now()));
        let mut counted = Counted::new();
        let (waiting, sent) = statements(&mut conn, |conn| {
            matches::waiting_seekers(conn, program, &mut zones).expect("waiting seekers")
        });
        counted.push(("waiting seekers", waiting.len(), sent));
        let (queue, sent) = statements(&mut conn, |conn| {
            let mut items = matches::review_queue(conn, program, Utc::now().date_naive())
                .expect("review queue");
            items.extend(check_ins::concerns(conn, program, &schedule).expect("concerns"));
            items
        });
        counted.push(("review queue", queue.len(), sent));
        // As the handler reads them: with their audit events, committed by the read log.
        let page = PageRequest {
            after: None,
            limit: 200,
        };
        let writer = Writer::alone();
        let (requests, sent) = statements(&mut conn, |conn| {
            matches::sponsor_requests(conn, &writer, &actor, sponsor_id, page)
                .expect("sponsor requests")
        });
        counted.push(("sponsor requests", requests.len(), sent));
        let (waiting, sent) = statements(&mut conn, |conn| {
            let waiting =
                matches::waiting_seekers(conn, program, &mut zones).expect("waiting seekers");
            matching::get_policy(conn, program).expect("policy");
            waiting
        });
        counted.push(("cohort plan's reads", waiting.len(), sent));
        counted
    })
    .await
    .expect("reads")
}

#[tokio::test]
async fn reads_send_as_many_statements_for_thirty_seekers_as_for_three() {
    let app = TestApp::spawn().await;
    let p = program(&app).await;
    let sponsor = app.add_sponsor(&p.admin, |_| {}).await;

    add_seekers(&app, &p, &sponsor, 3).await;
    let few = count_reads(&app, &p, &sponsor).await;
    add_seekers(&app, &p, &sponsor, 27).await;
    let many = count_reads(&app, &p, &sponsor).await;

    for ((read, few_rows, few_sent), (_, many_rows, many_sent)) in few.iter().zip(&many) {
        // The data grew tenfold: a read sending the same statements is not reading less.
        assert_eq!(many_rows, &(few_rows * 10), "{read}: rows");
        assert!(!few_sent.is_empty(), "{read}: nothing counted");
        assert_eq!(
            few_sent.len(),
            many_sent.len(),
            "{read}: statements for 3 seekers of each kind, then 30:\n{few_sent:#?}\n{many_sent:#?}"
        );
    }
}
