//! The public index: vectors, graph and keys together, behind a `Send + Sync` handle.
//!
//! | file | owns |
//! |---|---|
//! | `mod.rs` | [`Index`]: its constructors (in RAM, and on disk for builds beyond memory), add, repair |
//! | `search.rs` | search: the graph walk, the re-rank of a quantized index, batches |
//! | `params.rs` | [`IndexParams`]: the builder and its checks |
//! | `validate.rs` | the checks on user input: vectors, matrices, `k` |
//! | `exact.rs` | brute-force search ([`FlatIndex`], [`Index::exact_search`]) and query preparation |
//! | `files.rs` | `save`, `load`, `open` and `verify`: the index's side of `crate::persist` |
//! | `graph_checks.rs` | tests of the built graph's structure |
//!
//! The arrow runs one way: this module calls `crate::persist` with plain parts (vectors, graph,
//! keys and header fields) and puts an index together from the parts it reads back; `persist`
//! knows nothing of [`Index`].

mod exact;
mod files;
mod params;
mod search;
mod validate;

pub use exact::FlatIndex;
pub use params::IndexParams;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use parking_lot::{Mutex, RwLock, RwLockWriteGuard};

use rayon::prelude::*;

pub use crate::graph::MAX_NODES;
pub use crate::space::MAX_DIM;

use self::exact::prepare_query;
use self::validate::check_matrix;

use self::exact::top_k;
use self::validate::{check_k, check_row_of, check_vector};
use crate::arena::{padded_dim, NodeStore, PaddedQuery, RowStore, VectorArena};
use crate::error::{Error, Result};
use crate::graph::{Candidate, Graph, GraphConfig, ScratchPool};
use crate::metric::Metric;
use crate::persist;
use crate::quantize::{CodedSpace, Quantization, Sq8Trainer};
use crate::sign_filter::{self, SignFilter};
use crate::space::{Distances, Space};

/// One search hit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbor {
    /// The key the vector was added with (its row number when built from a matrix).
    pub key: u64,
    /// Distance to the query as defined by the [`Metric`] (smaller is closer).
    pub distance: f32,
}

/// The checks every constructor makes before allocating.
fn check_shape(params: &IndexParams, dim: usize, capacity: usize) -> Result<()> {
    params.validate()?;
    if !(1..=MAX_DIM).contains(&dim) {
        return Err(Error::InvalidParameter {
            name: "dim",
            reason: format!("must be between 1 and {MAX_DIM}, got {dim}"),
        });
    }
    if capacity > MAX_NODES {
        return Err(Error::CapacityExceeded {
            capacity: MAX_NODES,
        });
    }
    Ok(())
}

fn graph_config(params: &IndexParams) -> GraphConfig {
    GraphConfig {
        m: params.get_m(),
        m0: params.m0(),
        ef_construction: params.get_ef_construction(),
        level_multiplier: params.level_multiplier(),
        seed: params.get_seed(),
    }
}

#[derive(Default)]
struct Slot {
    key: AtomicU64,
    /// Set once the node is fully linked; exact search and `len` count only these.
    ready: AtomicBool,
}

/// An HNSW index. Cheap to share across threads: `add` and `search` take `&self`, and searches
/// run while other threads add.
pub struct Index {
    params: IndexParams,
    space: Space,
    /// 8-bit codes of every vector (see `crate::quantize`), when the graph is walked on them:
    /// inserts compute their distances on them, and so do searches of a quantized index, which
    /// re-rank on `space`. An on-disk build has them from the start; a quantized index learns
    /// them from its first batch.
    codes: OnceLock<CodedSpace>,
    /// An unquantized index's codes for the batch being added (see
    /// `Index::install_build_codes`): while set, every insert computes its distances on them.
    build_codes: RwLock<Option<Arc<CodedSpace>>>,
    /// Rows reserved up front (the codes reserve as many when they are made).
    reserve: usize,
    graph: Graph,
    slots: NodeStore<Slot>,
    /// Ids handed out, every one with its storage in place (some may still be being linked).
    allocated: AtomicUsize,
    /// Held while an id is handed out and its storage made: an id is published only once every
    /// row it needs exists, and a failed insert gives nothing out.
    allocation: Mutex<()>,
    /// Inserts hold it shared for their whole run; `save` and `repair` hold it exclusively, so
    /// they wait for inserts in flight and see a graph no insert is changing. Searches never
    /// take it.
    inserts: RwLock<()>,
    /// Nodes fully inserted.
    ready: AtomicUsize,
    pool: ScratchPool,
}

impl Index {
    /// An empty index for vectors of `dim` floats.
    pub fn new(params: IndexParams, dim: usize) -> Result<Self> {
        Self::with_capacity(params, dim, 0)
    }

    /// An empty index with room reserved for `capacity` vectors in one allocation (it still grows
    /// past that, in chunks).
    pub fn with_capacity(params: IndexParams, dim: usize, capacity: usize) -> Result<Self> {
        check_shape(&params, dim, capacity)?;
        let vectors = VectorArena::new(dim, capacity)?;
        let graph = Graph::new(graph_config(&params), capacity)?;
        Self::from_parts(params, vectors, graph, capacity)
    }

    /// An empty index whose first `capacity` vectors live in a scratch file in `dir` (mapped
    /// shared, unlinked at once), built on 8-bit codes of its vectors held in RAM: an index whose
    /// vectors exceed memory can be built. Past `capacity` it grows on the heap.
    ///
    /// HNSW construction reads vectors at random, so inserts compute their distances on the
    /// codes (a quarter of the vectors' size, see `sample`), and the full vectors in the
    /// scratch file are only written, which the OS can page out freely. Searches, `save` and
    /// everything after the build use the full vectors.
    ///
    /// `sample` (rows of `dim` floats, e.g. a few thousand spread over the data) sets each
    /// dimension's range for the codes; later values outside it are clamped to the range.
    pub fn with_capacity_on_disk(
        params: IndexParams,
        dim: usize,
        capacity: usize,
        dir: impl AsRef<Path>,
        sample: &[f32],
    ) -> Result<Index> {
        check_shape(&params, dim, capacity)?;
        let codes = fit_codes(&params, dim, capacity, sample)?;
        let config = graph_config(&params);
        let vectors = persist::scratch_rows(dir.as_ref(), padded_dim(dim), capacity)?;
        // Links stay in RAM (a quarter of the vectors' size at dim 128): they are rewritten all
        // through the build, and as file pages they would be written back again and again.
        let layer0 = RowStore::new(1 + config.m0, capacity)?;
        let graph = Graph::with_layer0(config, layer0, capacity);
        let mut index = Index::from_parts(
            params,
            VectorArena::from_rows(dim, vectors),
            graph,
            capacity,
        )?;
        index.codes = OnceLock::from(codes);
        Ok(index)
    }

    /// An index over existing vectors and graph (which may sit on a file), with no node ready
    /// yet; the loader marks them.
    fn from_parts(
        params: IndexParams,
        vectors: VectorArena,
        graph: Graph,
        reserve: usize,
    ) -> Result<Self> {
        let pool = ScratchPool::new(vectors.stride());
        let mut space = Space::new(vectors, params.metric());
        if params.quantization() == Quantization::None
            && space.vectors.dim() >= sign_filter::MIN_DIM
        {
            let dim = space.vectors.dim();
            space.sketches = Some(SignFilter::new(dim, params.metric(), reserve)?);
        }
        Ok(Self {
            params,
            space,
            codes: OnceLock::new(),
            reserve,
            graph,
            slots: NodeStore::new(reserve),
            allocated: AtomicUsize::new(0),
            allocation: Mutex::new(()),
            inserts: RwLock::new(()),
            ready: AtomicUsize::new(0),
            pool,
            build_codes: RwLock::new(None),
        })
    }

    /// Marks the first `nodes` ids, already linked, as inserted under `keys` (loading a file).
    fn restore_nodes(&self, keys: impl Iterator<Item = u64>) {
        let mut n = 0;
        for (id, key) in keys.enumerate() {
            let slot = self.slots.get(id);
            slot.key.store(key, Ordering::Relaxed);
            slot.ready.store(true, Ordering::Relaxed);
            n += 1;
        }
        self.allocated.store(n, Ordering::Release);
        self.ready.store(n, Ordering::Release);
    }

    /// Builds an index from `data` (`n * dim` floats, row-major), inserting rows in parallel on
    /// the current rayon pool. Row `i` gets key `i`.
    pub fn build(params: IndexParams, dim: usize, data: &[f32]) -> Result<Self> {
        params.validate()?;
        let rows = check_matrix(data, dim, params.metric(), 0)?;
        if rows == 0 {
            return Err(Error::Empty {
                what: "no vectors to build from",
            });
        }
        let index = Self::with_capacity(params, dim, rows)?;
        let keys: Vec<u64> = (0..rows as u64).collect();
        index.add_batch(&keys, data)?;
        index.repair()?;
        Ok(index)
    }

    /// Adds one vector under `key`.
    pub fn add(&self, key: u64, vector: &[f32]) -> Result<()> {
        check_vector(vector, self.dim(), self.metric())?;
        self.learn_codes(vector)?;
        self.insert_checked(key, vector)
    }

    /// Adds `keys.len()` vectors (`data` is `keys.len() * dim` floats) in parallel. Every vector is
    /// checked first: on an error nothing is added.
    pub fn add_batch(&self, keys: &[u64], data: &[f32]) -> Result<()> {
        let rows = check_matrix(data, self.dim(), self.metric(), 0)?;
        if rows != keys.len() {
            return Err(Error::KeyCountMismatch {
                keys: keys.len(),
                vectors: rows,
            });
        }
        let rows = Matrix {
            data,
            dim: self.dim(),
        };
        self.insert_rows(keys, &rows, &|| {}, false)
    }

    /// Adds `keys.len()` vectors in parallel, row `i` (key `keys[i]`) put into `buf` by
    /// `row(i, buf)` (`dim` floats; e.g. read from a mapped file). Like [`Index::add_batch`] (a
    /// quantized index learns its codes from rows spread over them, a large batch is inserted
    /// on build codes), for vectors that are not one slice in memory. `inserted()` is called
    /// after each insert (a progress bar).
    ///
    /// Each row is checked as it is read. Up to 100,000 rows spread over the batch (all of a
    /// smaller one) are read and checked before any insert; a bad row found later fails the
    /// call with the rows inserted before it left in the index.
    pub fn add_rows<F, P>(&self, keys: &[u64], row: F, inserted: P) -> Result<()>
    where
        F: Fn(usize, &mut Vec<f32>) + Sync,
        P: Fn() + Sync,
    {
        self.insert_rows(keys, &Filled(row), &inserted, true)
    }

    /// The work of `add_batch` and `add_rows`; `check`: whether each row still needs checking.
    fn insert_rows<R, P>(&self, keys: &[u64], row: &R, inserted: &P, check: bool) -> Result<()>
    where
        R: Rows,
        P: Fn() + Sync,
    {
        let rows = keys.len();
        if rows == 0 {
            return Ok(());
        }
        self.learn_codes_from(rows, row)?;
        let _codes = self.install_build_codes(rows, row)?;
        (0..rows)
            .into_par_iter()
            .try_for_each_init(Vec::new, |buf, i| {
                let v = row.row(i, buf);
                if check {
                    check_row_of(v, self.dim(), self.metric(), i)?;
                }
                self.insert_checked(keys[i], v)?;
                inserted();
                Ok(())
            })
    }

    /// Codes for `capacity` nodes, their ranges fitted to up to `CODE_SAMPLE_ROWS` rows spread
    /// over the `rows` given by `row` and the first `present` nodes, read one at a time (no
    /// copy of the sample is made). The outer error: a sampled row that is no vector; the inner
    /// one: ranges that make no codes (see `fit_codes_from`).
    fn fit_spread<R: Rows>(
        &self,
        rows: usize,
        row: &R,
        present: usize,
        capacity: usize,
    ) -> Result<Result<CodedSpace>> {
        let (dim, metric) = (self.dim(), self.metric());
        let step = (rows + present).div_ceil(CODE_SAMPLE_ROWS).max(1);
        let mut checked = Ok(());
        let fitted = fit_codes_from(&self.params, dim, capacity, |observe| {
            let mut buf = Vec::new();
            for i in (0..rows).step_by(step) {
                let v = row.row(i, &mut buf);
                if let Err(e) = check_row_of(v, dim, metric, i) {
                    checked = Err(e);
                    return;
                }
                observe(v);
            }
            for id in (0..present).step_by(step) {
                observe(&self.space.vectors.get(id as u32)[..dim]);
            }
        });
        checked?;
        Ok(fitted)
    }

    /// Before a batch of `rows` goes into an unquantized index: 8-bit codes of every node, the
    /// batch's to come and those already there, which every insert computes its distances on
    /// until the returned guard drops them (see [`IndexParams::exact_build`]). `None` when the
    /// batch goes the exact way: a quantized or on-disk index (it has codes of its own),
    /// `exact_build`, another batch's codes already in place (the batch then uses those), a
    /// batch too small to pay for coding the nodes already there, or rows whose ranges make no
    /// codes.
    ///
    /// `inserts` is held exclusively only while the codes are made, so that every node has its
    /// code once inserts see them: inserts in flight finish first on exact distances, and
    /// their nodes are coded with the rest.
    fn install_build_codes<R: Rows>(&self, rows: usize, row: &R) -> Result<Option<BuildCodes<'_>>> {
        if self.params.get_exact_build()
            || self.codes.get().is_some()
            || rows < BUILD_CODES_MIN_ROWS
        {
            return Ok(None);
        }
        let _quiet = self.inserts.write();
        let present = self.allocated.load(Ordering::Acquire);
        if self.build_codes.read().is_some() || rows < present / 4 {
            return Ok(None);
        }
        let Ok(codes) = self.fit_spread(rows, row, present, present + rows)? else {
            return Ok(None);
        };
        for id in 0..present as u32 {
            // SAFETY: the codes reserve every id below `present + rows` up front, and they are
            // this call's own: no other thread can see them yet.
            unsafe { codes.write(id, self.space.vectors.get(id)) };
        }
        *self.build_codes.write() = Some(Arc::new(codes));
        Ok(Some(BuildCodes { index: self }))
    }

    /// Re-links nodes that link pruning left unreachable from the entry point on layer 0
    /// ([`Index::build`] does this already; call it after a series of [`Index::add`] or
    /// [`Index::add_batch`] calls: it walks the whole graph once, so not after every add).
    /// Returns the number of nodes re-linked; typically a handful per hundred thousand.
    ///
    /// Inserts in flight on other threads are waited for, and new ones wait until it is done.
    pub fn repair(&self) -> Result<usize> {
        let mut work = self.pool.get()?;
        let _quiet = self.inserts.write();
        let nodes = self.ready.load(Ordering::Acquire);
        let (vectors, scratch) = (&self.space.vectors, &mut work.scratch);
        // Distances as the build computed them: on codes, an on-disk build reads one vector per
        // orphan from the scratch file instead of one per distance.
        Ok(match self.codes.get() {
            Some(codes) => self
                .graph
                .repair_reachability(codes, vectors, nodes, scratch),
            None => self
                .graph
                .repair_reachability(&self.space, vectors, nodes, scratch),
        })
    }

    fn insert_checked(&self, key: u64, vector: &[f32]) -> Result<()> {
        let _inserting = self.inserts.read();
        match self.codes.get() {
            Some(codes) => self.insert_on(key, vector, Some(codes)),
            // Only an index without codes of its own can have a batch's build codes.
            None => {
                let build_codes = self.build_codes.read().clone();
                self.insert_on(key, vector, build_codes.as_deref())
            }
        }
    }

    /// Inserts `vector` under `key`, its distances computed on `codes` when given (the index's
    /// own, or a batch's build codes), which get the new node's code. The caller holds
    /// `inserts`.
    fn insert_on(&self, key: u64, vector: &[f32], codes: Option<&CodedSpace>) -> Result<()> {
        let mut work = self.pool.get()?;
        let work = &mut *work;
        let (id, level) = self.allocate(codes)?;
        let id32 = id as u32;
        let v = prepare_query(&mut work.query, vector, self.metric());
        // SAFETY: `id` was just handed out by `allocated` to this call alone and is not linked
        // anywhere yet, so no other thread reads or writes its row; storage was ensured above.
        unsafe { self.space.vectors.write(id32, v) };
        if let Some(sketches) = &self.space.sketches {
            // SAFETY: as for the vector row just above.
            unsafe { sketches.write(id32, v) };
        }
        let slot = self.slots.get(id);
        slot.key.store(key, Ordering::Relaxed);

        match codes {
            Some(codes) => {
                // SAFETY: as for the vector row just above.
                unsafe { codes.write(id32, v) };
                let q = codes.prepare(v, &mut work.coded);
                // A batch's build codes only find the candidates; the links are chosen on the
                // full vectors, as an exact build chooses them.
                let link_on = match self.codes.get() {
                    Some(_) => None,
                    None => Some((&self.space, v)),
                };
                self.graph
                    .insert(codes, q, link_on, id32, level, &mut work.scratch);
            }
            None => self.graph.insert(
                &self.space,
                v,
                None::<(&Space, &[f32])>,
                id32,
                level,
                &mut work.scratch,
            ),
        }
        slot.ready.store(true, Ordering::Release);
        self.ready.fetch_add(1, Ordering::Release);
        Ok(())
    }

    /// Hands out the next id with every row it needs (vector, slot, links, code) in place, and
    /// its level. On an error nothing is handed out, and the next insert tries the same id.
    fn allocate(&self, codes: Option<&CodedSpace>) -> Result<(usize, usize)> {
        let _one_at_a_time = self.allocation.lock();
        let id = self.allocated.load(Ordering::Relaxed);
        if id >= MAX_NODES {
            return Err(Error::CapacityExceeded {
                capacity: MAX_NODES,
            });
        }
        let id32 = id as u32;
        let level = self.graph.draw_level(id32);
        self.space.vectors.ensure(id32)?;
        #[cfg(test)]
        if fail_next_allocation::take() {
            return Err(Error::OutOfMemory {
                what: "test",
                reason: "an allocation failed on purpose".into(),
            });
        }
        self.slots.ensure(id)?;
        if let Some(codes) = codes {
            codes.ensure(id32)?;
        }
        if let Some(sketches) = &self.space.sketches {
            sketches.ensure(id32)?;
        }
        // Last: it sets the node's upper links only once its other storage exists.
        self.graph.prepare_node(id32, level)?;
        self.allocated.store(id + 1, Ordering::Release);
        Ok((id, level))
    }

    fn is_quantized(&self) -> bool {
        self.params.quantization() == Quantization::Sq8
    }

    /// The codes searches walk on and files keep: a quantized index's, once learnt (an
    /// on-disk build's codes serve its inserts only).
    fn walk_codes(&self) -> Option<&CodedSpace> {
        self.codes.get().filter(|_| self.is_quantized())
    }

    /// A quantized index learns each dimension's code range from `sample` (rows of `dim`
    /// floats; at most 100,000 of them are used, spread over the rows). Without this call it
    /// learns them from the first vectors added, so call it first when those are not spread
    /// over the data (e.g. when adding one vector at a time: one row fits no range). Does
    /// nothing when the index is not quantized or already has its codes.
    pub fn learn_codes(&self, sample: &[f32]) -> Result<()> {
        if !self.is_quantized() || self.codes.get().is_some() {
            return Ok(());
        }
        let rows = check_matrix(sample, self.dim(), self.metric(), 0)?;
        let sample = Matrix {
            data: sample,
            dim: self.dim(),
        };
        self.learn_codes_from(rows, &sample)
    }

    /// [`Index::learn_codes`] from the `rows` given by `row` (nothing when the index is not
    /// quantized or has its codes).
    fn learn_codes_from<R: Rows>(&self, rows: usize, row: &R) -> Result<()> {
        if !self.is_quantized() || self.codes.get().is_some() {
            return Ok(());
        }
        let _one_at_a_time = self.allocation.lock();
        if self.codes.get().is_some() {
            return Ok(());
        }
        let codes = self.fit_spread(rows, row, 0, self.reserve)??;
        // Codes for nodes already there (none: a quantized index inserts nothing without them).
        debug_assert_eq!(self.allocated.load(Ordering::Acquire), 0);
        let _ = self.codes.set(codes);
        Ok(())
    }

    /// The exact `k` nearest neighbours by brute force over every inserted vector.
    pub fn exact_search(&self, query: &[f32], k: usize) -> Result<Vec<Neighbor>> {
        check_k(k)?;
        check_vector(query, self.dim(), self.metric())?;
        let mut work = self.pool.get()?;
        let q = prepare_query(&mut work.query, query, self.metric());
        let ids = (0..self.allocated.load(Ordering::Acquire) as u32)
            .filter(|&id| self.slots.get(id as usize).ready.load(Ordering::Acquire));
        Ok(top_k(&self.space, q, ids, k)
            .into_iter()
            .map(|c| self.neighbor(c))
            .collect())
    }

    /// [`Index::exact_search`] for each row of `queries`, in parallel.
    pub fn exact_search_batch(&self, queries: &[f32], k: usize) -> Result<Vec<Vec<Neighbor>>> {
        check_k(k)?;
        check_matrix(queries, self.dim(), self.metric(), 0)?;
        queries
            .par_chunks_exact(self.dim())
            .map(|q| self.exact_search(q, k))
            .collect()
    }

    fn neighbor(&self, c: Candidate) -> Neighbor {
        Neighbor {
            key: self.key_of(c.id),
            distance: c.distance,
        }
    }

    fn key_of(&self, id: u32) -> u64 {
        self.slots.get(id as usize).key.load(Ordering::Relaxed)
    }

    /// The node count, if no insert is in flight (a consistent moment to save).
    fn quiescent_len(&self) -> Option<usize> {
        let ready = self.ready.load(Ordering::Acquire);
        (ready == self.allocated.load(Ordering::Acquire)).then_some(ready)
    }

    /// Excludes inserts (waiting for those in flight) while the guard lives.
    fn without_inserts(&self) -> RwLockWriteGuard<'_, ()> {
        self.inserts.write()
    }

    /// The keys of the vectors fully inserted, in the order their inserts began (a parallel
    /// [`Index::add_batch`] takes rows in no fixed order). A vector being added meanwhile may or
    /// may not be among them.
    pub fn keys(&self) -> Vec<u64> {
        (0..self.allocated.load(Ordering::Acquire))
            .filter(|&id| self.slots.get(id).ready.load(Ordering::Acquire))
            .map(|id| self.key_of(id as u32))
            .collect()
    }

    /// Vectors fully inserted.
    pub fn len(&self) -> usize {
        self.ready.load(Ordering::Acquire)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn dim(&self) -> usize {
        self.space.vectors.dim()
    }

    pub fn metric(&self) -> Metric {
        self.space.metric()
    }

    pub fn params(&self) -> &IndexParams {
        &self.params
    }

    /// Bytes allocated for vectors, links and per-node state.
    pub fn memory_bytes(&self) -> usize {
        self.space.vectors.allocated_bytes()
            + self.codes.get().map_or(0, CodedSpace::allocated_bytes)
            + self
                .space
                .sketches
                .as_ref()
                .map_or(0, SignFilter::allocated_bytes)
            + self
                .graph
                .allocated_bytes(self.allocated.load(Ordering::Acquire))
            + self.slots.allocated_bytes()
    }
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("dim", &self.dim())
            .field("metric", &self.metric())
            .field("len", &self.len())
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

/// The most rows a quantized index learns its code ranges from.
const CODE_SAMPLE_ROWS: usize = 100_000;

/// Drops a batch's build codes when the batch ends, however it ends (inserts still running on
/// them keep them alive through their `Arc`).
struct BuildCodes<'a> {
    index: &'a Index,
}

impl Drop for BuildCodes<'_> {
    fn drop(&mut self) {
        *self.index.build_codes.write() = None;
    }
}

/// Where a batch's rows come from: one matrix, or a caller's function.
trait Rows: Sync {
    /// Row `i`, from the source's storage or put into `buf`.
    fn row<'a>(&'a self, i: usize, buf: &'a mut Vec<f32>) -> &'a [f32];
}

/// Rows of `dim` floats one after another.
struct Matrix<'d> {
    data: &'d [f32],
    dim: usize,
}

impl Rows for Matrix<'_> {
    fn row<'a>(&'a self, i: usize, _buf: &'a mut Vec<f32>) -> &'a [f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }
}

/// Rows a function puts into the buffer (`Index::add_rows`).
struct Filled<F>(F);

impl<F: Fn(usize, &mut Vec<f32>) + Sync> Rows for Filled<F> {
    fn row<'a>(&'a self, i: usize, buf: &'a mut Vec<f32>) -> &'a [f32] {
        buf.clear();
        (self.0)(i, buf);
        buf
    }
}

/// The fewest rows a batch inserts on build codes (fewer fit the ranges poorly, and the codes
/// of the nodes already there would not pay).
const BUILD_CODES_MIN_ROWS: usize = 4096;

/// 8-bit codes fitted to `sample` (checked like any input matrix, and prepared as stored
/// vectors are: normalised under cosine), with room for `capacity` rows.
fn fit_codes(
    params: &IndexParams,
    dim: usize,
    capacity: usize,
    sample: &[f32],
) -> Result<CodedSpace> {
    check_matrix(sample, dim, params.metric(), 0)?;
    fit_codes_from(params, dim, capacity, |observe| {
        sample.chunks_exact(dim).for_each(observe)
    })
}

/// Codes for `capacity` nodes, each dimension's range fitted to the rows `feed` hands to the
/// function it is given (checked vectors of `dim` floats).
fn fit_codes_from(
    params: &IndexParams,
    dim: usize,
    capacity: usize,
    feed: impl FnOnce(&mut dyn FnMut(&[f32])),
) -> Result<CodedSpace> {
    let metric = params.metric();
    let mut trainer = Sq8Trainer::new(padded_dim(dim));
    let mut row = PaddedQuery::new(padded_dim(dim))?;
    feed(&mut |v| trainer.observe(prepare_query(&mut row, v, metric)));
    // A sample of one row, or of rows that barely differ, fits every range to a point: every
    // code would be alike and the graph walked on them random.
    let (rows, varying) = trainer.spread(dim);
    let advice = "8-bit codes learn each dimension's range from rows spread over the data (a few \
                  thousand; for a quantized index, its first batch or `learn_codes`)";
    if rows >= 2 && varying * 2 < dim {
        return Err(Error::InvalidParameter {
            name: "sample",
            reason: format!("its {rows} rows vary in only {varying} of {dim} dimensions; {advice}"),
        });
    }
    if rows == 1 {
        return Err(Error::InvalidParameter {
            name: "sample",
            reason: format!("one row spans no range; {advice}"),
        });
    }
    CodedSpace::new(trainer.finish()?, metric, capacity)
}

#[cfg(test)]
mod graph_checks;

/// A switch the tests flip to make the next allocation fail half-way (after the vector row,
/// before the rest), as running out of memory would.
#[cfg(test)]
mod fail_next_allocation {
    use std::sync::atomic::{AtomicBool, Ordering};

    thread_local! {
        static FAIL: AtomicBool = const { AtomicBool::new(false) };
    }

    pub(super) fn arm() {
        FAIL.with(|f| f.store(true, Ordering::Relaxed));
    }

    pub(super) fn take() -> bool {
        FAIL.with(|f| f.swap(false, Ordering::Relaxed))
    }
}

#[cfg(test)]
mod failed_insert {
    use super::*;

    #[test]
    fn a_failed_insert_leaves_the_index_as_it_was_and_usable() {
        // `allocated` used to be bumped before the fallible steps and never rolled back: after
        // one failure every save said vectors were being added.
        let dim = 4;
        let index = Index::new(IndexParams::new(Metric::L2), dim).unwrap();
        for i in 0..50u64 {
            index.add(i, &[i as f32, 1.0, 2.0, 3.0]).unwrap();
        }
        fail_next_allocation::arm();
        assert!(matches!(
            index.add(99, &[7.0; 4]),
            Err(Error::OutOfMemory { what: "test", .. })
        ));
        assert_eq!(index.len(), 50);
        let exact = index.exact_search(&[7.0; 4], 3).unwrap();
        assert!(exact.iter().all(|n| n.key < 50));
        let dir = std::env::temp_dir().join(format!("vicino-failed-insert-{}", std::process::id()));
        index.save(&dir).unwrap();
        assert_eq!(Index::load(&dir).unwrap().len(), 50);
        let _ = std::fs::remove_file(&dir);
        // The next insert takes the id the failed one did not get, and is found.
        index.add(99, &[7.0; 4]).unwrap();
        assert_eq!(index.len(), 51);
        assert_eq!(index.search(&[7.0; 4], 1, 16).unwrap()[0].key, 99);
        assert_eq!(index.exact_search(&[7.0; 4], 1).unwrap()[0].key, 99);
    }
}
