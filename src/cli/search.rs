//! `vicinity search`: run every query against a saved index, time the searches, and with
//! ground truth measure recall@k.
//!
//! The index is mapped (`Index::open`: vectors and layer-0 links are used in place and paged in
//! as the searches touch them) unless `--load` reads it whole into memory (`Index::load`, which
//! also checks the vectors' checksum). The report's `mode` says which.
//!
//! Only the search loop is timed: opening, reading, checking and writing are not. With one
//! thread the loop runs on the main thread; with more, on a rayon pool. A mapped index's first
//! queries pay for the pages they fault in, and that is part of the timed loop.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use vicinity::io::{read_ivecs, read_vectors, write_ivecs, Matrix};
use vicinity::{Index, Neighbor};

use super::report::{rss_anon_bytes, rss_file_bytes, JsonLine};
use super::setup::{check_dim, check_k, check_values, check_writable, thread_pool};
use super::SearchArgs;

pub fn run(args: SearchArgs) -> Result<()> {
    let k = args.k;
    check_k(k)?;
    if let Some(out) = &args.output {
        check_writable(out, "--output")?;
    }
    let (index, mode) = if args.load {
        (Index::load(&args.index), "loaded")
    } else {
        (Index::open(&args.index), "mapped")
    };
    let index = index.context("--index")?;
    let queries = read_vectors(&args.queries).context("--queries")?;
    check_dim(queries.dim, index.dim(), "--queries", "the index")?;
    check_values(&queries, index.metric()).context("--queries")?;
    if k > index.len() {
        bail!(
            "--k {k} is more than the {} vectors in the index",
            index.len()
        );
    }
    let gt = match &args.gt {
        Some(path) => {
            let gt = read_ivecs(path).context("--gt")?;
            check_gt(&gt, queries.rows, k)?;
            Some(gt)
        }
        None => None,
    };
    let ef = args.ef.max(k);

    let (found, threads, seconds) = if args.threads == 1 {
        let start = Instant::now();
        let found = queries
            .data
            .chunks_exact(queries.dim)
            .map(|q| index.search(q, k, ef))
            .collect::<vicinity::Result<Vec<_>>>()?;
        (found, 1, start.elapsed().as_secs_f64())
    } else {
        let pool = thread_pool(Some(args.threads))?;
        let start = Instant::now();
        let found = pool.install(|| {
            queries
                .data
                .par_chunks_exact(queries.dim)
                .map(|q| index.search(q, k, ef))
                .collect::<vicinity::Result<Vec<_>>>()
        })?;
        (
            found,
            pool.current_num_threads(),
            start.elapsed().as_secs_f64(),
        )
    };

    let recall = gt.as_ref().map(|gt| recall(&found, gt, k));
    if let Some(out) = &args.output {
        write_ivecs(out, &key_rows(&found, k)?)?;
    }
    JsonLine::new()
        .field("k", k)
        .field("ef", ef)
        .field("queries", queries.rows)
        .field("threads", threads)
        .field("seconds", seconds)
        .field("qps", queries.rows as f64 / seconds)
        .field("recall", recall)
        .field("mode", mode)
        .field("rss_anon_bytes", rss_anon_bytes())
        .field("rss_file_bytes", rss_file_bytes())
        .print()
}

/// Ground truth must have a row per query and at least `k` ids in each.
fn check_gt(gt: &Matrix<i32>, queries: usize, k: usize) -> Result<()> {
    if gt.rows != queries {
        bail!("--gt has {} rows but --queries has {queries}", gt.rows);
    }
    if gt.dim < k {
        bail!("--gt has {} ids per query, fewer than --k {k}", gt.dim);
    }
    Ok(())
}

/// recall@k: the share of each query's first `k` true ids that the search returned, averaged
/// over the queries.
fn recall(found: &[Vec<Neighbor>], gt: &Matrix<i32>, k: usize) -> f64 {
    let hits: usize = found
        .iter()
        .enumerate()
        .map(|(i, hits)| {
            let truth = &gt.row(i)[..k];
            hits.iter()
                .filter(|n| truth.iter().any(|&t| i64::from(t) == n.key as i64))
                .count()
        })
        .sum();
    hits as f64 / (found.len() * k) as f64
}

/// The keys found, one row of `k` per query. Rows are full: `k` was checked against the index
/// size, and a search of an index with at least `k` vectors returns `k`.
fn key_rows(found: &[Vec<Neighbor>], k: usize) -> Result<Vec<Vec<u32>>> {
    found
        .iter()
        .enumerate()
        .map(|(i, hits)| {
            if hits.len() != k {
                bail!("query {i} found {} neighbours, not {k}", hits.len());
            }
            hits.iter()
                .map(|n| {
                    u32::try_from(n.key)
                        .with_context(|| format!("key {} does not fit in an .ivecs id", n.key))
                })
                .collect()
        })
        .collect()
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
        assert_eq!(recall(&found, &gt, 2), 0.25);
    }

    #[test]
    fn gt_shape_is_checked() {
        let gt = Matrix {
            rows: 2,
            dim: 3,
            data: vec![0; 6],
        };
        assert!(check_gt(&gt, 2, 3).is_ok());
        assert!(check_gt(&gt, 2, 4).is_err());
        assert!(check_gt(&gt, 3, 1).is_err());
    }
}
