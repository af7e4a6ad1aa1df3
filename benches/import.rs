//! Rows per second through a roster import: N synthetic sponsors (the population of
//! `src/matching/population.rs`) written as a roster file, imported into a fresh
//! database as `sponsor-match import sponsors` does (all-or-nothing, so every row is
//! also checked against the database first), then the same file again.
//!
//! `cargo bench --bench import` runs on SQLite in a temporary directory; with
//! BENCH_DATABASE_URL (PostgreSQL) a database is created there and dropped after.
//! BENCH_ROWS (default 100,000) sets N.

use std::time::Instant;

use chrono::Utc;
use serde::Serialize;
use sponsor_match::config::Settings;
use sponsor_match::domain::roster::{self, COLUMNS, ImportMode};
use sponsor_match::domain::sponsor::SponsorProfileInput;
use sponsor_match::domain::values::GenderRule;
use sponsor_match::matching::population::Population;
use sponsor_match::service::roster::import_sponsors;
use sponsor_match::store::roster::Importer;
use sponsor_match::store::{Db, accounts, write_transaction};
use support::BenchDatabase;

mod support;

/// A value as the API names it: `aa`, `non_binary`.
fn name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn list<T: Serialize>(values: &[T]) -> String {
    values.iter().map(name).collect::<Vec<_>>().join(";")
}

/// The roster row of a profile, in the order of `COLUMNS`.
fn row(n: usize, profile: &SponsorProfileInput) -> Vec<String> {
    let sponsors = match &profile.sponsors {
        GenderRule::Listed { genders } => list(genders),
        rule => name(rule),
    };
    let availability = profile
        .availability
        .iter()
        .map(|(day, hours)| {
            let hours: Vec<String> = hours.iter().map(u8::to_string).collect();
            format!("{day}:{}", hours.join(","))
        })
        .collect::<Vec<_>>()
        .join(";");
    let meeting = &profile.meeting;
    let modes: Vec<&str> = [
        (meeting.phone, "phone"),
        (meeting.video, "video"),
        (meeting.in_person.is_some(), "in_person"),
    ]
    .into_iter()
    .filter_map(|(on, mode)| on.then_some(mode))
    .collect();
    let area = |f: fn(&sponsor_match::domain::values::InPersonAreaSpec) -> f64| {
        meeting
            .in_person
            .as_ref()
            .map(|a| f(a).to_string())
            .unwrap_or_default()
    };
    vec![
        format!("S-{n}"),
        format!("sponsor-{n}@bench.example.org"),
        profile.alias.clone(),
        profile.alias.clone(),
        list(&profile.fellowships),
        profile.sobriety_date.to_string(),
        name(&profile.gender),
        sponsors,
        profile.age_band.as_ref().map(name).unwrap_or_default(),
        profile.languages.join(";"),
        profile.time_zone.clone(),
        availability,
        modes.join(";"),
        area(|a| a.latitude),
        area(|a| a.longitude),
        area(|a| a.radius_km),
        profile.capacity.to_string(),
        list(&profile.attributes),
        name(&profile.status),
        profile.contact.email.clone().unwrap_or_default(),
        profile.contact.phone.clone().unwrap_or_default(),
    ]
}

fn roster_file(rows: usize) -> anyhow::Result<Vec<u8>> {
    let mut population = Population::new(42, Utc::now().date_naive());
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(COLUMNS)?;
    for n in 0..rows {
        writer.write_record(row(n, &population.sponsor().profile))?;
    }
    Ok(writer.into_inner()?)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `cargo bench` passes --bench; nothing else is taken.
    let rows: usize = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let mut settings = Settings::load(None)?;
    let database = BenchDatabase::create(&mut settings, "sm_import")?;
    let secrets = settings.secrets()?;
    let db = Db::connect(settings.database_url(), 2)?;
    db.migrate().await?;
    let (program, _) = db
        .run(|conn| {
            write_transaction(conn, |conn| {
                accounts::create_program_with_admin(
                    conn,
                    "bench",
                    "Bench Program",
                    "admin@bench.example.org",
                    "Bench Admin",
                    String::new(),
                )
            })
        })
        .await?;

    let file = roster_file(rows)?;
    let started = Instant::now();
    let read = roster::parse(&file, Utc::now().date_naive(), 5).expect("a roster");
    let reading = started.elapsed();
    assert!(read.rejected.is_empty(), "{:?}", &read.rejected[..1]);
    let backend = database.backend();
    for run in ["import", "again"] {
        let started = Instant::now();
        let report = import_sponsors(
            &db,
            &settings,
            &secrets,
            Importer::Operator(program),
            file.clone(),
            ImportMode::AllOrNothing,
            &(),
        )
        .await?;
        let elapsed = started.elapsed().as_secs_f64();
        println!(
            "roster {run}: {rows} rows ({:.1} MB) into {backend} in {elapsed:.2} s = {:.0} rows/s \
             (created {}, unchanged {}; reading and checking the file alone {:.2} s; {} cores)",
            file.len() as f64 / 1e6,
            rows as f64 / elapsed,
            report.created,
            report.unchanged,
            reading.as_secs_f64(),
            std::thread::available_parallelism().map_or(0, |n| n.get()),
        );
    }
    Ok(())
}
