//! Reads of lists against the database, each with the statements it sends:
//! - the review queue's first page over 10,000 waiting seekers (the store's reads, the
//!   order and the page, as `GET /review-queue` does them);
//! - a sponsor's requests, a page of 50 (in its transaction, with its audit events, as
//!   `GET /sponsors/me/requests` does them);
//! - the cohort plan's database reads over the same 10,000 waiting seekers (waiting
//!   seekers with their facts, barred sponsors and consents, and the policy), without
//!   the plan itself.
//!
//! SQLite by default; `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test` for
//! PostgreSQL. BENCH_WAITING (default 10,000) sets the waiting seekers. The data is
//! written through the store functions; the reads run on one connection of their own.

mod support;

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use diesel::connection::{Connection, InstrumentationEvent};
use diesel::r2d2::ManageConnection;
use serde_json::json;
use sponsor_match::auth::{Principal, Role};
use sponsor_match::config::Settings;
use sponsor_match::domain::consent::{Consent, ConsentInput, DisclosedItem, RecipientClass};
use sponsor_match::domain::ids::{ApiKeyId, ProgramId, UserId};
use sponsor_match::domain::review::{self, ReviewSort};
use sponsor_match::domain::seeker::SeekerProfile;
use sponsor_match::domain::sponsor::SponsorProfile;
use sponsor_match::matching::hours::{ZoneCache, week_start};
use sponsor_match::store::audit::Actor;
use sponsor_match::store::matches::{self, By, Proposal};
use sponsor_match::store::{
    AnyConnection, ConnectionManager, Db, PageRequest, StoreError, Writer, accounts, check_ins,
    matching, seekers, sponsors, write_transaction,
};
use support::BenchDatabase;

/// The requests on a sponsor's page.
const REQUESTS: usize = 50;

struct Fixture {
    _database: BenchDatabase,
    settings: Settings,
    program: ProgramId,
    sponsor: UserId,
}

fn consent(signed_by: &str) -> Consent {
    let now = Utc::now();
    Consent::parse(
        ConsentInput {
            discloser: "Bench Program".into(),
            recipient_class: RecipientClass::CandidateSponsors,
            information: vec![
                DisclosedItem::Alias,
                DisclosedItem::Fellowships,
                DisclosedItem::Needs,
                DisclosedItem::Availability,
            ],
            purpose: "To find a peer sponsor in recovery".into(),
            signed_by: signed_by.into(),
            signed_at: now,
            expires_at: now + chrono::Duration::days(180),
            revocation_instructions: "Tell your case manager.".into(),
        },
        now,
    )
    .expect("consent")
}

/// The waiting seekers (`demo-data`'s), then one sponsor with a page of requests from
/// seekers that fit them.
fn fixture(waiting: usize) -> Fixture {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut settings = Settings::load(None).expect("settings");
    let database = BenchDatabase::create(&mut settings, "sm_reads").expect("database");
    let db = Db::connect(settings.database_url(), 2).expect("connect");
    runtime.block_on(db.migrate()).expect("migrate");
    let demo = runtime
        .block_on(sponsor_match::demo::fill(&db, 0, waiting, 11))
        .expect("waiting seekers");
    let program = demo.program;
    let sponsor = runtime
        .block_on(db.run(move |conn| write_transaction(conn, |conn| asked_sponsor(conn, program))))
        .expect("a sponsor's requests");
    Fixture {
        _database: database,
        settings,
        program,
        sponsor,
    }
}

/// Inputs written here are valid; a mistake in them stops the bench.
fn invalid(error: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("bench input: {error}"))
}

fn asked_sponsor(conn: &mut AnyConnection, program: ProgramId) -> Result<UserId, StoreError> {
    let today = Utc::now().date_naive();
    let user = accounts::create_user(
        conn,
        program,
        "asked@bench.example.org",
        "Sam",
        Role::Sponsor,
        "not a hash: nobody logs in".into(),
    )?;
    let sponsor = Actor {
        principal: Principal::User {
            id: user.id,
            program_id: program,
            role: Role::Sponsor,
        },
        request_id: "bench".into(),
    };
    let input = serde_json::from_value(json!({
        "alias": "Sam", "fellowships": ["aa", "na"], "sobriety_date": "2019-03-01",
        "gender": "woman", "sponsors": { "rule": "same_gender" }, "age_band": "40_49",
        "languages": ["en", "es"], "time_zone": "America/Chicago",
        "availability": { "mon": [18, 19, 20], "tue": [19, 20] },
        "meeting": { "phone": true, "video": true }, "capacity": 3,
        "attributes": ["supports_mat"], "contact": { "email": "sam@example.org" }
    }))
    .map_err(invalid)?;
    let (profile, contact) = SponsorProfile::parse(input, today, 5).map_err(invalid)?;
    sponsors::save_profile(conn, &sponsor, user.id, &profile, &contact, None)?;
    let portal = Actor {
        principal: Principal::Portal {
            key_id: ApiKeyId::new(),
            program_id: program,
        },
        request_id: "bench".into(),
    };
    let mut zones = ZoneCache::new(week_start(Utc::now()));
    for _ in 0..REQUESTS {
        let input = serde_json::from_value(json!({
            "alias": "Jo", "fellowships": ["aa"], "gender": "woman", "languages": ["en"],
            "time_zone": "America/Chicago", "availability": { "tue": [19, 20] },
            "meeting": { "video": true }, "needs": ["supports_mat"],
            "contact": { "email": "jo@example.org" }
        }))
        .map_err(invalid)?;
        let (profile, contact) = SeekerProfile::parse(input, today).map_err(invalid)?;
        let seeker = seekers::create(conn, &portal, &profile, &contact)?;
        seekers::record_consent(conn, &portal, seeker.id, &consent("Jo"))?;
        let no_ranking = |_: &sponsor_match::matching::score::Query, _: usize| Vec::new();
        let proposal = Proposal {
            chosen: Some(user.id),
            zones: &mut zones,
            today,
            rank: &no_ranking,
        };
        matches::propose(conn, By::Caller(&portal), program, seeker.id, proposal)?;
    }
    Ok(user.id)
}

/// The statements `work` sends.
fn statements(conn: &mut AnyConnection, work: impl FnOnce(&mut AnyConnection)) -> usize {
    let sent = Arc::new(AtomicUsize::new(0));
    let count = sent.clone();
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { .. } = event {
            count.fetch_add(1, Ordering::Relaxed);
        }
    });
    work(conn);
    conn.set_instrumentation(|_: InstrumentationEvent<'_>| {});
    sent.load(Ordering::Relaxed)
}

fn reads(c: &mut Criterion) {
    let waiting: usize = std::env::var("BENCH_WAITING")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let fixture = fixture(waiting);
    let backend = fixture._database.backend();
    let mut conn = ConnectionManager::new(
        fixture.settings.database_url(),
        std::time::Duration::from_secs(10),
    )
    .expect("URL")
    .connect()
    .expect("connection");
    let program = fixture.program;
    let schedule = fixture.settings.check_ins.schedule().expect("schedule");
    let sponsor = fixture.sponsor;
    let actor = Actor {
        principal: Principal::User {
            id: sponsor,
            program_id: program,
            role: Role::Sponsor,
        },
        request_id: "bench".into(),
    };

    let queue_page = |conn: &mut AnyConnection| {
        let today = Utc::now().date_naive();
        let mut items = matches::review_queue(conn, program, today).expect("queue");
        items.extend(check_ins::concerns(conn, program, &schedule).expect("concerns"));
        let total = items.len();
        review::order(&mut items, ReviewSort::default());
        items.truncate(50);
        (total, items)
    };
    let requests_page = |conn: &mut AnyConnection| {
        // A page of 50 reads 51: the last tells whether another page follows.
        let page = PageRequest {
            after: None,
            limit: REQUESTS as i64 + 1,
        };
        matches::sponsor_requests(conn, &Writer::alone(), &actor, sponsor, page).expect("requests")
    };
    let plan_reads = |conn: &mut AnyConnection| {
        let mut zones = ZoneCache::new(week_start(Utc::now()));
        let waiting = matches::waiting_seekers(conn, program, &mut zones).expect("waiting");
        let policy = matching::get_policy(conn, program).expect("policy");
        (waiting.len(), policy.version)
    };

    let (total, _) = queue_page(&mut conn);
    assert_eq!(total, waiting, "every waiting seeker is in the queue");
    assert_eq!(requests_page(&mut conn).len(), REQUESTS);
    eprintln!(
        "{backend}: review queue first page of {total}: {} statements; a sponsor's {REQUESTS} \
         requests: {} statements; cohort plan's reads of {} waiting: {} statements",
        statements(&mut conn, |conn| {
            queue_page(conn);
        }),
        statements(&mut conn, |conn| {
            requests_page(conn);
        }),
        plan_reads(&mut conn).0,
        statements(&mut conn, |conn| {
            plan_reads(conn);
        }),
    );

    let mut group = c.benchmark_group(format!("reads {backend}"));
    group.sample_size(20);
    group.bench_function(format!("review queue first page of {waiting}"), |b| {
        b.iter(|| black_box(queue_page(&mut conn)))
    });
    group.bench_function(format!("sponsor requests page of {REQUESTS}"), |b| {
        b.iter(|| black_box(requests_page(&mut conn)))
    });
    group.sample_size(10);
    group.bench_function(format!("cohort plan reads of {waiting} waiting"), |b| {
        b.iter(|| black_box(plan_reads(&mut conn)))
    });
    group.finish();
}

criterion_group!(benches, reads);
criterion_main!(benches);
