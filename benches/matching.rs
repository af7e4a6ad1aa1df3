//! Rank index speed and memory: top-10 for one seeker over 10k, 100k and 1M sponsors,
//! single-threaded, against the brute-force reference on the smallest pool.
//!
//! `cargo bench --bench matching`

use std::hint::black_box;
use std::time::Instant;

use chrono::{NaiveDate, TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use sponsor_match::domain::seeker::SeekerProfile;
use sponsor_match::domain::sponsor::SponsorProfile;
use sponsor_match::matching::facts::{SeekerFacts, SponsorFacts, day_number};
use sponsor_match::matching::hours::ZoneCache;
use sponsor_match::matching::index::RankIndex;
use sponsor_match::matching::policy::MatchingPolicy;
use sponsor_match::matching::population::Population;
use sponsor_match::matching::score::{Query, rank_all};

fn population(size: usize, today: NaiveDate, zones: &mut ZoneCache) -> Vec<SponsorFacts> {
    let mut population = Population::new(42, today);
    (0..size)
        .map(|_| {
            let s = population.sponsor();
            let (profile, _) = SponsorProfile::parse(s.profile, today, 5).expect("valid sponsor");
            SponsorFacts::from_profile(s.id, &profile, s.load, zones)
        })
        .collect()
}

fn seekers(today: NaiveDate, zones: &mut ZoneCache) -> Vec<SeekerFacts> {
    let mut population = Population::new(7, today);
    (0..256)
        .map(|_| {
            let (profile, _) =
                SeekerProfile::parse(population.seeker(), today).expect("valid seeker");
            SeekerFacts::from_profile(&profile, zones)
        })
        .collect()
}

fn top_10(c: &mut Criterion) {
    let today = NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
    let mut zones = ZoneCache::new(Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap());
    let seekers = seekers(today, &mut zones);
    let policy = MatchingPolicy::default();
    let day = day_number(today);
    let query_for = |seeker| Query {
        seeker,
        policy: &policy,
        today: day,
        excluded: &[],
    };
    let mut group = c.benchmark_group("top_10");
    for size in [10_000usize, 100_000, 1_000_000] {
        let pool = population(size, today, &mut zones);
        let started = Instant::now();
        let index = RankIndex::build(pool.clone());
        let built = started.elapsed();
        let found: usize = seekers
            .iter()
            .map(|seeker| {
                let query = query_for(seeker);
                index.top_k(&query, 10).len()
            })
            .sum();
        eprintln!(
            "{size} sponsors: index {:.1} bytes/sponsor, built from facts in {:.0} ms, {:.1} candidates per seeker",
            index.column_bytes() as f64 / size as f64,
            built.as_secs_f64() * 1e3,
            found as f64 / seekers.len() as f64,
        );
        group.sample_size(if size >= 1_000_000 { 20 } else { 50 });
        let mut next = 0;
        group.bench_with_input(BenchmarkId::new("index", size), &index, |b, index| {
            b.iter(|| {
                next = (next + 1) % seekers.len();
                let query = query_for(&seekers[next]);
                black_box(index.top_k(&query, 10))
            })
        });
        if size == 10_000 {
            group.bench_with_input(BenchmarkId::new("brute_force", size), &pool, |b, pool| {
                b.iter(|| {
                    next = (next + 1) % seekers.len();
                    let query = query_for(&seekers[next]);
                    black_box(rank_all(&query, pool, 10))
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, top_10);
criterion_main!(benches);
