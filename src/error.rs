//! The library's one error type. Every fallible public function returns [`Result<T>`].

use std::path::PathBuf;

/// What went wrong, with the values that explain it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A vector (or a matrix row) has a different length than the index's dimension.
    #[error("wrong vector dimension: expected {expected}, got {got}")]
    DimensionMismatch { expected: usize, got: usize },

    /// A flat matrix whose length is not a multiple of the dimension.
    #[error("matrix of {len} floats is not a whole number of rows of dimension {dim}")]
    RaggedMatrix { len: usize, dim: usize },

    /// A NaN or infinite component.
    #[error("vector {row} has a non-finite value at component {component}")]
    NonFinite { row: usize, component: usize },

    /// A zero vector under the cosine metric, which has no direction.
    #[error("vector {row} is all zeros, which has no cosine direction")]
    ZeroVector { row: usize },

    /// Nothing to work on.
    #[error("empty input: {what}")]
    Empty { what: &'static str },

    /// The number of keys and the number of vectors differ.
    #[error("{keys} keys for {vectors} vectors")]
    KeyCountMismatch { keys: usize, vectors: usize },

    /// A key that is already in the index.
    #[error("key {key} is already in the index")]
    DuplicateKey { key: u64 },

    /// A parameter outside its valid range.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter { name: &'static str, reason: String },

    /// A metric name that is not one of l2, cosine, ip (or their aliases).
    #[error("unknown metric {0:?} (expected l2, cosine or ip; euclidean and angular are aliases)")]
    UnknownMetric(String),

    /// The index cannot hold more nodes.
    #[error("index is full: capacity {capacity} nodes")]
    CapacityExceeded { capacity: usize },

    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A file whose contents do not match its format.
    #[error("{path}: malformed {format} file: {reason}")]
    Format {
        path: PathBuf,
        format: &'static str,
        reason: String,
    },

    /// An HDF5 file without a dataset the reader needs (`train`, `test`).
    #[error("{path}: no dataset {name:?} in this HDF5 file")]
    MissingDataset { path: PathBuf, name: &'static str },

    /// An HDF5 dataset of the wrong shape: not 2-D, empty, or a size that must match another
    /// dataset's.
    #[error("{path}: dataset {name:?} has shape {shape:?}: {reason}")]
    DatasetShape {
        path: PathBuf,
        name: &'static str,
        shape: Vec<usize>,
        reason: String,
    },

    /// An HDF5 dataset or attribute holding values of the wrong type (integer vectors, float
    /// ids, a distance that is not a string).
    #[error("{path}: {name:?} holds {found}, expected {expected}")]
    DatasetType {
        path: PathBuf,
        name: &'static str,
        found: String,
        expected: &'static str,
    },

    /// An HDF5 file whose `distance` attribute names a metric we do not have.
    #[error("{path}: distance {value:?} is not a supported metric (expected euclidean, angular, dot or ip)")]
    UnknownDistance { path: PathBuf, value: String },

    /// The HDF5 library could not read the file: not HDF5, damaged, or a failed read.
    #[error("{path}: HDF5: {reason}")]
    Hdf5 { path: PathBuf, reason: String },

    /// A file whose extension names no format we read.
    #[error("{path}: unknown file format (expected .fvecs, .bvecs, .ivecs or .npy)")]
    UnknownFormat { path: PathBuf },
}

/// Shorthand for results carrying [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn format(
        path: impl Into<PathBuf>,
        format: &'static str,
        reason: impl Into<String>,
    ) -> Self {
        Error::Format {
            path: path.into(),
            format,
            reason: reason.into(),
        }
    }
}
