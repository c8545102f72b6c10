//! `std::arch` kernels for x86-64: AVX2+FMA (8 lanes) and AVX-512F (16 lanes).
//!
//! Each op's loop is written once, in [`reduce`], generic over the vector ISA ([`Simd`]) and the
//! op ([`Op`]); it is `#[inline(always)]`, so it is compiled inside the thin `#[target_feature]`
//! wrappers at the bottom and gets their instruction set. Those wrappers are what a [`Kernel`]
//! stores, and a `Kernel` for an ISA is handed out only after `is_x86_feature_detected!` says
//! the CPU has it ([`avx2_fma`], [`avx512f`]).
//!
//! Loop shape, for `L` lanes: four independent accumulators over blocks of `4L` floats (the
//! hot case: rows padded to multiples of 16), then one accumulator over whole vectors, then a
//! single masked load for the last `< L` floats (masked-out lanes read as zero and are never
//! touched in memory). All loads are unaligned: arena rows are 64-byte aligned, queries are not.

use core::arch::x86_64::*;

use super::scalar::Decode;
use super::Kernel;

/// AVX2+FMA kernels, or `None` when this CPU lacks either feature.
pub(super) fn avx2_fma() -> Option<&'static Kernel> {
    static AVX2_FMA: Kernel = Kernel {
        name: "avx2+fma",
        l2_squared: l2_squared_avx2_fma,
        dot: dot_avx2_fma,
        l2_squared_codes: l2_squared_codes_avx2_fma,
        dot_codes: dot_codes_avx2_fma,
        l2_scaled_u8: l2_scaled_u8_avx2_fma,
        dot_u8_i8: dot_u8_i8_avx2,
        sum_where_set: sum_where_set_avx2,
    };
    (is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")).then_some(&AVX2_FMA)
}

/// AVX-512F kernels, or `None` when this CPU (or the OS) lacks AVX-512F.
pub(super) fn avx512f() -> Option<&'static Kernel> {
    static AVX512F: Kernel = Kernel {
        name: "avx512f",
        l2_squared: l2_squared_avx512f,
        dot: dot_avx512f,
        l2_squared_codes: l2_squared_codes_avx512f,
        dot_codes: dot_codes_avx512f,
        l2_scaled_u8: l2_scaled_u8_avx512f,
        dot_u8_i8: dot_u8_i8_avx2,
        sum_where_set: sum_where_set_avx512f,
    };
    is_x86_feature_detected!("avx512f").then_some(&AVX512F)
}

/// AVX-512F kernels whose 8-bit dot product runs on AVX-512 VNNI (`vpdpbusd`: 64 byte products
/// per instruction), or `None` when this CPU lacks AVX-512F, BW or VNNI.
pub(super) fn avx512_vnni() -> Option<&'static Kernel> {
    static AVX512_VNNI: Kernel = Kernel {
        name: "avx512f+vnni",
        l2_squared: l2_squared_avx512f,
        dot: dot_avx512f,
        l2_squared_codes: l2_squared_codes_avx512f,
        dot_codes: dot_codes_avx512f,
        l2_scaled_u8: l2_scaled_u8_avx512f,
        dot_u8_i8: dot_u8_i8_vnni,
        sum_where_set: sum_where_set_avx512f,
    };
    (is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512bw")
        && is_x86_feature_detected!("avx512vnni"))
    .then_some(&AVX512_VNNI)
}

/// `Σ codes_i x_i` in exact integer arithmetic with AVX2: 16 pairs widened to 16 bits and
/// multiplied-and-added in pairs (`vpmaddwd`) per step, then a plain tail.
///
/// # Safety
/// The CPU must have AVX2. Any slices are memory-safe: loads stay within the shorter one.
#[target_feature(enable = "avx2")]
// SAFETY: the contract is in the doc above: the CPU has the features.
unsafe fn dot_u8_i8_avx2(codes: &[u8], x: &[i8]) -> i32 {
    let n = codes.len().min(x.len());
    let mut i = 0;
    // SAFETY: AVX2 is guaranteed by the caller; each step reads bytes `i..i + 16` of both
    // slices with `i + 16 <= n`.
    let mut sum = unsafe {
        let mut acc = _mm256_setzero_si256();
        while i + 16 <= n {
            let c = _mm256_cvtepu8_epi16(_mm_loadu_si128(codes.as_ptr().add(i).cast()));
            let q = _mm256_cvtepi8_epi16(_mm_loadu_si128(x.as_ptr().add(i).cast()));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(c, q));
            i += 16;
        }
        let half = _mm_add_epi32(
            _mm256_castsi256_si128(acc),
            _mm256_extracti128_si256::<1>(acc),
        );
        let half = _mm_add_epi32(half, _mm_shuffle_epi32::<0b01_00_11_10>(half));
        let half = _mm_add_epi32(half, _mm_shuffle_epi32::<0b10_11_00_01>(half));
        _mm_cvtsi128_si32(half)
    };
    for j in i..n {
        sum += i32::from(codes[j]) * i32::from(x[j]);
    }
    sum
}

/// `Σ codes_i x_i` in exact integer arithmetic with AVX-512 VNNI: 64 byte products per
/// `vpdpbusd`, the tail through a masked load (masked-out bytes are neither read nor faulted).
///
/// # Safety
/// The CPU must have AVX-512F, BW and VNNI. Any slices are memory-safe: loads stay within the
/// shorter one.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
// SAFETY: the contract is in the doc above: the CPU has the features.
unsafe fn dot_u8_i8_vnni(codes: &[u8], x: &[i8]) -> i32 {
    let n = codes.len().min(x.len());
    let (pc, px) = (codes.as_ptr(), x.as_ptr());
    // SAFETY: the features are guaranteed by the caller. Full loads read bytes `i..i + 64`
    // with `i + 64 <= n`; the masked loads read only the lanes `< n - i` of the last block.
    unsafe {
        let mut acc = _mm512_setzero_si512();
        let mut i = 0;
        while i + 64 <= n {
            let c = _mm512_loadu_si512(pc.add(i).cast());
            let q = _mm512_loadu_si512(px.add(i).cast());
            acc = _mm512_dpbusd_epi32(acc, c, q);
            i += 64;
        }
        if i < n {
            let mask: __mmask64 = (1u64 << (n - i)) - 1;
            let c = _mm512_maskz_loadu_epi8(mask, pc.add(i).cast());
            let q = _mm512_maskz_loadu_epi8(mask, px.add(i).cast());
            acc = _mm512_dpbusd_epi32(acc, c, q);
        }
        _mm512_reduce_add_epi32(acc)
    }
}

/// `Σ x_i` over the set bits of `bits` with AVX2: each byte of a word becomes an 8-lane mask
/// (the byte broadcast, ANDed with one bit per lane, compared), the masked floats are added,
/// and the last `< 8` values go through a plain loop.
///
/// # Safety
/// The CPU must have AVX2. Any slices are memory-safe: loads stay within the first
/// `min(x.len(), 64 * bits.len())` values.
#[target_feature(enable = "avx2")]
// SAFETY: the contract is in the doc above: the CPU has the features.
unsafe fn sum_where_set_avx2(x: &[f32], bits: &[u64]) -> f32 {
    let n = x.len().min(bits.len() * 64);
    let p = x.as_ptr();
    let lane_bits = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    let mut acc = _mm256_setzero_ps();
    let mut i = 0;
    while i + 8 <= n {
        let byte = ((bits[i / 64] >> (i % 64)) & 0xff) as i32;
        let set = _mm256_cmpeq_epi32(
            _mm256_and_si256(_mm256_set1_epi32(byte), lane_bits),
            lane_bits,
        );
        // SAFETY: `i + 8 <= n <= x.len()`.
        let v = unsafe { _mm256_loadu_ps(p.add(i)) };
        acc = _mm256_add_ps(acc, _mm256_and_ps(v, _mm256_castsi256_ps(set)));
        i += 8;
    }
    let half = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    let pair = _mm_add_ps(half, _mm_movehl_ps(half, half));
    let mut sum = _mm_cvtss_f32(_mm_add_ss(pair, _mm_shuffle_ps(pair, pair, 1)));
    while i < n {
        if (bits[i / 64] >> (i % 64)) & 1 == 1 {
            sum += x[i];
        }
        i += 1;
    }
    sum
}

/// `Σ x_i` over the set bits of `bits` with AVX-512F: 16 bits of a word mask one add of 16
/// values; the last `< 64` values go through masked loads (masked-out lanes are neither read
/// nor faulted, and read as zero).
///
/// # Safety
/// The CPU must have AVX-512F. Any slices are memory-safe: loads stay within the first
/// `min(x.len(), 64 * bits.len())` values.
#[target_feature(enable = "avx512f")]
// SAFETY: the contract is in the doc above: the CPU has the features.
unsafe fn sum_where_set_avx512f(x: &[f32], bits: &[u64]) -> f32 {
    let n = x.len().min(bits.len() * 64);
    let p = x.as_ptr();
    let mut acc = _mm512_setzero_ps();
    let whole = n / 64;
    for (w, &word) in bits[..whole].iter().enumerate() {
        for c in 0..4 {
            // SAFETY: `64 w + 16 c + 16 <= 64 * whole <= n <= x.len()`.
            let v = unsafe { _mm512_loadu_ps(p.add(64 * w + 16 * c)) };
            acc = _mm512_mask_add_ps(acc, (word >> (16 * c)) as u16, acc, v);
        }
    }
    let mut i = 64 * whole;
    while i < n {
        let mut mask = (bits[whole] >> (i % 64)) as u16;
        if n - i < 16 {
            mask &= ((1u32 << (n - i)) - 1) as u16;
        }
        // SAFETY: the mask holds only lanes `< n - i`, so every lane read is within `x`.
        let v = unsafe { _mm512_maskz_loadu_ps(mask, p.add(i)) };
        acc = _mm512_add_ps(acc, v);
        i += 16;
    }
    _mm512_reduce_add_ps(acc)
}

/// One vector ISA, as far as the kernel body needs it.
///
/// Every method executes instructions of the ISA, so each is an unsafe function whose contract is
/// the same: it may only run inside a function compiled with the ISA's target features, on a CPU
/// that has them. They are `#[inline(always)]` so that they are compiled into such a function.
trait Simd: Copy {
    /// Floats per register.
    const LANES: usize;

    /// All lanes zero.
    ///
    /// # Safety
    /// The CPU has the ISA's features (see the trait docs).
    unsafe fn zero() -> Self;

    /// Loads `LANES` floats from `p`, which need not be aligned.
    ///
    /// # Safety
    /// As for [`Simd::zero`], and `p..p + LANES` must be readable `f32`s.
    unsafe fn load(p: *const f32) -> Self;

    /// Loads `LANES` bytes from `p` and widens them to floats (`0.0..=255.0`).
    ///
    /// # Safety
    /// As for [`Simd::zero`], and `p..p + LANES` must be readable bytes.
    unsafe fn load_u8(p: *const u8) -> Self;

    /// Loads the `len < LANES` floats at `p` into the low lanes; the other lanes are zero and
    /// their memory is not accessed.
    ///
    /// # Safety
    /// As for [`Simd::zero`], and `p..p + len` must be readable `f32`s.
    unsafe fn load_partial(p: *const f32, len: usize) -> Self;

    /// Lane-wise `self + other`.
    ///
    /// # Safety
    /// As for [`Simd::zero`].
    unsafe fn add(self, other: Self) -> Self;

    /// Lane-wise `self - other`.
    ///
    /// # Safety
    /// As for [`Simd::zero`].
    unsafe fn sub(self, other: Self) -> Self;

    /// Lane-wise fused `self * m + acc`.
    ///
    /// # Safety
    /// As for [`Simd::zero`].
    unsafe fn mul_add(self, m: Self, acc: Self) -> Self;

    /// Lane-wise fused `acc - self * m`.
    ///
    /// # Safety
    /// As for [`Simd::zero`].
    unsafe fn neg_mul_add(self, m: Self, acc: Self) -> Self;

    /// The sum of all lanes.
    ///
    /// # Safety
    /// As for [`Simd::zero`].
    unsafe fn reduce_add(self) -> f32;
}

/// What one distance does with a pair of vectors.
trait Op {
    /// Folds the lane-wise term of `x` and `y` into `acc`.
    ///
    /// # Safety
    /// As for the methods of [`Simd`]: the CPU has `V`'s features.
    unsafe fn step<V: Simd>(x: V, y: V, acc: V) -> V;

    /// The same for one float of each side (the tails of the coded kernels).
    fn step_scalar(x: f32, y: f32, acc: f32) -> f32;
}

/// `Σ (x - y)²`.
struct L2Squared;
/// `Σ x y`.
struct Dot;

impl Op for L2Squared {
    #[inline(always)]
    // SAFETY: same contract as the trait method: the CPU has the ISA's features.
    unsafe fn step<V: Simd>(x: V, y: V, acc: V) -> V {
        // SAFETY: forwarded from this fn's contract (the CPU has V's features).
        unsafe {
            let d = x.sub(y);
            d.mul_add(d, acc)
        }
    }

    #[inline(always)]
    fn step_scalar(x: f32, y: f32, acc: f32) -> f32 {
        acc + (x - y) * (x - y)
    }
}

impl Op for Dot {
    #[inline(always)]
    // SAFETY: same contract as the trait method: the CPU has the ISA's features.
    unsafe fn step<V: Simd>(x: V, y: V, acc: V) -> V {
        // SAFETY: forwarded from this fn's contract (the CPU has V's features).
        unsafe { x.mul_add(y, acc) }
    }

    #[inline(always)]
    fn step_scalar(x: f32, y: f32, acc: f32) -> f32 {
        acc + x * y
    }
}

/// The single loop behind every x86 kernel: `O` over the first `min(a.len(), b.len())` floats.
///
/// # Safety
/// The CPU has `V`'s features, and the caller is compiled with them (it is one of the
/// `#[target_feature]` wrappers below). Memory safety holds for any slices: every load stays
/// within the first `n` elements of both.
#[inline(always)]
// SAFETY: the contract is in the doc above: the CPU has V's features.
unsafe fn reduce<V: Simd, O: Op>(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let lanes = V::LANES;
    let block = 4 * lanes;

    // (`i + block` cannot overflow: `i <= n <= isize::MAX`.)
    // SAFETY: the ISA contract is this fn's own. Every `load(p.add(j))` has `j + LANES <= n` by
    // its loop condition, and the final `load_partial` reads `n - i < LANES` floats from `i`,
    // so no access leaves `a[..n]` or `b[..n]`.
    unsafe {
        let (mut acc0, mut acc1, mut acc2, mut acc3) = (V::zero(), V::zero(), V::zero(), V::zero());
        let mut i = 0;
        while i + block <= n {
            acc0 = O::step(V::load(pa.add(i)), V::load(pb.add(i)), acc0);
            acc1 = O::step(V::load(pa.add(i + lanes)), V::load(pb.add(i + lanes)), acc1);
            acc2 = O::step(
                V::load(pa.add(i + 2 * lanes)),
                V::load(pb.add(i + 2 * lanes)),
                acc2,
            );
            acc3 = O::step(
                V::load(pa.add(i + 3 * lanes)),
                V::load(pb.add(i + 3 * lanes)),
                acc3,
            );
            i += block;
        }

        let mut acc = acc0.add(acc1).add(acc2.add(acc3));
        while i + lanes <= n {
            acc = O::step(V::load(pa.add(i)), V::load(pb.add(i)), acc);
            i += lanes;
        }
        if i < n {
            let rest = n - i;
            acc = O::step(
                V::load_partial(pa.add(i), rest),
                V::load_partial(pb.add(i), rest),
                acc,
            );
        }
        acc.reduce_add()
    }
}

/// `V::LANES` codes at `p`, decoded to `offset + scale * code`.
///
/// # Safety
/// As for [`Simd::load_u8`]: the CPU has `V`'s features and `V::LANES` bytes at `p` are readable.
#[inline(always)]
// SAFETY: the contract is in the doc above.
unsafe fn decode<V: Simd>(p: *const u8, offset: V, scale: V) -> V {
    // SAFETY: forwarded from this fn's contract.
    unsafe { V::load_u8(p).mul_add(scale, offset) }
}

/// The loop behind the code-to-code kernels: `O` between the vectors that two code rows stand
/// for, over the first `n` elements, `n` the shortest of the four lengths.
///
/// Two accumulators (the decode adds latency of its own), whole registers, then a plain tail
/// (never taken on index rows, which are padded to 16).
///
/// # Safety
/// As for [`reduce`]. Every load stays within the first `n` elements of each slice.
#[inline(always)]
// SAFETY: the contract is in the doc above: the CPU has V's features.
unsafe fn reduce_coded<V: Simd, O: Op>(
    a: &[u8],
    codes: &[u8],
    offset: &[f32],
    scale: &[f32],
) -> f32 {
    let n = a.len().min(codes.len()).min(offset.len()).min(scale.len());
    let (pa, pc, po, ps) = (a.as_ptr(), codes.as_ptr(), offset.as_ptr(), scale.as_ptr());
    let lanes = V::LANES;
    // SAFETY: the ISA contract is this fn's own. Each load at `i + j` reads `LANES` elements
    // with `i + j + LANES <= n` by the loop conditions; the tail indexes the slices (checked).
    unsafe {
        let (mut acc0, mut acc1) = (V::zero(), V::zero());
        let mut i = 0;
        while i + 2 * lanes <= n {
            let (o, s) = (V::load(po.add(i)), V::load(ps.add(i)));
            acc0 = O::step(decode(pa.add(i), o, s), decode(pc.add(i), o, s), acc0);
            let j = i + lanes;
            let (o, s) = (V::load(po.add(j)), V::load(ps.add(j)));
            acc1 = O::step(decode(pa.add(j), o, s), decode(pc.add(j), o, s), acc1);
            i += 2 * lanes;
        }
        if i + lanes <= n {
            let (o, s) = (V::load(po.add(i)), V::load(ps.add(i)));
            acc0 = O::step(decode(pa.add(i), o, s), decode(pc.add(i), o, s), acc0);
            i += lanes;
        }
        let mut sum = acc0.add(acc1).reduce_add();
        for j in i..n {
            let (o, s) = (offset[j], scale[j]);
            sum = O::step_scalar(a[j].decode(o, s), codes[j].decode(o, s), sum);
        }
        sum
    }
}

/// The loop behind the prepared-query L2 kernel: `Σ (x_i - scale_i c_i)²` over the first `n`
/// elements, `n` the shortest of the slices, the codes `c` taken as plain numbers.
///
/// Two accumulators, whole registers, then a plain tail (never taken on index rows, which are
/// padded to 16).
///
/// # Safety
/// As for [`reduce`]. Every load stays within the first `n` elements of each slice.
#[inline(always)]
// SAFETY: the contract is in the doc above: the CPU has V's features.
unsafe fn reduce_u8<V: Simd>(x: &[f32], scale: &[f32], codes: &[u8]) -> f32 {
    let n = x.len().min(codes.len()).min(scale.len());
    let (px, ps, pc) = (x.as_ptr(), scale.as_ptr(), codes.as_ptr());
    let lanes = V::LANES;
    // SAFETY: the ISA contract is this fn's own. Each load at `i` reads `LANES` elements with
    // `i + LANES <= n` by the loop conditions; the tail indexes the slices (checked).
    unsafe {
        let step = |i: usize, acc: V| -> V {
            let d = V::load_u8(pc.add(i)).neg_mul_add(V::load(ps.add(i)), V::load(px.add(i)));
            d.mul_add(d, acc)
        };
        let (mut acc0, mut acc1) = (V::zero(), V::zero());
        let mut i = 0;
        while i + 2 * lanes <= n {
            acc0 = step(i, acc0);
            acc1 = step(i + lanes, acc1);
            i += 2 * lanes;
        }
        if i + lanes <= n {
            acc0 = step(i, acc0);
            i += lanes;
        }
        let mut sum = acc0.add(acc1).reduce_add();
        for j in i..n {
            let d = x[j] - scale[j] * f32::from(codes[j]);
            sum += d * d;
        }
        sum
    }
}

/// The prepared-query L2 kernel of one ISA: a `#[target_feature]` wrapper around
/// [`reduce_u8`].
macro_rules! u8_kernels {
    ($features:literal, $simd:ty, $l2:ident) => {
        /// `Σ (x_i - scale_i c_i)²` (see [`reduce_u8`]) for this ISA.
        ///
        /// # Safety
        /// The CPU must have the features this fn is compiled with. Any slices are memory-safe.
        #[target_feature(enable = $features)]
        unsafe fn $l2(x: &[f32], scale: &[f32], codes: &[u8]) -> f32 {
            // SAFETY: the caller guarantees the features, and this fn is compiled with them.
            unsafe { reduce_u8::<$simd>(x, scale, codes) }
        }
    };
}

u8_kernels!("avx2,fma", Avx2Fma, l2_scaled_u8_avx2_fma);
u8_kernels!("avx512f", Avx512F, l2_scaled_u8_avx512f);

/// Eight `f32` lanes under AVX2+FMA.
#[derive(Clone, Copy)]
struct Avx2Fma(__m256);

impl Simd for Avx2Fma {
    const LANES: usize = 8;

    #[inline(always)]
    // SAFETY: same contract as the trait method: the CPU has the ISA's features.
    unsafe fn zero() -> Self {
        // SAFETY: the CPU has AVX (trait contract).
        Self(unsafe { _mm256_setzero_ps() })
    }

    #[inline(always)]
    // SAFETY: same contract as the trait method: the CPU has the ISA's features.
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the CPU has AVX and `p..p + 8` is readable (contract); `loadu` has no
        // alignment requirement.
        Self(unsafe { _mm256_loadu_ps(p) })
    }

    #[inline(always)]
    // SAFETY: same contract as the trait method: the CPU has the ISA's features.
    unsafe fn load_u8(p: *const u8) -> Self {
        // SAFETY: the CPU has AVX2 (contract) and `p..p + 8` is readable: `loadl_epi64` reads
        // exactly those 8 bytes, unaligned.
        unsafe {
            let bytes = _mm_loadl_epi64(p.cast());
            Self(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes)))
        }
    }

    #[inline(always)]
    // SAFETY: same contract as the trait method: the CPU has the ISA's features.
    unsafe fn load_partial(p: *const f32, len: usize) -> Self {
        debug_assert!(len < Self::LANES);
        // SAFETY: the CPU has AVX2 (contract). Lane `k` of the mask is all ones iff `k < len`,
        // and `vmaskmovps` reads memory only for those lanes, which are readable by the
        // contract; the others are zeroed without a memory access (and without faulting).
        unsafe {
            let mask = _mm256_cmpgt_epi32(
                _mm256_set1_epi32(len as i32),
                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
            );
            Self(_mm256_maskload_ps(p, mask))
        }
    }

    #[inline(always)]
    // SAFETY: same contract as the trait method: the CPU has the ISA's features.
    unsafe fn add(self, other: Self) -> Self {
        // SAFETY: the CPU has AVX (contract).
        Self(unsafe { _mm256_add_ps(self.0, other.0) })
    }

    #[inline(always)]
    // SAFETY: same contract as the trait method: the CPU has the ISA's features.
    unsafe fn sub(self, other: Self) -> Self {
        // SAFETY: the CPU has AVX (contract).
        Self(unsafe { _mm256_sub_ps(self.0, other.0) })
    }

    #[inline(always)]
    // SAFETY: same contract as the trait method: the CPU has the ISA's features.
    unsafe fn mul_add(self, m: Self, acc: Self) -> Self {
        // SAFETY: the CPU has FMA (contract).
        Self(unsafe { _mm256_fmadd_ps(self.0, m.0, acc.0) })
    }

    #[inline(always)]
    // SAFETY: same contract as the trait method: the CPU has the ISA's features.
    unsafe fn neg_mul_add(self, m: Self, acc: Self) -> Self {
        // SAFETY: the CPU has FMA (contract).
        Self(unsafe { _mm256_fnmadd_ps(self.0, m.0, acc.0) })
    }

    #[inline(always)]
    // SAFETY: same contract as the trait method: the CPU has the ISA's features.
    unsafe fn reduce_add(self) -> f32 {
        // SAFETY: the CPU has AVX, which implies SSE3 (contract).
        unsafe {
            // 8 -> 4: add the high 128-bit half onto the low one.
            let lo = _mm256_castps256_ps128(self.0);
            let hi = _mm256_extractf128_ps(self.0, 1);
            let s = _mm_add_ps(lo, hi);
            // 4 -> 2: [s1, s1, s3, s3] + s.
            let s = _mm_add_ps(s, _mm_movehdup_ps(s));
            // 2 -> 1: lane 2 onto lane 0.
            let s = _mm_add_ss(s, _mm_movehl_ps(s, s));
            _mm_cvtss_f32(s)
        }
    }
}

/// Sixteen `f32` lanes under AVX-512F.
#[derive(Clone, Copy)]
struct Avx512F(__m512);

impl Simd for Avx512F {
    const LANES: usize = 16;

    #[inline(always)]
    // SAFETY: same contract as the trait method: the CPU has the ISA's features.
    unsafe fn zero() -> Self {
        // SAFETY: the CPU has AVX-512F (trait contract).
        Self(unsafe { _mm512_setzero_ps() })
    }

    #[inline(always)]
    // SAFETY: same contract as the trait method: the CPU has the ISA's features.
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the CPU has AVX-512F and `p..p + 16` is readable (contract); `loadu` has no
        // alignment requirement.
        Self(unsafe { _mm512_loadu_ps(p) })
    }

    #[inline(always)]
    // SAFETY: same contract as the trait method: the CPU has the ISA's features.
    unsafe fn load_u8(p: *const u8) -> Self {
        // SAFETY: the CPU has AVX-512F (contract) and `p..p + 16` is readable: `loadu_si128`
        // reads exactly those 16 bytes, unaligned.
        unsafe {
            Self(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128(
                p.cast(),
            ))))
        }
    }

    #[inline(always)]
    // SAFETY: same contract as the trait method: the CPU has the ISA's features.
    unsafe fn load_partial(p: *const f32, len: usize) -> Self {
        debug_assert!(len < Self::LANES);
        // `len < 16`, so the shift does not overflow and the mask fits 16 bits.
        let mask = ((1u32 << len) - 1) as __mmask16;
        // SAFETY: the CPU has AVX-512F (contract). Bit `k` of the mask is set iff `k < len`;
        // the masked load reads memory only for set bits, which are readable by the contract,
        // and zeroes the other lanes without accessing (or faulting on) their memory.
        Self(unsafe { _mm512_maskz_loadu_ps(mask, p) })
    }

    #[inline(always)]
    // SAFETY: same contract as the trait method: the CPU has the ISA's features.
    unsafe fn add(self, other: Self) -> Self {
        // SAFETY: the CPU has AVX-512F (contract).
        Self(unsafe { _mm512_add_ps(self.0, other.0) })
    }

    #[inline(always)]
    // SAFETY: same contract as the trait method: the CPU has the ISA's features.
    unsafe fn sub(self, other: Self) -> Self {
        // SAFETY: the CPU has AVX-512F (contract).
        Self(unsafe { _mm512_sub_ps(self.0, other.0) })
    }

    #[inline(always)]
    // SAFETY: same contract as the trait method: the CPU has the ISA's features.
    unsafe fn mul_add(self, m: Self, acc: Self) -> Self {
        // SAFETY: the CPU has AVX-512F, whose FMA is part of the foundation (contract).
        Self(unsafe { _mm512_fmadd_ps(self.0, m.0, acc.0) })
    }

    #[inline(always)]
    // SAFETY: same contract as the trait method: the CPU has the ISA's features.
    unsafe fn neg_mul_add(self, m: Self, acc: Self) -> Self {
        // SAFETY: the CPU has AVX-512F, whose FMA is part of the foundation (contract).
        Self(unsafe { _mm512_fnmadd_ps(self.0, m.0, acc.0) })
    }

    #[inline(always)]
    // SAFETY: same contract as the trait method: the CPU has the ISA's features.
    unsafe fn reduce_add(self) -> f32 {
        // SAFETY: the CPU has AVX-512F (contract).
        unsafe { _mm512_reduce_add_ps(self.0) }
    }
}

/// Squared Euclidean distance with AVX2+FMA, over the first `min(a.len(), b.len())` floats.
///
/// # Safety
/// The CPU must support AVX2 and FMA. Any slices are memory-safe.
#[target_feature(enable = "avx2,fma")]
unsafe fn l2_squared_avx2_fma(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len(), "l2_squared: length mismatch");
    // SAFETY: the caller guarantees AVX2+FMA, and this fn is compiled with them.
    unsafe { reduce::<Avx2Fma, L2Squared>(a, b) }
}

/// Dot product with AVX2+FMA, over the first `min(a.len(), b.len())` floats.
///
/// # Safety
/// The CPU must support AVX2 and FMA. Any slices are memory-safe.
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_avx2_fma(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len(), "dot: length mismatch");
    // SAFETY: the caller guarantees AVX2+FMA, and this fn is compiled with them.
    unsafe { reduce::<Avx2Fma, Dot>(a, b) }
}

/// Squared Euclidean distance with AVX-512F, over the first `min(a.len(), b.len())` floats.
///
/// # Safety
/// The CPU must support AVX-512F. Any slices are memory-safe.
#[target_feature(enable = "avx512f")]
unsafe fn l2_squared_avx512f(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len(), "l2_squared: length mismatch");
    // SAFETY: the caller guarantees AVX-512F, and this fn is compiled with it.
    unsafe { reduce::<Avx512F, L2Squared>(a, b) }
}

/// Dot product with AVX-512F, over the first `min(a.len(), b.len())` floats.
///
/// # Safety
/// The CPU must support AVX-512F. Any slices are memory-safe.
#[target_feature(enable = "avx512f")]
unsafe fn dot_avx512f(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len(), "dot: length mismatch");
    // SAFETY: the caller guarantees AVX-512F, and this fn is compiled with it.
    unsafe { reduce::<Avx512F, Dot>(a, b) }
}

/// The two code-to-code kernels of one ISA: `#[target_feature]` wrappers around
/// [`reduce_coded`].
macro_rules! coded_kernels {
    ($features:literal, $simd:ty, $l2_codes:ident, $dot_codes:ident) => {
        coded_kernels!(@one $features, $simd, $l2_codes, L2Squared);
        coded_kernels!(@one $features, $simd, $dot_codes, Dot);
    };
    (@one $features:literal, $simd:ty, $name:ident, $op:ty) => {
        /// A code-to-code kernel (see [`reduce_coded`]) for this ISA.
        ///
        /// # Safety
        /// The CPU must have the features this fn is compiled with. Any slices are memory-safe.
        #[target_feature(enable = $features)]
        unsafe fn $name(a: &[u8], codes: &[u8], offset: &[f32], scale: &[f32]) -> f32 {
            // SAFETY: the caller guarantees the features, and this fn is compiled with them.
            unsafe { reduce_coded::<$simd, $op>(a, codes, offset, scale) }
        }
    };
}

coded_kernels!(
    "avx2,fma",
    Avx2Fma,
    l2_squared_codes_avx2_fma,
    dot_codes_avx2_fma
);
coded_kernels!(
    "avx512f",
    Avx512F,
    l2_squared_codes_avx512f,
    dot_codes_avx512f
);
