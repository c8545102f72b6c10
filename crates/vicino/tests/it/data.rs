//! The tests' seeded data and recall measure: vicino-bench's (the one copy of each).

use vicino::Index;
use vicino_bench::synth::Mixture;
use vicino_bench::truth::recall_against_exact;

/// `rows` vectors of overlapping clusters ([`Mixture::overlapping`]).
pub fn clustered(rows: usize, dim: usize, clusters: usize, seed: u64) -> Vec<f32> {
    Mixture::overlapping(clusters, seed).draw(rows, dim)
}

/// Mean recall@k of `index`'s search at `ef` against exact search over `base`.
pub fn recall_at(index: &Index, base: &[f32], queries: &[f32], k: usize, ef: usize) -> f64 {
    recall_against_exact(index, base, queries, k, ef).expect("recall")
}

pub const SEED: u64 = 20261125;
