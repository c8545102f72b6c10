//! `vicino build`: read vectors, insert them in parallel with a progress bar, save the index.
//!
//! Everything that can be wrong with the flags, the output path or the data is checked before
//! the first insert. With `--on-disk` the vectors being built go to a scratch file and the
//! build computes its distances on 8-bit codes in RAM, fitted to rows spread over the input.
//! Rows go in through `Index::add_rows` on the pool, read from the mapped input as they are
//! inserted (the bar counts them), followed by one `Index::repair` (one reachability pass over
//! the whole graph, as `Index::build` does); only this is timed.

use std::time::Instant;

use anyhow::{Context, Result};
use serde::Serialize;
use vicino::{Index, IndexParams};
use vicino_bench::io::VectorFile;

use super::report::{delta, print_json, progress, rss_anon_bytes, rss_bytes};
use super::setup::{check_file_values, check_writable, metric, quantization, thread_pool};
use super::BuildArgs;

/// Bytes of sample rows an on-disk build fits its 8-bit codes to (16k rows at dim 128), held
/// only while the index is set up.
const CODE_SAMPLE_BYTES: usize = 8 << 20;

pub fn run(args: BuildArgs) -> Result<()> {
    let metric = metric(&args.metric)?;
    let params = IndexParams::new(metric)
        .m(args.m)
        .ef_construction(args.ef_construction)
        .seed(args.seed)
        .quantize(quantization(&args.quantize)?)
        .exact_build(args.exact_build);
    params.validate()?;
    check_writable(&args.output, "--output")?;
    let pool = thread_pool(args.threads)?;

    // Mapped, not loaded: the input is paged in row by row as the build goes.
    let base = VectorFile::open(&args.input).context("--input")?;
    check_file_values(&base, metric).context("--input")?;
    let (rows, dim) = (base.rows(), base.dim());

    let rss_before = rss_bytes();
    let index = if args.on_disk {
        let dir = match args.output.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        Index::with_capacity_on_disk(params, dim, rows, &dir, &code_sample(&base))?
    } else {
        Index::with_capacity(params, dim, rows)?
    };
    let bar = progress(rows, "building");
    let start = Instant::now();
    let keys: Vec<u64> = (0..rows as u64).collect();
    // Rows are read from the mapping as they are inserted (a quantized index, or a build on
    // codes, first reads rows spread over the input to fit the codes' ranges).
    pool.install(|| {
        index.add_rows(
            &keys,
            |row, buf| {
                let mut decoded = Vec::new();
                buf.extend_from_slice(base.row(row, &mut decoded));
            },
            || bar.inc(1),
        )
    })?;
    index.repair()?;
    let build_seconds = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let rss_after = rss_bytes();

    index.save(&args.output)?;

    let memory = index.memory_bytes();
    print_json(&BuildReport {
        rows,
        dim,
        metric: metric.name(),
        m: params.get_m(),
        ef_construction: params.get_ef_construction(),
        threads: pool.current_num_threads(),
        build_seconds,
        memory_bytes: memory,
        bytes_per_vector: memory as f64 / rows as f64,
        rss_delta_bytes: delta(rss_before, rss_after),
        rss_anon_bytes: rss_anon_bytes(),
        on_disk: args.on_disk,
        quantize: params.quantization().name(),
    })
}

/// Up to `CODE_SAMPLE_BYTES` of rows spread evenly over `base` (all of them if it is smaller),
/// the sample that an on-disk build's codes are fitted to.
fn code_sample(base: &VectorFile) -> Vec<f32> {
    let take = base.rows().min(CODE_SAMPLE_BYTES / (4 * base.dim())).max(1);
    let mut sample = Vec::with_capacity(take * base.dim());
    let mut buf = Vec::new();
    for i in 0..take {
        sample.extend_from_slice(base.row(i * base.rows() / take, &mut buf));
    }
    sample
}

/// The line `vicino build` prints.
#[derive(Serialize)]
struct BuildReport {
    rows: usize,
    dim: usize,
    metric: &'static str,
    m: usize,
    ef_construction: usize,
    threads: usize,
    build_seconds: f64,
    memory_bytes: usize,
    bytes_per_vector: f64,
    rss_delta_bytes: Option<i64>,
    rss_anon_bytes: Option<u64>,
    on_disk: bool,
    quantize: &'static str,
}
