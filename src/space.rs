//! The metric space an index searches: its vectors plus the distance between them.

use crate::arena::VectorArena;
use crate::distance::{self, Kernel};
use crate::metric::Metric;

pub(crate) struct Space {
    pub(crate) vectors: VectorArena,
    metric: Metric,
    kernel: &'static Kernel,
}

impl Space {
    pub(crate) fn new(vectors: VectorArena, metric: Metric) -> Self {
        Self {
            vectors,
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

    /// Distance from a padded query to node `id`.
    #[inline(always)]
    pub(crate) fn to_node(&self, query: &[f32], id: u32) -> f32 {
        self.distance(query, self.vectors.get(id))
    }

    /// Distance between two stored nodes.
    #[inline(always)]
    pub(crate) fn between(&self, a: u32, b: u32) -> f32 {
        self.distance(self.vectors.get(a), self.vectors.get(b))
    }
}
