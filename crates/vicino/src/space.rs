//! The metric space an index searches: its vectors plus the distance between them, and the
//! [`Distances`] trait through which the graph sees any space (full vectors, or the 8-bit codes
//! of `crate::quantize` during an on-disk build).

use crate::arena::VectorArena;
use crate::distance::{self, Kernel};
use crate::metric::Metric;
use crate::sign_filter::{SignFilter, SketchQuery};

/// The largest vector dimension an index (and its file) takes. Dataset readers use it too: a
/// file declaring more is taken for a corrupt header rather than trusted with an allocation.
pub const MAX_DIM: usize = 1 << 20;

/// What the graph needs of a space: distances from a query and between two nodes, and a hint to
/// start loading a node's data.
pub(crate) trait Distances {
    /// A query as this space takes it: a padded vector, or one prepared for codes.
    type Query: ?Sized;
    /// Where [`Distances::prepare`] builds a query.
    type Prepared: Default;
    /// `row` (padded, as stored) as a query of this space.
    fn prepare<'a>(&self, row: &'a [f32], buf: &'a mut Self::Prepared) -> &'a Self::Query;
    fn to_node(&self, query: &Self::Query, id: u32) -> f32;
    fn between(&self, a: u32, b: u32) -> f32;
    fn prefetch(&self, id: u32);
    /// Bytes of one node's row (a [`Distances::prefetch`] may ask for only its head: see
    /// `VectorArena::prefetch`).
    fn row_bytes(&self) -> usize;
    /// The query's sums for [`Distances::rules_out`], where this space keeps sign sketches of
    /// its rows (see `crate::sign_filter`).
    fn sketch_query(&self, _query: &Self::Query) -> Option<SketchQuery> {
        None
    }
    /// Starts loading node `id`'s sketch.
    fn prefetch_sketch(&self, _id: u32) {}
    /// Whether node `id`'s sketch rules it out: farther than `bound`, by its error bound.
    fn rules_out(&self, _query: &Self::Query, _sq: &SketchQuery, _id: u32, _bound: f32) -> bool {
        false
    }
}

/// Cache lines a search keeps requested ahead of its distances. Measured on 390k GloVe-50 and
/// a 100k x 384 set: all of a node's neighbours at once is best for rows of one to four lines,
/// while 384-d `f32` rows (24 lines) were 1.2x faster three neighbours ahead than 32 ahead.
const LINES_IN_FLIGHT: usize = 64;

/// How many neighbours ahead of the distance being computed their rows are requested, for rows
/// of `row_bytes` (at least one). Counted on whole rows even where only their head is
/// prefetched: on 240k MiniLM-384, five 384-d rows ahead (their first 12 lines each) were
/// 1.03x slower than three.
pub(crate) fn prefetch_window(row_bytes: usize) -> usize {
    LINES_IN_FLIGHT.div_ceil(row_bytes.div_ceil(64).max(1))
}

pub(crate) struct Space {
    pub(crate) vectors: VectorArena,
    /// Sign sketches of the rows, in an `f32` index of `sign_filter::MIN_DIM` dimensions or more.
    pub(crate) sketches: Option<SignFilter>,
    metric: Metric,
    kernel: &'static Kernel,
}

impl Space {
    pub(crate) fn new(vectors: VectorArena, metric: Metric) -> Self {
        Self {
            vectors,
            sketches: None,
            metric,
            kernel: distance::best(),
        }
    }

    pub(crate) fn metric(&self) -> Metric {
        self.metric
    }

    /// The distance users see (see [`Metric`]): squared L2, or `1 - dot` on the stored vectors
    /// (unit vectors under cosine).
    #[inline(always)]
    pub(crate) fn distance(&self, a: &[f32], b: &[f32]) -> f32 {
        match self.metric {
            Metric::L2 => self.kernel.l2_squared(a, b),
            Metric::Cosine | Metric::InnerProduct => 1.0 - self.kernel.dot(a, b),
        }
    }
}

impl Distances for Space {
    type Query = [f32];
    type Prepared = ();

    #[inline(always)]
    fn prepare<'a>(&self, row: &'a [f32], _buf: &'a mut ()) -> &'a [f32] {
        row
    }

    /// Distance from a padded query to node `id`.
    #[inline(always)]
    fn to_node(&self, query: &[f32], id: u32) -> f32 {
        self.distance(query, self.vectors.get(id))
    }

    /// Distance between two stored nodes.
    #[inline(always)]
    fn between(&self, a: u32, b: u32) -> f32 {
        self.distance(self.vectors.get(a), self.vectors.get(b))
    }

    #[inline(always)]
    fn prefetch(&self, id: u32) {
        self.vectors.prefetch(id);
    }

    fn row_bytes(&self) -> usize {
        self.vectors.stride() * 4
    }

    fn sketch_query(&self, query: &[f32]) -> Option<SketchQuery> {
        self.sketches.as_ref().map(|s| s.prepare(query))
    }

    #[inline(always)]
    fn prefetch_sketch(&self, id: u32) {
        if let Some(s) = &self.sketches {
            s.prefetch(id);
        }
    }

    #[inline(always)]
    fn rules_out(&self, query: &[f32], sq: &SketchQuery, id: u32, bound: f32) -> bool {
        self.sketches
            .as_ref()
            .is_some_and(|s| s.rules_out(query, sq, id, bound))
    }
}

#[cfg(test)]
mod tests {
    use super::prefetch_window;

    #[test]
    fn the_prefetch_window_shrinks_as_rows_grow() {
        // One-line code rows: every neighbour of a layer-0 list at once.
        assert_eq!(prefetch_window(64), 64);
        // 50-d f32 rows (padded to 64 floats, four lines): 16 neighbours.
        assert_eq!(prefetch_window(256), 16);
        // 384-d f32 rows (24 lines): three neighbours.
        assert_eq!(prefetch_window(1536), 3);
        // Rows longer than the budget still get one ahead; an empty row counts as one line.
        assert_eq!(prefetch_window(1 << 20), 1);
        assert_eq!(prefetch_window(0), 64);
    }
}
