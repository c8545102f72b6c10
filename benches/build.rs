//! Build throughput (vectors inserted per second) of `Index::build` on one seeded clustered
//! dataset (20,000 x 64, L2, M 16, ef_construction 100), on 1 thread and on every thread of the
//! machine. One line per thread count: `build/threads/1`, `build/threads/<all>`.
//!
//! Every index built, warm-up included, is checked before its time counts: recall@10 at ef 64
//! on 100 held-out queries against brute force must reach 0.9, or the bench panics.
//!
//! `cargo bench --bench build` (about a minute on 2 cores); one line:
//! `cargo bench --bench build -- build/threads/1`. Criterion flags such as
//! `--measurement-time` and `--sample-size` override the defaults set below.

mod common;

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use rayon::ThreadPoolBuilder;
use vicino::{Index, IndexParams, Metric};

const ROWS: usize = 20_000;
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
    let (base, queries) = common::clustered(ROWS, CHECK_QUERIES, DIM);
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
        .throughput(Throughput::Elements(ROWS as u64))
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
                        "build on {threads} threads: recall@{} at ef {CHECK_EF} is {recall:.4}, \
                         below {MIN_RECALL} (data seed {})",
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
                "build/threads/{threads}: {builds} builds checked, lowest recall@{} at ef \
                 {CHECK_EF} {worst:.4}",
                common::K
            );
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    targets = build
}
criterion_main!(benches);
