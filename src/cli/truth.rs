//! Ground truth and recall@k, shared by `search --gt` and `bench`.

use anyhow::{bail, Result};
use vicinity::io::Matrix;
use vicinity::Neighbor;

/// The first `k` true ids of each query, after checking the truth has a row per query and at
/// least `k` ids in each. A negative id (padding) matches no key. `gt_name` and `queries_name`
/// say in errors where each came from (`--gt`, `--dataset neighbors`, ...).
pub fn gt_rows(
    gt: &Matrix<i32>,
    queries: usize,
    k: usize,
    gt_name: &str,
    queries_name: &str,
) -> Result<Vec<Vec<u64>>> {
    if gt.rows != queries {
        bail!(
            "{gt_name} has {} rows but {queries_name} has {queries}",
            gt.rows
        );
    }
    if gt.dim < k {
        bail!("{gt_name} has {} ids per query, fewer than --k {k}", gt.dim);
    }
    Ok((0..gt.rows)
        .map(|i| {
            gt.row(i)[..k]
                .iter()
                .map(|&t| u64::try_from(t).unwrap_or(u64::MAX))
                .collect()
        })
        .collect())
}

/// recall@k: the share of each query's `k` true ids that the search returned, averaged.
pub fn recall(found: &[Vec<Neighbor>], truth: &[Vec<u64>], k: usize) -> f64 {
    let hits: usize = found
        .iter()
        .zip(truth)
        .map(|(hits, truth)| hits.iter().filter(|n| truth.contains(&n.key)).count())
        .sum();
    hits as f64 / (found.len() * k) as f64
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
        assert_eq!(
            recall(&found, &gt_rows(&gt, 2, 2, "--gt", "--queries").unwrap(), 2),
            0.25
        );
    }

    #[test]
    fn gt_shape_is_checked() {
        let gt = Matrix {
            rows: 2,
            dim: 3,
            data: vec![0; 6],
        };
        let rows = |queries, k| gt_rows(&gt, queries, k, "--gt", "--queries");
        assert!(rows(2, 3).is_ok());
        let few = rows(2, 4).unwrap_err().to_string();
        assert_eq!(few, "--gt has 3 ids per query, fewer than --k 4");
        let short = rows(3, 1).unwrap_err().to_string();
        assert_eq!(short, "--gt has 2 rows but --queries has 3");
    }
}
