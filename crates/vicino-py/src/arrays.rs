//! numpy in, numpy out.
//!
//! In: a float32 C-contiguous array is read where it lies (no copy); any other array of
//! numbers (float64, float16, integers, a list of lists) is converted into a new float32 array
//! first; anything else (strings, objects, booleans, complex numbers) is a `TypeError`. One
//! vector may be given as a 1-D array.
//!
//! Out: searches give `k` keys (uint64) and `k` distances (float32) per query; a query with fewer
//! than `k` hits is padded with [`NO_KEY`] and `inf`.

use numpy::ndarray::{Array1, Array2};
use numpy::prelude::*;
use numpy::{Element, PyArrayDyn, PyReadonlyArrayDyn, PyUntypedArray};
use pyo3::exceptions::{PyMemoryError, PyTypeError};
use pyo3::prelude::*;
use vicino::Neighbor;

use crate::errors::{engine_error, Error};

/// The key that pads a row of results with fewer than `k` hits (its distance is `inf`). It
/// cannot be added as a key.
pub(crate) const NO_KEY: u64 = u64::MAX;

/// Vectors handed in from Python, as float32 rows.
pub(crate) struct Vectors<'py> {
    array: PyReadonlyArrayDyn<'py, f32>,
    /// The number of vectors.
    pub rows: usize,
    /// One vector, given as a 1-D array: its results are 1-D too.
    pub single: bool,
}

impl<'py> Vectors<'py> {
    /// Reads `obj` as vectors of `dim` numbers: a 2-D array of rows, or one 1-D vector. `what`
    /// names the argument in errors.
    pub fn from_python(obj: &Bound<'py, PyAny>, dim: usize, what: &str) -> PyResult<Self> {
        let array = numeric_array(obj, what, b"fiu", "numbers (float or integer)")?;
        let (rows, columns, single) = match *array.shape() {
            [columns] => (1, columns, true),
            [rows, columns] => (rows, columns, false),
            ref shape => {
                return Err(Error::new_err(format!(
                    "{what} must be one vector (1-D) or one vector per row (2-D), got an array \
                     of shape {shape:?}"
                )))
            }
        };
        if columns != dim {
            // The engine's own error, so the message is the one Rust users see.
            return Err(engine_error(vicino::Error::DimensionMismatch {
                expected: dim,
                got: columns,
            }));
        }
        let array = contiguous::<f32>(&array, "float32")?;
        let array = array
            .try_readonly()
            .map_err(|e| PyTypeError::new_err(format!("{what}: {e}")))?;
        Ok(Self {
            array,
            rows,
            single,
        })
    }

    /// Every value, row after row.
    pub fn as_slice(&self) -> PyResult<&[f32]> {
        // Never fails: the array was made C-contiguous above.
        self.array
            .as_slice()
            .map_err(|e| PyTypeError::new_err(e.to_string()))
    }
}

/// Keys handed in from Python: a 1-D array (or one number) of non-negative integers.
pub(crate) fn keys_from_python(obj: &Bound<'_, PyAny>) -> PyResult<Vec<u64>> {
    let array = numeric_array(obj, "keys", b"iu", "integers")?;
    if array.ndim() > 1 {
        return Err(Error::new_err(format!(
            "keys must be one integer per vector (1-D), got an array of shape {:?}",
            array.shape()
        )));
    }
    let keys: Vec<u64> = if array.dtype().kind() == b'u' {
        read_all::<u64>(&array, "uint64")?
    } else {
        let signed = read_all::<i64>(&array, "int64")?;
        if let Some((at, key)) = signed.iter().enumerate().find(|(_, &k)| k < 0) {
            return Err(Error::new_err(format!(
                "key {key} (at position {at}) is negative; keys are unsigned 64-bit integers"
            )));
        }
        signed.into_iter().map(|k| k as u64).collect()
    };
    if let Some(at) = keys.iter().position(|&k| k == NO_KEY) {
        return Err(Error::new_err(format!(
            "key 2**64-1 (at position {at}) is reserved: it pads search results with fewer than \
             k hits (vicino.NO_KEY)"
        )));
    }
    Ok(keys)
}

/// `k` keys and distances per query (NO_KEY and inf where a query has fewer hits), as numpy
/// arrays: `(queries, k)`, or `(k,)` for a single query.
pub(crate) fn results<'py>(
    py: Python<'py>,
    hits: &[Vec<Neighbor>],
    k: usize,
    single: bool,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let len = hits
        .len()
        .checked_mul(k)
        .ok_or_else(|| too_big(hits.len(), k))?;
    let mut keys = Vec::new();
    let mut distances = Vec::new();
    // Reserved fallibly: an absurd k is a MemoryError, not an abort.
    keys.try_reserve_exact(len)
        .map_err(|_| too_big(hits.len(), k))?;
    distances
        .try_reserve_exact(len)
        .map_err(|_| too_big(hits.len(), k))?;
    for row in hits {
        let found = row.len().min(k);
        keys.extend(row[..found].iter().map(|n| n.key));
        keys.extend(std::iter::repeat_n(NO_KEY, k - found));
        distances.extend(row[..found].iter().map(|n| n.distance));
        distances.extend(std::iter::repeat_n(f32::INFINITY, k - found));
    }
    if single {
        return Ok((
            Array1::from_vec(keys).into_pyarray(py).into_any(),
            Array1::from_vec(distances).into_pyarray(py).into_any(),
        ));
    }
    let shape = (hits.len(), k);
    let shape_error = |e: numpy::ndarray::ShapeError| Error::new_err(e.to_string());
    Ok((
        Array2::from_shape_vec(shape, keys)
            .map_err(shape_error)?
            .into_pyarray(py)
            .into_any(),
        Array2::from_shape_vec(shape, distances)
            .map_err(shape_error)?
            .into_pyarray(py)
            .into_any(),
    ))
}

fn too_big(queries: usize, k: usize) -> PyErr {
    PyMemoryError::new_err(format!(
        "cannot allocate results for {queries} queries of k = {k}"
    ))
}

/// `obj` as a numpy array whose dtype kind is one of `kinds`; other array-likes go through
/// `numpy.asarray`.
fn numeric_array<'py>(
    obj: &Bound<'py, PyAny>,
    what: &str,
    kinds: &[u8],
    expected: &str,
) -> PyResult<Bound<'py, PyUntypedArray>> {
    let array = match obj.cast::<PyUntypedArray>() {
        Ok(array) => array.clone(),
        Err(_) => numpy(obj.py())?
            .call_method1("asarray", (obj,))?
            .cast_into::<PyUntypedArray>()?,
    };
    let dtype = array.dtype();
    if !kinds.contains(&dtype.kind()) {
        return Err(PyTypeError::new_err(format!(
            "{what} must be {expected}, got an array of dtype {dtype}"
        )));
    }
    Ok(array)
}

/// `array` itself when it already is C-contiguous `T`, else a C-contiguous copy converted to
/// `T` (`numpy_name` is its numpy name).
fn contiguous<'py, T: Element>(
    array: &Bound<'py, PyUntypedArray>,
    numpy_name: &str,
) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    if let Ok(same) = array.cast::<PyArrayDyn<T>>() {
        if same.is_c_contiguous() {
            return Ok(same.clone());
        }
    }
    let np = numpy(array.py())?;
    let converted = np.call_method1("ascontiguousarray", (array, np.getattr(numpy_name)?))?;
    Ok(converted.cast_into::<PyArrayDyn<T>>()?)
}

/// Every value of `array`, converted to `T`, in C order.
fn read_all<T: Element + Copy>(
    array: &Bound<'_, PyUntypedArray>,
    numpy_name: &str,
) -> PyResult<Vec<T>> {
    contiguous::<T>(array, numpy_name)?
        .to_vec()
        .map_err(|e| PyTypeError::new_err(e.to_string()))
}

fn numpy(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    py.import("numpy")
}
