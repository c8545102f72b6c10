//! 8-bit scalar quantisation for building beyond memory.
//!
//! Each dimension's range, learnt from a sample, is mapped onto the codes `0..=255`: a code row
//! is a quarter of its `f32` row. HNSW construction reads vectors at random, so when the vectors
//! of an on-disk build exceed memory every insert turns into disk reads. With the codes in RAM
//! the build computes its distances on them ([`CodedSpace`]), and the full vectors in the scratch
//! file are only ever written, in insert order, until the index is saved. Searches of the built
//! index use the full vectors.

use crate::arena::{prefetch, RowStore, LANES};
use crate::distance::{self, Kernel};
use crate::error::{Error, Result};
use crate::metric::Metric;
use crate::space::Distances;

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
        let scale: Box<[f32]> = self
            .min
            .iter()
            .zip(&self.max)
            .map(|(&lo, &hi)| (hi - lo) / 255.0)
            .collect();
        let inverse = scale
            .iter()
            .map(|&s| if s > 0.0 { 1.0 / s } else { 0.0 })
            .collect();
        Ok(Sq8 {
            offset: self.min.into_boxed_slice(),
            scale,
            inverse,
        })
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

    pub(crate) fn ensure(&self, id: u32) -> Result<()> {
        self.codes.ensure(id as usize)
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

impl Distances for CodedSpace {
    #[inline(always)]
    fn to_node(&self, query: &[f32], id: u32) -> f32 {
        let (codes, o, s) = (
            self.codes.row(id as usize),
            &*self.sq8.offset,
            &*self.sq8.scale,
        );
        match self.metric {
            Metric::L2 => self.kernel.l2_squared_coded(query, codes, o, s),
            Metric::Cosine | Metric::InnerProduct => {
                1.0 - self.kernel.dot_coded(query, codes, o, s)
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
                    let asym = space.to_node(x, b);
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
                for a in 0..20u32 {
                    let own = space.to_node(&rows[a as usize], a);
                    assert!((0..97).all(|b| b == a || space.to_node(&rows[a as usize], b) > own));
                }
            }
        }
    }
}
