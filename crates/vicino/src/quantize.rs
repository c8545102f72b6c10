//! 8-bit scalar quantisation: compact codes the graph is walked on.
//!
//! Each dimension's range, learnt from sample rows, is mapped onto the codes `0..=255`: a code
//! row is a quarter of its `f32` row, so a distance reads a quarter of the memory. Two users:
//!
//! - [`Quantization::Sq8`] indexes keep the codes beside the full vectors: builds and searches
//!   walk the graph on the codes ([`CodedSpace`]), and a search re-ranks its best candidates on
//!   the full vectors, so the distances it returns are exact.
//! - An on-disk build (`Index::with_capacity_on_disk`) inserts on codes held in RAM, because HNSW
//!   construction reads vectors at random and the full vectors may exceed memory; they are only
//!   written, in insert order, to the scratch file. Searches of such an index use the full vectors
//!   unless it is quantized too.

use crate::arena::{prefetch, RowStore, LANES};
use crate::distance::{self, Kernel};
use crate::error::{Error, Result};
use crate::metric::Metric;
use crate::space::Distances;

/// How an index stores what its graph walks are computed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quantization {
    /// Full `f32` vectors only: every distance is exact. From 256 dimensions on, each vector
    /// also has a one-bit sketch (one cache line at 384-d), and a search skips a neighbour
    /// whose sketch shows it is beyond the beam's worst entry, by an error bound (see the
    /// README's "Sign sketches").
    #[default]
    None,
    /// An 8-bit code per dimension beside the full vectors (1.25x the vectors' memory): builds and
    /// searches walk the graph on the codes, and each search re-ranks its best candidates on the
    /// full vectors, so returned distances are exact. Each dimension's range is learnt from the
    /// first batch of vectors added (values outside it later are clamped to it).
    Sq8,
}

impl Quantization {
    /// Every mode, in the order `--help` lists them.
    pub const ALL: [Quantization; 2] = [Quantization::None, Quantization::Sq8];

    /// The mode's name, as the command line and `info` spell it.
    pub fn name(self) -> &'static str {
        match self {
            Quantization::None => "none",
            Quantization::Sq8 => "sq8",
        }
    }

    /// The mode named `name` (see [`Quantization::name`]).
    pub fn from_name(name: &str) -> Option<Quantization> {
        Self::ALL.into_iter().find(|q| q.name() == name)
    }

    /// The code stored in index files.
    pub(crate) fn code(self) -> u32 {
        match self {
            Quantization::None => 0,
            Quantization::Sq8 => 1,
        }
    }

    pub(crate) fn from_code(code: u32) -> Option<Quantization> {
        Self::ALL.into_iter().find(|q| q.code() == code)
    }
}

impl std::fmt::Display for Quantization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Per-dimension ranges being learnt from sample rows.
pub(crate) struct Sq8Trainer {
    min: Vec<f32>,
    max: Vec<f32>,
    rows: usize,
}

impl Sq8Trainer {
    /// For rows of `stride` floats (padded: the padding is zero in every row).
    pub(crate) fn new(stride: usize) -> Self {
        Self {
            min: vec![f32::INFINITY; stride],
            max: vec![f32::NEG_INFINITY; stride],
            rows: 0,
        }
    }

    /// Widens the ranges to hold `row` (as stored: normalised under cosine).
    pub(crate) fn observe(&mut self, row: &[f32]) {
        for ((lo, hi), &x) in self.min.iter_mut().zip(&mut self.max).zip(row) {
            *lo = lo.min(x);
            *hi = hi.max(x);
        }
        self.rows += 1;
    }

    /// Rows observed, and how many of the first `dim` dimensions they spread over (a range wider
    /// than a point).
    pub(crate) fn spread(&self, dim: usize) -> (usize, usize) {
        let varying = self.min[..dim]
            .iter()
            .zip(&self.max[..dim])
            .filter(|(lo, hi)| hi > lo)
            .count();
        (self.rows, varying)
    }

    pub(crate) fn finish(self) -> Result<Sq8> {
        if self.rows == 0 {
            return Err(Error::Empty {
                what: "no sample rows to fit the build's 8-bit codes to",
            });
        }
        let scale = self
            .min
            .iter()
            .zip(&self.max)
            .map(|(&lo, &hi)| (hi - lo) / 255.0)
            .collect();
        Ok(Sq8::from_ranges(self.min, scale))
    }
}

/// The code of `x` in dimension `i` stands for `offset[i] + scale[i] * code`.
pub(crate) struct Sq8 {
    offset: Box<[f32]>,
    scale: Box<[f32]>,
    /// `1 / scale` (0 where the range is empty: every value there gets code 0).
    inverse: Box<[f32]>,
}

impl Sq8 {
    /// The codes of these ranges (as an index file holds them: finite, scales not negative).
    pub(crate) fn from_ranges(offset: Vec<f32>, scale: Vec<f32>) -> Self {
        let inverse = scale
            .iter()
            .map(|&s| if s > 0.0 { 1.0 / s } else { 0.0 })
            .collect();
        Sq8 {
            offset: offset.into_boxed_slice(),
            scale: scale.into_boxed_slice(),
            inverse,
        }
    }

    /// Writes the codes of `row` into `out`. Values outside the learnt range get the nearest end.
    pub(crate) fn encode(&self, row: &[f32], out: &mut [u8]) {
        for (((code, &x), &lo), &inv) in out
            .iter_mut()
            .zip(row)
            .zip(&*self.offset)
            .zip(&*self.inverse)
        {
            *code = ((x - lo) * inv).round().clamp(0.0, 255.0) as u8;
        }
    }

    #[cfg(test)]
    pub(crate) fn decode(&self, codes: &[u8]) -> Vec<f32> {
        codes
            .iter()
            .zip(self.offset.iter().zip(&*self.scale))
            .map(|(&c, (&o, &s))| o + s * f32::from(c))
            .collect()
    }
}

/// Code rows of the nodes of an index, in RAM, with the distances the build computes on them:
/// from a full-precision padded query to a code row (asymmetric: only the stored side is
/// rounded), and between two code rows.
pub(crate) struct CodedSpace {
    codes: RowStore<u8>,
    sq8: Sq8,
    metric: Metric,
    kernel: &'static Kernel,
}

impl CodedSpace {
    /// Room for `reserve` code rows of `sq8`'s width (the padded dimension) in one allocation.
    pub(crate) fn new(sq8: Sq8, metric: Metric, reserve: usize) -> Result<Self> {
        Ok(Self {
            codes: RowStore::new(sq8.offset.len(), reserve)?,
            sq8,
            metric,
            kernel: distance::best(),
        })
    }

    /// Codes read back from a file: `rows` (of the ranges' width) encoded with `sq8`.
    pub(crate) fn from_rows(sq8: Sq8, rows: RowStore<u8>, metric: Metric) -> Self {
        Self {
            codes: rows,
            sq8,
            metric,
            kernel: distance::best(),
        }
    }

    pub(crate) fn ensure(&self, id: u32) -> Result<()> {
        self.codes.ensure(id as usize)
    }

    /// Node `id`'s codes.
    pub(crate) fn row(&self, id: u32) -> &[u8] {
        self.codes.row(id as usize)
    }

    /// Each dimension's offset and scale.
    pub(crate) fn ranges(&self) -> (&[f32], &[f32]) {
        (&self.sq8.offset, &self.sq8.scale)
    }

    /// Encodes the padded `row` as node `id`'s codes.
    ///
    /// # Safety
    /// As for `VectorArena::write`: `id` has storage (`ensure`), and no other thread reads or
    /// writes its row until the id is published through the graph's release stores.
    pub(crate) unsafe fn write(&self, id: u32, row: &[f32]) {
        if let Some(p) = self.codes.row_ptr(id as usize) {
            // SAFETY: the row holds `width` initialised bytes that live as long as `self`, and
            // the caller guarantees that nothing else touches them meanwhile.
            let out = unsafe { std::slice::from_raw_parts_mut(p, self.codes.width()) };
            self.sq8.encode(row, out);
        }
    }

    pub(crate) fn allocated_bytes(&self) -> usize {
        self.codes.allocated_bytes() + 3 * 4 * self.sq8.offset.len()
    }
}

/// A query prepared for distances to code rows, so that a distance reads each code once with
/// no decoding.
///
/// Under L2, `x_i = q_i - offset_i`, and the distance is `Σ (x_i - scale_i c_i)²`: exactly the
/// distance to the decoded codes. Under the dot-product metrics the distance to the decoded
/// codes is `constant - Σ w_i c_i` with `w_i = q_i scale_i` and `constant = 1 - Σ q_i offset_i`;
/// `w` is rounded to signed bytes `bytes_i ≈ w_i / step`, so that the sum is an exact integer
/// dot product of bytes (AVX-512 VNNI does 64 per instruction) and the distance is `constant -
/// step * Σ bytes_i c_i`. The rounding moves a distance by at most `step / 2 * Σ c_i`; the
/// re-rank on full vectors puts the final order right.
#[derive(Default)]
pub(crate) struct CodedQuery {
    x: Vec<f32>,
    bytes: Vec<i8>,
    step: f32,
    constant: f32,
}

impl Distances for CodedSpace {
    type Query = CodedQuery;
    type Prepared = CodedQuery;

    fn prepare<'a>(&self, row: &'a [f32], buf: &'a mut CodedQuery) -> &'a CodedQuery {
        let (offset, scale) = (&*self.sq8.offset, &*self.sq8.scale);
        buf.x.clear();
        match self.metric {
            Metric::L2 => {
                buf.x.extend(row.iter().zip(offset).map(|(&q, &o)| q - o));
                buf.constant = 0.0;
            }
            Metric::Cosine | Metric::InnerProduct => {
                buf.x.extend(row.iter().zip(scale).map(|(&q, &s)| q * s));
                buf.constant = 1.0 - self.kernel.dot(row, offset);
                let largest = buf.x.iter().fold(0f32, |m, &w| m.max(w.abs()));
                buf.step = largest / 127.0;
                let inverse = if largest > 0.0 { 127.0 / largest } else { 0.0 };
                buf.bytes.clear();
                buf.bytes.extend(
                    buf.x
                        .iter()
                        .map(|&w| (w * inverse).round().clamp(-127.0, 127.0) as i8),
                );
            }
        }
        buf
    }

    #[inline(always)]
    fn to_node(&self, query: &CodedQuery, id: u32) -> f32 {
        let codes = self.codes.row(id as usize);
        match self.metric {
            Metric::L2 => self.kernel.l2_scaled_u8(&query.x, &self.sq8.scale, codes),
            Metric::Cosine | Metric::InnerProduct => {
                query.constant - query.step * self.kernel.dot_u8_i8(codes, &query.bytes) as f32
            }
        }
    }

    #[inline(always)]
    fn between(&self, a: u32, b: u32) -> f32 {
        let (a, b) = (self.codes.row(a as usize), self.codes.row(b as usize));
        let (o, s) = (&*self.sq8.offset, &*self.sq8.scale);
        match self.metric {
            Metric::L2 => self.kernel.l2_squared_codes(a, b, o, s),
            Metric::Cosine | Metric::InnerProduct => 1.0 - self.kernel.dot_codes(a, b, o, s),
        }
    }

    #[inline(always)]
    fn prefetch(&self, id: u32) {
        if let Some(p) = self.codes.row_ptr(id as usize) {
            // One line per 64 codes (rows are padded to 16 and 64-byte aligned).
            for line in 0..self.codes.width().div_ceil(4 * LANES) {
                prefetch(p.wrapping_add(line * 64).cast_const());
            }
        }
    }

    fn row_bytes(&self) -> usize {
        self.codes.width()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distance::scalar;

    fn trained(rows: &[Vec<f32>]) -> Sq8 {
        let mut t = Sq8Trainer::new(rows[0].len());
        for r in rows {
            t.observe(r);
        }
        t.finish().unwrap()
    }

    #[test]
    fn codes_round_to_within_half_a_step_and_clamp_outside_the_range() {
        let rows = vec![vec![0.0, -1.0, 5.0, 0.0], vec![2.55, 1.0, 5.0, 0.0]];
        let sq = trained(&rows);
        let mut codes = [0u8; 4];
        sq.encode(&[1.0, 0.1, 5.0, 0.0], &mut codes);
        // Dim 0 steps by 0.01, dim 1 by 2/255; dims 2 and 3 hold one value.
        assert_eq!(codes, [100, 140, 0, 0]);
        let back = sq.decode(&codes);
        assert!((back[0] - 1.0).abs() <= 0.005 + 1e-6, "{back:?}");
        assert!((back[1] - 0.1).abs() <= 1.0 / 255.0 + 1e-6, "{back:?}");
        assert_eq!(&back[2..], &[5.0, 0.0]);
        sq.encode(&[-7.0, 9.0, 4.0, 1.0], &mut codes);
        assert_eq!(codes, [0, 255, 0, 0]);
    }

    #[test]
    fn no_sample_is_an_error() {
        assert!(matches!(
            Sq8Trainer::new(16).finish(),
            Err(Error::Empty { .. })
        ));
    }

    #[test]
    fn coded_distances_track_the_full_ones() {
        let dim = 48;
        let rows: Vec<Vec<f32>> = (0..200)
            .map(|i| {
                (0..dim)
                    .map(|j| (((i * 31 + j * 7) % 97) as f32 - 48.0) * 0.1)
                    .collect()
            })
            .collect();
        for metric in [Metric::L2, Metric::InnerProduct] {
            let space = CodedSpace::new(trained(&rows), metric, rows.len()).unwrap();
            for (id, r) in rows.iter().enumerate() {
                // SAFETY: single-threaded test; each row is written once before any read.
                unsafe { space.write(id as u32, r) };
            }
            let full = |a: &[f32], b: &[f32]| match metric {
                Metric::L2 => scalar::l2_squared(a, b),
                _ => 1.0 - scalar::dot(a, b),
            };
            // Each decoded value is off by at most half a step (9.6 / 255 / 2 here): bound the
            // error of every term of the distance by that.
            let e = 9.6 / 255.0 / 2.0 + 1e-6;
            for a in 0..20u32 {
                for b in 0..20u32 {
                    let (x, y) = (&rows[a as usize], &rows[b as usize]);
                    let want = full(x, y);
                    let bound: f32 = x
                        .iter()
                        .zip(y)
                        .map(|(&p, &q)| 2.0 * e * (p.abs() + q.abs() + 2.0 * (p - q).abs() + e))
                        .sum();
                    let mut prepared = CodedQuery::default();
                    let asym = space.to_node(space.prepare(x, &mut prepared), b);
                    // The prepared query gives the distance to the decoded codes, rounding aside.
                    let (o, s) = space.ranges();
                    let decoded = match metric {
                        Metric::L2 => scalar::l2_squared_coded(x, space.row(b), o, s),
                        _ => 1.0 - scalar::dot_coded(x, space.row(b), o, s),
                    };
                    // Under the dot metrics the query's weights are rounded to bytes: each
                    // moves by at most half a step, times the code.
                    let rounding = match metric {
                        Metric::L2 => 0.0,
                        _ => {
                            let step = x
                                .iter()
                                .zip(s)
                                .fold(0f32, |m, (&q, &sc)| m.max((q * sc).abs()))
                                / 127.0;
                            step / 2.0 * space.row(b).iter().map(|&c| f32::from(c)).sum::<f32>()
                        }
                    };
                    assert!(
                        (asym - decoded).abs() <= 1e-4 * decoded.abs().max(1.0) + rounding,
                        "{metric:?} {a} {b}: prepared {asym} vs decoded {decoded}"
                    );
                    let sym = space.between(a, b);
                    assert!(
                        (asym - want).abs() <= bound,
                        "{metric:?} {a} {b}: {asym} vs {want}"
                    );
                    assert!(
                        (sym - want).abs() <= bound,
                        "{metric:?} {a} {b}: {sym} vs {want}"
                    );
                }
            }
            // The rounding is tight: a row's own codes are nearer to it than any other row's
            // (rows 0..97 are distinct; row i + 97 repeats row i).
            if metric == Metric::L2 {
                let mut prepared = CodedQuery::default();
                for a in 0..20u32 {
                    let q = space.prepare(&rows[a as usize], &mut prepared);
                    let own = space.to_node(q, a);
                    assert!((0..97).all(|b| b == a || space.to_node(q, b) > own));
                }
            }
        }
    }
}
