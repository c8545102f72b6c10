//! The HNSW graph (Malkov & Yashunin, 2016): a hierarchy of proximity graphs over node ids.
//!
//! | file | owns |
//! |---|---|
//! | `mod.rs` | link storage, levels, the entry point |
//! | `candidate.rs` | the `(distance, id)` pair |
//! | `beam.rs` | a layer search's best `ef` nodes, sorted, with the next one to expand |
//! | `visited.rs` | the visited set (epoch tags) and the scratch pool |
//! | `search.rs` | greedy descent, the layer beam search (Algorithm 2), and the walk from the entry point that search, insert and repair share |
//! | `select.rs` | the neighbour-selection heuristic (Algorithm 4) |
//! | `insert.rs` | inserting a node (Algorithm 1) |
//! | `repair.rs` | re-linking nodes that pruning left unreachable on layer 0 |
//!
//! Layer 0 keeps every node's links in one flat slab of fixed-size rows `[count, id * M0]`;
//! upper layers, which hold about 1/M of the nodes, keep theirs per node. Links are atomics:
//! searches read them without locks, while a node's links are only *changed* under that node's
//! own lock, and no thread ever holds two node locks. A link row is published with a release
//! store of its count (and each id is stored with release), so a reader that sees an id also sees
//! that node's vector, which was written before the id was ever stored.

mod beam;
mod candidate;
mod insert;
mod repair;
mod search;
mod select;
mod visited;

pub(crate) use candidate::Candidate;
pub(crate) use search::Descent;
pub(crate) use visited::{Scratch, ScratchPool};

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::OnceLock;

use parking_lot::Mutex;

use crate::arena::{prefetch, NodeStore, RowStore};
use crate::error::Result;

/// The largest number of nodes one index holds (ids are `u32`, and `u32::MAX` is kept free).
pub const MAX_NODES: usize = u32::MAX as usize - 1;

/// The largest `ef_construction` taken: far above any useful value (hnswlib's examples use
/// 100-500), and well inside the index file's 32-bit field.
pub const MAX_EF_CONSTRUCTION: usize = 1 << 20;

/// Levels above this are never drawn (probability M^-31: never in practice).
const MAX_LEVEL: usize = 31;
const NO_ENTRY: u64 = u64::MAX;

/// Graph shape, fixed when the index is created.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GraphConfig {
    /// Link cap on layers above 0.
    pub m: usize,
    /// Link cap on layer 0.
    pub m0: usize,
    pub ef_construction: usize,
    /// mL: levels are `floor(-ln(U) * mL)`.
    pub level_multiplier: f64,
    pub seed: u64,
}

#[derive(Default)]
struct Node {
    /// Held while this node's links (any layer) are rewritten.
    lock: Mutex<()>,
    /// Links on layers 1..=level, `level` rows of `[count, id * m]`.
    upper: OnceLock<Box<[AtomicU32]>>,
}

pub(crate) struct Graph {
    config: GraphConfig,
    layer0: RowStore<AtomicU32>,
    nodes: NodeStore<Node>,
    /// `level << 32 | id` of the entry point, or `NO_ENTRY`.
    entry: AtomicU64,
    /// Serialises changes of the entry point (taken only by nodes above the current top level).
    entry_lock: Mutex<()>,
}

/// The links of one node on one layer, read without locks.
#[derive(Clone, Copy)]
pub(crate) struct Links<'a> {
    row: &'a [AtomicU32],
}

impl<'a> Links<'a> {
    const EMPTY: Links<'static> = Links { row: &[] };

    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        match self.row.first() {
            Some(count) => (count.load(Ordering::Acquire) as usize).min(self.row.len() - 1),
            None => 0,
        }
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = u32> + 'a {
        let n = self.len();
        self.row[1..=n].iter().map(|x| x.load(Ordering::Acquire))
    }

    /// Replaces the list. Caller holds the owning node's lock.
    fn set(&self, ids: impl ExactSizeIterator<Item = u32>) {
        let n = ids.len().min(self.row.len().saturating_sub(1));
        for (slot, id) in self.row[1..].iter().zip(ids) {
            slot.store(id, Ordering::Release);
        }
        if let Some(count) = self.row.first() {
            count.store(n as u32, Ordering::Release);
        }
    }

    /// Appends one id if there is room. Caller holds the owning node's lock.
    fn push(&self, id: u32) -> bool {
        let n = self.len();
        if n + 1 >= self.row.len() {
            return false;
        }
        self.row[1 + n].store(id, Ordering::Release);
        self.row[0].store(n as u32 + 1, Ordering::Release);
        true
    }

    /// Starts loading the row: every cache line it touches (a layer-0 row of 33 ids spans
    /// three).
    #[inline(always)]
    pub(crate) fn prefetch(&self) {
        let bytes = std::mem::size_of_val(self.row);
        let start = self.row.as_ptr().cast::<u8>();
        let mut offset = 0;
        while offset < bytes {
            prefetch(start.wrapping_add(offset));
            offset += 64;
        }
        if bytes > 0 {
            prefetch(start.wrapping_add(bytes - 1));
        }
    }
}

impl Graph {
    pub(crate) fn new(config: GraphConfig, reserve: usize) -> Result<Self> {
        Ok(Self::with_layer0(
            config,
            RowStore::new(1 + config.m0, reserve)?,
            reserve,
        ))
    }

    /// A graph whose layer-0 rows (`[count, m0 ids]`) are `layer0`, e.g. a file section.
    pub(crate) fn with_layer0(
        config: GraphConfig,
        layer0: RowStore<AtomicU32>,
        reserve: usize,
    ) -> Self {
        debug_assert_eq!(layer0.width(), 1 + config.m0);
        Self {
            config,
            layer0,
            nodes: NodeStore::new(reserve),
            entry: AtomicU64::new(NO_ENTRY),
            entry_lock: Mutex::new(()),
        }
    }

    pub(crate) fn config(&self) -> &GraphConfig {
        &self.config
    }

    /// The level of node `id`, drawn from a seeded hash of the id so that it does not depend on
    /// which thread inserts which node first.
    pub(crate) fn draw_level(&self, id: u32) -> usize {
        let bits = splitmix64(self.config.seed ^ (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        // Uniform in (0, 1]: 53 random bits, never zero.
        let u = ((bits >> 11) + 1) as f64 / (1u64 << 53) as f64;
        let level = (-u.ln() * self.config.level_multiplier).floor();
        (level as usize).min(MAX_LEVEL)
    }

    /// Allocates link storage for node `id` at `level`. Call before inserting it.
    pub(crate) fn prepare_node(&self, id: u32, level: usize) -> Result<()> {
        self.layer0.ensure(id as usize)?;
        self.nodes.ensure(id as usize)?;
        if level > 0 {
            let row = 1 + self.config.m;
            let upper: Box<[AtomicU32]> = (0..level * row).map(|_| AtomicU32::new(0)).collect();
            let _ = self.nodes.get(id as usize).upper.set(upper);
        }
        Ok(())
    }

    /// The number of layers above 0 that node `id` is on.
    pub(crate) fn level_of(&self, id: u32) -> usize {
        self.nodes
            .get(id as usize)
            .upper
            .get()
            .map_or(0, |u| u.len() / (1 + self.config.m))
    }

    /// Links of `id` on `layer` (empty if the node is not on that layer).
    #[inline(always)]
    pub(crate) fn links(&self, id: u32, layer: usize) -> Links<'_> {
        if layer == 0 {
            return Links {
                row: self.layer0.row(id as usize),
            };
        }
        let row = 1 + self.config.m;
        match self.nodes.get(id as usize).upper.get() {
            Some(upper) if upper.len() >= layer * row => Links {
                row: &upper[(layer - 1) * row..layer * row],
            },
            _ => Links::EMPTY,
        }
    }

    /// The cap on links of a node on `layer`.
    pub(crate) fn cap(&self, layer: usize) -> usize {
        if layer == 0 {
            self.config.m0
        } else {
            self.config.m
        }
    }

    /// `(node, top level)` of the entry point, if any node has been inserted.
    #[inline]
    pub(crate) fn entry(&self) -> Option<(u32, usize)> {
        let e = self.entry.load(Ordering::Acquire);
        (e != NO_ENTRY).then_some((e as u32, (e >> 32) as usize))
    }

    fn set_entry(&self, id: u32, level: usize) {
        self.entry
            .store(((level as u64) << 32) | id as u64, Ordering::Release);
    }

    /// A graph as saved: layer-0 rows `layer0` (`[count, ids...]`, e.g. a file section), each
    /// node's level in `levels`, and `upper`, for each node with level L > 0 in id order, L rows
    /// of `1 + m` (`[count, ids...]`, layers 1..=L). The caller has checked every link (ids of
    /// nodes on that layer, counts within the caps) and that the entry point is on the top level.
    pub(crate) fn restore(
        config: GraphConfig,
        layer0: RowStore<AtomicU32>,
        levels: &[u8],
        upper: &[u32],
        entry: Option<(u32, usize)>,
    ) -> Result<Self> {
        let graph = Self::with_layer0(config, layer0, levels.len());
        let mut rows = upper.chunks_exact(1 + config.m);
        for (id, &level) in levels.iter().enumerate() {
            graph.prepare_node(id as u32, level as usize)?;
            for layer in 1..=level as usize {
                if let Some(row) = rows.next() {
                    let count = row[0] as usize;
                    graph.restore_links(id as u32, layer, &row[1..][..count.min(config.m)]);
                }
            }
        }
        if let Some((id, level)) = entry {
            graph.set_entry(id, level);
        }
        Ok(graph)
    }

    /// Sets links while loading a saved index (single-threaded, before the index is shared).
    pub(crate) fn restore_links(&self, id: u32, layer: usize, ids: &[u32]) {
        self.links(id, layer).set(ids.iter().copied());
    }

    /// Bytes held by links and per-node state.
    pub(crate) fn allocated_bytes(&self, nodes: usize) -> usize {
        let upper: usize = (0..nodes as u32)
            .map(|id| self.level_of(id) * (1 + self.config.m) * 4)
            .sum();
        self.layer0.allocated_bytes() + self.nodes.allocated_bytes() + upper
    }
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(m: usize) -> Graph {
        let config = GraphConfig {
            m,
            m0: 2 * m,
            ef_construction: 100,
            level_multiplier: 1.0 / (m as f64).ln(),
            seed: 7,
        };
        Graph::new(config, 16).unwrap()
    }

    #[test]
    fn levels_follow_the_geometric_law() {
        let g = graph(16);
        let n = 200_000u32;
        let mut counts = [0usize; 8];
        for id in 0..n {
            counts[g.draw_level(id).min(7)] += 1;
        }
        // P(level >= l) = M^-l: about 1/16 of nodes reach layer 1 and 1/256 layer 2.
        let above0 = (n as usize - counts[0]) as f64 / n as f64;
        let above1 = (n as usize - counts[0] - counts[1]) as f64 / n as f64;
        assert!(
            (above0 - 1.0 / 16.0).abs() < 0.005,
            "P(level>=1) = {above0}"
        );
        assert!(
            (above1 - 1.0 / 256.0).abs() < 0.001,
            "P(level>=2) = {above1}"
        );
    }

    #[test]
    fn links_push_until_full_then_refuse() {
        let g = graph(2);
        g.prepare_node(0, 1).unwrap();
        let l0 = g.links(0, 0);
        assert_eq!(l0.len(), 0);
        for id in 1..=4 {
            assert!(l0.push(id));
        }
        assert!(!l0.push(5));
        assert_eq!(l0.iter().collect::<Vec<_>>(), vec![1, 2, 3, 4]);
        l0.set([9u32, 8].into_iter());
        assert_eq!(l0.iter().collect::<Vec<_>>(), vec![9, 8]);
        assert_eq!(g.level_of(0), 1);
        assert_eq!(g.links(0, 2).len(), 0);
        g.links(0, 1).set([3u32, 4].into_iter());
        assert_eq!(g.links(0, 1).iter().collect::<Vec<_>>(), vec![3, 4]);
    }
}
