//! The beam of a layer search: the best `ef` nodes found so far, kept sorted, each marked once
//! it has been expanded, with a cursor at the nearest one not yet expanded.
//!
//! One sorted array does the work of the paper's two heaps (candidates and results): the next
//! node to expand is the first unexpanded entry, a node that would not make the best `ef` is
//! never stored, and the search ends when every entry is expanded (the heaps' stop rule: the
//! nearest candidate is farther than the worst result). The results come out sorted.

use super::Candidate;

#[derive(Clone, Copy)]
struct Entry {
    node: Candidate,
    expanded: bool,
}

pub(crate) struct Beam {
    /// Ascending by distance (then id).
    entries: Vec<Entry>,
    width: usize,
    /// Every entry before it is expanded.
    cursor: usize,
}

impl Beam {
    pub(crate) fn new() -> Self {
        Self {
            entries: Vec::new(),
            width: 1,
            cursor: 0,
        }
    }

    /// Empties the beam for a search of width `ef` (at least 1).
    pub(crate) fn reset(&mut self, ef: usize) {
        self.entries.clear();
        self.width = ef.max(1);
        self.cursor = 0;
    }

    /// The distance a node must beat to enter: the worst entry's once the beam is full.
    #[inline(always)]
    pub(crate) fn bound(&self) -> f32 {
        if self.entries.len() < self.width {
            f32::INFINITY
        } else {
            self.entries[self.width - 1].node.distance
        }
    }

    /// Adds `c` if it is among the best `width` (in [`Candidate`]'s order: by distance, then
    /// id); returns whether it entered.
    #[inline]
    pub(crate) fn insert(&mut self, c: Candidate) -> bool {
        if self.entries.len() >= self.width {
            if c >= self.entries[self.width - 1].node {
                return false;
            }
            self.entries.pop();
        }
        let at = self.entries.partition_point(|e| e.node < c);
        self.entries.insert(
            at,
            Entry {
                node: c,
                expanded: false,
            },
        );
        self.cursor = self.cursor.min(at);
        true
    }

    /// The nearest entry not yet expanded, now marked expanded; `None` when all are.
    #[inline]
    pub(crate) fn next(&mut self) -> Option<Candidate> {
        while let Some(e) = self.entries.get_mut(self.cursor) {
            self.cursor += 1;
            if !e.expanded {
                e.expanded = true;
                return Some(e.node);
            }
        }
        None
    }

    /// The nearest entry not yet expanded, left as it is.
    #[inline]
    pub(crate) fn peek(&self) -> Option<Candidate> {
        self.entries[self.cursor.min(self.entries.len())..]
            .iter()
            .find(|e| !e.expanded)
            .map(|e| e.node)
    }

    /// The entries, nearest first.
    pub(crate) fn entries(&self) -> impl Iterator<Item = Candidate> + '_ {
        self.entries.iter().map(|e| e.node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BinaryHeap;

    fn c(distance: f32, id: u32) -> Candidate {
        Candidate { distance, id }
    }

    #[test]
    fn keeps_the_best_width_sorted_and_expands_nearest_first() {
        let mut beam = Beam::new();
        beam.reset(3);
        assert_eq!(beam.bound(), f32::INFINITY);
        for (d, id) in [(5.0, 1), (1.0, 2), (3.0, 3)] {
            assert!(beam.insert(c(d, id)));
        }
        assert_eq!(beam.bound(), 5.0);
        assert!(
            !beam.insert(c(6.0, 4)),
            "worse than the worst of a full beam"
        );
        assert_eq!(beam.next().map(|e| e.id), Some(2));
        // A nearer node entering behind the cursor is expanded next.
        assert!(beam.insert(c(0.5, 5)));
        assert_eq!(beam.peek().map(|e| e.id), Some(5));
        assert_eq!(beam.next().map(|e| e.id), Some(5));
        assert_eq!(beam.next().map(|e| e.id), Some(3));
        assert_eq!(beam.next(), None);
        let ids: Vec<u32> = beam.entries().map(|e| e.id).collect();
        assert_eq!(ids, [5, 2, 3]);
    }

    #[test]
    fn holds_what_a_bounded_max_heap_holds() {
        // Pseudo-random distances with ties: the beam keeps the same best `width` a heap does.
        let mut x = 12345u64;
        for width in [1, 2, 7, 64] {
            let mut beam = Beam::new();
            beam.reset(width);
            let mut heap = BinaryHeap::new();
            for id in 0..1000u32 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let cand = c(((x >> 40) % 97) as f32, id);
                beam.insert(cand);
                heap.push(cand);
                if heap.len() > width {
                    heap.pop();
                }
            }
            let want: Vec<u32> = heap.into_sorted_vec().iter().map(|e| e.id).collect();
            let got: Vec<u32> = beam.entries().map(|e| e.id).collect();
            assert_eq!(got, want, "width {width}");
        }
    }
}
