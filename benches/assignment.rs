//! Cohort assignment speed: `optimal` and `stable` on seeded random cohorts,
//! single-threaded. 2,000 seekers × 5,000 sponsors with 30% of pairs feasible, and
//! 10,000 × 50,000 with 5%; each sponsor has 1 to 3 free slots, scores are uniform.
//!
//! `cargo bench --bench assignment`. With ASSIGNMENT_EXPORT_DIR set, the first cohort is
//! also written there for `scripts/bench-assignment.sh` to solve with scipy:
//! `scores.npy` (dense, 0 for an infeasible pair), `capacities.npy`, and `rust.json`
//! (the optimal total and the median time of `optimal` over 5 runs, timed here).

use std::fs::File;
use std::hint::black_box;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sponsor_match::matching::assignment::{Assignment, Problem, Sponsor, optimal, stable};

/// A random cohort: each pair feasible with probability `density`, its score uniform in
/// [0, 1); 1 to 3 free slots per sponsor.
fn cohort(seekers: usize, sponsors: usize, density: f64, seed: u64) -> Problem {
    let mut rng = StdRng::seed_from_u64(seed);
    let capacities = (0..sponsors).map(|_| rng.gen_range(1..=3)).collect();
    // The gap to the next feasible pair is geometric: the same as tossing a coin per
    // pair, without tossing 500 million. Rows are made one at a time, as they are read.
    let log_infeasible = (1.0 - density).ln();
    let rows = (0..seekers).map(|_| {
        let mut row: Vec<(Sponsor, f64)> = Vec::new();
        let mut sponsor = 0;
        loop {
            let uniform: f64 = rng.gen_range(f64::EPSILON..=1.0);
            sponsor += (uniform.ln() / log_infeasible) as usize;
            if sponsor >= sponsors {
                return row;
            }
            row.push((sponsor as Sponsor, rng.gen_range(0.0..1.0)));
            sponsor += 1;
        }
    });
    Problem::from_rows(capacities, rows)
}

fn describe(name: &str, problem: &Problem, assignment: &Assignment) {
    eprintln!(
        "{name}: {} seekers, {} sponsors, {} feasible pairs; total {:.6}, {} matched",
        problem.seeker_count(),
        problem.sponsor_count(),
        problem.pair_count(),
        assignment.total,
        assignment.pairs.len(),
    );
}

/// The process's peak resident memory (VmHWM), in MB.
fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?;
    let kb: f64 = line.trim().strip_suffix("kB")?.trim().parse().ok()?;
    Some(kb / 1024.0)
}

/// An .npy file (format 1.0): the header, padded with spaces to a multiple of 64 bytes
/// with its newline, then the data as written by `data`.
fn write_npy(
    path: &Path,
    descr: &str,
    shape: &str,
    data: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    // Magic (6), version (2) and header length (2) come first.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    header.push('\n');
    let mut file = BufWriter::new(File::create(path)?);
    file.write_all(b"\x93NUMPY\x01\x00")?;
    file.write_all(
        &u16::try_from(header.len())
            .expect("short header")
            .to_le_bytes(),
    )?;
    file.write_all(header.as_bytes())?;
    data(&mut file)?;
    file.flush()
}

/// The cohort for scipy: dense scores (row by row, 0 for an infeasible pair), the
/// capacities, and this side's optimal total and median time.
fn export(directory: &Path, problem: &Problem) -> std::io::Result<()> {
    let (seekers, sponsors) = (problem.seeker_count(), problem.sponsor_count());
    write_npy(
        &directory.join("scores.npy"),
        "<f8",
        &format!("({seekers}, {sponsors})"),
        |file| {
            let mut dense = vec![0.0f64; sponsors];
            for seeker in 0..seekers as u32 {
                dense.fill(0.0);
                let (row_sponsors, scores) = problem.pairs(seeker);
                for (sponsor, score) in row_sponsors.iter().zip(scores) {
                    dense[*sponsor as usize] = *score;
                }
                for score in &dense {
                    file.write_all(&score.to_le_bytes())?;
                }
            }
            Ok(())
        },
    )?;
    write_npy(
        &directory.join("capacities.npy"),
        "<i8",
        &format!("({sponsors},)"),
        |file| {
            for capacity in problem.capacities() {
                file.write_all(&i64::from(*capacity).to_le_bytes())?;
            }
            Ok(())
        },
    )?;
    let mut times = Vec::new();
    let mut total = 0.0;
    for _ in 0..5 {
        let started = Instant::now();
        total = optimal(black_box(problem)).total;
        times.push(started.elapsed());
    }
    times.sort();
    let median_ms = times[times.len() / 2].as_secs_f64() * 1e3;
    std::fs::write(
        directory.join("rust.json"),
        format!("{{\"total\": {total}, \"median_ms\": {median_ms}}}\n"),
    )
}

fn assignment(c: &mut Criterion) {
    let mut group = c.benchmark_group("assignment");
    {
        let name = "2000x5000";
        let problem = cohort(2_000, 5_000, 0.3, 1);
        describe(&format!("{name} optimal"), &problem, &optimal(&problem));
        describe(&format!("{name} stable"), &problem, &stable(&problem));
        if let Some(directory) = std::env::var_os("ASSIGNMENT_EXPORT_DIR") {
            export(Path::new(&directory), &problem).expect("export the cohort");
        }
        group.sample_size(20);
        group.bench_with_input(BenchmarkId::new("optimal", name), &problem, |b, problem| {
            b.iter(|| optimal(black_box(problem)))
        });
        group.bench_with_input(BenchmarkId::new("stable", name), &problem, |b, problem| {
            b.iter(|| stable(black_box(problem)))
        });
    }
    let name = "10000x50000";
    let problem = cohort(10_000, 50_000, 0.05, 2);
    describe(&format!("{name} optimal"), &problem, &optimal(&problem));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_with_input(BenchmarkId::new("optimal", name), &problem, |b, problem| {
        b.iter(|| optimal(black_box(problem)))
    });
    // The peak includes the cohort itself (12 bytes a feasible pair) and whatever the
    // first cohort's runs reached.
    if let Some(peak) = peak_memory_mb() {
        eprintln!("{name}: peak memory {peak:.0} MB");
    }
    group.finish();
}

criterion_group!(benches, assignment);
criterion_main!(benches);
