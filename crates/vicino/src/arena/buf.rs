//! The memory under an arena segment: the [`Backing`] contract, the heap backing
//! ([`AlignedBuf`], zeroed and 64-byte aligned) and [`Segment`], which caches a backing's start
//! so that a row lookup never dispatches on what backs it.

use std::alloc::{self, Layout};
use std::ptr::NonNull;

use crate::error::{Error, Result};

/// Alignment of every segment: one cache line, and the widest SIMD load (AVX-512).
pub(crate) const SEGMENT_ALIGN: usize = 64;

/// Element types whose all-zero bit pattern is a valid value, so a zeroed allocation is
/// a valid, initialised `[T]`.
///
/// # Safety
/// Implement only for types for which all-zero bytes are a valid value.
pub(crate) unsafe trait ZeroInit: Sized + Send + Sync + 'static {}
// SAFETY: 0.0f32, 0u8, 0u32, 0u64 and the atomics wrapping them are all-zero bit patterns.
unsafe impl ZeroInit for f32 {}
// SAFETY: as above.
unsafe impl ZeroInit for u8 {}
// SAFETY: as above.
unsafe impl ZeroInit for u64 {}
// SAFETY: as above.
unsafe impl ZeroInit for std::sync::atomic::AtomicU32 {}
// SAFETY: as above.
unsafe impl ZeroInit for std::sync::atomic::AtomicU64 {}

/// On-demand allocations of at least this many bytes are anonymous mappings.
const MAPPED_BYTES: usize = 1 << 20;

/// The x86-64 and aarch64 (4 KiB granule) transparent huge page: eager allocations of at least
/// this many bytes are mapped to be backed by such pages.
const HUGE_PAGE: usize = 2 << 20;

/// `len` zero-initialised values of `T`, aligned to [`SEGMENT_ALIGN`].
///
/// Two ways to get one. [`AlignedBuf::zeroed`] commits its memory at once, for memory about to
/// be filled, such as the capacity a bulk build reserves or an index file read into RAM (it
/// builds about 5% faster than faulting 4 KiB pages in during the build): a heap block, or from
/// [`HUGE_PAGE`] up, a mapping backed by transparent huge pages (searches of a loaded 200k
/// index 1.05-1.39x faster, builds about 2%). [`AlignedBuf::zeroed_on_demand`] maps anonymous memory for [`MAPPED_BYTES`] and more:
/// the OS hands out zero pages as rows are first written, so a growth chunk commits only the
/// rows used (on the heap, one `add` of a 100,000-d vector committed 404 MB).
pub(crate) struct AlignedBuf<T: ZeroInit> {
    ptr: NonNull<T>,
    len: usize,
    /// The mapping that owns the memory, for mapped allocations; `None` for heap blocks.
    map: Option<memmap2::MmapMut>,
}

// SAFETY: AlignedBuf owns its allocation like a Box<[T]>; sending or sharing it is as safe as
// sending or sharing the `T`s it holds.
unsafe impl<T: ZeroInit + Send> Send for AlignedBuf<T> {}
// SAFETY: as above; shared access only hands out `&T` / raw pointers whose use is the caller's
// responsibility (see `RowStore`).
unsafe impl<T: ZeroInit + Sync> Sync for AlignedBuf<T> {}

impl<T: ZeroInit> AlignedBuf<T> {
    /// A heap block, zeroed now.
    pub(crate) fn zeroed(len: usize) -> Result<Self> {
        Self::allocate(len, false)
    }

    /// Zero pages the OS commits as they are first written (small sizes: as `zeroed`).
    pub(crate) fn zeroed_on_demand(len: usize) -> Result<Self> {
        Self::allocate(len, true)
    }

    fn allocate(len: usize, on_demand: bool) -> Result<Self> {
        let too_big = || Error::OutOfMemory {
            what: "arena",
            reason: format!("{len} elements exceed the address space"),
        };
        let bytes = len
            .checked_mul(std::mem::size_of::<T>())
            .ok_or_else(too_big)?;
        let align = SEGMENT_ALIGN.max(std::mem::align_of::<T>());
        if bytes == 0 {
            return Ok(Self {
                ptr: NonNull::dangling(),
                len: 0,
                map: None,
            });
        }
        // Miri has no mmap: it takes the heap path, whose checks are the same.
        if on_demand && bytes >= MAPPED_BYTES && !cfg!(miri) {
            // Page-aligned (so SEGMENT_ALIGN-aligned) and zero-filled by the OS on first touch.
            let mut map = memmap2::MmapMut::map_anon(bytes).map_err(|e| Error::OutOfMemory {
                what: "arena",
                reason: format!("cannot map {bytes} bytes: {e}"),
            })?;
            let ptr = NonNull::new(map.as_mut_ptr().cast::<T>()).ok_or_else(too_big)?;
            return Ok(Self {
                ptr,
                len,
                map: Some(map),
            });
        }
        if !on_demand && bytes >= HUGE_PAGE && cfg!(target_os = "linux") && !cfg!(miri) {
            return Self::huge_paged(len, bytes);
        }
        let layout = Layout::from_size_align(bytes, align).map_err(|_| too_big())?;
        // SAFETY: `layout` has a non-zero size (checked above).
        let raw = unsafe { alloc::alloc_zeroed(layout) };
        let ptr = NonNull::new(raw.cast::<T>()).ok_or_else(too_big)?;
        Ok(Self {
            ptr,
            len,
            map: None,
        })
    }

    /// `bytes` of anonymous memory starting on a huge-page boundary, asked to be backed by
    /// transparent huge pages (where THP is in `madvise` mode nothing gets them unasked), and
    /// touched once per huge page now: the memory is committed, as `zeroed` promises, in 2 MiB
    /// pages, so the searches and inserts that then read it at random take far fewer TLB
    /// misses. Where THP is off this is an ordinary zeroed mapping.
    fn huge_paged(len: usize, bytes: usize) -> Result<Self> {
        let oom = |e: std::io::Error| Error::OutOfMemory {
            what: "arena",
            reason: format!("cannot map {bytes} bytes: {e}"),
        };
        // One huge page more than needed, so that an aligned start fits whatever the kernel
        // returns.
        let mapped = bytes
            .checked_add(HUGE_PAGE)
            .ok_or_else(|| oom(std::io::Error::other("size overflows")))?;
        let mut map = memmap2::MmapMut::map_anon(mapped).map_err(oom)?;
        let base = map.as_mut_ptr();
        let skip = base.align_offset(HUGE_PAGE);
        // The advice is a hint; without it the pages are ordinary ones.
        let _ = map.advise_range(memmap2::Advice::HugePage, skip, bytes);
        // SAFETY: `skip < HUGE_PAGE`, so `skip + bytes <= mapped`: the range lies in the map.
        let start = unsafe { base.add(skip) };
        for page in (0..bytes).step_by(4096) {
            // SAFETY: inside the mapped range, which nothing else references yet; writing the
            // zero it already holds only makes the OS commit the page.
            unsafe { start.add(page).write_volatile(0) };
        }
        let ptr =
            NonNull::new(start.cast::<T>()).ok_or_else(|| oom(std::io::Error::other("null")))?;
        Ok(Self {
            ptr,
            len,
            map: Some(map),
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn as_ptr(&self) -> *mut T {
        self.ptr.as_ptr()
    }

    fn layout(&self) -> Layout {
        let align = SEGMENT_ALIGN.max(std::mem::align_of::<T>());
        // Cannot fail: the same layout was built in `zeroed`.
        Layout::from_size_align(self.len * std::mem::size_of::<T>(), align)
            .unwrap_or_else(|_| unreachable!("layout was valid at allocation"))
    }
}

impl<T: ZeroInit> Drop for AlignedBuf<T> {
    fn drop(&mut self) {
        if self.map.is_none() && self.len > 0 && std::mem::size_of::<T>() > 0 {
            // SAFETY: allocated in `zeroed` with this same layout, and freed only here (a
            // mapped allocation is unmapped when `map` drops).
            unsafe { alloc::dealloc(self.ptr.as_ptr().cast(), self.layout()) }
        }
    }
}

/// Memory holding a run of rows: a heap allocation, or a file mapping in the storage layer.
///
/// # Safety
/// `as_ptr()` must be aligned to [`SEGMENT_ALIGN`], point to `len()` initialised `T`s, stay at
/// the same address and valid for as long as the value lives, and allow writes (the stores write
/// only rows that nobody else reads at the time).
pub(crate) unsafe trait Backing<T>: Send + Sync {
    fn as_ptr(&self) -> *mut T;
    fn len(&self) -> usize;
}

// SAFETY: AlignedBuf owns `len` zero-initialised (so valid) `T`s, 64-byte aligned, freed only on
// drop, and hands out a mutable pointer.
unsafe impl<T: ZeroInit + Send + Sync> Backing<T> for AlignedBuf<T> {
    fn as_ptr(&self) -> *mut T {
        AlignedBuf::as_ptr(self)
    }

    fn len(&self) -> usize {
        AlignedBuf::len(self)
    }
}

/// One segment of a row store: its backing, kept alive, and the backing's start pointer.
pub(crate) struct Segment<T> {
    ptr: *mut T,
    len: usize,
    _backing: Box<dyn Backing<T>>,
}

// SAFETY: a Segment is its backing (Send + Sync by the trait bound) plus a pointer into it; it
// is as shareable as the `T`s it holds.
unsafe impl<T: Send + Sync> Send for Segment<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for Segment<T> {}

impl<T> Segment<T> {
    pub(crate) fn new(backing: Box<dyn Backing<T>>) -> Result<Self> {
        let ptr = backing.as_ptr();
        if backing.len() > 0 && !(ptr as usize).is_multiple_of(SEGMENT_ALIGN) {
            return Err(Error::InvalidParameter {
                name: "segment",
                reason: format!("backing memory is not {SEGMENT_ALIGN}-byte aligned"),
            });
        }
        Ok(Self {
            ptr,
            len: backing.len(),
            _backing: backing,
        })
    }

    #[inline(always)]
    pub(crate) fn as_ptr(&self) -> *mut T {
        self.ptr
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroed_and_aligned() {
        let buf = AlignedBuf::<f32>::zeroed(1000).unwrap();
        assert_eq!(buf.as_ptr() as usize % SEGMENT_ALIGN, 0);
        // SAFETY: the buffer holds 1000 initialised f32 and nobody else touches it.
        let s = unsafe { std::slice::from_raw_parts(buf.as_ptr(), buf.len()) };
        assert!(s.iter().all(|&x| x == 0.0));
    }

    #[test]
    // Megabytes, and about what the OS does with them: too slow under Miri, and nothing for it.
    #[cfg_attr(miri, ignore)]
    fn on_demand_memory_is_zeroed_aligned_and_committed_only_where_written() {
        // 256 MB reserved; resident memory grows by the pages written, not by the reservation.
        let resident = || -> Option<usize> {
            let status = std::fs::read_to_string("/proc/self/status").ok()?;
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            Some(line.split_whitespace().nth(1)?.parse::<usize>().ok()? * 1024)
        };
        let before = resident();
        let len = 64 << 20;
        let buf = AlignedBuf::<f32>::zeroed_on_demand(len).unwrap();
        assert_eq!(buf.as_ptr() as usize % SEGMENT_ALIGN, 0);
        // SAFETY: the buffer holds `len` initialised f32 and nobody else touches it.
        let s = unsafe { std::slice::from_raw_parts_mut(buf.as_ptr(), len) };
        s[0] = 1.0;
        s[len - 1] = 2.0;
        assert!(s[1..1 << 16].iter().all(|&x| x == 0.0));
        assert_eq!(s[len - 1], 2.0);
        if let (Some(before), Some(after)) = (before, resident()) {
            // Other tests run in this process meanwhile: allow them 64 MB, far below 256.
            let grown = after.saturating_sub(before);
            assert!(grown < 64 << 20, "resident memory grew by {grown} bytes");
        }
    }

    #[test]
    // Megabytes, and about what the OS does with them: too slow under Miri, and nothing for it.
    #[cfg_attr(miri, ignore)]
    fn large_eager_memory_starts_on_a_huge_page_and_is_zeroed() {
        let len = 3 * HUGE_PAGE / 4 + 5; // 1.5 huge pages of f32 and a bit: not a multiple
        let buf = AlignedBuf::<f32>::zeroed(len).unwrap();
        if cfg!(target_os = "linux") && !cfg!(miri) {
            assert_eq!(buf.as_ptr() as usize % HUGE_PAGE, 0);
        }
        assert_eq!(buf.as_ptr() as usize % SEGMENT_ALIGN, 0);
        // SAFETY: the buffer holds `len` initialised f32 and nobody else touches it.
        let s = unsafe { std::slice::from_raw_parts_mut(buf.as_ptr(), len) };
        assert!(s.iter().all(|&x| x == 0.0));
        s[len - 1] = 3.0;
        assert_eq!(s[len - 1], 3.0);
    }

    #[test]
    fn absurd_size_is_an_error() {
        assert!(AlignedBuf::<f32>::zeroed_on_demand(usize::MAX / 2).is_err());
        assert!(AlignedBuf::<f32>::zeroed(usize::MAX / 2).is_err());
    }

    #[test]
    fn empty_is_fine() {
        let buf = AlignedBuf::<f32>::zeroed(0).unwrap();
        assert_eq!(buf.len(), 0);
    }
}
