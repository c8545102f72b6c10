//! Seeded test data and the recall measure, shared by the test modules.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use vicinity::{FlatIndex, Index};

/// `rows` vectors around `clusters` centres with per-cluster spreads, the clusters overlapping
/// (centres closer than the spread), so that a weak graph shows in recall.
pub fn clustered(rows: usize, dim: usize, clusters: usize, seed: u64) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    let centres: Vec<f32> = (0..clusters * dim)
        .map(|_| rng.gen_range(-1.0..1.0))
        .collect();
    let spreads: Vec<f32> = (0..clusters).map(|_| rng.gen_range(0.5..1.5)).collect();
    let mut out = Vec::with_capacity(rows * dim);
    for _ in 0..rows {
        let c = rng.gen_range(0..clusters);
        for j in 0..dim {
            // Sum of uniforms: a cheap bell curve.
            let noise: f32 = (0..4).map(|_| rng.gen_range(-1.0f32..1.0)).sum::<f32>() * 0.5;
            out.push(centres[c * dim + j] + noise * spreads[c]);
        }
    }
    out
}

/// Mean recall@k of `index`'s search at `ef` against exact search over the same vectors.
pub fn recall_at(index: &Index, base: &[f32], queries: &[f32], k: usize, ef: usize) -> f64 {
    let dim = index.dim();
    let exact = FlatIndex::new(index.metric(), dim, base)
        .unwrap()
        .search_batch(queries, k)
        .unwrap();
    let found = index.search_batch(queries, k, ef).unwrap();
    recall(&exact, &found, k)
}

pub fn recall(
    exact: &[Vec<vicinity::Neighbor>],
    found: &[Vec<vicinity::Neighbor>],
    k: usize,
) -> f64 {
    let hits: usize = exact
        .iter()
        .zip(found)
        .map(|(e, f)| {
            f.iter()
                .filter(|n| e.iter().take(k).any(|x| x.key == n.key))
                .count()
        })
        .sum();
    hits as f64 / (exact.len() * k) as f64
}

pub const SEED: u64 = 20261125;
