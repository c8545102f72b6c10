//! `vicino.read_vectors`: the dataset files `vicino-bench` reads, as numpy arrays.

use std::path::{Path, PathBuf};

use numpy::ndarray::Array2;
use numpy::IntoPyArray;
use pyo3::prelude::*;
use vicino_bench::io::{read_ann_hdf5, read_ivecs, Matrix};

use crate::errors::{reader_error, Error};

/// Reads a dataset file into a 2-D numpy array, choosing the format by extension:
///
/// - .fvecs (float32), .bvecs (uint8, widened), .npy (float32; float64 narrowed, uint8 and int8
///   widened): float32 rows;
/// - .ivecs: int32 rows (ground-truth ids);
/// - .hdf5 / .h5, an ann-benchmarks file: `dataset` picks "train" (the default), "test" (float32)
///   or "neighbors" (int32; negative ids are padding).
///
/// Raises OSError when the file cannot be read, vicino.FileFormatError when it is malformed, and
/// vicino.Error for an unknown extension or a `dataset` that does not apply.
#[pyfunction]
#[pyo3(signature = (path, dataset = None))]
pub fn read_vectors<'py>(
    py: Python<'py>,
    path: PathBuf,
    dataset: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let is_hdf5 = has_extension(&path, &["hdf5", "h5"]);
    if let (false, Some(name)) = (is_hdf5, dataset) {
        return Err(Error::new_err(format!(
            "dataset={name:?} applies to ann-benchmarks .hdf5 files only, not {}",
            path.display()
        )));
    }
    if is_hdf5 {
        let name = dataset.unwrap_or("train");
        if !["train", "test", "neighbors"].contains(&name) {
            return Err(Error::new_err(format!(
                "dataset must be \"train\", \"test\" or \"neighbors\", got {name:?}"
            )));
        }
        let set = py.detach(|| read_ann_hdf5(&path)).map_err(reader_error)?;
        return match name {
            "train" => to_numpy(py, set.train),
            "test" => to_numpy(py, set.test),
            _ => match set.neighbors {
                Some(neighbors) => to_numpy(py, neighbors),
                None => Err(Error::new_err(format!(
                    "{}: no \"neighbors\" dataset in this file",
                    path.display()
                ))),
            },
        };
    }
    if has_extension(&path, &["ivecs"]) {
        let ids = py.detach(|| read_ivecs(&path)).map_err(reader_error)?;
        return to_numpy(py, ids);
    }
    let vectors = py
        .detach(|| vicino_bench::io::read_vectors(&path))
        .map_err(reader_error)?;
    to_numpy(py, vectors)
}

fn has_extension(path: &Path, names: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| names.iter().any(|n| e.eq_ignore_ascii_case(n)))
}

/// The matrix as a (rows, dim) array, its buffer handed over without a copy.
fn to_numpy<T: numpy::Element>(py: Python<'_>, m: Matrix<T>) -> PyResult<Bound<'_, PyAny>> {
    let array = Array2::from_shape_vec((m.rows, m.dim), m.data)
        .map_err(|e| Error::new_err(e.to_string()))?;
    Ok(array.into_pyarray(py).into_any())
}
