//! `vicino generate`: seeded synthetic data for demos and tests.
//!
//! Draws `clusters` centres with components from N(0, 1), then each vector from N(centre,
//! SPREAD²) around a centre picked uniformly at random; queries come from the same clusters,
//! drawn after the base from the same generator, so the base does not depend on whether queries
//! are asked for. Under cosine every vector is scaled to unit length. Normal draws are
//! Box-Muller over `StdRng` (ChaCha), so a seed gives the same files on every platform.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Serialize;
use vicino::Metric;
use vicino_bench::io::{write_fvecs, write_npy, Matrix, MAX_DIM};
use vicino_bench::synth::{normalize, Mixture};

use super::report::print_json;
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

    // The centres take clusters x dim floats: check that much can be allocated first.
    draw_matrix(clusters, dim, "--clusters", |_| {})?;
    let mut sampler = Mixture::isotropic(clusters, SPREAD, args.seed).sampler(dim);
    let mut point = |v: &mut [f32]| loop {
        sampler.fill(v);
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

    print_json(&GenerateReport {
        rows,
        dim,
        clusters,
        seed: args.seed,
        metric: metric.name(),
        queries: args.queries.unwrap_or(0),
    })
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

/// Whether `path` asks for `.npy` (true) or `.fvecs` (false); any other extension is an error.
fn is_npy(path: &Path, flag: &str) -> Result<bool> {
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("npy") => Ok(true),
        Some(e) if e.eq_ignore_ascii_case("fvecs") => Ok(false),
        _ => bail!("{flag} {}: expected a .fvecs or .npy path", path.display()),
    }
}

/// Writes `m` as `.npy` or `.fvecs`.
fn write_matrix(path: &Path, m: &Matrix<f32>, npy: bool) -> vicino_bench::Result<()> {
    if npy {
        write_npy(path, m)
    } else {
        write_fvecs(path, m)
    }
}

/// The line `vicino generate` prints.
#[derive(Serialize)]
struct GenerateReport {
    rows: usize,
    dim: usize,
    clusters: usize,
    seed: u64,
    metric: &'static str,
    queries: usize,
}
