//! A node met during a search, ordered by distance (then id, so ties are deterministic).

use std::cmp::Ordering;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidate {
    pub distance: f32,
    pub id: u32,
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Candidate {}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Candidate {
    /// `total_cmp`, so a NaN can never panic a sort or corrupt a heap.
    fn cmp(&self, other: &Self) -> Ordering {
        self.distance
            .total_cmp(&other.distance)
            .then(self.id.cmp(&other.id))
    }
}
