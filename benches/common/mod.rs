//! What the `build` and `search` benches share: seeded synthetic data, exact ground truth and
//! recall@k, so that each bench checks the index it measures before reporting a time.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use vicinity::{FlatIndex, Index, Metric};

/// Recall is measured on the `K` nearest neighbours (recall@10, as ANN-benchmarks reports).
pub const K: usize = 10;

/// Seed of the synthetic data (in its name, `synth-s42`, in search results and the index cache).
pub const SEED: u64 = 42;

/// Clusters in the synthetic data.
const CLUSTERS: usize = 10;
/// Columns of each cluster's random basis: the number of independent directions it spreads in.
/// With a full-rank spread, 20,000 rows give a recall curve that still climbs from ef 16 to 256
/// (recall@10 about 0.8 at ef 16 and 0.98 at ef 64 with M 16); fewer directions make data so
/// easy that every ef scores 1.0 and the sweep says nothing.
const LATENT: usize = 64;
/// Standard deviation of one entry of a cluster's basis (centres have deviation 1).
const BASIS_SD: f32 = 0.3;
/// Standard deviation of the isotropic noise added to every coordinate.
const NOISE_SD: f32 = 0.2;

/// `rows` base vectors and `queries` query vectors of `dim` floats (row-major), drawn from
/// [`SEED`].
///
/// `CLUSTERS` centres from N(0, 1); each cluster has its own random `dim x LATENT` basis (so
/// its own anisotropic Gaussian), and a point is `centre + basis * z + noise` with `z` from
/// N(0, 1). Queries are drawn after the base from the same stream, so they come from the same
/// distribution but are not base rows.
pub fn clustered(rows: usize, queries: usize, dim: usize) -> (Vec<f32>, Vec<f32>) {
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut normal = Normal::default();
    let centres: Vec<f32> = (0..CLUSTERS * dim)
        .map(|_| normal.sample(&mut rng))
        .collect();
    let bases: Vec<f32> = (0..CLUSTERS * dim * LATENT)
        .map(|_| BASIS_SD * normal.sample(&mut rng))
        .collect();
    let mut draw = |n: usize| {
        let mut out = vec![0.0f32; n * dim];
        let mut z = [0.0f32; LATENT];
        for row in out.chunks_exact_mut(dim) {
            let c = rng.gen_range(0..CLUSTERS);
            let centre = &centres[c * dim..(c + 1) * dim];
            let basis = &bases[c * dim * LATENT..(c + 1) * dim * LATENT];
            z.iter_mut().for_each(|x| *x = normal.sample(&mut rng));
            for ((x, m), b) in row.iter_mut().zip(centre).zip(basis.chunks_exact(LATENT)) {
                let spread: f32 = b.iter().zip(&z).map(|(b, z)| b * z).sum();
                *x = m + spread + NOISE_SD * normal.sample(&mut rng);
            }
        }
        out
    };
    let base = draw(rows);
    let queries = draw(queries);
    (base, queries)
}

/// The keys of the exact [`K`] nearest base rows of each query, nearest first.
pub fn ground_truth(metric: Metric, dim: usize, base: &[f32], queries: &[f32]) -> Vec<Vec<u64>> {
    FlatIndex::new(metric, dim, base)
        .expect("ground truth: FlatIndex over the base")
        .search_batch(queries, K)
        .expect("ground truth: exact search")
        .into_iter()
        .map(|hits| hits.into_iter().map(|n| n.key).collect())
        .collect()
}

/// Mean recall@[`K`] of `index` searched one query at a time with beam width `ef`: the share of
/// each query's true [`K`] nearest found among the [`K`] returned.
pub fn recall(index: &Index, queries: &[f32], truth: &[Vec<u64>], ef: usize) -> f64 {
    let dim = index.dim();
    assert_eq!(queries.len(), truth.len() * dim, "one truth row per query");
    let found: usize = queries
        .chunks_exact(dim)
        .zip(truth)
        .map(|(q, want)| {
            assert!(
                want.len() >= K,
                "a truth row holds {} ids, fewer than {K}",
                want.len()
            );
            let want = &want[..K];
            let hits = index.search(q, K, ef).expect("recall: search");
            hits.iter().filter(|n| want.contains(&n.key)).count()
        })
        .sum();
    found as f64 / (truth.len() * K) as f64
}

/// Standard normal draws by the Box-Muller transform (two at a time), over `StdRng` so a seed
/// gives the same data on every platform.
#[derive(Default)]
struct Normal {
    spare: Option<f32>,
}

impl Normal {
    fn sample(&mut self, rng: &mut StdRng) -> f32 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        // u1 in (0, 1] keeps the logarithm finite.
        let u1 = 1.0 - rng.gen::<f64>();
        let u2 = rng.gen::<f64>();
        let r = (-2.0 * u1.ln()).sqrt();
        let theta = std::f64::consts::TAU * u2;
        self.spare = Some((r * theta.sin()) as f32);
        (r * theta.cos()) as f32
    }
}
