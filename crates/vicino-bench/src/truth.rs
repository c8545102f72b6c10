//! Ground truth and recall@k: the one measure of quality every bench, test and command uses.
//!
//! recall@k = |returned ∩ true top-k| / k, averaged over the queries (ANN-benchmarks' definition).

use vicino::{FlatIndex, Index, Metric, Neighbor};

use crate::io::Matrix;
use crate::{Error, Result};

/// The keys of the exact `k` nearest base rows of each query (row `i` has key `i`), nearest
/// first, by brute force on the current rayon pool.
pub fn exact_neighbors(
    metric: Metric,
    dim: usize,
    base: &[f32],
    queries: &[f32],
    k: usize,
) -> Result<Vec<Vec<u64>>> {
    Ok(FlatIndex::new(metric, dim, base)?
        .search_batch(queries, k)?
        .into_iter()
        .map(|hits| hits.into_iter().map(|n| n.key).collect())
        .collect())
}

/// The first `k` true ids of each query of a ground-truth file, after checking it has a row
/// per query, at least `k` ids in each, and that each of those `k` is a base row (`0 <= id <
/// base_rows`): an id out of range would silently score as a miss. `gt_name` and `queries_name` say in errors where each came from
/// (`--gt`, `--dataset neighbors`, ...).
pub fn gt_rows(
    gt: &Matrix<i32>,
    queries: usize,
    k: usize,
    base_rows: usize,
    gt_name: &str,
    queries_name: &str,
) -> Result<Vec<Vec<u64>>> {
    if gt.rows != queries {
        return Err(Error::invalid(
            gt_name,
            format!("{} rows but {queries_name} has {queries}", gt.rows),
        ));
    }
    if gt.dim < k {
        return Err(Error::invalid(
            gt_name,
            format!("{} ids per query, fewer than k = {k}", gt.dim),
        ));
    }
    // Past the first k, ids are never scored: padding (-1) there is fine.
    let scored = (0..gt.rows).flat_map(|r| gt.row(r)[..k].iter().map(move |&id| (r, id)));
    for (row, id) in scored {
        if id < 0 || id as usize >= base_rows {
            return Err(Error::invalid(
                gt_name,
                format!("row {row} holds id {id}, not one of the {base_rows} base vectors"),
            ));
        }
    }
    Ok((0..gt.rows)
        .map(|i| gt.row(i)[..k].iter().map(|&t| t as u64).collect())
        .collect())
}

/// recall@k of `found` against `truth`: the share of each query's first `k` true ids among its
/// first `k` results, averaged over the queries (0 for no queries).
pub fn recall(found: &[Vec<Neighbor>], truth: &[Vec<u64>], k: usize) -> f64 {
    if found.is_empty() || k == 0 {
        return 0.0;
    }
    let hits: usize = found
        .iter()
        .zip(truth)
        .map(|(hits, truth)| {
            let truth = &truth[..k.min(truth.len())];
            hits.iter()
                .take(k)
                .filter(|n| truth.contains(&n.key))
                .count()
        })
        .sum();
    hits as f64 / (found.len() * k) as f64
}

/// recall@k of `index` at beam width `ef` against brute force over `base` (row `i` has key
/// `i`), as the tests measure it.
pub fn recall_against_exact(
    index: &Index,
    base: &[f32],
    queries: &[f32],
    k: usize,
    ef: usize,
) -> Result<f64> {
    let truth = exact_neighbors(index.metric(), index.dim(), base, queries, k)?;
    recall_at(index, queries, &truth, k, ef)
}

/// recall@k of `index` searched one query at a time with beam width `ef`.
pub fn recall_at(
    index: &Index,
    queries: &[f32],
    truth: &[Vec<u64>],
    k: usize,
    ef: usize,
) -> Result<f64> {
    let found = index.search_batch(queries, k, ef)?;
    Ok(recall(&found, truth, k))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(key: u64) -> Neighbor {
        Neighbor { key, distance: 0.0 }
    }

    #[test]
    fn recall_counts_only_the_first_k_truths() {
        let gt = Matrix {
            rows: 2,
            dim: 3,
            data: vec![1, 2, 3, 4, 5, 6],
        };
        let found = vec![vec![hit(2), hit(3)], vec![hit(6), hit(7)]];
        // Query 0: {2} of {1, 2}; query 1: none of {4, 5} (6 is the third truth).
        let truth = gt_rows(&gt, 2, 2, 10, "--gt", "--queries").unwrap();
        assert_eq!(recall(&found, &truth, 2), 0.25);
    }

    #[test]
    fn gt_shape_and_ids_are_checked() {
        let gt = Matrix {
            rows: 2,
            dim: 3,
            data: vec![0, 1, 2, 3, 4, -1],
        };
        let rows = |queries, k, base| gt_rows(&gt, queries, k, base, "--gt", "--queries");
        // -1 as padding after the first k is never scored.
        assert!(rows(2, 2, 5).is_ok());
        let few = rows(2, 4, 5).unwrap_err().to_string();
        assert_eq!(few, "invalid --gt: 3 ids per query, fewer than k = 4");
        let short = rows(3, 1, 5).unwrap_err().to_string();
        assert_eq!(short, "invalid --gt: 2 rows but --queries has 3");
        let negative = rows(2, 3, 5).unwrap_err().to_string();
        assert_eq!(
            negative,
            "invalid --gt: row 1 holds id -1, not one of the 5 base vectors"
        );
        let past = rows(2, 2, 4).unwrap_err().to_string();
        assert_eq!(
            past,
            "invalid --gt: row 1 holds id 4, not one of the 4 base vectors"
        );
        let huge = Matrix {
            rows: 1,
            dim: 2,
            data: vec![1_000_000_000, 0],
        };
        let err = gt_rows(&huge, 1, 1, 5, "--gt", "--queries").unwrap_err();
        assert!(err.to_string().contains("holds id 1000000000"), "{err}");
    }

    #[test]
    fn exact_neighbors_find_each_base_row_first() {
        let base: Vec<f32> = (0..20).map(|i| i as f32).collect();
        let truth = exact_neighbors(Metric::L2, 2, &base, &base[4..8], 3).unwrap();
        assert_eq!(truth, vec![vec![2, 1, 3], vec![3, 2, 4]]);
    }
}
