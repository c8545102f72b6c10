//! What the `build` and `search` benches share: seeded synthetic data, exact ground truth and
//! recall@k, so that each bench checks the index it measures before reporting a time.

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
