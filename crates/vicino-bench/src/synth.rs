//! Seeded synthetic data: a mixture of Gaussian clusters, the one generator behind `vicino
//! generate`, the benches' fallback data and the tests.
//!
//! A [`Mixture`] draws its cluster centres (and, if asked, each cluster's spread and a random
//! low-rank basis) from its seed, then any number of rows:
//!
//! ```text
//!   row = centre[c] + basis[c] · z + spread[c] · n      c uniform, z ~ N(0, I_latent), n ~ N(0, I_dim)
//! ```
//!
//! With `latent = 0` there is no basis and clusters are isotropic. Normal draws are Box-Muller
//! over `StdRng`, so a seed gives the same rows on every platform.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Standard normal draws by the Box-Muller transform, which yields two at a time.
#[derive(Debug, Default, Clone)]
pub struct Normal {
    spare: Option<f32>,
}

impl Normal {
    /// One draw from N(0, 1).
    pub fn sample(&mut self, rng: &mut impl Rng) -> f32 {
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

/// The shape of a Gaussian mixture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mixture {
    pub clusters: usize,
    /// Standard deviation of a centre's components.
    pub centre_sd: f32,
    /// Each cluster's isotropic standard deviation is drawn uniformly from this range (a
    /// single value when both ends are equal).
    pub spread: (f32, f32),
    /// Rank of each cluster's random basis (0: none, isotropic clusters).
    pub latent: usize,
    /// Standard deviation of a basis entry.
    pub basis_sd: f32,
    pub seed: u64,
}

impl Mixture {
    /// Isotropic clusters with centres from N(0, 1) and one spread for all.
    pub fn isotropic(clusters: usize, spread: f32, seed: u64) -> Self {
        Self {
            clusters,
            centre_sd: 1.0,
            spread: (spread, spread),
            latent: 0,
            basis_sd: 0.0,
            seed,
        }
    }

    /// Isotropic clusters that overlap (centres closer than the spreads, each cluster's spread
    /// its own), so that a weak graph shows in recall: the tests' data.
    pub fn overlapping(clusters: usize, seed: u64) -> Self {
        Self {
            clusters,
            centre_sd: 0.58,
            spread: (0.29, 0.87),
            latent: 0,
            basis_sd: 0.0,
            seed,
        }
    }

    /// Draws the clusters for rows of `dim` floats; rows then come from [`Sampler::fill`].
    ///
    /// # Panics
    /// If `clusters` is 0 (a caller's bug; the command line checks its flag first).
    pub fn sampler(&self, dim: usize) -> Sampler {
        assert!(self.clusters > 0, "a mixture needs at least one cluster");
        let mut rng = StdRng::seed_from_u64(self.seed);
        let mut normal = Normal::default();
        let centres = (0..self.clusters * dim)
            .map(|_| self.centre_sd * normal.sample(&mut rng))
            .collect();
        let (low, high) = self.spread;
        let spreads = (0..self.clusters)
            .map(|_| {
                if low < high {
                    rng.gen_range(low..high)
                } else {
                    low
                }
            })
            .collect();
        let bases = (0..self.clusters * dim * self.latent)
            .map(|_| self.basis_sd * normal.sample(&mut rng))
            .collect();
        Sampler {
            dim,
            latent: self.latent,
            centres,
            spreads,
            bases,
            z: vec![0.0; self.latent],
            rng,
            normal,
        }
    }

    /// `rows` rows of `dim` floats, row-major: the first rows of [`Mixture::sampler`].
    pub fn draw(&self, rows: usize, dim: usize) -> Vec<f32> {
        self.sampler(dim).draw(rows)
    }
}

/// Rows of one mixture, drawn one after another from its stream.
#[derive(Debug, Clone)]
pub struct Sampler {
    dim: usize,
    latent: usize,
    centres: Vec<f32>,
    spreads: Vec<f32>,
    bases: Vec<f32>,
    z: Vec<f32>,
    rng: StdRng,
    normal: Normal,
}

impl Sampler {
    /// Fills `row` (of the sampler's dimension) with the next draw.
    pub fn fill(&mut self, row: &mut [f32]) {
        debug_assert_eq!(row.len(), self.dim);
        let (dim, latent) = (self.dim, self.latent);
        let c = self.rng.gen_range(0..self.spreads.len());
        let centre = &self.centres[c * dim..(c + 1) * dim];
        for z in &mut self.z {
            *z = self.normal.sample(&mut self.rng);
        }
        let basis = &self.bases[c * dim * latent..(c + 1) * dim * latent];
        let spread = self.spreads[c];
        for (j, (x, m)) in row.iter_mut().zip(centre).enumerate() {
            let along: f32 = match latent {
                0 => 0.0,
                _ => basis[j * latent..(j + 1) * latent]
                    .iter()
                    .zip(&self.z)
                    .map(|(b, z)| b * z)
                    .sum(),
            };
            *x = m + along + spread * self.normal.sample(&mut self.rng);
        }
    }

    /// The next `rows` rows, row-major.
    pub fn draw(&mut self, rows: usize) -> Vec<f32> {
        let mut out = vec![0.0; rows * self.dim];
        out.chunks_exact_mut(self.dim.max(1))
            .for_each(|row| self.fill(row));
        out
    }
}

/// Scales `v` to unit length; false (and `v` unchanged) if it has no length.
pub fn normalize(v: &mut [f32]) -> bool {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm == 0.0 || !norm.is_finite() {
        return false;
    }
    v.iter_mut().for_each(|x| *x /= norm);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_draws_have_unit_moments() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut normal = Normal::default();
        let n = 100_000;
        let xs: Vec<f64> = (0..n).map(|_| f64::from(normal.sample(&mut rng))).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.02, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "variance {var}");
    }

    #[test]
    fn normalize_refuses_zero() {
        let mut v = [3.0, 4.0];
        assert!(normalize(&mut v));
        assert_eq!(v, [0.6, 0.8]);
        assert!(!normalize(&mut [0.0, 0.0]));
    }

    #[test]
    fn a_seed_gives_the_same_rows_and_rows_sit_near_their_centres() {
        let m = Mixture::isotropic(3, 0.01, 9);
        let a = m.draw(50, 4);
        assert_eq!(a, m.draw(50, 4));
        assert_ne!(a, Mixture { seed: 10, ..m }.draw(50, 4));
        // With a tiny spread every row is within 0.1 of one of the 3 centres.
        let s = m.sampler(4);
        for row in a.chunks_exact(4) {
            let near = s
                .centres
                .chunks_exact(4)
                .any(|c| c.iter().zip(row).map(|(c, x)| (c - x).powi(2)).sum::<f32>() < 0.01);
            assert!(near, "{row:?}");
        }
    }

    #[test]
    fn a_latent_basis_makes_clusters_anisotropic() {
        // One cluster, no isotropic noise: rows lie in the 2-d span of the basis.
        let m = Mixture {
            clusters: 1,
            centre_sd: 0.0,
            spread: (0.0, 0.0),
            latent: 2,
            basis_sd: 1.0,
            seed: 4,
        };
        let rows = m.draw(40, 6);
        let norm: f32 = rows.iter().map(|x| x * x).sum();
        assert!(norm > 1.0);
        let s = m.sampler(6);
        // Project each row out of the basis columns (least squares via normal equations).
        let col = |k: usize| -> Vec<f32> { (0..6).map(|j| s.bases[j * 2 + k]).collect() };
        let (b0, b1) = (col(0), col(1));
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        let (g00, g01, g11) = (dot(&b0, &b0), dot(&b0, &b1), dot(&b1, &b1));
        let det = g00 * g11 - g01 * g01;
        for row in rows.chunks_exact(6) {
            let (r0, r1) = (dot(row, &b0), dot(row, &b1));
            let (c0, c1) = ((g11 * r0 - g01 * r1) / det, (g00 * r1 - g01 * r0) / det);
            let resid: f32 = (0..6)
                .map(|j| (row[j] - c0 * b0[j] - c1 * b1[j]).powi(2))
                .sum();
            assert!(resid < 1e-6 * (1.0 + dot(row, row)), "residual {resid}");
        }
    }
}
