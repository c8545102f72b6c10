//! What the benches share: the quick mode and criterion's settings (every bench), seeded
//! synthetic data, exact ground truth and recall@k (`build` and `search`, so that each checks
//! the index it measures before reporting a time).
//!
//! Quick mode (`VICINO_BENCH_QUICK=1`, for CI): every group still runs and checks its results,
//! on smaller data, with 0.1 s of warm-up and 0.3 s of measurement per line.

// Each bench uses part of this module.
#![allow(dead_code)]

use std::time::Duration;

use criterion::Criterion;
use vicino::{Index, Metric};
use vicino_bench::synth::Mixture;
use vicino_bench::truth;

/// Recall is measured on the `K` nearest neighbours (recall@10, as ANN-benchmarks reports).
pub const K: usize = 10;

/// Seed of the synthetic data (in its name, `synth-s42`, in search results and the index cache).
pub const SEED: u64 = 42;

/// The synthetic data: 10 clusters from N(0, 1), each with its own random `dim x 64` basis
/// (entries of deviation 0.3) plus isotropic noise of deviation 0.2. With a full-rank spread,
/// 20,000 rows give a recall curve that still climbs from ef 16 to 256 (recall@10 about 0.8 at
/// ef 16 and 0.98 at ef 64 with M 16); fewer directions make data so easy that every ef scores
/// 1.0 and the sweep says nothing.
const MIXTURE: Mixture = Mixture {
    clusters: 10,
    centre_sd: 1.0,
    spread: (0.2, 0.2),
    latent: 64,
    basis_sd: 0.3,
    seed: SEED,
};

/// The variable that turns the quick mode on (any value but empty or `0`).
pub const QUICK_ENV: &str = "VICINO_BENCH_QUICK";

/// Whether the quick mode is on.
pub fn quick() -> bool {
    std::env::var_os(QUICK_ENV).is_some_and(|v| !v.is_empty() && v != "0")
}

/// `normal`, or `quick` in the quick mode.
pub fn pick<T>(normal: T, quick: T) -> T {
    if self::quick() {
        quick
    } else {
        normal
    }
}

/// Criterion with these defaults (10 samples, 0.1 s warm-up and 0.3 s measurement in the quick
/// mode) and no plots: no gnuplot run and no plotters font lookup, whatever the machine has.
/// Command-line flags (`--warm-up-time`, `--measurement-time`, `--sample-size`) still override
/// the times, since the benches set none per group.
pub fn criterion(sample_size: usize, warm_up: Duration, measurement: Duration) -> Criterion {
    let (sample_size, warm_up, measurement) = if quick() {
        eprintln!("{QUICK_ENV} is set: quick mode (0.1 s warm-up, 0.3 s measurement, 10 samples)");
        (10, Duration::from_millis(100), Duration::from_millis(300))
    } else {
        (sample_size, warm_up, measurement)
    };
    Criterion::default()
        .sample_size(sample_size)
        .warm_up_time(warm_up)
        .measurement_time(measurement)
        .without_plots()
}

/// `rows` base vectors and `queries` query vectors of `dim` floats (row-major). Queries are
/// drawn after the base from the same stream, so they come from the same distribution but are
/// not base rows.
pub fn clustered(rows: usize, queries: usize, dim: usize) -> (Vec<f32>, Vec<f32>) {
    let mut sampler = MIXTURE.sampler(dim);
    let base = sampler.draw(rows);
    let queries = sampler.draw(queries);
    (base, queries)
}

/// The keys of the exact [`K`] nearest base rows of each query, nearest first.
pub fn ground_truth(metric: Metric, dim: usize, base: &[f32], queries: &[f32]) -> Vec<Vec<u64>> {
    truth::exact_neighbors(metric, dim, base, queries, K).expect("ground truth by brute force")
}

/// Mean recall@[`K`] of `index` searched with beam width `ef`.
pub fn recall(index: &Index, queries: &[f32], truth: &[Vec<u64>], ef: usize) -> f64 {
    truth::recall_at(index, queries, truth, K, ef).expect("recall: search")
}
