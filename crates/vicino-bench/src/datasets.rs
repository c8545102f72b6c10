//! Benchmark sets by name: the one place that finds a set in the data folder and loads it, with
//! its metric and its ground truth.
//!
//! The data folder is `$VICINO_DATA`, else `datasets/` at the workspace root ([`data_dir`]): the
//! same rule as `scripts/fetch_dataset.sh`, which puts sets there. A name is looked up as the
//! script lays it out ([`locate`]):
//!
//! ```text
//! DIR/
//! ├── NAME.hdf5                    ANN-benchmarks file: train, test, neighbors, distance
//! └── NAME/                        texmex tarball, unpacked flat
//!     ├── PREFIX_base.fvecs        base vectors (.bvecs also read)
//!     ├── PREFIX_query.fvecs       queries (same extension as the base)
//!     ├── PREFIX_groundtruth.ivecs true neighbours per query (optional)
//!     └── PREFIX_learn.fvecs       training vectors (not read)
//!
//! sift-10k/ holds siftsmall_*, sift-1m/ holds sift_*: the prefix is whatever single
//! *_base.fvecs the folder holds. Texmex sets are L2.
//! ```
//!
//! Ground truth ([`Truth`]) is the set's own (`PREFIX_groundtruth.ivecs`, the HDF5 `neighbors`)
//! when it has one, checked by [`truth::gt_rows`], else computed exactly by
//! [`truth::exact_neighbors`]. A name that is not there is an [`Error::Io`] of kind `NotFound`
//! naming the folder and the fetch command.
//!
//! ```no_run
//! use vicino_bench::datasets;
//!
//! let set = datasets::load(&datasets::data_dir(), "sift-10k", 10)?;
//! println!("{}: {} x {} ({:?})", set.name, set.base.rows, set.base.dim, set.metric);
//! # Ok::<(), vicino_bench::Error>(())
//! ```

use std::ffi::OsString;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use vicino::Metric;

use crate::io::{read_ann_hdf5, read_ivecs, read_vectors, Matrix};
use crate::{truth, Error, Result};

/// The environment variable naming the data folder.
pub const DATA_ENV: &str = "VICINO_DATA";

/// The data folder: `$VICINO_DATA` if set and not empty, else `datasets/` at the workspace root.
pub fn data_dir() -> PathBuf {
    data_dir_from(std::env::var_os(DATA_ENV))
}

/// [`data_dir`] with the variable's value given: `value` if set and not empty, else the
/// workspace's `datasets/`.
pub fn data_dir_from(value: Option<OsString>) -> PathBuf {
    match value {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join("datasets"),
    }
}

/// The workspace root, two folders above this crate's manifest (a path fixed at compile time:
/// this crate is built from the workspace).
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .and_then(Path::parent)
        .unwrap_or(manifest)
        .to_path_buf()
}

/// Where a set's files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A texmex folder `DIR/NAME/`.
    Texmex {
        /// `PREFIX_base.fvecs` (or `.bvecs`).
        base: PathBuf,
        /// `PREFIX_query.fvecs` (or `.bvecs`).
        queries: PathBuf,
        /// `PREFIX_groundtruth.ivecs`, if the folder has it.
        groundtruth: Option<PathBuf>,
    },
    /// An ANN-benchmarks file `DIR/NAME.hdf5`.
    Hdf5 {
        /// The file.
        path: PathBuf,
    },
}

/// Where the ground truth of a loaded set came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Truth {
    /// The set's own: this `.ivecs` file, or the `neighbors` of this `.hdf5` file.
    File(PathBuf),
    /// Computed here by brute force.
    Exact,
}

/// A benchmark set, loaded and checked.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The name it was asked for by (`sift-10k`).
    pub name: String,
    /// Where its files are.
    pub location: Location,
    /// The metric its ground truth is for.
    pub metric: Metric,
    /// Base vectors; row `i` has key `i`.
    pub base: Matrix<f32>,
    /// Query vectors, of the base's dimension.
    pub queries: Matrix<f32>,
    /// The keys of the `k` nearest base rows of each query, nearest first (`k` as asked).
    pub truth: Vec<Vec<u64>>,
    /// Where [`Dataset::truth`] came from.
    pub truth_from: Truth,
}

/// The command, run from the workspace root, that fetches `name` into `dir` (without
/// `--data-dir` when `dir` is the workspace's `datasets/`).
pub fn fetch_command(dir: &Path, name: &str) -> String {
    if dir == data_dir_from(None) {
        format!("bash scripts/fetch_dataset.sh {name}")
    } else {
        format!(
            "bash scripts/fetch_dataset.sh --data-dir {} {name}",
            dir.display()
        )
    }
}

/// Finds `name` in `dir`: `dir/name/` (texmex) or `dir/name.hdf5` (ANN-benchmarks).
///
/// # Errors
/// [`Error::Invalid`] for a name that is empty, holds a path separator or starts with a dot, or
/// when both `name/` and `name.hdf5` are there; [`Error::Io`] of kind `NotFound` when neither
/// is, naming `dir` and the fetch command, or when a texmex folder lacks its base or query
/// file; [`Error::Invalid`] when a folder holds more than one `*_base` file.
pub fn locate(dir: &Path, name: &str) -> Result<Location> {
    check_name(name)?;
    let folder = dir.join(name);
    let file = dir.join(format!("{name}.hdf5"));
    match (folder.is_dir(), file.is_file()) {
        (true, true) => Err(Error::invalid(
            format!("dataset {name:?}"),
            format!(
                "both {} and {} are there; remove one",
                folder.display(),
                file.display()
            ),
        )),
        (true, false) => locate_texmex(name, &folder),
        (false, true) => Ok(Location::Hdf5 { path: file }),
        (false, false) => Err(not_found(
            dir,
            format!(
                "no dataset {name:?} here (neither {name}/ nor {name}.hdf5); fetch it with `{}`",
                fetch_command(dir, name)
            ),
        )),
    }
}

/// Loads `name` from `dir` with the `k` true neighbours of each query.
///
/// # Errors
/// Those of [`locate`]; a reader's error for a malformed file; [`Error::Invalid`] when base
/// and queries differ in dimension, when the ground truth does not fit (a row per query, `k`
/// ids each, ids inside the base: see [`truth::gt_rows`]), or when an HDF5 file names no metric
/// and its name ends in neither `-euclidean` nor `-angular`.
pub fn load(dir: &Path, name: &str, k: usize) -> Result<Dataset> {
    let location = locate(dir, name)?;
    let (metric, base, queries, gt) = match &location {
        Location::Texmex {
            base,
            queries,
            groundtruth,
        } => {
            let gt = match groundtruth {
                Some(path) => Some((read_ivecs(path)?, path.clone())),
                None => None,
            };
            (Metric::L2, read_vectors(base)?, read_vectors(queries)?, gt)
        }
        Location::Hdf5 { path } => {
            let file = read_ann_hdf5(path)?;
            let metric = match file.metric.or_else(|| metric_from_name(name)) {
                Some(metric) => metric,
                None => {
                    return Err(Error::invalid(
                        path.display().to_string(),
                        "no `distance` attribute, and the name ends in neither -euclidean nor \
                         -angular",
                    ))
                }
            };
            let gt = file.neighbors.map(|n| (n, path.clone()));
            (metric, file.train, file.test, gt)
        }
    };
    if base.dim != queries.dim {
        return Err(Error::invalid(
            format!("dataset {name:?}"),
            format!(
                "base vectors have dimension {} but queries {}",
                base.dim, queries.dim
            ),
        ));
    }
    let (truth, truth_from) = match gt {
        Some((gt, path)) => {
            let gt_name = path.display().to_string();
            let rows = truth::gt_rows(&gt, queries.rows, k, base.rows, &gt_name, "the queries")?;
            (rows, Truth::File(path))
        }
        None => (
            truth::exact_neighbors(metric, base.dim, &base.data, &queries.data, k)?,
            Truth::Exact,
        ),
    };
    Ok(Dataset {
        name: name.to_owned(),
        location,
        metric,
        base,
        queries,
        truth,
        truth_from,
    })
}

/// ANN-benchmarks' naming: `-euclidean` is L2, `-angular` cosine.
fn metric_from_name(name: &str) -> Option<Metric> {
    if name.ends_with("-euclidean") {
        Some(Metric::L2)
    } else if name.ends_with("-angular") {
        Some(Metric::Cosine)
    } else {
        None
    }
}

/// A name is one path component that is not hidden (`.partial` is the script's).
fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.starts_with('.') || name.contains(['/', '\\']) {
        return Err(Error::invalid(
            format!("dataset name {name:?}"),
            "expected a name such as sift-10k or glove-100-angular (no path, not hidden)",
        ));
    }
    Ok(())
}

/// The files of a texmex folder: its one `PREFIX_base.{fvecs,bvecs}`, the query file beside it
/// with the same extension, and the ground truth if present.
fn locate_texmex(name: &str, folder: &Path) -> Result<Location> {
    let entries = std::fs::read_dir(folder).map_err(|e| Error::io(folder, e))?;
    let mut bases = Vec::new();
    for entry in entries {
        let file_name = entry.map_err(|e| Error::io(folder, e))?.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        for ext in ["fvecs", "bvecs"] {
            if let Some(prefix) = file_name.strip_suffix(&format!("_base.{ext}")) {
                bases.push((prefix.to_owned(), ext));
            }
        }
    }
    bases.sort();
    let (prefix, ext) = match bases.as_slice() {
        [one] => one.clone(),
        [] => {
            return Err(not_found(
                folder,
                format!(
                    "no *_base.fvecs in this folder: an incomplete fetch? remove it and run `{}`",
                    fetch_command(folder.parent().unwrap_or(folder), name)
                ),
            ))
        }
        many => {
            let names: Vec<String> = many.iter().map(|(p, e)| format!("{p}_base.{e}")).collect();
            return Err(Error::invalid(
                folder.display().to_string(),
                format!("more than one base file: {}", names.join(", ")),
            ));
        }
    };
    let queries = folder.join(format!("{prefix}_query.{ext}"));
    if !queries.is_file() {
        return Err(not_found(
            &queries,
            format!(
                "the query file is missing beside {prefix}_base.{ext}: an incomplete fetch? \
                 remove the folder and run `{}`",
                fetch_command(folder.parent().unwrap_or(folder), name)
            ),
        ));
    }
    let groundtruth = folder.join(format!("{prefix}_groundtruth.ivecs"));
    Ok(Location::Texmex {
        base: folder.join(format!("{prefix}_base.{ext}")),
        queries,
        groundtruth: groundtruth.is_file().then_some(groundtruth),
    })
}

fn not_found(path: &Path, message: String) -> Error {
    Error::io(path, std::io::Error::new(ErrorKind::NotFound, message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{write_fvecs, write_ivecs};

    fn matrix(rows: usize, dim: usize, seed: f32) -> Matrix<f32> {
        Matrix {
            rows,
            dim,
            data: (0..rows * dim)
                .map(|i| (i as f32 * 0.37 + seed).sin())
                .collect(),
        }
    }

    #[test]
    fn data_dir_is_the_variable_else_the_workspace_datasets() {
        assert_eq!(
            data_dir_from(Some("/some/where".into())),
            PathBuf::from("/some/where")
        );
        let default = data_dir_from(None);
        assert_eq!(data_dir_from(Some("".into())), default);
        assert!(default.ends_with("datasets"));
        assert!(default.parent().unwrap().join("Cargo.toml").is_file());
        assert!(default
            .parent()
            .unwrap()
            .join("scripts/fetch_dataset.sh")
            .is_file());
    }

    #[test]
    fn a_missing_name_says_where_it_looked_and_how_to_fetch_it() {
        let dir = tempfile::tempdir().unwrap();
        let err = load(dir.path(), "sift-1m", 10).unwrap_err();
        let Error::Io { path, source } = &err else {
            panic!("expected Error::Io, got {err:?}");
        };
        assert_eq!(path, dir.path());
        assert_eq!(source.kind(), ErrorKind::NotFound);
        let msg = err.to_string();
        let fetch = format!(
            "`bash scripts/fetch_dataset.sh --data-dir {} sift-1m`",
            dir.path().display()
        );
        assert!(msg.contains(&fetch), "{msg}");
        assert_eq!(
            fetch_command(&data_dir_from(None), "sift-1m"),
            "bash scripts/fetch_dataset.sh sift-1m"
        );
    }

    #[test]
    fn names_are_plain() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["", ".partial", "../etc", "a/b"] {
            assert!(
                matches!(locate(dir.path(), name), Err(Error::Invalid { .. })),
                "{name:?}"
            );
        }
    }

    #[test]
    fn texmex_folder_with_its_ground_truth() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("tiny");
        std::fs::create_dir(&folder).unwrap();
        let (base, queries) = (matrix(50, 4, 0.0), matrix(3, 4, 1.0));
        write_fvecs(&folder.join("t_base.fvecs"), &base).unwrap();
        write_fvecs(&folder.join("t_query.fvecs"), &queries).unwrap();
        let exact = truth::exact_neighbors(Metric::L2, 4, &base.data, &queries.data, 5).unwrap();

        // Without a ground-truth file: computed.
        let set = load(dir.path(), "tiny", 5).unwrap();
        assert_eq!(
            (set.metric, set.truth_from.clone()),
            (Metric::L2, Truth::Exact)
        );
        assert_eq!((set.base, set.queries), (base.clone(), queries.clone()));
        assert_eq!(set.truth, exact);

        // With one: the file's, first k ids of each row.
        let gt: Vec<Vec<u32>> = (0..3)
            .map(|q| (0..8).map(|i| q * 10 + i).collect())
            .collect();
        let gt_path = folder.join("t_groundtruth.ivecs");
        write_ivecs(&gt_path, &gt).unwrap();
        let set = load(dir.path(), "tiny", 5).unwrap();
        assert_eq!(set.truth_from, Truth::File(gt_path.clone()));
        assert_eq!(set.truth[2], vec![20, 21, 22, 23, 24]);

        // Ids past the base or too few per row are refused.
        let err = load(dir.path(), "tiny", 9).unwrap_err().to_string();
        assert!(err.contains("fewer than k = 9"), "{err}");
        write_ivecs(&gt_path, &[vec![1], vec![2], vec![50]]).unwrap();
        let err = load(dir.path(), "tiny", 1).unwrap_err().to_string();
        assert!(
            err.contains("holds id 50, not one of the 50 base vectors"),
            "{err}"
        );
    }

    #[test]
    fn texmex_folder_faults_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("t");
        std::fs::create_dir(&folder).unwrap();
        let err = locate(dir.path(), "t").unwrap_err().to_string();
        assert!(err.contains("no *_base.fvecs"), "{err}");

        write_fvecs(&folder.join("a_base.fvecs"), &matrix(4, 2, 0.0)).unwrap();
        let err = locate(dir.path(), "t").unwrap_err().to_string();
        assert!(
            err.contains("a_query.fvecs") && err.contains("query file is missing"),
            "{err}"
        );

        write_fvecs(&folder.join("a_query.fvecs"), &matrix(2, 3, 0.0)).unwrap();
        let err = load(dir.path(), "t", 1).unwrap_err().to_string();
        assert!(err.contains("dimension 2 but queries 3"), "{err}");

        write_fvecs(&folder.join("b_base.fvecs"), &matrix(4, 2, 0.0)).unwrap();
        let err = locate(dir.path(), "t").unwrap_err().to_string();
        assert!(err.contains("a_base.fvecs, b_base.fvecs"), "{err}");

        std::fs::write(dir.path().join("t.hdf5"), b"").unwrap();
        let err = locate(dir.path(), "t").unwrap_err().to_string();
        assert!(err.contains("remove one"), "{err}");
    }

    #[test]
    fn hdf5_file_is_read_by_the_hdf5_reader() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("glove-25-angular.hdf5");
        std::fs::write(&path, b"not hdf5").unwrap();
        assert_eq!(
            locate(dir.path(), "glove-25-angular").unwrap(),
            Location::Hdf5 { path: path.clone() }
        );
        // Not "not found": the reader had the file (and refused it).
        match load(dir.path(), "glove-25-angular", 10) {
            Err(Error::Io { source, .. }) if source.kind() == ErrorKind::NotFound => {
                panic!("the file is there: {source}")
            }
            Err(_) => {}
            Ok(set) => panic!("garbage read as {} rows", set.base.rows),
        }
    }

    #[test]
    fn metric_from_ann_benchmarks_names() {
        assert_eq!(metric_from_name("sift-128-euclidean"), Some(Metric::L2));
        assert_eq!(metric_from_name("glove-100-angular"), Some(Metric::Cosine));
        assert_eq!(metric_from_name("mine"), None);
    }
}
