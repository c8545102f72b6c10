//! The data a `vicino bench` runs on, given either way: `--base`/`--queries`/`--gt` files, or
//! one ANN-benchmarks `--dataset FILE.hdf5` (train, test, neighbors, and its metric).
//!
//! Only reading and the metric are done here; the value, dimension and ground-truth checks
//! common to both ways stay in `bench.rs`, using the names this module gives each part.

use std::path::Path;

use anyhow::{Context, Result};
use vicino::Metric;
use vicino_bench::io::{read_ivecs, read_vectors, Matrix};

/// Base vectors, queries, ground truth if given, and the metric, with what to call each.
pub struct BenchData {
    pub base: Matrix<f32>,
    pub queries: Matrix<f32>,
    pub gt: Option<Matrix<i32>>,
    pub metric: Metric,
    /// How errors name each part: the flag it came from, or the dataset in the file.
    pub names: Names,
    /// The data set's name when `--name` is not given: the file stem.
    pub stem: String,
}

/// Names of the parts of a [`BenchData`] in error messages.
pub struct Names {
    pub base: &'static str,
    pub queries: &'static str,
    pub gt: &'static str,
}

/// Reads `--base`, `--queries` and `--gt`; the metric is the `--metric` flag.
pub fn from_files(
    base: &Path,
    queries: &Path,
    gt: Option<&Path>,
    metric: Metric,
) -> Result<BenchData> {
    Ok(BenchData {
        base: read_vectors(base).context("--base")?,
        queries: read_vectors(queries).context("--queries")?,
        gt: gt.map(|p| read_ivecs(p).context("--gt")).transpose()?,
        metric,
        names: Names {
            base: "--base",
            queries: "--queries",
            gt: "--gt",
        },
        stem: stem(base),
    })
}

/// Reads an ANN-benchmarks file. The metric is the file's `distance`; `--metric`, if given,
/// must name the same one (aliases count as the same), and is needed when the file has none.
pub fn from_hdf5(path: &Path, flag: Option<Metric>) -> Result<BenchData> {
    let file = vicino_bench::io::read_ann_hdf5(path).context("--dataset")?;
    let shown = path.display();
    let metric = match (file.metric, flag) {
        (Some(own), Some(given)) if own != given => anyhow::bail!(
            "--metric {given} disagrees with --dataset {shown}, whose distance attribute is {own}"
        ),
        (Some(own), _) => own,
        (None, Some(given)) => given,
        (None, None) => {
            anyhow::bail!("--dataset {shown} has no distance attribute: give --metric")
        }
    };
    Ok(BenchData {
        base: file.train,
        queries: file.test,
        gt: file.neighbors,
        metric,
        names: Names {
            base: "--dataset train",
            queries: "--dataset test",
            gt: "--dataset neighbors",
        },
        stem: stem(path),
    })
}

/// The file name without its extension, or "unknown".
fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "unknown".into())
}
