//! Searching an index: the graph walk (on codes in a quantized index, then the re-rank on full
//! vectors), one query or a batch.

use rayon::prelude::*;

use super::validate::{check_k, check_matrix, check_vector};
use super::{exact::prepare_query, Index, Neighbor};
use crate::error::Result;
use crate::graph::{Candidate, Descent};
use crate::space::Distances;

impl Index {
    /// The `k` nearest neighbours of `query` found by a beam search of width `ef`, nearest first.
    ///
    /// `ef` below `k` is raised to `k`. An empty index gives an empty result. A quantized index
    /// re-ranks [`Index::default_rerank`] candidates (see [`Index::search_rerank`]).
    pub fn search(&self, query: &[f32], k: usize, ef: usize) -> Result<Vec<Neighbor>> {
        self.search_rerank(query, k, ef, Self::default_rerank(k, ef))
    }

    /// How many candidates [`Index::search`] re-scores on full vectors in a quantized index,
    /// for `k` results from a beam of width `ef`: `3k`, at most the beam. (On 390k GloVe-50
    /// vectors, re-ranking `2k` already gave the recall of re-ranking the whole beam at every
    /// ef; the margin is for data whose codes are coarser.)
    pub fn default_rerank(k: usize, ef: usize) -> usize {
        k.saturating_mul(3).min(ef.max(k))
    }

    /// [`Index::search`], re-scoring the `rerank` nearest candidates on full vectors when the
    /// index is quantized (`rerank` is held between `k` and the beam width; without
    /// quantization every distance is exact and `rerank` changes nothing). The distances
    /// returned are always exact.
    pub fn search_rerank(
        &self,
        query: &[f32],
        k: usize,
        ef: usize,
        rerank: usize,
    ) -> Result<Vec<Neighbor>> {
        check_k(k)?;
        check_vector(query, self.dim(), self.metric())?;
        let Some(entry) = self.graph.entry() else {
            return Ok(Vec::new());
        };
        let ef = ef.max(k);
        let descent = Descent {
            entry,
            beam_from: 0,
            ef,
            expand: Descent::QUERY_EXPAND,
        };
        let mut work = self.pool.get()?;
        let work = &mut *work;
        let q = prepare_query(&mut work.query, query, self.metric());
        let mut hits = Vec::new();
        let codes = self.walk_codes();
        match codes {
            None => self.graph.descend_and_search(
                &self.space,
                q,
                descent,
                &mut work.scratch,
                |_| true,
                |_, found, _| hits.extend(found.iter().take(k).map(|&c| self.neighbor(c))),
            ),
            Some(codes) => self.graph.descend_and_search(
                codes,
                codes.prepare(q, &mut work.coded),
                descent,
                &mut work.scratch,
                |_| true,
                |_, found, scratch| {
                    let best = &found[..rerank.clamp(k, ef).min(found.len())];
                    let exact = &mut scratch.reranked;
                    exact.clear();
                    for c in best {
                        self.space.prefetch(c.id);
                    }
                    exact.extend(best.iter().map(|c| Candidate {
                        distance: self.space.to_node(q, c.id),
                        id: c.id,
                    }));
                    exact.sort_unstable();
                    hits.extend(exact.iter().take(k).map(|&c| self.neighbor(c)));
                },
            ),
        }
        Ok(hits)
    }

    /// [`Index::search`] for each row of `queries`, in parallel on the current rayon pool.
    pub fn search_batch(&self, queries: &[f32], k: usize, ef: usize) -> Result<Vec<Vec<Neighbor>>> {
        self.search_batch_rerank(queries, k, ef, Self::default_rerank(k, ef))
    }

    /// [`Index::search_rerank`] for each row of `queries`, in parallel on the current rayon pool.
    pub fn search_batch_rerank(
        &self,
        queries: &[f32],
        k: usize,
        ef: usize,
        rerank: usize,
    ) -> Result<Vec<Vec<Neighbor>>> {
        check_k(k)?;
        check_matrix(queries, self.dim(), self.metric(), 0)?;
        queries
            .par_chunks_exact(self.dim())
            .map(|q| self.search_rerank(q, k, ef, rerank))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Metric;
    use crate::IndexParams;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    #[test]
    fn sign_sketches_change_almost_no_answer() {
        // Clustered 384-d rows: the sketches are on (f32 mode, 256+ dimensions).
        let (rows, dim) = (4_000, 384);
        let mut rng = StdRng::seed_from_u64(21);
        let centres: Vec<Vec<f32>> = (0..30)
            .map(|_| (0..dim).map(|_| rng.gen_range(-1.0..1.0)).collect())
            .collect();
        let data: Vec<f32> = (0..rows + 200)
            .flat_map(|i| {
                let c = &centres[i % centres.len()];
                c.iter()
                    .map(|x| x + rng.gen_range(-0.5..0.5))
                    .collect::<Vec<_>>()
            })
            .collect();
        let (base, queries) = data.split_at(rows * dim);
        for metric in [Metric::L2, Metric::Cosine, Metric::InnerProduct] {
            let mut index = Index::build(IndexParams::new(metric), dim, base).unwrap();
            assert!(index.space.sketches.is_some(), "{metric}");
            let before = crate::sign_filter::RULED_OUT.load(std::sync::atomic::Ordering::Relaxed);
            let with = index.search_batch(queries, 10, 40).unwrap();
            let ruled_out =
                crate::sign_filter::RULED_OUT.load(std::sync::atomic::Ordering::Relaxed) - before;
            eprintln!("{metric}: {ruled_out} neighbours ruled out by sketches");
            assert!(ruled_out > 0, "{metric}: the sketches ruled nothing out");
            let sketches = index.space.sketches.take();
            let without = index.search_batch(queries, 10, 40).unwrap();
            let same = with.iter().zip(&without).filter(|(a, b)| a == b).count();
            eprintln!("{metric}: {same} of {} answers unchanged", with.len());
            assert!(
                same * 100 >= with.len() * 98,
                "{metric}: {same} of {} answers unchanged",
                with.len()
            );
            // Returned distances stay exact.
            index.space.sketches = sketches;
            for (q, hits) in queries.chunks_exact(dim).zip(&with) {
                let exact = index.exact_search(q, 10).unwrap();
                for h in hits {
                    if let Some(e) = exact.iter().find(|e| e.key == h.key) {
                        assert!(
                            (e.distance - h.distance).abs() <= 1e-4 * e.distance.abs().max(1.0)
                        );
                    }
                }
            }
        }
    }
}
