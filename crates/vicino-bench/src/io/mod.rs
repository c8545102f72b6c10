//! Reading and writing the dataset files that ANN benchmarks ship: `.fvecs`, `.bvecs`, `.ivecs`
//! (the TEXMEX / SIFT family), NumPy `.npy`, and (read only) the ANN-benchmarks `.hdf5` files
//! that hold base, queries, ground truth and metric together.
//!
//! This module owns the bytes-to-[`Matrix`] step and nothing else: it checks that a file is
//! well formed (headers, dimensions, lengths) but not what the numbers are (a NaN is the index's
//! business). Every parser works on a `&[u8]`, so a memory-mapped file can use it unchanged.
//!
//! | file       | job                                                      |
//! |------------|----------------------------------------------------------|
//! | `mod.rs`   | [`Matrix`], dispatch on the file extension, limits       |
//! | `vecs.rs`  | `.fvecs` / `.bvecs` / `.ivecs` parsing and writing       |
//! | `npy.rs`   | `.npy` header parsing, dtype conversion, writing         |
//! | `hdf5.rs`  | ANN-benchmarks `.hdf5`: train, test, neighbors, distance |
//!
//! ```text
//! .fvecs / .ivecs / .bvecs: rows back to back, nothing else
//!   row: ┌──────────────┬───────────────────────────────────────────┐
//!        │ dim: i32 LE  │ dim values: f32 LE / i32 LE / u8          │
//!        └──────────────┴───────────────────────────────────────────┘
//!   every row carries the same dim; no header, no footer.
//!
//! .npy (v1.0; v2.0 and v3.0 widen HEADER_LEN to u32 LE)
//!   ┌────────────┬───────┬───────┬──────────────────┬────────────────────────┬──────────────┐
//!   │ \x93NUMPY  │ major │ minor │ HEADER_LEN u16LE │ dict, space padded, \n │ data, C order│
//!   └────────────┴───────┴───────┴──────────────────┴────────────────────────┴──────────────┘
//!   dict: {'descr': '<f4', 'fortran_order': False, 'shape': (rows, dim), }
//!   the data starts at a multiple of 64 bytes.
//! ```
//!
//! The `.hdf5` layout is drawn in `hdf5.rs`. It is parsed by the pure-Rust `hdf5-reader` crate
//! (no system library), not by our own byte parsers.
//!
//! Writers never leave a half-written file at the target path: they write through
//! [`vicino::write_atomic`].

mod hdf5;
mod mapped;
mod npy;
mod vecs;

use std::path::Path;

use crate::{Error, Result};

pub use hdf5::{read_ann_hdf5, AnnDataset};
pub use mapped::VectorFile;
pub use npy::write_npy;
pub use vecs::{write_fvecs, write_ivecs};

/// The largest dimension a file may declare. A larger one is taken for a corrupt header rather
/// than trusted, so a bogus file cannot ask for a huge allocation.
pub use vicino::MAX_DIM;

/// A dense row-major matrix: row `i` is `data[i * dim..(i + 1) * dim]`.
///
/// The readers in this module always return `data.len() == rows * dim`, `rows >= 1` and
/// `1 <= dim <= MAX_DIM`.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix<T> {
    /// The number of rows.
    pub rows: usize,
    /// The length of every row.
    pub dim: usize,
    /// `rows * dim` values, row after row.
    pub data: Vec<T>,
}

impl<T> Matrix<T> {
    /// Row `i`.
    ///
    /// # Panics
    /// If `i >= self.rows` (like slice indexing).
    pub fn row(&self, i: usize) -> &[T] {
        assert!(
            i < self.rows,
            "row {i} out of range for a matrix of {} rows",
            self.rows
        );
        &self.data[i * self.dim..(i + 1) * self.dim]
    }
}

/// Reads a matrix of vectors, choosing the format by extension (case-insensitive):
///
/// - `.fvecs`: f32 rows;
/// - `.bvecs`: u8 rows, widened to f32;
/// - `.npy`: a 2-D C-order array of `<f4` (also `<f8`, narrowed to f32, and `|u1` / `|i1`,
///   widened).
///
/// # Errors
/// [`Error::Io`] if the file cannot be read, [`Error::UnknownFormat`] for another extension,
/// [`Error::Format`] if the contents are malformed or hold no vectors.
pub fn read_vectors(path: &Path) -> Result<Matrix<f32>> {
    match Kind::of(path)? {
        Kind::Fvecs => vecs::parse_fvecs(&read_file(path)?, path),
        Kind::Bvecs => vecs::parse_bvecs(&read_file(path)?, path),
        Kind::Npy => npy::parse_npy(&read_file(path)?, path)?.to_f32(path),
        Kind::Ivecs => Err(Error::format(
            path,
            "ivecs",
            "an .ivecs file holds integer ids, not vectors: expected .fvecs, .bvecs or .npy",
        )),
    }
}

/// Reads a matrix of integers (typically ground-truth neighbour ids), choosing the format by
/// extension (case-insensitive):
///
/// - `.ivecs`: i32 rows;
/// - `.npy`: a 2-D C-order array of `<i4` (also `<i8`, `<u4`, `<u8` whose values fit in i32).
///
/// # Errors
/// [`Error::Io`] if the file cannot be read, [`Error::UnknownFormat`] for an unknown extension,
/// [`Error::Format`] if the contents are malformed, hold no rows, or the file is `.fvecs` /
/// `.bvecs` (vectors, not ids).
pub fn read_ivecs(path: &Path) -> Result<Matrix<i32>> {
    match Kind::of(path)? {
        Kind::Ivecs => vecs::parse_ivecs(&read_file(path)?, path),
        Kind::Npy => npy::parse_npy(&read_file(path)?, path)?.to_i32(path),
        Kind::Fvecs | Kind::Bvecs => Err(Error::format(
            path,
            "ivecs",
            "this file holds vectors, not integer ids: expected .ivecs or .npy",
        )),
    }
}

/// The formats told apart by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Fvecs,
    Bvecs,
    Ivecs,
    Npy,
}

impl Kind {
    fn of(path: &Path) -> Result<Self> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("fvecs") => Ok(Kind::Fvecs),
            Some("bvecs") => Ok(Kind::Bvecs),
            Some("ivecs") => Ok(Kind::Ivecs),
            Some("npy") => Ok(Kind::Npy),
            _ => Err(Error::UnknownFormat {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// The whole file in memory. (A later change maps it instead; the parsers take `&[u8]` for that.)
fn read_file(path: &Path) -> Result<Vec<u8>> {
    check_regular(path)?;
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

/// Fails unless `path` is a regular file (after following links), checked before it is opened:
/// a FIFO would block the open, and `/dev/zero` or a socket would be read until memory runs out.
/// A folder is `IsADirectory`, anything else `InvalidInput`. Every reader starts here.
pub(crate) fn check_regular(path: &Path) -> Result<std::fs::Metadata> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_file() {
        return Ok(meta);
    }
    let e = if meta.is_dir() {
        std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a directory")
    } else {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (a device, FIFO or socket cannot be read as data)",
        )
    };
    Err(Error::io(path, e))
}

/// [`vicino::write_atomic`] (temp file, fsync, rename), its I/O error as ours.
fn write_atomic<F>(path: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
{
    vicino::write_atomic(path, fill).map_err(|e| match e {
        vicino::Error::Io { path, source } => Error::Io { path, source },
        other => Error::Index(other),
    })
}

/// Checks a dimension read from a file: `1..=MAX_DIM`.
fn check_dim(dim: i64, path: &Path, format: &'static str, what: &str) -> Result<usize> {
    if dim <= 0 {
        return Err(Error::format(
            path,
            format,
            format!("{what} has dimension {dim}; a dimension must be at least 1"),
        ));
    }
    match usize::try_from(dim) {
        Ok(d) if d <= MAX_DIM => Ok(d),
        _ => Err(Error::format(
            path,
            format,
            format!("{what} has dimension {dim}, above the limit of {MAX_DIM}; the header is likely corrupt"),
        )),
    }
}

/// Checks a matrix handed to a writer: consistent length, and a dimension the readers accept.
fn check_matrix<T>(m: &Matrix<T>) -> Result<()> {
    if m.rows.checked_mul(m.dim) != Some(m.data.len()) {
        return Err(Error::invalid(
            "matrix",
            format!(
                "{} values do not make {} rows of dimension {}",
                m.data.len(),
                m.rows,
                m.dim
            ),
        ));
    }
    if m.rows > 0 {
        check_write_dim(m.dim, "matrix")?;
    }
    Ok(())
}

/// A dimension a writer may put in a file: one the readers will take back.
fn check_write_dim(dim: usize, name: &'static str) -> Result<()> {
    if dim == 0 || dim > MAX_DIM {
        return Err(Error::invalid(
            name,
            format!("dimension {dim} is outside 1..={MAX_DIM}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_slices_the_data() {
        let m = Matrix {
            rows: 2,
            dim: 3,
            data: vec![1, 2, 3, 4, 5, 6],
        };
        assert_eq!(m.row(0), &[1, 2, 3]);
        assert_eq!(m.row(1), &[4, 5, 6]);
    }

    #[test]
    #[should_panic(expected = "out of range")]
    fn row_out_of_range_panics() {
        let m = Matrix {
            rows: 1,
            dim: 2,
            data: vec![1.0f32, 2.0],
        };
        let _ = m.row(1);
    }

    #[test]
    fn missing_file_is_io_error_with_path() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["nope.fvecs", "nope.bvecs", "nope.npy"] {
            let path = dir.path().join(name);
            match read_vectors(&path) {
                Err(Error::Io { path: p, source }) => {
                    assert_eq!(p, path);
                    assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
                }
                other => panic!("{name}: expected Error::Io, got {other:?}"),
            }
        }
        for name in ["nope.ivecs", "nope.npy"] {
            let path = dir.path().join(name);
            assert!(matches!(read_ivecs(&path), Err(Error::Io { path: p, .. }) if p == path));
        }
    }

    #[test]
    fn devices_and_fifos_are_refused_before_they_are_opened() {
        // /dev/zero would be read until memory runs out and a FIFO would block the open: both
        // must fail at once, by every reader (plain, mapped, HDF5).
        let dir = tempfile::tempdir().unwrap();
        let zero = dir.path().join("zero.fvecs");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let fifo = dir.path().join("pipe.fvecs");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        let mut paths = vec![zero];
        if made.is_ok_and(|s| s.success()) {
            paths.push(fifo);
        }
        let not_regular = |r: Result<()>| match r {
            Err(Error::Io { source, .. }) => {
                assert_eq!(source.kind(), std::io::ErrorKind::InvalidInput, "{source}")
            }
            other => panic!("expected an InvalidInput Io error, got {other:?}"),
        };
        for path in &paths {
            not_regular(read_vectors(path).map(drop));
            not_regular(VectorFile::open(path).map(drop));
            let hdf5 = path.with_extension("hdf5");
            std::fs::rename(path, &hdf5).unwrap();
            not_regular(read_ann_hdf5(&hdf5).map(drop));
            std::fs::rename(&hdf5, path).unwrap();
        }
        assert!(
            matches!(
                read_vectors(dir.path()),
                Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::IsADirectory
            ) || matches!(read_vectors(dir.path()), Err(Error::UnknownFormat { .. }))
        );
    }

    #[test]
    fn unknown_extension_is_unknown_format() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["data.txt", "data", "data.fvecs.gz", "data.hdf5"] {
            let path = dir.path().join(name);
            std::fs::write(&path, [0u8; 8]).unwrap();
            assert!(
                matches!(read_vectors(&path), Err(Error::UnknownFormat { path: ref p }) if *p == path),
                "{name}"
            );
            assert!(
                matches!(read_ivecs(&path), Err(Error::UnknownFormat { .. })),
                "{name}"
            );
        }
    }

    #[test]
    fn extension_is_case_insensitive() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("upper.FVECS");
        let m = Matrix {
            rows: 1,
            dim: 2,
            data: vec![1.0f32, 2.0],
        };
        write_fvecs(&path, &m).unwrap();
        assert_eq!(read_vectors(&path).unwrap(), m);
    }

    #[test]
    fn wrong_kind_of_file_is_format_error() {
        let dir = tempfile::tempdir().unwrap();
        let ids = dir.path().join("gt.ivecs");
        write_ivecs(&ids, &[vec![1, 2]]).unwrap();
        assert!(matches!(read_vectors(&ids), Err(Error::Format { .. })));

        let vecs = dir.path().join("base.fvecs");
        let m = Matrix {
            rows: 1,
            dim: 1,
            data: vec![0.5f32],
        };
        write_fvecs(&vecs, &m).unwrap();
        assert!(matches!(read_ivecs(&vecs), Err(Error::Format { .. })));
    }

    #[test]
    fn writers_reject_inconsistent_matrix() {
        let dir = tempfile::tempdir().unwrap();
        let bad = Matrix {
            rows: 2,
            dim: 3,
            data: vec![0.0f32; 5],
        };
        let zero_dim = Matrix {
            rows: 2,
            dim: 0,
            data: vec![],
        };
        for m in [&bad, &zero_dim] {
            let f = dir.path().join("m.fvecs");
            let n = dir.path().join("m.npy");
            assert!(matches!(write_fvecs(&f, m), Err(Error::Invalid { .. })));
            assert!(matches!(write_npy(&n, m), Err(Error::Invalid { .. })));
            assert!(!f.exists() && !n.exists());
        }
    }
}
