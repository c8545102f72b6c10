//! The neighbour-selection heuristic, the paper's SELECT-NEIGHBORS-HEURISTIC (Algorithm 4).
//!
//! A candidate is kept only if it is closer to the base node than to every neighbour kept so
//! far: links then point in diverse directions instead of into one cluster, which keeps the graph
//! navigable on clustered data. As in hnswlib we neither extend the candidate set nor refill with
//! pruned candidates (`extendCandidates = keepPrunedConnections = false`).

use super::Candidate;
use crate::space::Distances;

/// Picks at most `m` of `sorted` (ascending by distance to the base node) into `out`.
pub(crate) fn select_neighbours<S: Distances>(
    space: &S,
    sorted: &[Candidate],
    m: usize,
    out: &mut Vec<Candidate>,
) {
    out.clear();
    if sorted.len() <= m {
        out.extend_from_slice(sorted);
        return;
    }
    for &candidate in sorted {
        if out.len() >= m {
            break;
        }
        let diverse = out
            .iter()
            .all(|kept| space.between(candidate.id, kept.id) >= candidate.distance);
        if diverse {
            out.push(candidate);
        }
    }
}
