//! Ground truth and recall@k, shared by `search --gt` and `bench`.

use anyhow::{bail, Result};
use vicinity::io::Matrix;
use vicinity::Neighbor;

/// The first `k` true ids of each query, after checking the file has a row per query and at
/// least `k` ids in each. A negative id (padding) matches no key.
pub fn gt_rows(gt: &Matrix<i32>, queries: usize, k: usize) -> Result<Vec<Vec<u64>>> {
    if gt.rows != queries {
        bail!("--gt has {} rows but --queries has {queries}", gt.rows);
    }
    if gt.dim < k {
        bail!("--gt has {} ids per query, fewer than --k {k}", gt.dim);
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
        assert_eq!(recall(&found, &gt_rows(&gt, 2, 2).unwrap(), 2), 0.25);
    }

    #[test]
    fn gt_shape_is_checked() {
        let gt = Matrix {
            rows: 2,
            dim: 3,
            data: vec![0; 6],
        };
        assert!(gt_rows(&gt, 2, 3).is_ok());
        assert!(gt_rows(&gt, 2, 4).is_err());
        assert!(gt_rows(&gt, 3, 1).is_err());
    }
}
