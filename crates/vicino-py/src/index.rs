//! `vicino.Index`: [`vicino::Index`] for Python. Each method checks its arguments, releases the
//! GIL, and runs the engine's own call on a pool of the size asked for; one vector or one query
//! runs on the calling thread (a pool would only add a hand-over).

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple, PyType};
use vicino::{Index, IndexParams, Metric, Quantization};

use crate::arrays::{keys_from_python, results, Vectors};
use crate::errors::{engine_error, Error};
use crate::threads::pool;

/// An HNSW index of float vectors (`m` links per node, `2m` on layer 0).
///
/// `metric` is "l2" (squared Euclidean distance), "cosine" (1 - cosine similarity; vectors are
/// normalised when added, and a zero vector is refused) or "ip" (1 - dot product); hnswlib's and
/// ann-benchmarks' names ("euclidean", "angular", "dot") are taken too. `seed` fixes the levels
/// drawn for the nodes; a build on one thread with the same seed and data gives the same index.
/// `capacity` reserves room for that many vectors at once (the index grows past it anyway).
/// `quantize` is "none" (search on the float vectors; from 256 dimensions a one-bit sketch
/// of each vector lets a search skip neighbours it bounds out of the beam) or "sq8" (walk
/// the graph on 8-bit codes kept beside the vectors, 1.25x their memory, and re-rank the
/// best candidates on the float vectors, so distances stay exact; the codes learn each
/// dimension's range from the first batch added, so add a batch first, not one vector). An unquantized index inserts a large
/// batch on 8-bit codes made for that batch and dropped after it, linking each node on the
/// float vectors (1.3-2.0x faster, the recall of an exact build); `exact_build=True` inserts
/// on the float vectors only, as hnswlib does.
///
/// Vectors may be any array of numbers: float32 C-contiguous arrays are read in place, others
/// are converted to float32 first. Do not change an array while a call reads it. Methods may be
/// called from several Python threads at once: searches run while adds go on.
///
/// Errors: vicino.Error (a ValueError) for input the index refuses, with the engine's message;
/// vicino.FileFormatError for a damaged or foreign index file; OSError for files that cannot be
/// read or written; TypeError for input that is not numbers.
#[pyclass(name = "Index", module = "vicino", frozen)]
pub struct PyIndex {
    index: Index,
}

#[pymethods]
impl PyIndex {
    #[new]
    #[pyo3(signature = (dim, metric = "cosine", m = 16, ef_construction = 200, seed = 0, capacity = 0, quantize = "none", exact_build = false))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        dim: i64,
        metric: &str,
        m: i64,
        ef_construction: i64,
        seed: u64,
        capacity: i64,
        quantize: &str,
        exact_build: bool,
    ) -> PyResult<Self> {
        let metric: Metric = metric.parse().map_err(engine_error)?;
        let quantization = Quantization::from_name(quantize).ok_or_else(|| {
            Error::new_err(format!(
                "invalid quantize: unknown mode {quantize:?}; the modes are none, sq8"
            ))
        })?;
        let params = IndexParams::new(metric)
            .m(count("m", m)?)
            .ef_construction(count("ef_construction", ef_construction)?)
            .seed(seed)
            .quantize(quantization)
            .exact_build(exact_build);
        let index = Index::with_capacity(params, count("dim", dim)?, count("capacity", capacity)?)
            .map_err(engine_error)?;
        Ok(Self { index })
    }

    /// Adds `vectors` (one per row, or one 1-D vector) under `keys` (uint64, one per vector);
    /// without keys they are numbered on from the current count: len(index), len(index) + 1, ...
    /// Uses `threads` threads (0: one per core). Every vector is checked first: on an error
    /// nothing is added. Keys are not checked for repeats: a key added twice is found twice.
    ///
    /// An add that at least doubles the index (the first one, a build, among them) ends with
    /// `repair()`, as the engine's build does; after many smaller adds, call `repair()` yourself.
    #[pyo3(signature = (vectors, keys = None, threads = 0))]
    fn add(
        &self,
        py: Python<'_>,
        vectors: &Bound<'_, PyAny>,
        keys: Option<&Bound<'_, PyAny>>,
        threads: i64,
    ) -> PyResult<()> {
        let vectors = Vectors::from_python(vectors, self.index.dim(), "vectors")?;
        let keys = match keys {
            Some(keys) => keys_from_python(keys)?,
            None => {
                let first = self.index.len() as u64;
                (first..first + vectors.rows as u64).collect()
            }
        };
        let data = vectors.as_slice()?;
        let index = &self.index;
        if vectors.rows == 1 && keys.len() == 1 {
            return py.detach(|| index.add(keys[0], data)).map_err(engine_error);
        }
        let pool = pool(threads)?;
        let before = index.len();
        py.detach(|| {
            pool.install(|| {
                index.add_batch(&keys, data)?;
                // One walk of the graph, paid for by the adds it follows.
                if vectors.rows >= before {
                    index.repair()?;
                }
                Ok(())
            })
        })
        .map_err(engine_error)
    }

    /// Re-links the nodes that link pruning left unreachable from the entry point, and returns
    /// how many (typically a handful per hundred thousand). It walks the whole graph once: call
    /// it after a series of adds, not after each. Adds wait while it runs.
    fn repair(&self, py: Python<'_>) -> PyResult<usize> {
        let index = &self.index;
        py.detach(|| index.repair()).map_err(engine_error)
    }

    /// The `k` nearest neighbours of each query, found by a beam search of width `ef` (raised to
    /// `k` if smaller) on `threads` threads (0: one per core).
    ///
    /// Returns `(keys, distances)`: uint64 and float32 arrays of shape (queries, k), nearest
    /// first, or of shape (k,) for one 1-D query. A query with fewer than `k` hits (an index
    /// of fewer than `k` vectors) is padded with vicino.NO_KEY (2**64 - 1) and inf.
    ///
    /// In a quantized index, `rerank` candidates (held between `k` and `ef`; default 3k) are
    /// re-scored on the float vectors; without quantization it changes nothing.
    #[pyo3(signature = (queries, k = 10, ef = 64, threads = 0, rerank = None))]
    fn search<'py>(
        &self,
        py: Python<'py>,
        queries: &Bound<'py, PyAny>,
        k: i64,
        ef: i64,
        threads: i64,
        rerank: Option<i64>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let queries = Vectors::from_python(queries, self.index.dim(), "queries")?;
        let (k, ef) = (count("k", k)?, count("ef", ef)?);
        let rerank = match rerank {
            Some(r) => count("rerank", r)?,
            None => Index::default_rerank(k, ef),
        };
        let data = queries.as_slice()?;
        let index = &self.index;
        let hits = if queries.single {
            py.detach(|| {
                index
                    .search_rerank(data, k, ef, rerank)
                    .map(|hits| vec![hits])
            })
        } else {
            let pool = pool(threads)?;
            py.detach(|| pool.install(|| index.search_batch_rerank(data, k, ef, rerank)))
        }
        .map_err(engine_error)?;
        results(py, &hits, k, queries.single)
    }

    /// The exact `k` nearest neighbours of each query, by comparing it with every vector, on
    /// `threads` threads (0: one per core). Same shapes and padding as `search`.
    #[pyo3(signature = (queries, k = 10, threads = 0))]
    fn exact_search<'py>(
        &self,
        py: Python<'py>,
        queries: &Bound<'py, PyAny>,
        k: i64,
        threads: i64,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let queries = Vectors::from_python(queries, self.index.dim(), "queries")?;
        let k = count("k", k)?;
        let data = queries.as_slice()?;
        let index = &self.index;
        let hits = if queries.single {
            py.detach(|| index.exact_search(data, k).map(|hits| vec![hits]))
        } else {
            let pool = pool(threads)?;
            py.detach(|| pool.install(|| index.exact_search_batch(data, k)))
        }
        .map_err(engine_error)?;
        results(py, &hits, k, queries.single)
    }

    /// Writes the index to `path` atomically (a temporary file in the same folder, then a
    /// rename): an error never leaves a partial file there. Adds in flight finish first.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        let index = &self.index;
        py.detach(|| index.save(&path)).map_err(engine_error)
    }

    /// Reads an index file into memory, checking every checksum.
    #[classmethod]
    fn load(_cls: &Bound<'_, PyType>, py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let index = py.detach(|| Index::load(&path)).map_err(engine_error)?;
        Ok(Self { index })
    }

    /// Opens an index file by mapping it: vectors and links are searched in place and paged in
    /// by the OS, so an index larger than memory can be served. The file must not be truncated
    /// or rewritten in place while it is open (`save` renames a new file over it, which is
    /// safe). Later adds stay in memory.
    #[classmethod]
    fn view(_cls: &Bound<'_, PyType>, py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let index = py.detach(|| Index::open(&path)).map_err(engine_error)?;
        Ok(Self { index })
    }

    /// The index as the bytes of its file (what `save` writes).
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let index = &self.index;
        let bytes = py.detach(|| -> PyResult<Vec<u8>> {
            // The engine writes files only; a private folder holds this one while it is read.
            let dir = tempfile::tempdir()?;
            let path = dir.path().join("index.vicino");
            index.save(&path).map_err(engine_error)?;
            Ok(std::fs::read(&path)?)
        })?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// An index from the bytes `to_bytes` gave, checked as `load` checks a file.
    #[classmethod]
    fn from_bytes(_cls: &Bound<'_, PyType>, py: Python<'_>, data: &[u8]) -> PyResult<Self> {
        let index = py.detach(|| -> PyResult<Index> {
            let dir = tempfile::tempdir()?;
            let path = dir.path().join("index.vicino");
            std::fs::write(&path, data)?;
            Index::load(&path).map_err(engine_error)
        })?;
        Ok(Self { index })
    }

    /// Pickling goes through `to_bytes` and `from_bytes`.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let from_bytes = py.get_type::<Self>().getattr("from_bytes")?;
        let bytes = slf.get().to_bytes(py)?;
        PyTuple::new(
            py,
            [from_bytes.into_any(), PyTuple::new(py, [bytes])?.into_any()],
        )
    }

    /// The keys of every vector in the index (uint64), in the order they were added (a
    /// parallel add takes its rows in no fixed order).
    fn keys<'py>(&self, py: Python<'py>) -> Bound<'py, numpy::PyArray1<u64>> {
        let index = &self.index;
        numpy::PyArray1::from_vec(py, py.detach(|| index.keys()))
    }

    fn __len__(&self) -> usize {
        self.index.len()
    }

    /// The number of floats in each vector.
    #[getter]
    fn dim(&self) -> usize {
        self.index.dim()
    }

    /// "l2", "cosine" or "ip".
    #[getter]
    fn metric(&self) -> &'static str {
        self.index.metric().name()
    }

    /// Links per node on the upper layers (2m on layer 0).
    #[getter]
    fn m(&self) -> usize {
        self.index.params().get_m()
    }

    /// The beam width the index was built with.
    #[getter]
    fn ef_construction(&self) -> usize {
        self.index.params().get_ef_construction()
    }

    /// The seed of the level draw.
    #[getter]
    fn seed(&self) -> u64 {
        self.index.params().get_seed()
    }

    /// "none" or "sq8": what the graph is walked on (see the class docs).
    #[getter]
    fn quantize(&self) -> &'static str {
        self.index.params().quantization().name()
    }

    /// Bytes allocated for vectors, codes, links and per-node state.
    #[getter]
    fn memory_bytes(&self) -> usize {
        self.index.memory_bytes()
    }

    fn __repr__(&self) -> String {
        format!(
            "vicino.Index(dim={}, metric={:?}, m={}, ef_construction={}, quantize={:?}, len={})",
            self.index.dim(),
            self.index.metric().name(),
            self.index.params().get_m(),
            self.index.params().get_ef_construction(),
            self.index.params().quantization().name(),
            self.index.len()
        )
    }
}

/// A count argument (`dim`, `k`, `ef`, ...): negative values are refused with the engine's kind
/// of message; the engine checks the range of the rest.
fn count(name: &str, value: i64) -> PyResult<usize> {
    usize::try_from(value).map_err(|_| {
        Error::new_err(format!(
            "invalid parameter {name}: must not be negative, got {value}"
        ))
    })
}
