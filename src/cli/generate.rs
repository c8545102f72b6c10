//! `vicinity generate`: seeded synthetic data for demos and tests.
//!
//! Draws `clusters` centres with components from N(0, 1), then each vector from N(centre,
//! SPREAD²) around a centre picked uniformly at random; queries come from the same clusters,
//! drawn after the base from the same generator, so the base does not depend on whether queries
//! are asked for. Under cosine every vector is scaled to unit length. Normal draws are
//! Box-Muller over `StdRng` (ChaCha), so a seed gives the same files on every platform.

use std::path::Path;

use anyhow::{bail, Context, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use vicinity::io::{write_fvecs, write_npy, Matrix, MAX_DIM};
use vicinity::Metric;

use super::report::JsonLine;
use super::setup::{check_writable, metric};
use super::GenerateArgs;

/// Standard deviation of a vector around its cluster centre (centres have deviation 1).
const SPREAD: f32 = 0.5;

pub fn run(args: GenerateArgs) -> Result<()> {
    let metric = metric(&args.metric)?;
    let (rows, dim, clusters) = (args.rows, args.dim, args.clusters);
    if rows == 0 {
        bail!("--rows must be at least 1");
    }
    if dim == 0 || dim > MAX_DIM {
        bail!("--dim {dim} is outside 1..={MAX_DIM}");
    }
    if clusters == 0 {
        bail!("--clusters must be at least 1");
    }
    if args.queries == Some(0) {
        bail!("--queries must be at least 1");
    }
    let base_npy = is_npy(&args.output, "--output")?;
    check_writable(&args.output, "--output")?;
    let queries_npy = match &args.queries_output {
        Some(path) => {
            check_writable(path, "--queries-output")?;
            is_npy(path, "--queries-output")?
        }
        None => false,
    };

    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut normal = Normal::default();
    let centres = draw_matrix(clusters, dim, "--clusters", |v| {
        v.iter_mut().for_each(|x| *x = normal.sample(&mut rng));
    })?;
    let mut point = |v: &mut [f32]| loop {
        let c = centres.row(rng.gen_range(0..clusters));
        for (x, m) in v.iter_mut().zip(c) {
            *x = m + SPREAD * normal.sample(&mut rng);
        }
        // A zero vector has no cosine direction; drawing one is all but impossible, but redraw.
        if metric != Metric::Cosine || normalize(v) {
            break;
        }
    };
    let base = draw_matrix(rows, dim, "--rows", &mut point)?;
    write_matrix(&args.output, &base, base_npy).context("--output")?;
    if let (Some(n), Some(path)) = (args.queries, &args.queries_output) {
        let queries = draw_matrix(n, dim, "--queries", &mut point)?;
        write_matrix(path, &queries, queries_npy).context("--queries-output")?;
    }

    JsonLine::new()
        .field("rows", rows)
        .field("dim", dim)
        .field("clusters", clusters)
        .field("seed", args.seed)
        .field("metric", metric.name())
        .field("queries", args.queries.unwrap_or(0))
        .print()
}

/// A `rows x dim` matrix with each row filled by `fill`; a size too large to allocate is an
/// error naming `flag`, not an abort.
fn draw_matrix(
    rows: usize,
    dim: usize,
    flag: &str,
    mut fill: impl FnMut(&mut [f32]),
) -> Result<Matrix<f32>> {
    let len = rows
        .checked_mul(dim)
        .with_context(|| format!("{flag} {rows} x --dim {dim} is too large"))?;
    let mut data = Vec::new();
    data.try_reserve_exact(len)
        .with_context(|| format!("{flag} {rows} x --dim {dim}: cannot allocate {len} floats"))?;
    data.resize(len, 0.0);
    data.chunks_exact_mut(dim).for_each(&mut fill);
    Ok(Matrix { rows, dim, data })
}

/// Scales `v` to unit length; false if it is all zeros.
fn normalize(v: &mut [f32]) -> bool {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm == 0.0 || !norm.is_finite() {
        return false;
    }
    v.iter_mut().for_each(|x| *x /= norm);
    true
}

/// Whether `path` asks for `.npy` (true) or `.fvecs` (false); any other extension is an error.
fn is_npy(path: &Path, flag: &str) -> Result<bool> {
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("npy") => Ok(true),
        Some(e) if e.eq_ignore_ascii_case("fvecs") => Ok(false),
        _ => bail!("{flag} {}: expected a .fvecs or .npy path", path.display()),
    }
}

/// Writes `m` as `.npy` or `.fvecs`.
fn write_matrix(path: &Path, m: &Matrix<f32>, npy: bool) -> vicinity::Result<()> {
    if npy {
        write_npy(path, m)
    } else {
        write_fvecs(path, m)
    }
}

/// Standard normal draws by the Box-Muller transform, which yields two at a time.
#[derive(Debug, Default)]
struct Normal {
    spare: Option<f32>,
}

impl Normal {
    fn sample(&mut self, rng: &mut impl Rng) -> f32 {
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
}
