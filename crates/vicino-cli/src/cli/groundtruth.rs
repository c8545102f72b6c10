//! `vicino groundtruth`: the exact `k` nearest base rows of every query, by brute force with
//! `FlatIndex`, written as `.ivecs` (ids are base row numbers, nearest first).

use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde::Serialize;
use vicino::FlatIndex;
use vicino_bench::io::{read_vectors, write_ivecs};

use super::report::{print_json, progress};
use super::setup::{check_dim, check_k, check_values, check_writable, metric, thread_pool};
use super::GroundtruthArgs;

/// Query chunks per run, for the progress bar.
const CHUNKS: usize = 100;

pub fn run(args: GroundtruthArgs) -> Result<()> {
    let metric = metric(&args.metric)?;
    let k = args.k;
    check_k(k)?;
    check_writable(&args.output, "--output")?;
    let pool = thread_pool(args.threads)?;

    let base = read_vectors(&args.base).context("--base")?;
    let queries = read_vectors(&args.queries).context("--queries")?;
    check_dim(queries.dim, base.dim, "--queries", "--base")?;
    if k > base.rows {
        bail!("--k {k} is more than the {} rows of --base", base.rows);
    }
    check_values(&queries, metric).context("--queries")?;
    let flat = FlatIndex::new(metric, base.dim, &base.data).context("--base")?;
    drop(base);

    let chunk = queries.rows.div_ceil(CHUNKS).max(1);
    let bar = progress(queries.rows, "ground truth");
    let start = Instant::now();
    let mut ids: Vec<Vec<u32>> = Vec::with_capacity(queries.rows);
    pool.install(|| -> Result<()> {
        for qs in queries.data.chunks(chunk * queries.dim) {
            for hits in flat.search_batch(qs, k)? {
                // FlatIndex keys are row numbers, and it holds at most u32::MAX rows.
                let row = hits.iter().map(|n| n.key as u32).collect();
                ids.push(row);
            }
            bar.inc((qs.len() / queries.dim) as u64);
        }
        Ok(())
    })?;
    let seconds = start.elapsed().as_secs_f64();
    bar.finish_and_clear();

    write_ivecs(&args.output, &ids)?;
    print_json(&GroundtruthReport {
        queries: queries.rows,
        base: flat.len(),
        k,
        metric: metric.name(),
        threads: pool.current_num_threads(),
        seconds,
    })
}

/// The line `vicino groundtruth` prints.
#[derive(Serialize)]
struct GroundtruthReport {
    queries: usize,
    base: usize,
    k: usize,
    metric: &'static str,
    threads: usize,
    seconds: f64,
}
