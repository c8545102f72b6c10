//! Append-only storage of fixed-width rows addressed by a dense `u32` id.
//!
//! ```text
//!  ids 0 .. first_rows          first segment (sized by `reserve`, one allocation)
//!  next B rows                  chunk 0
//!  next 2*B rows                chunk 1
//!  next 4*B rows                chunk 2   ... doubling, allocated on first use
//! ```
//!
//! B is 1,024 rows, or fewer for wide rows: chunk 0 holds at most `CHUNK_BYTES`, so the first
//! add of a 100,000-d vector does not reserve 1,024 of them.
//!
//! Rows never move once allocated, so readers can hold a row while other threads append.
//! A bulk build reserves everything in the first segment, where a lookup is one predictable
//! branch and a multiply.

use std::sync::OnceLock;

use super::buf::{AlignedBuf, Backing, Segment, ZeroInit};
use crate::error::{Error, Result};

/// log2 of the most rows the first growth chunk holds.
const MAX_CHUNK_SHIFT: u32 = 10;
/// The most bytes the first growth chunk holds (when a row is wider than this, one row).
const CHUNK_BYTES: usize = 4 << 20;
/// Enough doubling chunks to address every `u32` id past any first segment, from chunks of
/// one row up.
const MAX_CHUNKS: usize = 33;

/// Segments of `S`, each holding a run of consecutive rows: the first sized up front, the rest
/// doubling chunks allocated on first use.
struct Segments<S> {
    first_rows: usize,
    /// log2 of the rows of chunk 0.
    shift: u32,
    first: S,
    chunks: [OnceLock<S>; MAX_CHUNKS],
}

impl<S> Segments<S> {
    /// Segments of rows of `row_bytes` bytes.
    fn new(first_rows: usize, first: S, row_bytes: usize) -> Self {
        let rows = (CHUNK_BYTES / row_bytes.max(1)).clamp(1, 1 << MAX_CHUNK_SHIFT);
        Self {
            first_rows,
            shift: rows.ilog2(),
            first,
            chunks: std::array::from_fn(|_| OnceLock::new()),
        }
    }

    fn chunk_rows(&self, k: usize) -> usize {
        (1usize << self.shift) << k
    }

    /// (chunk index, row within chunk) of an id past the first segment.
    #[inline(always)]
    fn locate_in_chunks(&self, id: usize) -> (usize, usize) {
        let j = id - self.first_rows;
        let q = (j >> self.shift) + 1;
        let k = (usize::BITS - 1 - q.leading_zeros()) as usize;
        let start = ((1usize << k) - 1) << self.shift;
        (k, j - start)
    }

    /// The segment holding row `id` and the row's index inside it, if allocated.
    #[inline(always)]
    fn locate(&self, id: usize) -> Option<(&S, usize)> {
        if id < self.first_rows {
            return Some((&self.first, id));
        }
        let (k, off) = self.locate_in_chunks(id);
        Some((self.chunks.get(k)?.get()?, off))
    }

    /// Allocates the chunk holding `id` with `alloc(rows)` if it does not exist yet.
    fn ensure(&self, id: usize, alloc: impl FnOnce(usize) -> Result<S>) -> Result<()> {
        if id < self.first_rows {
            return Ok(());
        }
        let (k, _) = self.locate_in_chunks(id);
        let slot = self
            .chunks
            .get(k)
            .ok_or(Error::CapacityExceeded { capacity: id })?;
        if slot.get().is_none() {
            // Another thread may win the race; its chunk is kept and ours dropped.
            let _ = slot.set(alloc(self.chunk_rows(k))?);
        }
        Ok(())
    }

    fn all(&self) -> impl Iterator<Item = &S> {
        std::iter::once(&self.first).chain(self.chunks.iter().filter_map(|c| c.get()))
    }
}

/// Rows of `width` zero-initialised `T`, 64-byte aligned. The first segment can sit on any
/// [`Backing`] (heap or file mapping); growth chunks are on the heap.
pub(crate) struct RowStore<T: ZeroInit> {
    width: usize,
    segments: Segments<Segment<T>>,
}

impl<T: ZeroInit> RowStore<T> {
    /// A store of rows of `width` elements with room for `reserve` rows in the first segment.
    pub(crate) fn new(width: usize, reserve: usize) -> Result<Self> {
        let first_len = width
            .checked_mul(reserve)
            .ok_or(Error::CapacityExceeded { capacity: reserve })?;
        Self::with_backing(
            width,
            reserve,
            Box::new(AlignedBuf::<T>::zeroed(first_len)?),
        )
    }

    /// A store whose first `rows` rows are the memory of `backing` (which must hold at least
    /// `rows * width` elements): the seam where a file mapping takes the heap's place.
    pub(crate) fn with_backing(
        width: usize,
        rows: usize,
        backing: Box<dyn Backing<T>>,
    ) -> Result<Self> {
        let needed = width
            .checked_mul(rows)
            .ok_or(Error::CapacityExceeded { capacity: rows })?;
        if backing.len() < needed {
            return Err(Error::InvalidParameter {
                name: "segment",
                reason: format!(
                    "backing holds {} elements, {rows} rows need {needed}",
                    backing.len()
                ),
            });
        }
        Ok(Self {
            width,
            segments: Segments::new(
                rows,
                Segment::new(backing)?,
                width.saturating_mul(std::mem::size_of::<T>()),
            ),
        })
    }

    pub(crate) fn width(&self) -> usize {
        self.width
    }

    /// Makes sure row `id` has storage (allocating its chunk if needed).
    pub(crate) fn ensure(&self, id: usize) -> Result<()> {
        let width = self.width;
        self.segments.ensure(id, |rows| {
            Segment::new(Box::new(AlignedBuf::<T>::zeroed_on_demand(rows * width)?))
        })
    }

    /// Pointer to the first element of row `id`, or `None` if its storage was never ensured.
    #[inline(always)]
    pub(crate) fn row_ptr(&self, id: usize) -> Option<*mut T> {
        let (seg, off) = self.segments.locate(id)?;
        // SAFETY: `off` is a row index inside `seg` (by construction of `locate`), and the
        // segment holds rows * width elements.
        Some(unsafe { seg.as_ptr().add(off * self.width) })
    }

    /// Row `id` as a shared slice.
    ///
    /// Callers must only read rows that are not being written, which the index guarantees by
    /// writing a vector row before its id is published (atomic rows may be read at any time).
    #[inline(always)]
    pub(crate) fn row(&self, id: usize) -> &[T] {
        match self.row_ptr(id) {
            // SAFETY: the pointer addresses `width` initialised (zeroed or written) elements that
            // live as long as `self` (rows never move or shrink).
            Some(p) => unsafe { std::slice::from_raw_parts(p, self.width) },
            None => missing_row(id),
        }
    }

    /// Bytes allocated (reserved address space; the OS commits pages as they are written).
    pub(crate) fn allocated_bytes(&self) -> usize {
        self.segments.all().map(|s| s.len()).sum::<usize>() * std::mem::size_of::<T>()
    }
}

/// One `T` per id, for per-node state that is not plain bytes (locks, lazily set links).
pub(crate) struct NodeStore<T> {
    segments: Segments<Box<[T]>>,
}

impl<T: Default> NodeStore<T> {
    pub(crate) fn new(reserve: usize) -> Self {
        Self {
            segments: Segments::new(reserve, make_defaults(reserve), std::mem::size_of::<T>()),
        }
    }

    pub(crate) fn ensure(&self, id: usize) -> Result<()> {
        self.segments.ensure(id, |rows| Ok(make_defaults(rows)))
    }

    #[inline(always)]
    pub(crate) fn get(&self, id: usize) -> &T {
        match self.segments.locate(id) {
            Some((seg, off)) => &seg[off],
            None => missing_row(id),
        }
    }

    pub(crate) fn allocated_bytes(&self) -> usize {
        self.segments.all().map(|s| s.len()).sum::<usize>() * std::mem::size_of::<T>()
    }
}

fn make_defaults<T: Default>(n: usize) -> Box<[T]> {
    (0..n).map(|_| T::default()).collect()
}

#[cold]
#[inline(never)]
fn missing_row(id: usize) -> ! {
    // Internal invariant: ids come from the index's own allocator, which ensures storage first.
    unreachable!("row {id} was read before its storage was allocated")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn rows_past_the_first_segment_land_in_distinct_places() {
        let store = RowStore::<AtomicU32>::new(3, 5).unwrap();
        let n = 5 + 1024 + 2048 + 10;
        for id in 0..n {
            store.ensure(id).unwrap();
            let row = store.row(id);
            assert_eq!(row.len(), 3);
            for (j, x) in row.iter().enumerate() {
                x.store((id * 3 + j) as u32, Ordering::Relaxed);
            }
        }
        for id in 0..n {
            let got: Vec<u32> = store
                .row(id)
                .iter()
                .map(|x| x.load(Ordering::Relaxed))
                .collect();
            assert_eq!(
                got,
                vec![(id * 3) as u32, (id * 3 + 1) as u32, (id * 3 + 2) as u32]
            );
        }
    }

    #[test]
    fn chunk_locations_are_contiguous() {
        // Narrow rows (chunks of 1,024 rows up) and wide ones (4 MiB: chunks of 1 row up).
        for width in [1, 1 << 20] {
            let store = RowStore::<f32>::new(width, 7).unwrap();
            let segments = &store.segments;
            let mut expect = (0usize, 0usize);
            for id in 7..7 + 1024 * 7 {
                let got = segments.locate_in_chunks(id);
                assert_eq!(got, expect, "width {width}, id {id}");
                expect.1 += 1;
                if expect.1 == segments.chunk_rows(expect.0) {
                    expect = (expect.0 + 1, 0);
                }
            }
        }
        // The largest id of all is still addressable with one-row chunks.
        let wide = RowStore::<f32>::new(1 << 20, 0).unwrap();
        let (k, _) = wide.segments.locate_in_chunks(u32::MAX as usize);
        assert!(k < MAX_CHUNKS);
    }

    #[test]
    fn a_wide_first_add_reserves_a_few_rows_not_a_thousand() {
        // 100,000 floats a row: chunk 0 is 8 rows (3.2 MB), not 1,024 (400 MB).
        let store = RowStore::<f32>::new(100_000, 0).unwrap();
        store.ensure(0).unwrap();
        assert_eq!(
            store.segments.chunk_rows(0),
            1 << (CHUNK_BYTES / 400_000).ilog2()
        );
        assert!(
            store.allocated_bytes() <= CHUNK_BYTES,
            "{}",
            store.allocated_bytes()
        );
    }

    #[test]
    fn node_store_grows_and_keeps_values() {
        let store = NodeStore::<AtomicU32>::new(3);
        for id in 0..3000 {
            store.ensure(id).unwrap();
            store.get(id).store(id as u32 + 1, Ordering::Relaxed);
        }
        assert!((0..3000).all(|id| store.get(id).load(Ordering::Relaxed) == id as u32 + 1));
    }

    #[test]
    fn first_segment_can_be_an_external_backing() {
        let buf = AlignedBuf::<f32>::zeroed(8).unwrap();
        // SAFETY: single-threaded test writing inside the buffer's 8 floats.
        unsafe { buf.as_ptr().add(5).write(2.5) };
        let store = RowStore::with_backing(4, 2, Box::new(buf)).unwrap();
        assert_eq!(store.row(1)[1], 2.5);
        store.ensure(2).unwrap();
        assert_eq!(store.row(2), &[0.0; 4]);
        let short = AlignedBuf::<f32>::zeroed(7).unwrap();
        assert!(RowStore::with_backing(4, 2, Box::new(short)).is_err());
    }

    #[test]
    fn unallocated_row_has_no_pointer() {
        let store = RowStore::<f32>::new(4, 2).unwrap();
        assert!(store.row_ptr(1).is_some());
        assert!(store.row_ptr(2).is_none());
        store.ensure(2).unwrap();
        assert!(store.row_ptr(2).is_some());
    }
}
