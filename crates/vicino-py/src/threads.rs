//! The rayon pool a call runs on: `threads = 0` means one thread per core. A pool of each size
//! is made once and kept, so a call pays for no thread start-up after the first of its size.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use pyo3::exceptions::PyRuntimeError;
use pyo3::PyResult;
use rayon::ThreadPool;

use crate::errors::Error;

/// More threads than this per core only add switching; the `vicino` command caps the same way.
const MAX_THREADS_PER_CORE: usize = 4;

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The number of threads a `threads` argument asks for: 0 is every core, and more than
/// [`MAX_THREADS_PER_CORE`] per core is capped.
pub(crate) fn thread_count(threads: i64) -> PyResult<usize> {
    let cores = cores();
    match usize::try_from(threads) {
        Ok(0) => Ok(cores),
        Ok(n) => Ok(n.min(cores * MAX_THREADS_PER_CORE)),
        Err(_) => Err(Error::new_err(format!(
            "invalid parameter threads: must be 0 (one per core) or more, got {threads}"
        ))),
    }
}

/// The pool of `threads` threads (as [`thread_count`] reads it), made on first use.
pub(crate) fn pool(threads: i64) -> PyResult<Arc<ThreadPool>> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<ThreadPool>>>> = OnceLock::new();
    let size = thread_count(threads)?;
    let pools = POOLS.get_or_init(Default::default);
    // A panic while the lock was held cannot leave the map half-changed: take it as it is.
    let mut pools = pools
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(pool) = pools.get(&size) {
        return Ok(Arc::clone(pool));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(size)
        .thread_name(|i| format!("vicino-{i}"))
        .build()
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start {size} threads: {e}")))?;
    let pool = Arc::new(pool);
    pools.insert(size, Arc::clone(&pool));
    Ok(pool)
}
