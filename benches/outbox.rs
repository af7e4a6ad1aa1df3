//! Emails per second through the outbox: M sponsor requests queued by real proposals,
//! then delivered by one outbox worker over SMTP to a real server on loopback
//! (mailin-embedded), each rendered from the database at delivery as in production.
//!
//! `cargo bench --bench outbox` runs on SQLite in a temporary directory; with
//! BENCH_DATABASE_URL (PostgreSQL) a database is created there and dropped after.
//! BENCH_MESSAGES (default 2,000) sets M.

use std::net::{IpAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mailin_embedded::{Handler, Response, Server, SslConfig, response};
use sponsor_match::config::{EmailTransport, Settings, SmtpSecurity};
use sponsor_match::delivery::worker::Worker;
use sponsor_match::pool::SponsorPool;
use sponsor_match::store::matches::{self, By, Proposal};
use sponsor_match::store::{Db, write_transaction};
use support::BenchDatabase;

mod support;

/// Counts what arrives.
#[derive(Clone)]
struct Counter(Arc<AtomicUsize>);

impl Handler for Counter {
    fn helo(&mut self, _ip: IpAddr, _domain: &str) -> Response {
        response::OK
    }

    fn data_end(&mut self) -> Response {
        self.0.fetch_add(1, Ordering::SeqCst);
        response::OK
    }
}

fn smtp_server(counter: Counter) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("bound").port();
    let mut server = Server::new(counter);
    server
        .with_name("bench.test")
        .with_num_threads(128)
        .with_ssl(SslConfig::None)
        .expect("no TLS")
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        if let Err(error) = server.serve() {
            panic!("SMTP server stopped: {error}");
        }
    });
    port
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `cargo bench` passes --bench; nothing else is taken.
    let messages: usize = std::env::var("BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let mut settings = Settings::load(None)?;
    let database = BenchDatabase::create(&mut settings, "sm_outbox")?;
    let counter = Counter(Arc::new(AtomicUsize::new(0)));
    settings.email.transport = EmailTransport::Smtp;
    settings.email.smtp.host = "127.0.0.1".into();
    settings.email.smtp.port = smtp_server(counter.clone());
    settings.email.smtp.security = SmtpSecurity::None;

    let db = Db::connect(settings.database_url(), 8)?;
    db.migrate().await?;
    let demo = sponsor_match::demo::fill(&db, messages / 2, messages, 7).await?;
    let pool = Arc::new(SponsorPool::load(&db).await?);
    let program = demo.program;
    let seekers: Vec<sponsor_match::domain::ids::SeekerId> = db
        .run(move |conn| {
            use diesel::prelude::*;
            use sponsor_match::store::schema::seekers;
            Ok(seekers::table.select(seekers::id).load(conn)?)
        })
        .await?;
    let mut zones = pool.zones();
    let ranking = pool.clone();
    let queued = db
        .run(move |conn| {
            let rank = |query: &sponsor_match::matching::score::Query, k: usize| {
                ranking.ranked_ids(query, k)
            };
            let mut queued = 0;
            for seeker in seekers {
                let by = By::Service {
                    on_behalf_of: None,
                    job: "bench",
                };
                let proposal = Proposal {
                    chosen: None,
                    zones: &mut zones,
                    today: chrono::Utc::now().date_naive(),
                    rank: &rank,
                };
                if write_transaction(conn, |conn| {
                    matches::propose(conn, by, program, seeker, proposal)
                })
                .is_ok()
                {
                    queued += 1;
                }
            }
            Ok(queued)
        })
        .await?;

    let secrets = settings.secrets()?;
    let worker = Worker::new(&settings, &secrets, db.clone())?;
    let started = Instant::now();
    while counter.0.load(Ordering::SeqCst) < queued {
        worker.deliver_due().await?;
        if started.elapsed() > Duration::from_secs(600) {
            anyhow::bail!("not delivered in 10 minutes");
        }
    }
    let elapsed = started.elapsed();
    println!(
        "outbox: {queued} emails over SMTP on loopback in {:.2} s = {:.0} emails/s ({}, one worker, {} in flight, {} cores)",
        elapsed.as_secs_f64(),
        queued as f64 / elapsed.as_secs_f64(),
        database.backend(),
        settings.outbox.in_flight,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    Ok(())
}
