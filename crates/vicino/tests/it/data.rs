//! The tests' seeded data and recall measure, from vicino-bench (the one copy of each).

use vicino::Index;
use vicino_bench::synth::Mixture;
use vicino_bench::truth::{exact_neighbors, recall_at as searched_recall};

/// `rows` vectors around `clusters` centres with per-cluster spreads, the clusters overlapping
/// (centres closer than the spread), so that a weak graph shows in recall.
pub fn clustered(rows: usize, dim: usize, clusters: usize, seed: u64) -> Vec<f32> {
    Mixture {
        clusters,
        centre_sd: 0.58,
        spread: (0.29, 0.87),
        latent: 0,
        basis_sd: 0.0,
        seed,
    }
    .draw(rows, dim)
}

/// Mean recall@k of `index`'s search at `ef` against exact search over `base` (row i, key i).
pub fn recall_at(index: &Index, base: &[f32], queries: &[f32], k: usize, ef: usize) -> f64 {
    let truth = exact_neighbors(index.metric(), index.dim(), base, queries, k).unwrap();
    searched_recall(index, queries, &truth, k, ef).unwrap()
}

pub const SEED: u64 = 20261125;
