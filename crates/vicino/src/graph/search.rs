//! Searching the graph: greedy descent through the upper layers, beam search on one layer, and
//! the walk from the entry point that strings them together for search, insert and repair.

use super::{Candidate, Graph, Scratch};
use crate::space::{prefetch_window, Distances};

/// Where [`Graph::descend_and_search`] starts, and where and how wide it searches.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Descent {
    /// The entry point and the top level, as [`Graph::entry`] gives them.
    pub entry: (u32, usize),
    /// The highest layer searched with the beam; the layers above it are walked greedily. A
    /// search starts the beam on layer 0; an insert on its node's level (capped at the top).
    pub beam_from: usize,
    /// The beam width.
    pub ef: usize,
    /// How many of the nearest unexpanded nodes each step of a layer search expands together:
    /// [`Descent::QUERY_EXPAND`] for searches, 1 (the paper's order) for inserts.
    pub expand: usize,
}

impl Descent {
    /// Nodes a query's layer search expands per step. Their neighbours' rows are requested
    /// together, so one wait for memory serves two expansions: 1.06-1.12x on 390k GloVe-50
    /// (codes and `f32`), 1.03-1.09x on 240k MiniLM-384 codes, 0.99-1.04x on its `f32` rows
    /// (QPS at recall 0.90-0.99, two nodes against one; three or four gained no more). Inserts
    /// keep to one: graphs built with two came out slightly worse (MiniLM-384 recall at ef 96
    /// 0.9854 against 0.9870).
    pub const QUERY_EXPAND: usize = 2;
}

/// The widest prefetch window (in rows) that is refilled with the next node's neighbours once it
/// runs past the current node's. Three rows of 384-d `f32` gain 1.01-1.03x from the refill on
/// 240k MiniLM-384; wider windows, which already cover most of a list, lose by it (testing the
/// next node's neighbours against the visited set waits on loads): skipping it is 1.03-1.10x
/// on 390k GloVe-50 `f32` (16 rows), 1.01-1.08x on MiniLM-384 codes (11), 1.09-1.13x on
/// GloVe-50 codes (64).
const DRAIN_FILL_MAX_WINDOW: usize = 3;

impl Graph {
    /// The walk from the entry point shared by the paper's K-NN-SEARCH (Algorithm 5) and INSERT
    /// (Algorithm 1): a greedy descent (ef = 1) from the entry point through the layers above
    /// `descent.beam_from`, then on each layer `beam_from..=0` in turn a beam search of width
    /// `descent.ef` started from the previous layer's results. On each of those layers
    /// `visit(layer, found, scratch)` is given the nodes found that pass `keep`, nearest first.
    #[inline]
    pub(crate) fn descend_and_search<S, K, V>(
        &self,
        space: &S,
        query: &S::Query,
        descent: Descent,
        scratch: &mut Scratch,
        keep: K,
        mut visit: V,
    ) where
        S: Distances,
        K: Fn(&Candidate) -> bool,
        V: FnMut(usize, &[Candidate], &mut Scratch),
    {
        let Descent {
            entry: (entry, top),
            beam_from,
            ef,
            expand,
        } = descent;
        let mut nearest = Candidate {
            distance: space.to_node(query, entry),
            id: entry,
        };
        for layer in (beam_from + 1..=top).rev() {
            nearest = self.greedy_closest(space, query, nearest, layer);
        }

        // Both lists leave `scratch` for the walk, so `visit` can have the rest of it.
        let mut entries = std::mem::take(&mut scratch.entries);
        let mut found = std::mem::take(&mut scratch.found);
        entries.clear();
        entries.push(nearest);
        for layer in (0..=beam_from.min(top)).rev() {
            self.search_layer(space, query, &entries, (ef, expand), layer, scratch);
            found.clear();
            found.extend(scratch.beam.entries().filter(&keep));
            visit(layer, &found, scratch);
            std::mem::swap(&mut entries, &mut found);
        }
        scratch.entries = entries;
        scratch.found = found;
    }

    /// Greedy walk on `layer` from `start` to a local minimum of the distance to `query`
    /// (the beam search with ef = 1, used above the target layer).
    fn greedy_closest<S: Distances>(
        &self,
        space: &S,
        query: &S::Query,
        start: Candidate,
        layer: usize,
    ) -> Candidate {
        let mut best = start;
        let ahead = prefetch_window(space.row_bytes());
        loop {
            let mut moved = false;
            let links = self.links(best.id, layer);
            // Rows requested `ahead` neighbours before their distance, as on layer 0 (1.03-1.04x
            // on 240k MiniLM-384, f32 and codes, at ef 16-64; neutral on GloVe-50).
            for id in links.iter().take(ahead) {
                space.prefetch(id);
            }
            let mut later = links.iter().skip(ahead);
            for id in links.iter() {
                if let Some(next) = later.next() {
                    space.prefetch(next);
                }
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
    /// `entries`, expanding the `expand` nearest unexpanded nodes per step (see
    /// [`Descent::expand`]). Leaves the best `ef` nodes found, nearest first, in `scratch.beam`.
    fn search_layer<S: Distances>(
        &self,
        space: &S,
        query: &S::Query,
        entries: &[Candidate],
        (ef, expand): (usize, usize),
        layer: usize,
        scratch: &mut Scratch,
    ) {
        let Scratch {
            visited,
            beam,
            neighbours,
            ..
        } = scratch;
        visited.reset();
        beam.reset(ef);
        let ahead = prefetch_window(space.row_bytes());
        let sketch = space.sketch_query(query);
        for &e in entries {
            if visited.insert(e.id) {
                beam.insert(e);
            }
        }

        while let Some(nearest) = beam.next() {
            // Gather the unvisited neighbours first (prefetching their visited tags, then
            // testing them), so the tag loads overlap instead of queueing one behind another.
            neighbours.clear();
            neighbours.extend(self.links(nearest.id, layer).iter());
            for _ in 1..expand {
                match beam.next() {
                    Some(more) => neighbours.extend(self.links(more.id, layer).iter()),
                    None => break,
                }
            }
            for &id in neighbours.iter() {
                visited.prefetch(id);
            }
            neighbours.retain(|&id| visited.insert(id));
            // Where the rows have sign sketches, those that rule a neighbour out (one line
            // read instead of the whole row) drop it before its row is requested.
            if let Some(sq) = &sketch {
                let bound = beam.bound();
                if bound < f32::INFINITY {
                    for &id in neighbours.iter() {
                        space.prefetch_sketch(id);
                    }
                    neighbours.retain(|&id| !space.rules_out(query, sq, id, bound));
                }
            }
            // Rows are requested `ahead` neighbours before their distance, so that about
            // LINES_IN_FLIGHT cache lines are on their way: every neighbour at once for short
            // rows (1.25-1.3x faster than 3 ahead, as hnswlib does, on 390k GloVe-50, f32 and
            // codes alike), a few for long ones (more would queue behind each other).
            for &id in neighbours.iter().take(ahead) {
                space.prefetch(id);
            }
            // Only a window of a few long rows is refilled early (see below).
            let mut drained = ahead > DRAIN_FILL_MAX_WINDOW;
            for (j, &id) in neighbours.iter().enumerate() {
                match neighbours.get(j + ahead) {
                    Some(&later) => space.prefetch(later),
                    // The window has run past this node's neighbours: fill it with the next
                    // node's, so that the rows in flight do not drain between expansions.
                    None if !drained => {
                        drained = true;
                        if let Some(next) = beam.peek() {
                            let unvisited = self.links(next.id, layer).iter();
                            for later in unvisited.filter(|&n| !visited.contains(n)).take(ahead) {
                                space.prefetch(later);
                            }
                        }
                    }
                    None => {}
                }
                let distance = space.to_node(query, id);
                // A node that enters the beam is likely to be expanded soon: its links start
                // loading now, not one step before they are read (another 1.1-1.2x there).
                if distance <= beam.bound() && beam.insert(Candidate { distance, id }) {
                    self.links(id, layer).prefetch();
                }
            }
            // The next node to expand: make sure its links are on their way.
            if let Some(next) = beam.peek() {
                self.links(next.id, layer).prefetch();
            }
        }
    }
}
