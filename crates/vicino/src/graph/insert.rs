//! Inserting a node: the paper's INSERT (Algorithm 1), safe to run from many threads at once.

use super::select::select_neighbours;
use super::{Candidate, Descent, Graph, Scratch};
use crate::space::Distances;

impl Graph {
    /// Links node `id` (vector already in `space`, storage from `prepare_node`) into the graph;
    /// `query` is its vector, as stored, prepared for `space`. With `link_on` (an exact space
    /// and the vector prepared for it), `space` only finds the candidates: they are re-scored
    /// in `link_on`, where the links are chosen and pruned (a build on codes then links as an
    /// exact build would).
    ///
    /// Only this node's lock and, one at a time, each new
    /// neighbour's lock are taken; the entry lock is held for the whole insert only when the node
    /// raises the top level, so the entry point and top level change together.
    pub(crate) fn insert<S: Distances, X: Distances>(
        &self,
        space: &S,
        query: &S::Query,
        link_on: Option<(&X, &X::Query)>,
        id: u32,
        level: usize,
        scratch: &mut Scratch,
    ) {
        let mut raises_top = None;
        let (entry, top) = loop {
            match self.entry() {
                Some((entry, top)) if level <= top => break (entry, top),
                _ => {
                    let guard = self.entry_lock.lock();
                    match self.entry() {
                        None => {
                            self.set_entry(id, level);
                            return;
                        }
                        Some((entry, top)) if level > top => {
                            raises_top = Some(guard);
                            break (entry, top);
                        }
                        // Another thread raised the top meanwhile: insert as an ordinary node.
                        Some(_) => continue,
                    }
                }
            }
        };

        let mut chosen = std::mem::take(&mut scratch.chosen);
        let mut back_links = std::mem::take(&mut scratch.back_links);
        if back_links.len() <= level {
            back_links.resize_with(level + 1, Vec::new);
        }
        self.descend_and_search(
            space,
            query,
            Descent {
                entry: (entry, top),
                beam_from: level,
                ef: self.config.ef_construction,
                expand: 1,
            },
            scratch,
            |c| c.id != id,
            |layer, found, scratch| {
                match link_on {
                    None => self.link_new(space, id, layer, found, &mut chosen, scratch),
                    Some((exact, exact_query)) => {
                        let mut rescored = std::mem::take(&mut scratch.reranked);
                        rescored.clear();
                        rescored.extend(found.iter().map(|c| Candidate {
                            distance: exact.to_node(exact_query, c.id),
                            id: c.id,
                        }));
                        rescored.sort_unstable();
                        self.link_new(exact, id, layer, &rescored, &mut chosen, scratch);
                        scratch.reranked = rescored;
                    }
                }
                back_links[layer].clear();
                back_links[layer].extend_from_slice(&chosen);
            },
        );
        // Only now, with its own links set on every layer down to 0, may other nodes point to
        // the new node: a search that met it on an upper layer before its layer-0 links
        // existed would stop there with one result. (A layer's search never reads another
        // layer's links, so the graph is the same as linking back layer by layer.)
        for (layer, neighbours) in back_links.iter().enumerate().take(level + 1).rev() {
            for &neighbour in neighbours {
                match link_on {
                    None => self.link_back(space, neighbour, id, layer, scratch),
                    Some((exact, _)) => self.link_back(exact, neighbour, id, layer, scratch),
                }
            }
        }
        scratch.chosen = chosen;
        scratch.back_links = back_links;

        if raises_top.is_some() {
            self.set_entry(id, level);
        }
    }

    /// Chooses the new node's links on `layer` among `found` (nearest first, distances in
    /// `space`) into `chosen`, and sets them.
    fn link_new<S: Distances>(
        &self,
        space: &S,
        id: u32,
        layer: usize,
        found: &[Candidate],
        chosen: &mut Vec<Candidate>,
        scratch: &mut Scratch,
    ) {
        select_neighbours(space, found, self.config.m, chosen);
        self.set_own_links(space, id, layer, chosen, scratch);
    }

    /// Sets the new node's links on `layer`. Another thread may already have linked back to it
    /// (having met it on a higher layer): such links are merged in, not overwritten.
    fn set_own_links<S: Distances>(
        &self,
        space: &S,
        id: u32,
        layer: usize,
        chosen: &[Candidate],
        scratch: &mut Scratch,
    ) {
        let _own = self.nodes.get(id as usize).lock.lock();
        let links = self.links(id, layer);
        if links.len() == 0 {
            links.set(chosen.iter().map(|c| c.id));
            return;
        }
        let merged = &mut scratch.pruned;
        merged.clear();
        merged.extend_from_slice(chosen);
        for other in links.iter() {
            if !chosen.iter().any(|c| c.id == other) {
                merged.push(Candidate {
                    distance: space.between(id, other),
                    id: other,
                });
            }
        }
        merged.sort_unstable();
        select_neighbours(space, merged, self.cap(layer), &mut scratch.pruned_out);
        links.set(scratch.pruned_out.iter().map(|c| c.id));
    }

    /// Adds the link `neighbour -> id` on `layer`; when `neighbour`'s list is full, re-selects
    /// its links among the old ones plus `id` with the same heuristic.
    fn link_back<S: Distances>(
        &self,
        space: &S,
        neighbour: Candidate,
        id: u32,
        layer: usize,
        scratch: &mut Scratch,
    ) {
        let _lock = self.nodes.get(neighbour.id as usize).lock.lock();
        let links = self.links(neighbour.id, layer);
        if links.iter().any(|x| x == id) || links.push(id) {
            return;
        }
        let pruned = &mut scratch.pruned;
        pruned.clear();
        pruned.push(Candidate {
            distance: neighbour.distance,
            id,
        });
        pruned.extend(links.iter().map(|other| Candidate {
            distance: space.between(neighbour.id, other),
            id: other,
        }));
        pruned.sort_unstable();
        select_neighbours(space, pruned, self.cap(layer), &mut scratch.pruned_out);
        links.set(scratch.pruned_out.iter().map(|c| c.id));
    }
}
