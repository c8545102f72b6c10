//! The error of everything around the engine: reading and writing dataset files, ground truth,
//! charts. Errors of the engine itself arrive as [`Error::Index`].

use std::path::PathBuf;

/// What went wrong, with the values that explain it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
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

    /// A file whose extension names no format we read.
    #[error("{path}: unknown file format (expected .fvecs, .bvecs, .ivecs or .npy)")]
    UnknownFormat { path: PathBuf },

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

    /// A file the HDF5 reader cannot read: not HDF5, damaged, or a feature it lacks.
    #[error("{path}: HDF5: {reason}")]
    Hdf5 { path: PathBuf, reason: String },

    /// A value handed to a writer or a measure that it cannot take (a ragged matrix, ground
    /// truth that does not fit the queries, ids outside the base).
    #[error("invalid {what}: {reason}")]
    Invalid { what: String, reason: String },

    /// A chart that could not be drawn or encoded.
    #[error("chart: {0}")]
    Chart(String),

    /// An error of the engine.
    #[error(transparent)]
    Index(#[from] vicino::Error),
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

    pub(crate) fn invalid(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Invalid {
            what: what.into(),
            reason: reason.into(),
        }
    }
}
