//! Exact (brute-force) search: the ground truth every recall figure is measured against.

use std::collections::BinaryHeap;

use rayon::prelude::*;

use super::validate::{check_k, check_matrix, check_vector};
use crate::arena::{PaddedQuery, VectorArena};
use crate::error::{Error, Result};
use crate::graph::Candidate;
use crate::metric::Metric;
use crate::space::{Distances, Space};
use crate::Neighbor;

/// The `k` nodes among `ids` nearest to `query` (padded, normalised for cosine), ascending.
pub(crate) fn top_k(
    space: &Space,
    query: &[f32],
    ids: impl Iterator<Item = u32>,
    k: usize,
) -> Vec<Candidate> {
    // Never more than there are ids: a huge k must not allocate for itself.
    let room = ids.size_hint().1.map_or(k, |n| n.min(k));
    let mut best = BinaryHeap::with_capacity(room.saturating_add(1));
    for id in ids {
        let distance = space.to_node(query, id);
        if best.len() < k {
            best.push(Candidate { distance, id });
        } else if best
            .peek()
            .is_some_and(|w: &Candidate| distance < w.distance)
        {
            best.pop();
            best.push(Candidate { distance, id });
        }
    }
    best.into_sorted_vec()
}

/// Copies `query` into `buf`, normalising it under cosine.
pub(crate) fn prepare_query<'a>(
    buf: &'a mut PaddedQuery,
    query: &[f32],
    metric: Metric,
) -> &'a [f32] {
    let q = buf.load(query);
    if metric == Metric::Cosine {
        crate::distance::scalar::normalize(q);
    }
    q
}

/// A brute-force index: every search compares the query with every vector, with the same
/// kernels as [`crate::Index`]. Exact, and the reference for recall.
///
/// Keys are row numbers.
pub struct FlatIndex {
    space: Space,
    rows: usize,
}

impl FlatIndex {
    /// Copies `data` (`n * dim` floats, row-major) into an aligned arena.
    pub fn new(metric: Metric, dim: usize, data: &[f32]) -> Result<Self> {
        let rows = check_matrix(data, dim, metric, 0)?;
        if rows > u32::MAX as usize {
            return Err(Error::CapacityExceeded {
                capacity: u32::MAX as usize,
            });
        }
        let arena = VectorArena::new(dim, rows)?;
        let mut buf = PaddedQuery::new(arena.stride())?;
        for (id, row) in data.chunks_exact(dim).enumerate() {
            let v = prepare_query(&mut buf, row, metric);
            // SAFETY: rows < reserve, so storage exists; `arena` is not shared yet.
            unsafe { arena.write(id as u32, v) };
        }
        Ok(Self {
            space: Space::new(arena, metric),
            rows,
        })
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    pub fn dim(&self) -> usize {
        self.space.vectors.dim()
    }

    pub fn metric(&self) -> Metric {
        self.space.metric()
    }

    /// The `k` nearest rows to `query`, nearest first.
    pub fn search(&self, query: &[f32], k: usize) -> Result<Vec<Neighbor>> {
        check_k(k)?;
        check_vector(query, self.dim(), self.metric())?;
        let mut buf = PaddedQuery::new(self.space.vectors.stride())?;
        let q = prepare_query(&mut buf, query, self.metric());
        Ok(top_k(&self.space, q, 0..self.rows as u32, k)
            .into_iter()
            .map(|c| Neighbor {
                key: c.id as u64,
                distance: c.distance,
            })
            .collect())
    }

    /// [`FlatIndex::search`] for each row of `queries`, in parallel.
    pub fn search_batch(&self, queries: &[f32], k: usize) -> Result<Vec<Vec<Neighbor>>> {
        check_k(k)?;
        check_matrix(queries, self.dim(), self.metric(), 0)?;
        queries
            .par_chunks_exact(self.dim())
            .map(|q| self.search(q, k))
            .collect()
    }
}
