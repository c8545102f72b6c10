//! `f32` distance kernels, one set per instruction set, with the best one for this CPU chosen
//! once at run time.
//!
//! | file | what it holds |
//! |---|---|
//! | `mod.rs` | [`Kernel`], detection and caching ([`best`], [`available`], [`scalar`]), tests |
//! | `scalar.rs` | plain loops: the reference the others are tested against; `normalize` |
//! | `portable.rs` | `wide::f32x8` (SSE2 on x86-64, NEON on aarch64): the fallback |
//! | `x86.rs` | `std::arch` AVX2+FMA and AVX-512F, one generic loop, thin `#[target_feature]` wrappers |
//!
//! Besides `f32` against `f32`, each kernel computes distances to 8-bit codes (see
//! `crate::quantize`): from a query prepared for them (the codes taken as plain numbers), and
//! between two code rows (decoded on load).
//!
//! A library user gets the fast path without any `RUSTFLAGS`: `wide` is fixed at compile time,
//! so the AVX kernels are separate `#[target_feature]` functions, and a [`Kernel`] holding them
//! exists only once `is_x86_feature_detected!` has confirmed the CPU runs them. Detection runs
//! once; after that a distance is one indirect call, with no per-call checks.
//!
//! ```
//! let k = vicino::distance::best();
//! assert_eq!(k.l2_squared(&[0.0, 0.0], &[3.0, 4.0]), 25.0);
//! assert_eq!(k.dot(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]), 32.0);
//! ```
//!
//! Kernels differ in summation order and FMA rounding, so their results agree to a relative
//! tolerance, not bit for bit.

#![deny(unsafe_op_in_unsafe_fn)]

use std::fmt;
use std::sync::OnceLock;

mod portable;
pub(crate) mod scalar;
#[cfg(target_arch = "x86_64")]
mod x86;

/// A kernel between `A`s (floats or codes) and 8-bit codes, with the codes' per-dimension
/// offset and scale. SAFETY contract: as for every kernel field of [`Kernel`].
type CodedFn<A> = unsafe fn(&[A], &[u8], &[f32], &[f32]) -> f32;

/// One instruction set's kernels.
///
/// Obtain one from [`best`], [`available`] or [`scalar`]; hold the `&'static Kernel` and call it
/// in hot loops. Both ops read the first `min(a.len(), b.len())` elements (the lengths are
/// expected to be equal, which debug builds assert) and are memory-safe for any input.
pub struct Kernel {
    name: &'static str,
    /// SAFETY invariant: callable on this CPU (a `Kernel` is only reachable once its ISA is
    /// detected), and memory-safe for any pair of slices.
    l2_squared: unsafe fn(&[f32], &[f32]) -> f32,
    /// SAFETY invariant: as for `l2_squared`.
    dot: unsafe fn(&[f32], &[f32]) -> f32,
    /// SAFETY invariant: as for `l2_squared`; the 8-bit code kernels below read the first
    /// `n` elements of each slice, `n` the shortest length.
    l2_squared_codes: CodedFn<u8>,
    /// SAFETY invariant: as for `l2_squared_codes`.
    dot_codes: CodedFn<u8>,
    /// SAFETY invariant: as for `l2_squared_codes`.
    l2_scaled_u8: unsafe fn(&[f32], &[f32], &[u8]) -> f32,
    /// SAFETY invariant: as for `l2_squared_codes`.
    dot_u8_i8: unsafe fn(&[u8], &[i8]) -> i32,
    /// SAFETY invariant: as for `l2_squared`; reads the first `min(x.len(), 64 * bits.len())`
    /// values.
    sum_where_set: unsafe fn(&[f32], &[u64]) -> f32,
}

impl Kernel {
    /// The instruction set: `"scalar"`, `"portable"`, `"avx2+fma"`, `"avx512f"` or
    /// `"avx512f+vnni"`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Squared Euclidean distance `Σ (a_i - b_i)²`.
    #[inline(always)]
    pub fn l2_squared(&self, a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: by the field's invariant, this kernel's ISA was detected on this CPU before
        // the `Kernel` became reachable, and the function is memory-safe for any slices.
        unsafe { (self.l2_squared)(a, b) }
    }

    /// Dot product `Σ a_i b_i`.
    #[inline(always)]
    pub fn dot(&self, a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: as in `l2_squared`.
        unsafe { (self.dot)(a, b) }
    }

    /// Squared L2 between the vectors that two 8-bit code rows stand for: `offset[i] +
    /// scale[i] * code` in dimension `i` (see `crate::quantize`).
    #[inline(always)]
    pub(crate) fn l2_squared_codes(
        &self,
        a: &[u8],
        b: &[u8],
        offset: &[f32],
        scale: &[f32],
    ) -> f32 {
        // SAFETY: as in `l2_squared`.
        unsafe { (self.l2_squared_codes)(a, b, offset, scale) }
    }

    /// Dot product of the vectors that two code rows stand for.
    #[inline(always)]
    pub(crate) fn dot_codes(&self, a: &[u8], b: &[u8], offset: &[f32], scale: &[f32]) -> f32 {
        // SAFETY: as in `l2_squared`.
        unsafe { (self.dot_codes)(a, b, offset, scale) }
    }

    /// `Σ codes_i x_i`, exactly (in `i32`): a code row against a query prepared as signed
    /// bytes (see `crate::quantize`). Every kernel gives the same answer.
    #[inline(always)]
    pub(crate) fn dot_u8_i8(&self, codes: &[u8], x: &[i8]) -> i32 {
        // SAFETY: as in `l2_squared`.
        unsafe { (self.dot_u8_i8)(codes, x) }
    }

    /// `Σ (x_i - scale_i c_i)²`: a query prepared for 8-bit codes against a code row scaled
    /// per dimension.
    #[inline(always)]
    pub(crate) fn l2_scaled_u8(&self, x: &[f32], scale: &[f32], codes: &[u8]) -> f32 {
        // SAFETY: as in `l2_squared`.
        unsafe { (self.l2_scaled_u8)(x, scale, codes) }
    }

    /// `Σ x_i` over the `i` whose bit is set in `bits` (bit `i % 64` of word `i / 64`): a
    /// query against a row of sign bits (see `crate::sign_filter`).
    #[inline(always)]
    pub(crate) fn sum_where_set(&self, x: &[f32], bits: &[u64]) -> f32 {
        // SAFETY: as in `l2_squared`.
        unsafe { (self.sum_where_set)(x, bits) }
    }
}

impl fmt::Debug for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kernel").field("name", &self.name).finish()
    }
}

static SCALAR: Kernel = Kernel {
    name: "scalar",
    l2_squared: scalar::l2_squared,
    dot: scalar::dot,
    l2_squared_codes: scalar::l2_squared_coded::<u8>,
    dot_codes: scalar::dot_coded::<u8>,
    l2_scaled_u8: scalar::l2_scaled_u8,
    dot_u8_i8: scalar::dot_u8_i8,
    sum_where_set: scalar::sum_where_set,
};

/// `wide` has no cheap byte-to-float widening, so the code kernels here are the plain loops
/// (which the compiler vectorises for the baseline ISA).
static PORTABLE: Kernel = Kernel {
    name: "portable",
    l2_squared: portable::l2_squared,
    dot: portable::dot,
    l2_squared_codes: scalar::l2_squared_coded::<u8>,
    dot_codes: scalar::dot_coded::<u8>,
    l2_scaled_u8: scalar::l2_scaled_u8,
    dot_u8_i8: scalar::dot_u8_i8,
    sum_where_set: scalar::sum_where_set,
};

/// The fastest kernel this CPU runs: AVX-512F, else AVX2+FMA, else portable.
///
/// The CPU is probed on the first call only; later calls return the cached kernel (the same
/// `&'static` each time).
pub fn best() -> &'static Kernel {
    static BEST: OnceLock<&'static Kernel> = OnceLock::new();
    BEST.get_or_init(detect)
}

fn detect() -> &'static Kernel {
    #[cfg(target_arch = "x86_64")]
    {
        if let Some(k) = x86::avx512_vnni()
            .or_else(x86::avx512f)
            .or_else(x86::avx2_fma)
        {
            return k;
        }
    }
    &PORTABLE
}

/// Every kernel this CPU can run, scalar first, then from slowest to fastest (the last is
/// [`best`]). For tests and benchmarks.
pub fn available() -> Vec<&'static Kernel> {
    #[allow(unused_mut)] // only extended on x86-64
    let mut kernels = vec![&SCALAR, &PORTABLE];
    #[cfg(target_arch = "x86_64")]
    {
        kernels.extend(x86::avx2_fma());
        kernels.extend(x86::avx512f());
        kernels.extend(x86::avx512_vnni());
    }
    kernels
}

/// The plain-loop reference kernel.
pub fn scalar() -> &'static Kernel {
    &SCALAR
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// `got` agrees with the scalar `want` to a relative 1e-4 of the larger of 1, `|want|` and
    /// `Σ|terms|` (the scale of the rounding error in any summation order).
    fn close(got: f32, want: f32, abs_terms: f64) -> bool {
        let scale = 1f64.max(f64::from(want).abs()).max(abs_terms);
        (f64::from(got) - f64::from(want)).abs() <= 1e-4 * scale
    }

    fn abs_terms_l2(a: &[f32], b: &[f32]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
            .sum()
    }

    fn abs_terms_dot(a: &[f32], b: &[f32]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(&x, &y)| (f64::from(x) * f64::from(y)).abs())
            .sum()
    }

    /// Checks both ops of every available kernel on `a`, `b` against scalar.
    fn check_all(a: &[f32], b: &[f32]) -> Result<(), String> {
        let want_l2 = scalar::l2_squared(a, b);
        let want_dot = scalar::dot(a, b);
        let (terms_l2, terms_dot) = (abs_terms_l2(a, b), abs_terms_dot(a, b));
        for k in available() {
            let got = k.l2_squared(a, b);
            if !close(got, want_l2, terms_l2) {
                return Err(format!(
                    "{} l2_squared, len {}: got {got}, scalar {want_l2}",
                    k.name(),
                    a.len()
                ));
            }
            let got = k.dot(a, b);
            if !close(got, want_dot, terms_dot) {
                return Err(format!(
                    "{} dot, len {}: got {got}, scalar {want_dot}",
                    k.name(),
                    a.len()
                ));
            }
        }
        Ok(())
    }

    /// Vectors of `len` values in -10..10 at offsets `off_a`, `off_b` of a buffer of `len + 8`,
    /// optionally filled with NaN outside the slice.
    fn buffers(
        len: usize,
        off_a: usize,
        off_b: usize,
        fill: f32,
        seed: u64,
    ) -> (Vec<f32>, Vec<f32>) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut a = vec![fill; len + 8];
        let mut b = vec![fill; len + 8];
        for x in &mut a[off_a..off_a + len] {
            *x = rng.gen_range(-10.0..10.0);
        }
        for x in &mut b[off_b..off_b + len] {
            *x = rng.gen_range(-10.0..10.0);
        }
        (a, b)
    }

    proptest! {
        // Miri is ~1000x slower: a handful of cases there, and no regression file (isolation).
        #![proptest_config(if cfg!(miri) {
            ProptestConfig { cases: 4, failure_persistence: None, ..ProptestConfig::default() }
        } else {
            ProptestConfig::with_cases(512)
        })]

        /// Every kernel matches scalar for any length, tail and (mis)alignment.
        #[test]
        fn kernels_match_scalar(
            (off_a, off_b, a, b) in (1usize..1100, 0usize..4, 0usize..4).prop_flat_map(
                |(len, off_a, off_b)| (
                    Just(off_a),
                    Just(off_b),
                    prop::collection::vec(-10f32..10.0, len + off_a),
                    prop::collection::vec(-10f32..10.0, len + off_b),
                )
            )
        ) {
            let (a, b) = (&a[off_a..], &b[off_b..]);
            prop_assert_eq!(a.len(), b.len());
            if let Err(msg) = check_all(a, b) {
                return Err(TestCaseError::fail(msg));
            }
        }
    }

    /// Checks the coded ops of every kernel against scalar: the prepared query `a` against
    /// `codes` (L2 with `scale`, and as signed bytes the exact integer dot product), and the
    /// codes `a_codes` against `codes`, both decoded with `offset`, `scale`.
    fn check_coded(
        a: &[f32],
        a_codes: &[u8],
        codes: &[u8],
        offset: &[f32],
        scale: &[f32],
    ) -> Result<(), String> {
        let decode = |c: &[u8], offset: &[f32]| -> Vec<f32> {
            c.iter()
                .zip(offset)
                .zip(scale)
                .map(|((&c, &o), &s)| o + s * f32::from(c))
                .collect()
        };
        let (b, a_dec) = (decode(codes, offset), decode(a_codes, offset));
        let scaled = decode(codes, &vec![0.0; codes.len()]);
        // The integer dot product is exact: every kernel gives scalar's answer.
        let signed: Vec<i8> = a.iter().map(|&v| (v * 12.0) as i8).collect();
        let exact = scalar::dot_u8_i8(codes, &signed);
        for k in available() {
            if k.dot_u8_i8(codes, &signed) != exact {
                return Err(format!("{} dot_u8_i8, len {}", k.name(), a.len()));
            }
        }
        let want = [
            scalar::l2_scaled_u8(a, scale, codes),
            scalar::l2_squared_coded(a_codes, codes, offset, scale),
            scalar::dot_coded(a_codes, codes, offset, scale),
        ];
        let terms = [
            abs_terms_l2(a, &scaled),
            abs_terms_l2(&a_dec, &b),
            abs_terms_dot(&a_dec, &b),
        ];
        for k in available() {
            let got = [
                k.l2_scaled_u8(a, scale, codes),
                k.l2_squared_codes(a_codes, codes, offset, scale),
                k.dot_codes(a_codes, codes, offset, scale),
            ];
            for (op, ((&g, &w), &t)) in got.iter().zip(&want).zip(&terms).enumerate() {
                if !close(g, w, t) {
                    return Err(format!(
                        "{} coded op {op}, len {}: got {g}, scalar {w}",
                        k.name(),
                        a.len()
                    ));
                }
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(if cfg!(miri) {
            ProptestConfig { cases: 4, failure_persistence: None, ..ProptestConfig::default() }
        } else {
            ProptestConfig::with_cases(256)
        })]

        /// The 8-bit code kernels match scalar for any length and tail.
        #[test]
        fn coded_kernels_match_scalar(
            rows in (1usize..700).prop_flat_map(|len| (
                prop::collection::vec(-10f32..10.0, len),
                prop::collection::vec(any::<u8>(), len),
                prop::collection::vec(any::<u8>(), len),
                prop::collection::vec(-5f32..5.0, len),
                prop::collection::vec(0f32..0.1, len),
            ))
        ) {
            let (a, a_codes, codes, offset, scale) = rows;
            if let Err(msg) = check_coded(&a, &a_codes, &codes, &offset, &scale) {
                return Err(TestCaseError::fail(msg));
            }
        }
    }

    #[test]
    fn coded_kernels_use_the_shortest_slice_and_exact_small_cases() {
        for k in available() {
            let name = k.name();
            // One dimension: offset 1, scale 0.5, code 4 stands for 3.
            assert_eq!(k.l2_scaled_u8(&[5.0], &[0.5], &[4]), 9.0, "{name}");
            assert_eq!(k.dot_u8_i8(&[4], &[-5]), -20, "{name}");
            assert_eq!(k.dot_u8_i8(&[255; 200], &[-128; 200]), -6_528_000, "{name}");
            assert_eq!(
                k.l2_squared_codes(&[2], &[4], &[1.0], &[0.5]),
                1.0,
                "{name}"
            );
            assert_eq!(k.dot_codes(&[2], &[4], &[1.0], &[0.5]), 6.0, "{name}");
            // Codes that stand for exactly `a` are at distance zero, at any length; a shorter
            // offset or scale bounds every op.
            let a: Vec<f32> = (0..77).map(|i| (i % 9) as f32 * 0.25).collect();
            let codes: Vec<u8> = (0..77).map(|i| (i % 9) as u8).collect();
            let (offset, scale) = (vec![-1.0; 77], vec![0.25; 77]);
            assert_eq!(k.l2_scaled_u8(&a, &scale, &codes), 0.0, "{name}");
            assert_eq!(
                k.l2_squared_codes(&codes, &codes, &offset, &scale),
                0.0,
                "{name}"
            );
            let far = vec![100.0f32; 77];
            assert_eq!(k.l2_scaled_u8(&far, &scale[..0], &codes), 0.0, "{name}");
            assert_eq!(k.dot_u8_i8(&codes, &[100; 2]), 100, "{name}");
            assert_eq!(
                k.dot_codes(&codes, &codes, &offset, &scale[..3]),
                1.0 + 0.5625 + 0.25,
                "{name}"
            );
        }
    }

    /// Every length up to a few blocks of the widest kernel (4 × 16), at every offset modulo a
    /// 16-byte boundary, with NaN just outside the slice: a kernel that reads past either end
    /// of its input turns the result into NaN and fails.
    #[test]
    fn every_tail_and_alignment_stays_in_bounds() {
        let max_len = if cfg!(miri) { 40 } else { 200 };
        for len in 0..=max_len {
            for off_a in 0..4 {
                for off_b in 0..4 {
                    let seed = (len * 16 + off_a * 4 + off_b) as u64;
                    let (a, b) = buffers(len, off_a + 2, off_b + 2, f32::NAN, seed);
                    let (a, b) = (&a[off_a + 2..][..len], &b[off_b + 2..][..len]);
                    if let Err(msg) = check_all(a, b) {
                        panic!("{msg} (offsets {off_a}, {off_b})");
                    }
                }
            }
        }
    }

    #[test]
    fn hot_dims_match_scalar() {
        let dims: &[usize] = if cfg!(miri) {
            &[16, 96]
        } else {
            &[16, 32, 48, 64, 96, 128, 256, 384, 768, 960, 1536, 4096]
        };
        for &dim in dims {
            let (a, b) = buffers(dim, 0, 0, 0.0, dim as u64);
            check_all(&a[..dim], &b[..dim]).unwrap();
        }
    }

    #[test]
    fn sums_over_set_bits_match_scalar() {
        let mut rng = StdRng::seed_from_u64(11);
        let lens: &[usize] = if cfg!(miri) {
            &[0, 5, 70]
        } else {
            &[0, 1, 7, 8, 15, 16, 17, 50, 63, 64, 65, 100, 384, 448, 1000]
        };
        for &len in lens {
            let x: Vec<f32> = (0..len).map(|_| rng.gen_range(-10.0..10.0)).collect();
            // Words covering more, fewer and exactly the values there are.
            for words in [len.div_ceil(64), len / 64, len.div_ceil(64) + 1] {
                let bits: Vec<u64> = (0..words).map(|_| rng.gen()).collect();
                let want = scalar::sum_where_set(&x, &bits);
                let scale: f32 = x.iter().map(|v| v.abs()).sum::<f32>().max(1.0);
                for k in available() {
                    let got = k.sum_where_set(&x, &bits);
                    assert!(
                        (got - want).abs() <= 1e-5 * scale,
                        "{} len {len} words {words}: {got} vs {want}",
                        k.name()
                    );
                }
            }
        }
        // Every bit set is the plain sum; none set is zero.
        let x: Vec<f32> = (0..100).map(|i| i as f32).collect();
        for k in available() {
            assert_eq!(
                k.sum_where_set(&x, &[u64::MAX, u64::MAX]),
                4950.0,
                "{}",
                k.name()
            );
            assert_eq!(k.sum_where_set(&x, &[0, 0]), 0.0, "{}", k.name());
            assert_eq!(k.sum_where_set(&x, &[0b101]), 2.0, "{}", k.name());
        }
    }

    #[test]
    fn exact_small_cases() {
        for k in available() {
            let name = k.name();
            assert_eq!(k.l2_squared(&[0.0, 0.0], &[3.0, 4.0]), 25.0, "{name}");
            assert_eq!(k.dot(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]), 32.0, "{name}");
            assert_eq!(k.l2_squared(&[], &[]), 0.0, "{name}");
            assert_eq!(k.dot(&[], &[]), 0.0, "{name}");
            assert_eq!(k.l2_squared(&[2.5], &[-1.5]), 16.0, "{name}");
            // Small integers sum exactly in any order: every kernel gives the same answer.
            let a: Vec<f32> = (0..77).map(|i| (i % 7) as f32 - 3.0).collect();
            let b: Vec<f32> = (0..77).map(|i| (i % 5) as f32 - 2.0).collect();
            assert_eq!(k.l2_squared(&a, &b), scalar::l2_squared(&a, &b), "{name}");
            assert_eq!(k.dot(&a, &b), scalar::dot(&a, &b), "{name}");
            // A vector is at distance exactly zero from itself.
            let (v, _) = buffers(1000, 0, 0, 0.0, 7);
            assert_eq!(k.l2_squared(&v, &v), 0.0, "{name}");
        }
    }

    #[test]
    fn best_is_cached_and_available() {
        let k = best();
        assert!(std::ptr::eq(k, best()));
        let all = available();
        assert!(std::ptr::eq(all[0], scalar()));
        assert_eq!(all[0].name(), "scalar");
        assert!(all.iter().any(|&a| std::ptr::eq(a, k)));
        assert!(
            std::ptr::eq(*all.last().unwrap(), k),
            "best is the last available"
        );
        let mut names: Vec<_> = all.iter().map(|k| k.name()).collect();
        names.dedup();
        assert_eq!(names.len(), all.len(), "kernel names are distinct");
        assert_eq!(
            format!("{k:?}"),
            format!("Kernel {{ name: {:?} }}", k.name())
        );
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx_cpu_gets_an_avx_kernel() {
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            assert!(
                matches!(best().name(), "avx2+fma" | "avx512f" | "avx512f+vnni"),
                "got {}",
                best().name()
            );
            assert!(available().iter().any(|k| k.name() == "avx2+fma"));
        }
        if is_x86_feature_detected!("avx512vnni") && is_x86_feature_detected!("avx512bw") {
            assert_eq!(best().name(), "avx512f+vnni");
        } else if is_x86_feature_detected!("avx512f") {
            assert_eq!(best().name(), "avx512f");
        } else {
            assert!(available().iter().all(|k| k.name() != "avx512f"));
        }
    }

    #[test]
    fn normalize_gives_unit_norm() {
        let mut v = vec![3.0, 4.0];
        assert_eq!(scalar::normalize(&mut v), 5.0);
        assert_eq!(v, [0.6, 0.8]);

        let (mut v, _) = buffers(300, 0, 0, 0.0, 11);
        let want = scalar::dot(&v, &v).sqrt();
        let norm = scalar::normalize(&mut v);
        assert!(
            (norm / want - 1.0).abs() < 1e-5,
            "returned {norm}, expected {want}"
        );
        let after = scalar::dot(&v, &v).sqrt();
        assert!((after - 1.0).abs() < 1e-5, "norm afterwards {after}");

        // Components whose squares leave f32's range still normalise.
        for scale in [1e-30f32, 1e30] {
            let mut v = vec![3.0 * scale, 4.0 * scale];
            let norm = scalar::normalize(&mut v);
            assert!((norm / (5.0 * scale) - 1.0).abs() < 1e-6, "{scale}: {norm}");
            assert!(
                (v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6,
                "{v:?}"
            );
        }
    }

    #[test]
    fn normalize_leaves_zero_vector() {
        let mut v = vec![0.0f32; 17];
        assert_eq!(scalar::normalize(&mut v), 0.0);
        assert!(v.iter().all(|&x| x == 0.0 && x.is_sign_positive()));
        let mut empty: [f32; 0] = [];
        assert_eq!(scalar::normalize(&mut empty), 0.0);
    }
}
