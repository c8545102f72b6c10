//! Plain reference loops: the kernel every CPU can run, and the ground truth the SIMD kernels
//! are tested against. Kept deliberately naive (one accumulator, left to right).

/// Squared Euclidean distance `Σ (a_i - b_i)²` over the first `min(a.len(), b.len())` elements.
pub(crate) fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len(), "l2_squared: length mismatch");
    let mut sum = 0.0f32;
    for (x, y) in a.iter().zip(b) {
        let d = x - y;
        sum += d * d;
    }
    sum
}

/// Dot product `Σ a_i b_i` over the first `min(a.len(), b.len())` elements.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len(), "dot: length mismatch");
    let mut sum = 0.0f32;
    for (x, y) in a.iter().zip(b) {
        sum += x * y;
    }
    sum
}

/// Scales `v` in place to unit L2 norm and returns its original norm.
///
/// A zero vector (norm 0) is left untouched and 0 is returned; callers that need a direction
/// (the cosine metric) must refuse it. The norm is accumulated in `f64`, so vectors whose squared
/// components would overflow or underflow `f32` are still scaled correctly. Non-finite input is
/// the caller's to reject: it gives a NaN or infinite norm.
pub(crate) fn normalize(v: &mut [f32]) -> f32 {
    let norm = v
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt();
    if norm == 0.0 {
        return 0.0;
    }
    let inv = 1.0 / norm;
    for x in v.iter_mut() {
        *x = (f64::from(*x) * inv) as f32;
    }
    norm as f32
}

/// What the left operand of a coded kernel can be: plain floats, or 8-bit codes that stand for
/// `offset + scale * code` in each dimension.
pub(crate) trait Decode: Copy {
    fn decode(self, offset: f32, scale: f32) -> f32;
}

impl Decode for f32 {
    #[inline(always)]
    fn decode(self, _offset: f32, _scale: f32) -> f32 {
        self
    }
}

impl Decode for u8 {
    #[inline(always)]
    fn decode(self, offset: f32, scale: f32) -> f32 {
        offset + scale * f32::from(self)
    }
}

/// Squared L2 between `a` and the vector `codes` stand for, over the shortest of the slices.
pub(crate) fn l2_squared_coded<A: Decode>(
    a: &[A],
    codes: &[u8],
    offset: &[f32],
    scale: &[f32],
) -> f32 {
    let mut sum = 0.0f32;
    for (((&x, &c), &o), &s) in a.iter().zip(codes).zip(offset).zip(scale) {
        let d = x.decode(o, s) - c.decode(o, s);
        sum += d * d;
    }
    sum
}

/// `Σ codes_i x_i` in exact integer arithmetic, over the shorter slice: a query prepared as
/// signed bytes against a code row (see `crate::quantize::CodedQuery`).
pub(crate) fn dot_u8_i8(codes: &[u8], x: &[i8]) -> i32 {
    codes
        .iter()
        .zip(x)
        .map(|(&c, &q)| i32::from(c) * i32::from(q))
        .sum()
}

/// `Σ (x_i - scale_i c_i)²`: a prepared query against 8-bit codes scaled per dimension, over
/// the shortest slice.
pub(crate) fn l2_scaled_u8(x: &[f32], scale: &[f32], codes: &[u8]) -> f32 {
    let mut sum = 0.0f32;
    for ((&x, &s), &c) in x.iter().zip(scale).zip(codes) {
        let d = x - s * f32::from(c);
        sum += d * d;
    }
    sum
}

/// Dot product of `a` and the vector `codes` stand for, over the shortest of the slices.
pub(crate) fn dot_coded<A: Decode>(a: &[A], codes: &[u8], offset: &[f32], scale: &[f32]) -> f32 {
    let mut sum = 0.0f32;
    for (((&x, &c), &o), &s) in a.iter().zip(codes).zip(offset).zip(scale) {
        sum += x.decode(o, s) * c.decode(o, s);
    }
    sum
}

/// `Σ x_i` over the `i` whose bit is set in `bits` (bit `i % 64` of word `i / 64`), over the
/// first `min(x.len(), 64 * bits.len())` values.
pub(crate) fn sum_where_set(x: &[f32], bits: &[u64]) -> f32 {
    let mut sum = 0.0f32;
    for (chunk, &word) in x.chunks(64).zip(bits) {
        for (j, &v) in chunk.iter().enumerate() {
            if (word >> j) & 1 == 1 {
                sum += v;
            }
        }
    }
    sum
}
