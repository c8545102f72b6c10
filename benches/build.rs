//! Build throughput (vectors inserted per second) of `Index::build` on one seeded clustered
//! dataset (20,000 x 64, L2, M 16, ef_construction 100), on 1 thread and on every thread of the
//! machine. One line per thread count: `build/threads/1`, `build/threads/<all>`.
//!
//! Every index built, warm-up included, is checked before its time counts: recall@10 at ef 64
//! on 100 held-out queries against brute force must reach 0.9, or the bench panics. The lowest
//! recall seen is printed per line (`build/threads/1: 12 builds checked, lowest recall@10 ...`).
//!
//! ```text
//! cargo bench --bench build                              # about a minute on 2 cores
//! cargo bench --bench build -- build/threads/1           # one line
//! VICINO_BENCH_QUICK=1 cargo bench --bench build         # CI: 3,000 rows, short times
//! ```
//!
//! Criterion's `--warm-up-time`, `--measurement-time` and `--sample-size` override the defaults
//! set at the bottom. No plots are drawn (see `common::criterion`).

mod common;

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use rayon::ThreadPoolBuilder;
use vicino::{Index, IndexParams, Metric};

/// Rows built (normal, quick mode).
const ROWS: (usize, usize) = (20_000, 3_000);
const DIM: usize = 64;
const M: usize = 16;
const EF_CONSTRUCTION: usize = 100;
/// Held-out queries the recall check searches.
const CHECK_QUERIES: usize = 100;
/// Beam width of the recall check.
const CHECK_EF: usize = 64;
/// Recall@10 at `CHECK_EF` below which the built index is taken for broken.
const MIN_RECALL: f64 = 0.9;

fn build(c: &mut Criterion) {
    let rows = common::pick(ROWS.0, ROWS.1);
    let (base, queries) = common::clustered(rows, CHECK_QUERIES, DIM);
    let truth = common::ground_truth(Metric::L2, DIM, &base, &queries);
    let params = IndexParams::new(Metric::L2)
        .m(M)
        .ef_construction(EF_CONSTRUCTION);
    let all = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let mut thread_counts = vec![1, all];
    thread_counts.dedup();

    let mut group = c.benchmark_group("build");
    // A build takes seconds: one build per sample rather than criterion's 1, 2, ... n ramp.
    group
        .throughput(Throughput::Elements(rows as u64))
        .sampling_mode(SamplingMode::Flat);
    for threads in thread_counts {
        let pool = ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a rayon pool");
        let (mut builds, mut worst) = (0usize, f64::INFINITY);
        group.bench_with_input(BenchmarkId::new("threads", threads), &threads, |b, _| {
            b.iter_custom(|iters| {
                let mut elapsed = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    let index = pool
                        .install(|| Index::build(params, DIM, black_box(&base)))
                        .expect("build");
                    elapsed += start.elapsed();
                    // Checked (and dropped) outside the timed span.
                    let recall = common::recall(&index, &queries, &truth, CHECK_EF);
                    assert!(
                        recall >= MIN_RECALL,
                        "build of {rows} rows on {threads} threads: recall@{} at ef {CHECK_EF} \
                         is {recall:.4}, below {MIN_RECALL} (data seed {})",
                        common::K,
                        common::SEED
                    );
                    builds += 1;
                    worst = worst.min(recall);
                    black_box(index);
                }
                elapsed
            })
        });
        if builds > 0 {
            eprintln!(
                "build/threads/{threads}: {builds} builds of {rows} x {DIM} checked, lowest \
                 recall@{} at ef {CHECK_EF} {worst:.4} (floor {MIN_RECALL})",
                common::K
            );
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion(10, Duration::from_secs(1), Duration::from_secs(10));
    targets = build
}
criterion_main!(benches);
