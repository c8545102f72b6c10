//! # vicino-py
//!
//! The Python module `vicino._vicino`, which the package `vicino` re-exports: a thin layer of
//! [`vicino`] (and of `vicino-bench`'s readers) that takes numpy arrays in, gives numpy arrays
//! out, and releases the GIL while the engine works. No search logic lives here.
//!
//! | file | owns |
//! |---|---|
//! | `lib.rs` | the module: what it exports |
//! | `index.rs` | the `Index` class over [`vicino::Index`] |
//! | `arrays.rs` | numpy in (borrowed when it is already float32 and C-contiguous, else converted) and numpy out (results padded to `k`) |
//! | `threads.rs` | the rayon pool of the size a call asks for |
//! | `errors.rs` | the exception classes, and which one each Rust error becomes |
//! | `read.rs` | `read_vectors`: dataset files through `vicino-bench`'s readers |
//!
//! Built by maturin from `pyproject.toml`; the Python side (docs, `vicino.hnswlib`) is in
//! `python/vicino/`.

mod arrays;
mod errors;
mod index;
mod read;
mod threads;

/// vicino's native module; import `vicino` rather than this.
#[pyo3::pymodule(name = "_vicino")]
mod vicino_module {
    use pyo3::prelude::*;

    #[pymodule_export]
    use crate::errors::{Error, FileFormatError};
    #[pymodule_export]
    use crate::index::PyIndex;
    #[pymodule_export]
    use crate::read::read_vectors;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("NO_KEY", crate::arrays::NO_KEY)?;
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        Ok(())
    }
}
