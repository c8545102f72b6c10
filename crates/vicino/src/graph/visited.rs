//! Per-search scratch state, reused across searches through a pool.
//!
//! The visited set is a tag per node: a search bumps the current tag instead of clearing the
//! array, which is wiped only when the `u16` tag wraps (once every 65,535 searches).

use crate::quantize::CodedQuery;
use std::ops::{Deref, DerefMut};

use parking_lot::Mutex;

use super::beam::Beam;
use super::Candidate;
use crate::arena::{prefetch, PaddedQuery};
use crate::error::Result;

pub(crate) struct VisitedSet {
    tags: Vec<u16>,
    current: u16,
}

impl VisitedSet {
    fn new() -> Self {
        Self {
            tags: Vec::new(),
            current: 0,
        }
    }

    /// Starts a new search. (The tag array grows as ids are met.)
    pub(crate) fn reset(&mut self) {
        self.current = self.current.wrapping_add(1);
        if self.current == 0 {
            self.tags.fill(0);
            self.current = 1;
        }
    }

    /// Starts loading the tag of `id`.
    #[inline(always)]
    pub(crate) fn prefetch(&self, id: u32) {
        if let Some(tag) = self.tags.get(id as usize) {
            prefetch((tag as *const u16).cast());
        }
    }

    /// Whether `id` is marked in this search.
    #[inline(always)]
    pub(crate) fn contains(&self, id: u32) -> bool {
        self.tags.get(id as usize) == Some(&self.current)
    }

    /// Marks `id`; true if it was not yet visited in this search.
    #[inline(always)]
    pub(crate) fn insert(&mut self, id: u32) -> bool {
        let id = id as usize;
        if id >= self.tags.len() {
            // First search on a bigger graph (or a node added since this search started).
            self.tags.resize((id + 1).next_power_of_two(), 0);
        }
        let tag = &mut self.tags[id];
        let fresh = *tag != self.current;
        *tag = self.current;
        fresh
    }
}

/// Everything one search or insert needs besides the index itself.
pub(crate) struct Scratch {
    pub(crate) visited: VisitedSet,
    /// The best `ef` nodes found by a layer search, and which of them are expanded.
    pub(crate) beam: Beam,
    /// Unvisited neighbours of the node being expanded.
    pub(crate) neighbours: Vec<u32>,
    /// Buffers of the insert path.
    pub(crate) found: Vec<Candidate>,
    pub(crate) entries: Vec<Candidate>,
    pub(crate) chosen: Vec<Candidate>,
    pub(crate) pruned: Vec<Candidate>,
    pub(crate) pruned_out: Vec<Candidate>,
    /// A quantized search's best candidates with their exact distances.
    pub(crate) reranked: Vec<Candidate>,
    /// Per layer, the neighbours a new node will link back from once it is linked everywhere.
    pub(crate) back_links: Vec<Vec<Candidate>>,
}

impl Scratch {
    fn new() -> Self {
        Self {
            visited: VisitedSet::new(),
            beam: Beam::new(),
            neighbours: Vec::new(),
            found: Vec::new(),
            entries: Vec::new(),
            chosen: Vec::new(),
            pruned: Vec::new(),
            pruned_out: Vec::new(),
            reranked: Vec::new(),
            back_links: Vec::new(),
        }
    }
}

/// A scratch state plus query buffers: what the pool lends out.
pub(crate) struct Workspace {
    pub(crate) query: PaddedQuery,
    /// The query prepared for 8-bit codes, in a quantized index.
    pub(crate) coded: CodedQuery,
    pub(crate) scratch: Scratch,
}

/// A pool of scratch states so that no search allocates once warm.
pub(crate) struct ScratchPool {
    stride: usize,
    free: Mutex<Vec<Workspace>>,
}

impl ScratchPool {
    pub(crate) fn new(stride: usize) -> Self {
        Self {
            stride,
            free: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn get(&self) -> Result<PooledScratch<'_>> {
        let scratch = match self.free.lock().pop() {
            Some(s) => s,
            None => Workspace {
                query: PaddedQuery::new(self.stride)?,
                coded: CodedQuery::default(),
                scratch: Scratch::new(),
            },
        };
        Ok(PooledScratch {
            pool: self,
            inner: Some(scratch),
        })
    }
}

/// A scratch state on loan; goes back to the pool when dropped.
pub(crate) struct PooledScratch<'a> {
    pool: &'a ScratchPool,
    inner: Option<Workspace>,
}

impl Deref for PooledScratch<'_> {
    type Target = Workspace;
    fn deref(&self) -> &Workspace {
        self.inner
            .as_ref()
            .unwrap_or_else(|| unreachable!("taken only in drop"))
    }
}

impl DerefMut for PooledScratch<'_> {
    fn deref_mut(&mut self) -> &mut Workspace {
        self.inner
            .as_mut()
            .unwrap_or_else(|| unreachable!("taken only in drop"))
    }
}

impl Drop for PooledScratch<'_> {
    fn drop(&mut self) {
        if let Some(s) = self.inner.take() {
            self.pool.free.lock().push(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visited_forgets_between_searches_and_survives_wraparound() {
        let mut v = VisitedSet::new();
        for round in 0..70_000u32 {
            v.reset();
            assert!(v.insert(round % 8), "round {round}");
            assert!(!v.insert(round % 8));
        }
    }

    #[test]
    fn visited_grows_for_new_ids() {
        let mut v = VisitedSet::new();
        v.reset();
        assert!(v.insert(1000));
        assert!(!v.insert(1000));
    }

    #[test]
    fn pool_reuses_scratch() {
        let pool = ScratchPool::new(16);
        {
            let mut s = pool.get().unwrap();
            s.scratch.neighbours.reserve(1000);
        }
        assert_eq!(pool.free.lock().len(), 1);
        let s = pool.get().unwrap();
        assert!(
            s.scratch.neighbours.capacity() >= 1000,
            "a fresh scratch was made"
        );
        assert_eq!(pool.free.lock().len(), 0);
    }
}
