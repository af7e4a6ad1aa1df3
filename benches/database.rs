//! The rank index against the database it is built from, on PostgreSQL:
//! - building the index from N sponsor rows (the service's own start-up path);
//! - top-10 for one seeker from the index, against the same filters and formula written
//!   as one SQL query (what a team without an engine would write), over the same N
//!   sponsors in a natively typed table (bit masks, arrays, three 64-bit hour words).
//!
//! Needs a PostgreSQL server: `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test
//! cargo bench --bench database`; BENCH_SPONSORS (default 1,000,000) sets N. A database
//! is created for the run and dropped after.

use std::hint::black_box;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use sponsor_match::domain::seeker::SeekerProfile;
use sponsor_match::domain::sponsor::{SponsorProfile, SponsorStatus};
use sponsor_match::matching::facts::{
    IN_PERSON, REMOTE, SeekerFacts, SponsorFacts, day_number, gender_bit,
};
use sponsor_match::matching::hours::ZoneCache;
use sponsor_match::matching::policy::MatchingPolicy;
use sponsor_match::matching::population::Population;
use sponsor_match::matching::score::Query;
use sponsor_match::pool::SponsorPool;
use sponsor_match::store::Db;

const PROGRAM: &str = "00000000-0000-7000-8000-000000000001";

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

struct Fixture {
    admin_url: String,
    name: String,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin_url) {
            let _ = conn.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// Rows for the service's tables and for the reference table, from one population.
fn load(
    conn: &mut PgConnection,
    size: usize,
    today: NaiveDate,
    zones: &mut ZoneCache,
) -> Vec<SponsorFacts> {
    conn.batch_execute(&format!(
        "INSERT INTO programs (id, name, max_sponsor_capacity, created_at) VALUES ('{PROGRAM}', 'Bench', 5, now());
         CREATE TABLE reference_sponsors (
             id uuid PRIMARY KEY, active boolean NOT NULL, fellowships integer NOT NULL,
             languages text[] NOT NULL, gender integer NOT NULL, accepts integer NOT NULL,
             age_band integer NOT NULL, attributes integer NOT NULL, modes integer NOT NULL,
             latitude real, longitude real, radius_km double precision,
             sober_since integer NOT NULL, capacity integer NOT NULL, load integer NOT NULL,
             h0 bigint NOT NULL, h1 bigint NOT NULL, h2 bigint NOT NULL);"
    ))
    .expect("schema");
    let mut population = Population::new(42, today);
    let mut facts = Vec::with_capacity(size);
    let started = Instant::now();
    for chunk in 0..size.div_ceil(2000) {
        let count = 2000.min(size - chunk * 2000);
        let (mut users, mut profiles, mut reference) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..count {
            let synthetic = population.sponsor();
            let id = uuid::Uuid::now_v7();
            let (p, _contact) = SponsorProfile::parse(synthetic.profile, today, 5).expect("valid");
            let f = SponsorFacts::from_profile(id, &p, 0, zones);
            users.push(format!(
                "('{id}', '{PROGRAM}', 'sponsor-{id}@bench.example.org', 'Sponsor', 'sponsor', 'x', 'active', 1, now(), now())"
            ));
            let area = p.meeting.in_person;
            let number = |v: Option<f64>| v.map_or("NULL".to_owned(), |v| v.to_string());
            profiles.push(format!(
                "('{id}', '{PROGRAM}', {}, {}, '{}', {}, {}, {}, {}, {}, '{}', {}, {}, {}, {}, {}, {}, {}, {}, 1, now(), now())",
                quote(p.alias.as_str()),
                quote(&serde_json::to_string(&p.fellowships).unwrap()),
                p.sobriety_date.date(),
                quote(serde_json::to_value(p.gender).unwrap().as_str().unwrap()),
                quote(&serde_json::to_string(&p.sponsors).unwrap()),
                p.age_band.map_or("NULL".to_owned(), |b| quote(serde_json::to_value(b).unwrap().as_str().unwrap())),
                quote(&serde_json::to_string(&p.languages).unwrap()),
                quote(p.time_zone.name()),
                p.availability.to_hex(),
                p.meeting.phone,
                p.meeting.video,
                number(area.map(|a| a.center.latitude)),
                number(area.map(|a| a.center.longitude)),
                number(area.map(|a| a.radius_km)),
                p.capacity.get(),
                quote(&serde_json::to_string(&p.attributes).unwrap()),
                quote(if p.status == SponsorStatus::Active { "active" } else { "paused" }),
            ));
            let languages: Vec<String> = f
                .languages
                .iter()
                .map(|l| format!("\"{}\"", l.as_str()))
                .collect();
            reference.push(format!(
                "('{id}', {}, {}, '{{{}}}', {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
                f.active,
                f.fellowships,
                languages.join(","),
                gender_bit(f.gender),
                f.accepts,
                f.age_band.map_or(0, |b| 1 << b as u8),
                f.attributes,
                f.modes,
                f.area.map_or("NULL".to_owned(), |a| a.latitude.to_string()),
                f.area.map_or("NULL".to_owned(), |a| a.longitude.to_string()),
                f.area.map_or("NULL".to_owned(), |a| a.radius_km().to_string()),
                f.sober_since,
                f.capacity,
                f.load,
                f.hours.0[0] as i64,
                f.hours.0[1] as i64,
                f.hours.0[2] as i64,
            ));
            facts.push(f);
        }
        conn.batch_execute(&format!(
            "INSERT INTO users VALUES {};
             INSERT INTO sponsor_profiles (user_id, program_id, alias, fellowships, sobriety_date, gender, sponsors_genders, age_band, languages, time_zone, availability, meets_by_phone, meets_by_video, in_person_latitude, in_person_longitude, in_person_radius_km, capacity, attributes, status, version, created_at, updated_at) VALUES {};
             INSERT INTO reference_sponsors VALUES {};",
            users.join(","),
            profiles.join(","),
            reference.join(",")
        ))
        .expect("insert");
    }
    conn.batch_execute("ANALYZE").expect("analyze");
    eprintln!(
        "loaded {size} sponsors in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    facts
}

#[derive(QueryableByName)]
struct Ranked {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
}

/// The reference: the index's filters and formula as one SQL query.
fn sql_top_10(seeker: &SeekerFacts, policy: &MatchingPolicy, today: u16) -> String {
    let w = &policy.weights;
    let seeker_hours = seeker.hours.count().max(1);
    let languages = seeker
        .languages
        .iter()
        .map(|l| format!("\"{}\"", l.as_str()))
        .collect::<Vec<_>>()
        .join(",");
    let (lat, lon, radius) = seeker.area.map_or((0.0, 0.0, 0.0), |a| {
        (f64::from(a.latitude), f64::from(a.longitude), a.radius_km())
    });
    let in_person = seeker.modes & IN_PERSON != 0 && seeker.area.is_some();
    let p = &seeker.preferences;
    let asked = p.attributes.count_ones() + p.modes.count_ones() + u32::from(p.age_bands != 0);
    let distance_applies = seeker.modes & IN_PERSON != 0;
    let total = w.sobriety
        + w.availability
        + w.load
        + if asked > 0 { w.preferences } else { 0.0 }
        + if distance_applies { w.distance } else { 0.0 };
    format!(
        "WITH c AS (
           SELECT id, sober_since, load, capacity, attributes, age_band, modes, radius_km,
             h0 & {h0} AS s0, h1 & {h1} AS s1, h2 & {h2} AS s2,
             CASE WHEN {in_person} AND modes & {IN_PERSON} <> 0 AND latitude IS NOT NULL THEN
               2 * 6371.0088 * asin(least(1, sqrt(
                 power(sin((radians(latitude::float8) - radians({lat}::real::float8)) / 2), 2)
                 + cos(radians({lat}::real::float8)) * cos(radians(latitude::float8))
                 * power(sin((radians(longitude::float8) - radians({lon}::real::float8)) / 2), 2))))
             END AS km
           FROM reference_sponsors
           WHERE active AND fellowships & {fellowships} <> 0 AND load < capacity
             AND languages && '{{{languages}}}'::text[]
             AND accepts & {gender} <> 0 AND gender & {accepts} <> 0
             AND {today} - sober_since >= {min} AND attributes & {needs} = {needs}
         ), f AS (
           SELECT *, km IS NOT NULL AND km <= least(radius_km, {radius}) AS near,
             least(radius_km, {radius}) AS reach
           FROM c WHERE modes & {remote} <> 0 OR (km IS NOT NULL AND km <= least(radius_km, {radius}))
         )
         SELECT id::text AS id FROM (
           SELECT id, (
             {ws} * (1 - power(0.5, ({today} - sober_since)::float8 / {half}))
             + {wa} * (bit_count(s0::bit(64)) + bit_count(s1::bit(64)) + bit_count(s2::bit(64)))::float8 / {seeker_hours}
             + CASE WHEN {asked} > 0 THEN {wp} * (
                 bit_count((attributes & {pa})::bit(32)) + bit_count((((modes & {remote} & {seeker_modes}) | CASE WHEN near THEN {IN_PERSON} ELSE 0 END) & {pm})::bit(32))
                 + CASE WHEN {pb} <> 0 AND age_band & {pb} <> 0 THEN 1 ELSE 0 END)::float8 / {asked_nonzero}
               ELSE 0 END
             + CASE WHEN {distance_applies} THEN {wd} * CASE WHEN near AND reach > 0 THEN greatest(0, least(1, 1 - km / reach)) ELSE 0 END ELSE 0 END
             + {wl} * (1 - least(load, capacity)::float8 / greatest(capacity, 1))
           ) / {total} AS score FROM f
         ) s ORDER BY score DESC, id LIMIT 10",
        h0 = seeker.hours.0[0] as i64,
        h1 = seeker.hours.0[1] as i64,
        h2 = seeker.hours.0[2] as i64,
        fellowships = seeker.fellowships,
        gender = gender_bit(seeker.gender),
        accepts = seeker.accepts,
        min = policy.min_sobriety_days,
        needs = seeker.needs,
        remote = seeker.modes & REMOTE,
        seeker_modes = seeker.modes,
        half = policy.sobriety_half_life_days.max(1),
        ws = w.sobriety,
        wa = w.availability,
        wp = w.preferences,
        wd = w.distance,
        wl = w.load,
        pa = p.attributes,
        pm = p.modes,
        pb = p.age_bands,
        asked_nonzero = asked.max(1),
    )
}

fn against_sql(c: &mut Criterion) {
    let admin_url = std::env::var("BENCH_DATABASE_URL")
        .expect("set BENCH_DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/test");
    let size: usize = std::env::var("BENCH_SPONSORS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let fixture = Fixture {
        name: format!("sm_bench_{}", uuid::Uuid::now_v7().simple()),
        admin_url: admin_url.clone(),
    };
    PgConnection::establish(&admin_url)
        .expect("PostgreSQL")
        .batch_execute(&format!("CREATE DATABASE {}", fixture.name))
        .expect("create database");
    let (base, _) = admin_url.rsplit_once('/').expect("URL names a database");
    let url = format!("{base}/{}", fixture.name);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let db = Db::connect(&url, 2).expect("db");
    runtime.block_on(db.migrate()).expect("migrate");
    let mut conn = PgConnection::establish(&url).expect("connect");

    let today = Utc::now().date_naive();
    let pool = runtime.block_on(async {
        // Same week as the pool will use.
        let mut zones = ZoneCache::new(sponsor_match::matching::hours::week_start(Utc::now()));
        let facts = load(&mut conn, size, today, &mut zones);
        drop(facts);
        let started = Instant::now();
        let pool = SponsorPool::load(&db).await.expect("pool");
        eprintln!(
            "built the rank index from {} database rows in {:.2} s",
            pool.len(),
            started.elapsed().as_secs_f64()
        );
        pool
    });
    let mut zones = pool.zones();
    let mut population = Population::new(7, today);
    let seekers: Vec<SeekerFacts> = (0..32)
        .map(|_| {
            let (p, _) = SeekerProfile::parse(population.seeker(), today).expect("seeker");
            SeekerFacts::from_profile(&p, &mut zones)
        })
        .collect();
    let policy = MatchingPolicy::default();
    let day = day_number(today);

    // Same answers, or the comparison means nothing.
    let mut agree = 0;
    for seeker in &seekers {
        let query = Query {
            seeker,
            policy: &policy,
            today: day,
            excluded: &[],
        };
        let index: Vec<String> = pool
            .top_k(&query, 10)
            .into_iter()
            .map(|(id, _)| id.to_string())
            .collect();
        let sql: Vec<String> = diesel::sql_query(sql_top_10(seeker, &policy, day))
            .load::<Ranked>(&mut conn)
            .expect("reference query")
            .into_iter()
            .map(|r| r.id)
            .collect();
        agree += usize::from(index == sql);
    }
    eprintln!(
        "index and SQL gave the same top 10 for {agree} of {} seekers",
        seekers.len()
    );

    let mut group = c.benchmark_group(format!("top_10_of_{size}"));
    group.sample_size(10);
    let mut next = 0;
    group.bench_function("index", |b| {
        b.iter(|| {
            next = (next + 1) % seekers.len();
            let query = Query {
                seeker: &seekers[next],
                policy: &policy,
                today: day,
                excluded: &[],
            };
            black_box(pool.top_k(&query, 10))
        })
    });
    group.bench_function("postgresql", |b| {
        b.iter(|| {
            next = (next + 1) % seekers.len();
            black_box(
                diesel::sql_query(sql_top_10(&seekers[next], &policy, day))
                    .load::<Ranked>(&mut conn)
                    .expect("reference query"),
            )
        })
    });
    group.finish();
    drop(conn);
    drop(db);
    drop(fixture);
}

criterion_group!(benches, against_sql);
criterion_main!(benches);
