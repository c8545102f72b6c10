//! The exception classes, and the one each Rust error becomes. The message is always the Rust
//! error's own text, so Python and the command line say the same thing.
//!
//! | Rust error | Python exception |
//! |---|---|
//! | bad input: dimension, NaN, zero vector under cosine, `k`, parameters, metric name, key count | `vicino.Error` (a `ValueError`) |
//! | an index file failing its checks; a malformed dataset file | `vicino.FileFormatError` (a `vicino.Error`) |
//! | a file that cannot be read or written | `OSError`, the subclass its errno picks (`FileNotFoundError`, ...) |
//! | an allocation beyond the address space | `MemoryError` |
//! | the index is full, or busy with adds during a save | `RuntimeError` |
//! | something this build does not do | `NotImplementedError` |
//!
//! Input that is not numbers at all (strings, objects) is a `TypeError`, raised in `arrays.rs`.

use std::io;

use pyo3::create_exception;
use pyo3::exceptions::{
    PyFileNotFoundError, PyIsADirectoryError, PyMemoryError, PyNotImplementedError, PyOSError,
    PyPermissionError, PyRuntimeError, PyValueError,
};
use pyo3::PyErr;

create_exception!(
    vicino,
    Error,
    PyValueError,
    "Input the index refuses: a wrong dimension, a NaN, a zero vector under cosine, a bad \
     parameter. The message is the engine's."
);

create_exception!(
    vicino,
    FileFormatError,
    Error,
    "A file that is not what it should be: an index file failing its checks (truncated, \
     damaged, from another version) or a malformed dataset file."
);

/// The exception for an error of the engine.
pub(crate) fn engine_error(e: vicino::Error) -> PyErr {
    let message = e.to_string();
    match e {
        vicino::Error::Io { source, .. } => os_error(&source, message),
        vicino::Error::Corrupt { .. } => FileFormatError::new_err(message),
        vicino::Error::OutOfMemory { .. } => PyMemoryError::new_err(message),
        vicino::Error::CapacityExceeded { .. } | vicino::Error::Busy { .. } => {
            PyRuntimeError::new_err(message)
        }
        vicino::Error::Unsupported(_) => PyNotImplementedError::new_err(message),
        _ => Error::new_err(message),
    }
}

/// The exception for an error of a dataset reader.
pub(crate) fn reader_error(e: vicino_bench::Error) -> PyErr {
    use vicino_bench::Error as E;
    let message = e.to_string();
    match e {
        E::Io { source, .. } => os_error(&source, message),
        E::Index(inner) => engine_error(inner),
        E::Format { .. }
        | E::MissingDataset { .. }
        | E::DatasetShape { .. }
        | E::DatasetType { .. }
        | E::UnknownDistance { .. }
        | E::Hdf5 { .. } => FileFormatError::new_err(message),
        _ => Error::new_err(message),
    }
}

/// An `OSError` carrying `message`: built from the errno when there is one (Python then picks
/// the subclass, as `open()` would), else the subclass for the error's kind.
fn os_error(source: &io::Error, message: String) -> PyErr {
    if let Some(errno) = source.raw_os_error() {
        return PyOSError::new_err((errno, message));
    }
    match source.kind() {
        io::ErrorKind::NotFound => PyFileNotFoundError::new_err(message),
        io::ErrorKind::PermissionDenied => PyPermissionError::new_err(message),
        io::ErrorKind::IsADirectory => PyIsADirectoryError::new_err(message),
        _ => PyOSError::new_err(message),
    }
}
