//! Distance kernels per instruction set against scalar, at the dimensions of common datasets
//! (and padded ones: 96, 128, ...). One group per op (`l2_squared`, `dot`); one line per kernel
//! and dimension, named `<op>/<kernel>/<dim>`.
//!
//! Before a dimension is timed, every kernel this CPU runs is checked against scalar at every
//! dimension in the list (relative tolerance: FMA rounds differently), so a fast wrong kernel
//! fails the bench instead of reporting a time.
//!
//! ```text
//! cargo bench --bench distance                           # about a minute
//! cargo bench --bench distance -- dot/avx2               # one kernel
//! VICINO_BENCH_QUICK=1 cargo bench --bench distance      # CI: 3 dimensions, short times
//! ```
//!
//! The quick mode times only 25, 128 and 960 (all ten are still checked). Criterion's
//! `--warm-up-time`, `--measurement-time` and `--sample-size` override the defaults set at the
//! bottom. No plots are drawn (see `common::criterion`).

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use vicino::distance::{self, Kernel};

/// Dimensions checked, and timed in the normal mode.
const DIMS: [usize; 10] = [25, 50, 96, 100, 128, 256, 384, 768, 960, 1536];
/// Dimensions timed in the quick mode: a short tail, a padded one, a long one.
const QUICK_DIMS: [usize; 3] = [25, 128, 960];
const SEED: u64 = 0x5eed_d157;

/// One op of a kernel: `l2_squared` or `dot`.
type OpFn = fn(&Kernel, &[f32], &[f32]) -> f32;

/// `dim` floats starting on a 64-byte boundary, as rows in the index's arena do (a `Vec<f32>`
/// is only 16-byte aligned, and split loads would blur the kernels' differences).
struct Aligned {
    buf: Vec<f32>,
    start: usize,
}

impl Aligned {
    fn random(dim: usize, rng: &mut StdRng) -> Self {
        let mut buf = vec![0.0f32; dim + 16];
        let start = buf.as_ptr().align_offset(64);
        assert!(start < 16, "cannot align a Vec<f32> to 64 bytes");
        for x in &mut buf[start..start + dim] {
            *x = rng.gen_range(-1.0..1.0);
        }
        buf.truncate(start + dim);
        Self { buf, start }
    }

    fn get(&self) -> &[f32] {
        &self.buf[self.start..]
    }
}

fn pair(dim: usize) -> (Aligned, Aligned) {
    let mut rng = StdRng::seed_from_u64(SEED ^ dim as u64);
    (
        Aligned::random(dim, &mut rng),
        Aligned::random(dim, &mut rng),
    )
}

/// Panics unless every kernel agrees with scalar on `op` at every dimension in [`DIMS`].
fn check_op(name: &str, op: OpFn) {
    let kernels = distance::available();
    for dim in DIMS {
        let (row_a, row_b) = pair(dim);
        let (a, b) = (row_a.get(), row_b.get());
        let want = op(distance::scalar(), a, b);
        let scale: f32 = a
            .iter()
            .zip(b)
            .map(|(x, y)| (x * y).abs() + (x - y).powi(2))
            .sum();
        for &kernel in &kernels {
            let got = op(kernel, a, b);
            assert!(
                (got - want).abs() <= 1e-4 * scale.max(1.0),
                "{name} {} at dim {dim}: {got}, scalar {want}",
                kernel.name()
            );
        }
    }
    let names: Vec<&str> = kernels.iter().map(|k| k.name()).collect();
    eprintln!(
        "{name}: {} agree with scalar at dims {DIMS:?} (tolerance 1e-4 relative)",
        names.join(", ")
    );
}

fn bench_op(c: &mut Criterion, name: &str, op: OpFn) {
    // A bench that returns nonsense fails: every kernel must agree with scalar first.
    check_op(name, op);
    let mut group = c.benchmark_group(name);
    let kernels = distance::available();
    let dims: &[usize] = common::pick(&DIMS, &QUICK_DIMS);
    for &dim in dims {
        let (row_a, row_b) = pair(dim);
        let (a, b) = (row_a.get(), row_b.get());
        for &kernel in &kernels {
            group.bench_function(BenchmarkId::new(kernel.name(), dim), |bench| {
                bench.iter(|| op(kernel, black_box(a), black_box(b)))
            });
        }
    }
    group.finish();
}

fn kernels(c: &mut Criterion) {
    bench_op(c, "l2_squared", |k, a, b| k.l2_squared(a, b));
    bench_op(c, "dot", |k, a, b| k.dot(a, b));
}

criterion_group! {
    name = benches;
    config = common::criterion(20, Duration::from_millis(200), Duration::from_millis(500));
    targets = kernels
}
criterion_main!(benches);
