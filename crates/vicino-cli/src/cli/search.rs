//! `vicino search`: run every query against a saved index, time the searches, and with
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
use serde::Serialize;
use vicino::{Index, Neighbor};
use vicino_bench::io::{read_ivecs, read_vectors, write_ivecs};

use super::report::{print_json, rss_anon_bytes, rss_file_bytes};
use super::setup::{check_dim, check_k, check_values, check_writable, thread_pool};
use super::SearchArgs;
use vicino_bench::truth::{gt_rows, recall};

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
            Some(gt_rows(
                &gt,
                queries.rows,
                k,
                index.len(),
                "--gt",
                "--queries",
            )?)
        }
        None => None,
    };
    let ef = args.ef.max(k);
    let rerank = args
        .rerank
        .unwrap_or(Index::default_rerank(k, ef))
        .clamp(k, ef);

    let (found, threads, seconds) = if args.threads == 1 {
        let start = Instant::now();
        let found = queries
            .data
            .chunks_exact(queries.dim)
            .map(|q| index.search_rerank(q, k, ef, rerank))
            .collect::<vicino::Result<Vec<_>>>()?;
        (found, 1, start.elapsed().as_secs_f64())
    } else {
        let pool = thread_pool(Some(args.threads))?;
        let start = Instant::now();
        let found = pool.install(|| {
            queries
                .data
                .par_chunks_exact(queries.dim)
                .map(|q| index.search_rerank(q, k, ef, rerank))
                .collect::<vicino::Result<Vec<_>>>()
        })?;
        (
            found,
            pool.current_num_threads(),
            start.elapsed().as_secs_f64(),
        )
    };

    let recall = gt.as_ref().map(|truth| recall(&found, truth, k));
    if let Some(out) = &args.output {
        write_ivecs(out, &key_rows(&found, k)?)?;
    }
    print_json(&SearchReport {
        k,
        ef,
        queries: queries.rows,
        threads,
        seconds,
        qps: queries.rows as f64 / seconds,
        recall,
        mode,
        quantize: index.params().quantization().name(),
        rerank,
        rss_anon_bytes: rss_anon_bytes(),
        rss_file_bytes: rss_file_bytes(),
    })
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

/// The line `vicino search` prints.
#[derive(Serialize)]
struct SearchReport {
    k: usize,
    ef: usize,
    queries: usize,
    threads: usize,
    seconds: f64,
    qps: f64,
    recall: Option<f64>,
    mode: &'static str,
    quantize: &'static str,
    rerank: usize,
    rss_anon_bytes: Option<u64>,
    rss_file_bytes: Option<u64>,
}
