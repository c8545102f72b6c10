//! The engine's one error type. Every fallible public function returns [`Result<T>`].
//!
//! Reading dataset files (fvecs, npy, HDF5) is not the engine's business: those errors live in
//! `vicino-bench`.

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

    /// A vector so long that distances to it would overflow (see [`crate::MAX_SQUARED_NORM`]).
    #[error(
        "vector {row} has squared length {squared_norm:e}, above the limit of {:e}",
        crate::MAX_SQUARED_NORM
    )]
    TooLarge { row: usize, squared_norm: f64 },

    /// A zero vector under the cosine metric, which has no direction.
    #[error("vector {row} is all zeros, which has no cosine direction")]
    ZeroVector { row: usize },

    /// Nothing to work on.
    #[error("empty input: {what}")]
    Empty { what: &'static str },

    /// The number of keys and the number of vectors differ.
    #[error("{keys} keys for {vectors} vectors")]
    KeyCountMismatch { keys: usize, vectors: usize },

    /// A parameter (of the index, a search, or a constructor) outside its valid range.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter { name: &'static str, reason: String },

    /// A metric name that is not one of l2, cosine, ip (or their aliases).
    #[error("unknown metric {0:?} (expected l2, cosine or ip; euclidean and angular are aliases)")]
    UnknownMetric(String),

    /// The index cannot hold more nodes.
    #[error("index is full: capacity {capacity} nodes")]
    CapacityExceeded { capacity: usize },

    /// An allocation the index needs is larger than the address space allows.
    #[error("cannot allocate {what}: {reason}")]
    OutOfMemory { what: &'static str, reason: String },

    /// The operation needs the index to itself, and other threads are adding to it.
    #[error("cannot {operation} while vectors are being added")]
    Busy { operation: &'static str },

    /// Something this build or platform does not do.
    #[error("unsupported: {0}")]
    Unsupported(&'static str),

    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// An index file whose contents fail a check of its format: not an index file, a damaged
    /// one, or one from a newer version.
    #[error("{path}: not a valid index file: {reason}")]
    Corrupt { path: PathBuf, reason: String },
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

    pub(crate) fn corrupt(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Error::Corrupt {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
