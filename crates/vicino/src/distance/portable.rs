//! Kernels on `wide::f32x8`: the baseline for CPUs without a dedicated `std::arch` path
//! (aarch64, x86-64 without AVX2+FMA).
//!
//! `wide` chooses its instructions with `cfg(target_feature)` at compile time, so on a default
//! x86-64 build this is SSE2 (two `__m128` per `f32x8`) and on aarch64 NEON. It is safe code:
//! loads go through `chunks_exact`, so no length can read out of bounds.

use wide::f32x8;

/// Elements per vector register.
const LANES: usize = 8;
/// Independent accumulators in the main loop (hides the add latency).
const UNROLL: usize = 4;

/// Squared Euclidean distance over the first `min(a.len(), b.len())` elements.
pub(crate) fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len(), "l2_squared: length mismatch");
    reduce(
        a,
        b,
        |x, y, acc| {
            let d = x - y;
            d.mul_add(d, acc)
        },
        |x, y| (x - y) * (x - y),
    )
}

/// Dot product over the first `min(a.len(), b.len())` elements.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len(), "dot: length mismatch");
    reduce(a, b, |x, y, acc| x.mul_add(y, acc), |x, y| x * y)
}

/// The one loop both ops share: `UNROLL` accumulators over blocks of `UNROLL * LANES`, one
/// accumulator over the remaining whole vectors, then a scalar tail.
///
/// `step(x, y, acc)` folds one vector pair into `acc`; `term(x, y)` is the same for one element.
#[inline(always)]
fn reduce(
    a: &[f32],
    b: &[f32],
    step: impl Fn(f32x8, f32x8, f32x8) -> f32x8,
    term: impl Fn(f32, f32) -> f32,
) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);

    let mut acc = [f32x8::ZERO; UNROLL];
    let mut blocks_a = a.chunks_exact(UNROLL * LANES);
    let mut blocks_b = b.chunks_exact(UNROLL * LANES);
    for (ba, bb) in (&mut blocks_a).zip(&mut blocks_b) {
        for (k, acc) in acc.iter_mut().enumerate() {
            let r = k * LANES..(k + 1) * LANES;
            *acc = step(load(&ba[r.clone()]), load(&bb[r]), *acc);
        }
    }

    let mut total = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    let mut vecs_a = blocks_a.remainder().chunks_exact(LANES);
    let mut vecs_b = blocks_b.remainder().chunks_exact(LANES);
    for (va, vb) in (&mut vecs_a).zip(&mut vecs_b) {
        total = step(load(va), load(vb), total);
    }

    let mut sum = total.reduce_add();
    for (&x, &y) in vecs_a.remainder().iter().zip(vecs_b.remainder()) {
        sum += term(x, y);
    }
    sum
}

/// Loads exactly [`LANES`] floats; `chunk` always has that length (it comes from
/// `chunks_exact`), so the conversion cannot fail and compiles to a plain unaligned load.
#[inline(always)]
fn load(chunk: &[f32]) -> f32x8 {
    let arr: [f32; LANES] = chunk.try_into().expect("chunks_exact yields whole vectors");
    f32x8::new(arr)
}
