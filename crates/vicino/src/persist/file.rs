//! The bytes of an opened index file, in RAM or mapped, and sections of them as arena backings;
//! and the backing of an unlinked scratch file, for the vectors of an on-disk build.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use std::fs::OpenOptions;
use std::sync::atomic::{AtomicU64, Ordering};

use memmap2::{Advice, MmapMut, MmapOptions};

use crate::arena::{AlignedBuf, Backing, ZeroInit};
use crate::error::{Error, Result};

enum Owner {
    Heap(#[allow(dead_code)] AlignedBuf<u8>),
    Mapped(#[allow(dead_code)] MmapMut),
}

/// A whole index file: read into an aligned heap buffer (`Index::load`) or mapped
/// copy-on-write (`Index::open`). Either way the same code reads it, so both answer
/// identically; writes (links changed by later inserts) stay in this process, never in the file.
pub(crate) struct FileBytes {
    ptr: *mut u8,
    len: usize,
    _owner: Owner,
}

// SAFETY: FileBytes owns its memory (a heap buffer or a private mapping) like a Box<[u8]>; the
// pointer is only used through the arena's rules (atomic links, vectors written before publication).
unsafe impl Send for FileBytes {}
// SAFETY: as above.
unsafe impl Sync for FileBytes {}

impl FileBytes {
    /// Reads the whole file into a 64-byte-aligned buffer.
    pub(crate) fn read(path: &Path) -> Result<Self> {
        use std::io::Read;
        check_regular(path)?;
        let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len() as usize;
        let buf = AlignedBuf::<u8>::zeroed(len)?;
        // SAFETY: the buffer holds `len` initialised bytes and is not shared yet.
        let slice = unsafe { std::slice::from_raw_parts_mut(buf.as_ptr(), len) };
        file.read_exact(slice).map_err(|e| Error::io(path, e))?;
        Ok(Self {
            ptr: buf.as_ptr(),
            len,
            _owner: Owner::Heap(buf),
        })
    }

    /// Maps the file privately (copy-on-write) with a random-access hint.
    ///
    /// Another process that truncates the file while it is mapped makes the next touch of a
    /// page past the new end raise SIGBUS, which kills the process: a mapped file cannot be
    /// guarded against that (checksums catch changes made before opening).
    pub(crate) fn map(path: &Path) -> Result<Self> {
        check_regular(path)?;
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        if file.metadata().map_err(|e| Error::io(path, e))?.len() == 0 {
            return Err(Error::corrupt(path, "empty file"));
        }
        // A private mapping: our writes never reach the file.
        // SAFETY: see above.
        let map = unsafe { MmapOptions::new().map_copy(&file) };
        let mut map = map.map_err(|e| Error::io(path, e))?;
        // The length is the mapping's own, not the earlier metadata's: the file may have
        // changed in between.
        let len = map.len();
        // A search touches rows at random: read-ahead would only waste I/O.
        let _ = map.advise(Advice::Random);
        Ok(Self {
            ptr: map.as_mut_ptr(),
            len,
            _owner: Owner::Mapped(map),
        })
    }

    /// The bytes, for parsing before the index exists (nothing writes them yet).
    ///
    /// # Safety
    /// No other thread may write the memory while the slice lives.
    pub(crate) unsafe fn bytes(&self) -> &[u8] {
        // SAFETY: ptr/len describe memory owned by self; the caller excludes writers.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

/// `len` elements of `T` at byte `offset` of a file: the first segment of an arena row store.
pub(crate) struct SectionBacking<T> {
    _file: Arc<FileBytes>,
    ptr: *mut T,
    len: usize,
}

// SAFETY: shares the file (Send + Sync) and points into it.
unsafe impl<T: Send + Sync> Send for SectionBacking<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for SectionBacking<T> {}

impl<T: ZeroInit> SectionBacking<T> {
    /// Checks that the range lies in the file and is aligned for `T` and the arena; the error
    /// says why not.
    pub(crate) fn new(
        file: Arc<FileBytes>,
        offset: usize,
        len: usize,
    ) -> std::result::Result<Self, String> {
        let bytes = len.checked_mul(std::mem::size_of::<T>());
        let fits = bytes
            .and_then(|b| offset.checked_add(b))
            .is_some_and(|end| end <= file.len());
        let start = file.ptr.wrapping_add(offset);
        if !fits || (len > 0 && !(start as usize).is_multiple_of(crate::arena::SEGMENT_ALIGN)) {
            return Err(format!(
                "section at byte {offset} of {len} elements does not fit or is misaligned"
            ));
        }
        Ok(Self {
            ptr: start.cast(),
            len,
            _file: file,
        })
    }
}

// SAFETY: the range was checked to lie inside the file's memory and to be 64-byte aligned; the
// memory lives (and stays put) as long as the Arc does; it is writable (heap or private map);
// any bit pattern is a valid f32 / AtomicU32 (ZeroInit types are plain integers and floats).
unsafe impl<T: ZeroInit> Backing<T> for SectionBacking<T> {
    fn as_ptr(&self) -> *mut T {
        self.ptr
    }

    fn len(&self) -> usize {
        self.len
    }
}

/// `len` zeroed `T`s in a shared mapping of an unlinked scratch file: arena memory that the OS
/// can write back and drop under memory pressure, so a build can exceed RAM. The file has no
/// name from the start, so nothing is left behind, whatever happens.
pub(crate) struct DiskBacking<T> {
    _map: Option<MmapMut>,
    ptr: *mut T,
    len: usize,
}

// SAFETY: owns its mapping like a Box<[T]>.
unsafe impl<T: Send + Sync> Send for DiskBacking<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for DiskBacking<T> {}

impl<T: ZeroInit> DiskBacking<T> {
    pub(crate) fn create(dir: &Path, len: usize) -> Result<Self> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let bytes = len
            .checked_mul(std::mem::size_of::<T>())
            .ok_or(Error::CapacityExceeded { capacity: len })?;
        if bytes == 0 {
            return Ok(Self {
                _map: None,
                ptr: std::ptr::NonNull::dangling().as_ptr(),
                len: 0,
            });
        }
        let name = format!(
            ".vicino-arena-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let path = dir.join(name);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        let _ = std::fs::remove_file(&path);
        file.set_len(bytes as u64)
            .map_err(|e| Error::io(&path, e))?;
        // Reserve the blocks now: a sparse file on a full disk would raise SIGBUS at the first
        // write of a page the file system cannot back, killing the build; this is an error.
        reserve_blocks(&file, bytes).map_err(|e| Error::io(&path, e))?;
        // SAFETY: a shared mapping of a file only this process can reach (it is unlinked);
        // a sparse file reads as zeros, a valid `T` (ZeroInit).
        let mut map = unsafe { MmapOptions::new().len(bytes).map_mut(&file) }
            .map_err(|e| Error::io(&path, e))?;
        // The build computes distances on codes in RAM: rows here are written once, in id
        // order, and read back in order by `save`.
        let _ = map.advise(Advice::Sequential);
        Ok(Self {
            ptr: map.as_mut_ptr().cast(),
            len,
            _map: Some(map),
        })
    }
}

// SAFETY: page-aligned (mmap), `len` zero-initialised `T`s, writable, stays mapped until drop.
unsafe impl<T: ZeroInit> Backing<T> for DiskBacking<T> {
    fn as_ptr(&self) -> *mut T {
        self.ptr
    }

    fn len(&self) -> usize {
        self.len
    }
}

/// Fails unless `path` is a regular file, checked before opening: a FIFO would block the open,
/// and a device would be read until memory runs out.
fn check_regular(path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_file() {
        return Ok(());
    }
    let e = std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        "not a regular file (a folder, device, FIFO or socket is not an index file)",
    );
    Err(Error::io(path, e))
}

/// Allocates the file's blocks (`posix_fallocate`) where the platform has it.
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
fn reserve_blocks(file: &File, bytes: usize) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let len = libc::off_t::try_from(bytes).map_err(std::io::Error::other)?;
    // SAFETY: a plain system call on a descriptor this function borrows for its duration.
    match unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len) } {
        0 => Ok(()),
        code => Err(std::io::Error::from_raw_os_error(code)),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
fn reserve_blocks(_file: &File, _bytes: usize) -> std::io::Result<()> {
    Ok(())
}
