//! Keeping every node reachable on layer 0.
//!
//! When a neighbour's full link list is re-selected, the node dropped from it may lose its last
//! incoming link: it then still exists but no search can reach it (hnswlib has the same gap).
//! After a batch of inserts we find such nodes with one breadth-first walk and link each one
//! from the nearest reachable node that has a free slot.

use super::{Candidate, Descent, Graph, Scratch};
use crate::arena::VectorArena;
use crate::space::Distances;

/// Passes over the graph before giving up (each pass can only orphan nodes by forcing a link
/// into a full list, which is rare).
const MAX_PASSES: usize = 4;

impl Graph {
    /// Marks in `reached` everything reachable on layer 0 from `start`.
    fn mark_reachable(&self, start: u32, reached: &mut [bool], stack: &mut Vec<u32>) {
        if reached[start as usize] {
            return;
        }
        reached[start as usize] = true;
        stack.push(start);
        while let Some(id) = stack.pop() {
            for next in self.links(id, 0).iter() {
                if let Some(r) = reached.get_mut(next as usize) {
                    if !*r {
                        *r = true;
                        stack.push(next);
                    }
                }
            }
        }
    }

    #[cfg(test)]
    /// Ids in `0..nodes` that a layer-0 walk from the entry point does not reach.
    pub(crate) fn unreachable(&self, nodes: usize) -> Vec<u32> {
        let Some((entry, _)) = self.entry() else {
            return Vec::new();
        };
        let mut reached = vec![false; nodes];
        self.mark_reachable(entry, &mut reached, &mut Vec::new());
        (0..nodes as u32)
            .filter(|&id| !reached[id as usize])
            .collect()
    }

    /// Links every unreachable node among `0..nodes` (all fully inserted) from a reachable
    /// neighbour, searching with the distances of `space` (the build's) from each orphan's
    /// vector in `vectors`. Returns the number of links added.
    pub(crate) fn repair_reachability<S: Distances>(
        &self,
        space: &S,
        vectors: &VectorArena,
        nodes: usize,
        scratch: &mut Scratch,
    ) -> usize {
        let Some((entry, top)) = self.entry() else {
            return 0;
        };
        let mut added = 0;
        let mut stack = Vec::new();
        let mut prepared = S::Prepared::default();
        for _ in 0..MAX_PASSES {
            let mut reached = vec![false; nodes];
            self.mark_reachable(entry, &mut reached, &mut stack);
            if reached.iter().all(|&r| r) {
                break;
            }
            for orphan in 0..nodes as u32 {
                if reached[orphan as usize] {
                    continue;
                }
                let mut linked = false;
                let query = space.prepare(vectors.get(orphan), &mut prepared);
                self.descend_and_search(
                    space,
                    query,
                    Descent {
                        entry: (entry, top),
                        beam_from: 0,
                        ef: self.config.ef_construction,
                        expand: 1,
                    },
                    scratch,
                    |c| c.id != orphan && reached[c.id as usize],
                    |_, found, _| linked = self.link_orphan(orphan, found),
                );
                if !linked {
                    continue;
                }
                added += 1;
                self.mark_reachable(orphan, &mut reached, &mut stack);
            }
        }
        added
    }

    /// Links `orphan` from the first of `found` (reachable nodes, nearest first) with a free
    /// slot on layer 0. Returns false if `found` is empty.
    fn link_orphan(&self, orphan: u32, found: &[Candidate]) -> bool {
        let Some(&closest) = found.first() else {
            return false;
        };
        let pushed = found.iter().any(|c| {
            let _lock = self.nodes.get(c.id as usize).lock.lock();
            self.links(c.id, 0).push(orphan)
        });
        if !pushed {
            // Every candidate is full: overwrite the closest one's farthest link. The node that
            // loses it is caught by the next pass if it is orphaned.
            let _lock = self.nodes.get(closest.id as usize).lock.lock();
            let links = self.links(closest.id, 0);
            let mut ids: Vec<u32> = links.iter().collect();
            if let Some(last) = ids.last_mut() {
                *last = orphan;
            }
            links.set(ids.into_iter());
        }
        true
    }
}
