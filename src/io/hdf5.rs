//! ANN-benchmarks `.hdf5` files: base vectors, queries, ground truth and the metric in one file.
//!
//! ```text
//! NAME.hdf5, as ann-benchmarks writes it (h5py)
//!   /train       n x d   float32   base vectors; row i is id i
//!   /test        q x d   float32   queries
//!   /neighbors   q x K   int32     true neighbour ids into /train, nearest first
//!   /distances   q x K   float32   their distances (not read: recall needs only the ids)
//!   @distance    string            file attribute: "euclidean", "angular" (or "dot"/"ip")
//! ```
//!
//! `train` and `test` are required; `neighbors` and `@distance` are optional (the caller can
//! compute exact neighbours, or take the metric from elsewhere). Float64 vectors are narrowed
//! to f32 and any integer type of ids is accepted, as the `.npy` reader does. Whether the values
//! are finite is not checked here (that is the index's business); shapes, types and id ranges are.

use std::path::Path;

use ::hdf5::types::{FixedAscii, FixedUnicode, TypeDescriptor, VarLenAscii, VarLenUnicode};
use ::hdf5::{Attribute, Dataset, File, H5Type};

use super::{Matrix, MAX_DIM};
use crate::{Error, Metric, Result};

/// The contents of an ANN-benchmarks file.
#[derive(Debug, Clone, PartialEq)]
pub struct AnnDataset {
    /// The base vectors (`/train`); row `i` has id `i`.
    pub train: Matrix<f32>,
    /// The queries (`/test`), of the train dimension.
    pub test: Matrix<f32>,
    /// The true neighbour ids of each query, nearest first (`/neighbors`): one row per query,
    /// every id below `train.rows` (a negative id is padding). `None` when the file has none.
    pub neighbors: Option<Matrix<i32>>,
    /// The metric the file's `distance` attribute names; `None` when it has no such attribute.
    pub metric: Option<Metric>,
}

/// Reads an ANN-benchmarks `.hdf5` file (layout in the module docs).
///
/// # Errors
/// [`Error::Io`] if the file cannot be opened, [`Error::Hdf5`] if it is not an HDF5 file or the
/// library fails to read it, [`Error::MissingDataset`] without `train` or `test`,
/// [`Error::DatasetShape`] for a dataset that is not 2-D, is empty, or does not fit the others
/// (`test` of another dimension than `train`, `neighbors` with another number of rows than
/// `test`), [`Error::DatasetType`] for vectors that are not floats, ids that are not integers or
/// a `distance` that is not a string, [`Error::UnknownDistance`] for a metric we do not have,
/// and [`Error::Format`] for an id at or past the number of train rows.
pub fn read_ann_hdf5(path: &Path) -> Result<AnnDataset> {
    // The HDF5 library reports a missing file or a folder as a generic open failure; std says
    // which.
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        let e = std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a directory");
        return Err(Error::io(path, e));
    }
    std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let file = File::open(path).map_err(|e| hdf5_error(path, e))?;

    // The metric first: a file for a distance we lack is refused before reading its vectors.
    let metric = read_metric(&file, path)?;
    let train = read_vectors(&file, path, "train")?;
    let test = read_vectors(&file, path, "test")?;
    if test.dim != train.dim {
        return Err(Error::DatasetShape {
            path: path.to_path_buf(),
            name: "test",
            shape: vec![test.rows, test.dim],
            reason: format!(
                "queries of dimension {}, but train has dimension {}",
                test.dim, train.dim
            ),
        });
    }
    let neighbors = if file.link_exists("neighbors") {
        Some(read_neighbors(&file, path, test.rows, train.rows)?)
    } else {
        None
    };
    Ok(AnnDataset {
        train,
        test,
        neighbors,
        metric,
    })
}

/// The `distance` attribute as a metric, if the file has one.
fn read_metric(file: &File, path: &Path) -> Result<Option<Metric>> {
    let names = file.attr_names().map_err(|e| hdf5_error(path, e))?;
    if !names.iter().any(|n| n == "distance") {
        return Ok(None);
    }
    let attr = file.attr("distance").map_err(|e| hdf5_error(path, e))?;
    let value = read_string(&attr, path)?;
    // Metric's own names take ann-benchmarks' (euclidean, angular) and dot / ip as aliases.
    let metric = value
        .trim()
        .parse::<Metric>()
        .map_err(|_| Error::UnknownDistance {
            path: path.to_path_buf(),
            value,
        })?;
    Ok(Some(metric))
}

/// A string attribute holding one value. h5py writes a `str` as a variable-length UTF-8 string
/// and `bytes` as a fixed-length ASCII one; both are taken.
fn read_string(attr: &Attribute, path: &Path) -> Result<String> {
    // Fixed strings are converted by the library into a 64-byte buffer: a longer value is cut,
    // and no metric name is that long.
    match type_of(attr.dtype(), path)? {
        TypeDescriptor::VarLenUnicode => read_one::<VarLenUnicode>(attr, path),
        TypeDescriptor::VarLenAscii => read_one::<VarLenAscii>(attr, path),
        TypeDescriptor::FixedAscii(_) => read_one::<FixedAscii<64>>(attr, path),
        TypeDescriptor::FixedUnicode(_) => read_one::<FixedUnicode<64>>(attr, path),
        other => Err(Error::DatasetType {
            path: path.to_path_buf(),
            name: "distance",
            found: other.to_string(),
            expected: "a string",
        }),
    }
}

/// The one string of an attribute, scalar or a one-element array (`read_raw` takes both).
fn read_one<T: H5Type + AsRef<str>>(attr: &Attribute, path: &Path) -> Result<String> {
    let values = attr.read_raw::<T>().map_err(|e| hdf5_error(path, e))?;
    match values.as_slice() {
        [one] => Ok(one.as_ref().to_string()),
        _ => Err(Error::DatasetType {
            path: path.to_path_buf(),
            name: "distance",
            found: format!("{} strings", values.len()),
            expected: "one string",
        }),
    }
}

/// A required 2-D float dataset as f32 rows.
fn read_vectors(file: &File, path: &Path, name: &'static str) -> Result<Matrix<f32>> {
    let ds = open_dataset(file, path, name)?;
    let (rows, dim) = shape_2d(&ds, path, name)?;
    match type_of(ds.dtype(), path)? {
        TypeDescriptor::Float(_) => {}
        other => {
            return Err(Error::DatasetType {
                path: path.to_path_buf(),
                name,
                found: other.to_string(),
                expected: "float32 or float64",
            })
        }
    }
    let data = ds.read_raw::<f32>().map_err(|e| hdf5_error(path, e))?;
    Ok(Matrix { rows, dim, data })
}

/// `/neighbors`: one row per query, integer ids below `train_rows` (negative ones are padding).
fn read_neighbors(
    file: &File,
    path: &Path,
    queries: usize,
    train_rows: usize,
) -> Result<Matrix<i32>> {
    let name = "neighbors";
    let ds = open_dataset(file, path, name)?;
    let (rows, dim) = shape_2d(&ds, path, name)?;
    if rows != queries {
        return Err(Error::DatasetShape {
            path: path.to_path_buf(),
            name,
            shape: vec![rows, dim],
            reason: format!("{rows} rows of ids, but test has {queries} queries"),
        });
    }
    match type_of(ds.dtype(), path)? {
        TypeDescriptor::Integer(_) | TypeDescriptor::Unsigned(_) => {}
        other => {
            return Err(Error::DatasetType {
                path: path.to_path_buf(),
                name,
                found: other.to_string(),
                expected: "integers",
            })
        }
    }
    // Read wide so that no id is wrapped on the way in; the range check below then sees it.
    // (The library saturates a uint64 above i64::MAX, which fails the check just the same.)
    let wide = ds.read_raw::<i64>().map_err(|e| hdf5_error(path, e))?;
    let data = wide
        .iter()
        .enumerate()
        .map(|(i, &id)| {
            let in_range = id < 0 || usize::try_from(id).is_ok_and(|u| u < train_rows);
            match i32::try_from(id) {
                Ok(v) if in_range => Ok(v),
                _ => Err(Error::format(
                    path,
                    "hdf5",
                    format!(
                        "neighbors row {} holds id {id}, but train has {train_rows} rows",
                        i / dim
                    ),
                )),
            }
        })
        .collect::<Result<Vec<i32>>>()?;
    Ok(Matrix { rows, dim, data })
}

/// Opens dataset `name`, telling a missing one from a library failure.
fn open_dataset(file: &File, path: &Path, name: &'static str) -> Result<Dataset> {
    if !file.link_exists(name) {
        return Err(Error::MissingDataset {
            path: path.to_path_buf(),
            name,
        });
    }
    file.dataset(name).map_err(|e| hdf5_error(path, e))
}

/// `(rows, columns)` of a dataset that must be 2-D with both at least 1 and a dimension the
/// other readers would take.
fn shape_2d(ds: &Dataset, path: &Path, name: &'static str) -> Result<(usize, usize)> {
    let shape = ds.shape();
    let bad = |reason: String| Error::DatasetShape {
        path: path.to_path_buf(),
        name,
        shape: shape.clone(),
        reason,
    };
    let &[rows, dim] = shape.as_slice() else {
        return Err(bad(format!(
            "expected 2 dimensions (rows x columns), got {}",
            shape.len()
        )));
    };
    if rows == 0 || dim == 0 {
        return Err(bad("no values".into()));
    }
    if dim > MAX_DIM {
        return Err(bad(format!("{dim} columns, above the limit of {MAX_DIM}")));
    }
    Ok((rows, dim))
}

/// The element type of a dataset or attribute, as the library describes it.
fn type_of(dtype: ::hdf5::Result<::hdf5::Datatype>, path: &Path) -> Result<TypeDescriptor> {
    dtype
        .and_then(|t| t.to_descriptor())
        .map_err(|e| hdf5_error(path, e))
}

fn hdf5_error(path: &Path, e: ::hdf5::Error) -> Error {
    Error::Hdf5 {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}
