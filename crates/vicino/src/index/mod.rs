//! The public index: vectors, graph and keys together, behind a `Send + Sync` handle.

mod exact;
mod params;
mod validate;

pub use exact::FlatIndex;
pub use params::IndexParams;

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use rayon::prelude::*;

pub(crate) use self::exact::prepare_query;
pub(crate) use self::validate::check_matrix;

use self::exact::top_k;
use self::validate::{check_k, check_vector};
use crate::arena::{NodeStore, VectorArena};
use crate::error::{Error, Result};
use crate::graph::{Candidate, Descent, Graph, GraphConfig, ScratchPool};
use crate::metric::Metric;
use crate::quantize::CodedSpace;
use crate::space::Space;

/// One search hit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbor {
    /// The key the vector was added with (its row number when built from a matrix).
    pub key: u64,
    /// Distance to the query as defined by the [`Metric`] (smaller is closer).
    pub distance: f32,
}

/// The checks every constructor makes before allocating.
pub(crate) fn check_shape(params: &IndexParams, dim: usize, capacity: usize) -> Result<()> {
    params.validate()?;
    if dim == 0 {
        return Err(Error::InvalidParameter {
            name: "dim",
            reason: "must be at least 1".into(),
        });
    }
    if capacity > MAX_NODES {
        return Err(Error::CapacityExceeded {
            capacity: MAX_NODES,
        });
    }
    Ok(())
}

pub(crate) fn graph_config(params: &IndexParams) -> GraphConfig {
    GraphConfig {
        m: params.get_m(),
        m0: params.m0(),
        ef_construction: params.get_ef_construction(),
        level_multiplier: params.level_multiplier(),
        seed: params.get_seed(),
    }
}

/// The largest number of nodes one index holds (ids are `u32`).
pub const MAX_NODES: usize = u32::MAX as usize - 1;

/// The largest vector dimension an index (and its file) takes. Dataset readers use it too: a
/// file declaring more is taken for a corrupt header rather than trusted with an allocation.
pub const MAX_DIM: usize = 1 << 20;

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
    /// 8-bit codes of every vector, when inserts compute their distances on them (an on-disk
    /// build: see `crate::quantize`); searches always use `space`.
    build_codes: Option<CodedSpace>,
    graph: Graph,
    slots: NodeStore<Slot>,
    /// Ids handed out (some may still be being inserted).
    allocated: AtomicUsize,
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
        Ok(Self::from_parts(params, vectors, graph, capacity))
    }

    /// An index over existing vectors and graph (which may sit on a file), with no node ready
    /// yet; the loader marks them.
    pub(crate) fn from_parts(
        params: IndexParams,
        vectors: VectorArena,
        graph: Graph,
        reserve: usize,
    ) -> Self {
        let pool = ScratchPool::new(vectors.stride());
        Self {
            params,
            space: Space::new(vectors, params.metric()),
            build_codes: None,
            graph,
            slots: NodeStore::new(reserve),
            allocated: AtomicUsize::new(0),
            ready: AtomicUsize::new(0),
            pool,
        }
    }

    /// Marks the first `nodes` ids, already linked, as inserted under `keys` (loading a file).
    pub(crate) fn restore_nodes(&self, keys: impl Iterator<Item = u64>) {
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
        index.repair();
        Ok(index)
    }

    /// Adds one vector under `key`.
    pub fn add(&self, key: u64, vector: &[f32]) -> Result<()> {
        check_vector(vector, self.dim(), self.metric())?;
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
        keys.par_iter()
            .zip(data.par_chunks_exact(self.dim()))
            .try_for_each(|(&key, v)| self.insert_checked(key, v))
    }

    /// Re-links nodes that link pruning left unreachable from the entry point on layer 0
    /// ([`Index::build`] does this already; call it after a series of [`Index::add`] or
    /// [`Index::add_batch`] calls: it walks the whole graph once, so not after every add).
    /// Returns the number of nodes re-linked; typically a handful per hundred thousand.
    pub fn repair(&self) -> usize {
        let nodes = self.ready.load(Ordering::Acquire);
        if nodes != self.allocated.load(Ordering::Acquire) {
            // Inserts are in flight on other threads; their batch will repair when done.
            return 0;
        }
        let Ok(mut work) = self.pool.get() else {
            return 0;
        };
        let (vectors, scratch) = (&self.space.vectors, &mut work.scratch);
        // Distances as the build computed them: on codes, an on-disk build reads one vector per
        // orphan from the scratch file instead of one per distance.
        match &self.build_codes {
            Some(codes) => self
                .graph
                .repair_reachability(codes, vectors, nodes, scratch),
            None => self
                .graph
                .repair_reachability(&self.space, vectors, nodes, scratch),
        }
    }

    fn insert_checked(&self, key: u64, vector: &[f32]) -> Result<()> {
        let id = self.allocated.fetch_add(1, Ordering::Relaxed);
        if id >= MAX_NODES {
            self.allocated.fetch_sub(1, Ordering::Relaxed);
            return Err(Error::CapacityExceeded {
                capacity: MAX_NODES,
            });
        }
        let id32 = id as u32;
        let level = self.graph.draw_level(id32);
        self.space.vectors.ensure(id32)?;
        self.slots.ensure(id)?;
        self.graph.prepare_node(id32, level)?;
        if let Some(codes) = &self.build_codes {
            codes.ensure(id32)?;
        }

        let mut work = self.pool.get()?;
        let work = &mut *work;
        let v = prepare_query(&mut work.query, vector, self.metric());
        // SAFETY: `id` was just handed out by `allocated` to this call alone and is not linked
        // anywhere yet, so no other thread reads or writes its row; storage was ensured above.
        unsafe { self.space.vectors.write(id32, v) };
        let slot = self.slots.get(id);
        slot.key.store(key, Ordering::Relaxed);

        match &self.build_codes {
            Some(codes) => {
                // SAFETY: as for the vector row just above.
                unsafe { codes.write(id32, v) };
                self.graph.insert(codes, v, id32, level, &mut work.scratch);
            }
            None => self
                .graph
                .insert(&self.space, v, id32, level, &mut work.scratch),
        }
        slot.ready.store(true, Ordering::Release);
        self.ready.fetch_add(1, Ordering::Release);
        Ok(())
    }

    /// The `k` nearest neighbours of `query` found by a beam search of width `ef`, nearest first.
    ///
    /// `ef` below `k` is raised to `k`. An empty index gives an empty result.
    pub fn search(&self, query: &[f32], k: usize, ef: usize) -> Result<Vec<Neighbor>> {
        check_k(k)?;
        check_vector(query, self.dim(), self.metric())?;
        let Some(entry) = self.graph.entry() else {
            return Ok(Vec::new());
        };
        let ef = ef.max(k);
        let mut work = self.pool.get()?;
        let work = &mut *work;
        let q = prepare_query(&mut work.query, query, self.metric());
        let mut hits = Vec::new();
        self.graph.descend_and_search(
            &self.space,
            q,
            Descent {
                entry,
                beam_from: 0,
                ef,
            },
            &mut work.scratch,
            |_| true,
            |_, found, _| hits.extend(found.iter().take(k).map(|&c| self.neighbor(c))),
        );
        Ok(hits)
    }

    /// [`Index::search`] for each row of `queries`, in parallel on the current rayon pool.
    pub fn search_batch(&self, queries: &[f32], k: usize, ef: usize) -> Result<Vec<Vec<Neighbor>>> {
        check_k(k)?;
        check_matrix(queries, self.dim(), self.metric(), 0)?;
        queries
            .par_chunks_exact(self.dim())
            .map(|q| self.search(q, k, ef))
            .collect()
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
            key: self.slots.get(c.id as usize).key.load(Ordering::Relaxed),
            distance: c.distance,
        }
    }

    /// From now on, inserts compute distances on `codes` (which must be empty: set before the
    /// first insert).
    pub(crate) fn set_build_codes(&mut self, codes: CodedSpace) {
        debug_assert_eq!(self.allocated.load(Ordering::Relaxed), 0);
        self.build_codes = Some(codes);
    }

    /// The vectors and the graph, for the persistence layer.
    pub(crate) fn parts(&self) -> (&Space, &Graph) {
        (&self.space, &self.graph)
    }

    pub(crate) fn key_of(&self, id: u32) -> u64 {
        self.slots.get(id as usize).key.load(Ordering::Relaxed)
    }

    /// The node count, if no insert is in flight (a consistent moment to save).
    pub(crate) fn quiescent_len(&self) -> Option<usize> {
        let ready = self.ready.load(Ordering::Acquire);
        (ready == self.allocated.load(Ordering::Acquire)).then_some(ready)
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
            + self
                .build_codes
                .as_ref()
                .map_or(0, CodedSpace::allocated_bytes)
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

#[cfg(test)]
mod graph_checks;
