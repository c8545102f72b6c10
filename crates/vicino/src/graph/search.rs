//! Searching the graph: greedy descent through the upper layers, beam search on one layer.

use std::cmp::Reverse;

use super::{Candidate, Graph, Scratch};
use crate::space::Distances;

/// How many neighbours ahead of the distance being computed their vectors are prefetched.
const PREFETCH_AHEAD: usize = 3;

impl Graph {
    /// Greedy walk on `layer` from `start` to a local minimum of the distance to `query`
    /// (the beam search with ef = 1, used above the target layer).
    pub(crate) fn greedy_closest<S: Distances>(
        &self,
        space: &S,
        query: &[f32],
        start: Candidate,
        layer: usize,
    ) -> Candidate {
        let mut best = start;
        loop {
            let mut moved = false;
            for id in self.links(best.id, layer).iter() {
                let distance = space.to_node(query, id);
                if distance < best.distance {
                    best = Candidate { distance, id };
                    moved = true;
                }
            }
            if !moved {
                return best;
            }
        }
    }

    /// The paper's SEARCH-LAYER (Algorithm 2): beam search of width `ef` on `layer` from
    /// `entries`. Leaves the best `ef` nodes found in `scratch.results`.
    pub(crate) fn search_layer<S: Distances>(
        &self,
        space: &S,
        query: &[f32],
        entries: &[Candidate],
        ef: usize,
        layer: usize,
        scratch: &mut Scratch,
    ) {
        let Scratch {
            visited,
            candidates,
            results,
            neighbours,
            ..
        } = scratch;
        visited.reset();
        candidates.clear();
        results.clear();
        for &e in entries {
            if visited.insert(e.id) {
                candidates.push(Reverse(e));
                results.push(e);
            }
        }
        while results.len() > ef {
            results.pop();
        }
        let mut worst = results.peek().map_or(f32::INFINITY, |c| c.distance);

        while let Some(Reverse(nearest)) = candidates.pop() {
            if nearest.distance > worst && results.len() >= ef {
                break;
            }
            // Gather the unvisited neighbours first (prefetching their visited tags, then
            // testing them), so the tag loads overlap instead of queueing one behind another.
            let links = self.links(nearest.id, layer);
            neighbours.clear();
            neighbours.extend(links.iter());
            for &id in neighbours.iter() {
                visited.prefetch(id);
            }
            neighbours.retain(|&id| visited.insert(id));
            // Vectors are prefetched a fixed distance ahead of use: all at once would overflow the
            // CPU's line-fill buffers and stall on the prefetches themselves.
            for &id in neighbours.iter().take(PREFETCH_AHEAD) {
                space.prefetch(id);
            }
            for (j, &id) in neighbours.iter().enumerate() {
                if let Some(&ahead) = neighbours.get(j + PREFETCH_AHEAD) {
                    space.prefetch(ahead);
                }
                let distance = space.to_node(query, id);
                if results.len() < ef || distance < worst {
                    candidates.push(Reverse(Candidate { distance, id }));
                    results.push(Candidate { distance, id });
                    if results.len() > ef {
                        results.pop();
                    }
                    worst = results.peek().map_or(f32::INFINITY, |c| c.distance);
                }
            }
            // The next node to expand is the nearest candidate: start loading its links.
            if let Some(Reverse(next)) = candidates.peek() {
                self.links(next.id, layer).prefetch();
            }
        }
    }
}
