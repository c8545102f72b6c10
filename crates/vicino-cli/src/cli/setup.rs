//! Checks made before any long work starts, so that a bad flag or path fails in milliseconds
//! rather than after a build: the metric name, `k`, the thread pool, whether an output path can
//! be written, and whether every input value is usable.

use std::fs::OpenOptions;
use std::path::Path;

use anyhow::{bail, Context, Result};
use rayon::ThreadPool;
use vicino::{Error, Metric};
use vicino_bench::io::{Matrix, VectorFile};

/// Parses a metric name with the library's rules (and its error message).
pub fn metric(name: &str) -> Result<Metric> {
    Ok(name.parse::<Metric>()?)
}

/// Refuses `k = 0` with the library's wording, before any file is read.
pub fn check_k(k: usize) -> Result<()> {
    if k == 0 {
        return Err(Error::InvalidParameter {
            name: "k",
            reason: "must be at least 1".into(),
        }
        .into());
    }
    Ok(())
}

/// A pool of `threads` workers; `None` or 0 means one per core (or `RAYON_NUM_THREADS`).
pub fn thread_pool(threads: Option<usize>) -> Result<ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .context("cannot start the thread pool")
}

/// Fails unless a file can be created at `path`: its folder exists and takes a new file, and
/// `path` is not a folder. Creates a probe file beside it and removes it again, so nothing is
/// left behind either way.
pub fn check_writable(path: &Path, flag: &str) -> Result<()> {
    let shown = path.display();
    let Some(name) = path.file_name() else {
        bail!("{flag} {shown}: the path names no file");
    };
    if path.is_dir() {
        bail!("{flag} {shown}: is a directory");
    }
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        bail!(
            "{flag} {shown}: directory {} does not exist",
            folder.display()
        );
    }
    let mut probe_name = std::ffi::OsString::from(".");
    probe_name.push(name);
    probe_name.push(format!(".probe-{}", std::process::id()));
    let probe = folder.join(probe_name);
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .with_context(|| {
            format!(
                "{flag} {shown}: cannot create a file in {}",
                folder.display()
            )
        })?;
    // The probe is empty and ours; failing to remove it does not make the output unwritable.
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Checks every value of `m` as the index would (finite; not all zeros under cosine), reporting
/// the row in the whole file rather than in a batch.
pub fn check_values(m: &Matrix<f32>, metric: Metric) -> vicino::Result<()> {
    m.data
        .chunks_exact(m.dim.max(1))
        .enumerate()
        .try_for_each(|(row, v)| check_row(row, v, metric))
}

/// [`check_values`] over a mapped file, a row at a time.
pub fn check_file_values(f: &VectorFile, metric: Metric) -> vicino::Result<()> {
    let mut buf = Vec::new();
    (0..f.rows()).try_for_each(|row| check_row(row, f.row(row, &mut buf), metric))
}

fn check_row(row: usize, v: &[f32], metric: Metric) -> vicino::Result<()> {
    metric.check_vector(v, row)
}

/// Fails unless `got` (the dimension of the file behind `flag`) is `expected`.
pub fn check_dim(got: usize, expected: usize, flag: &str, against: &str) -> Result<()> {
    if got != expected {
        bail!("{flag} has dimension {got}, but {against} has dimension {expected}");
    }
    Ok(())
}
