//! Distance kernels per instruction set against scalar, at the dimensions of common datasets
//! (and padded ones: 96, 128, ...). One group per op; one line per kernel and dimension.
//!
//! `cargo bench --bench distance` (add `-- --quick` for a rough pass).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use vicinity::distance::{self, Kernel};

const DIMS: [usize; 10] = [25, 50, 96, 100, 128, 256, 384, 768, 960, 1536];
const SEED: u64 = 0x5eed_d157;

/// One op of a kernel, by name.
type OpFn = fn(&Kernel, &[f32], &[f32]) -> f32;

fn pair(dim: usize) -> (Vec<f32>, Vec<f32>) {
    let mut rng = StdRng::seed_from_u64(SEED ^ dim as u64);
    let mut v = || (0..dim).map(|_| rng.gen_range(-1.0f32..1.0)).collect();
    (v(), v())
}

fn bench_op(c: &mut Criterion, name: &str, op: OpFn) {
    let mut group = c.benchmark_group(name);
    group
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(500))
        .sample_size(20);
    let kernels = distance::available();
    for dim in DIMS {
        let (a, b) = pair(dim);
        for &kernel in &kernels {
            group.bench_with_input(BenchmarkId::new(kernel.name(), dim), &dim, |bench, _| {
                bench.iter(|| op(kernel, black_box(&a), black_box(&b)))
            });
        }
        // A bench that returns nonsense fails: every kernel must agree with scalar.
        let want = op(distance::scalar(), &a, &b);
        let scale: f32 = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x * y).abs() + (x - y).powi(2))
            .sum();
        for &kernel in &kernels {
            let got = op(kernel, &a, &b);
            assert!(
                (got - want).abs() <= 1e-4 * scale.max(1.0),
                "{name} {} at dim {dim}: {got}, scalar {want}",
                kernel.name()
            );
        }
    }
    group.finish();
}

fn kernels(c: &mut Criterion) {
    bench_op(c, "l2_squared", |k, a, b| k.l2_squared(a, b));
    bench_op(c, "dot", |k, a, b| k.dot(a, b));
}

criterion_group!(benches, kernels);
criterion_main!(benches);
