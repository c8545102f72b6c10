//! Vector files read through a memory mapping, a row at a time, so a build never holds the
//! whole input in memory: the OS pages rows in as they are used and drops them under pressure.

use std::fs::File;
use std::path::{Path, PathBuf};

use memmap2::{Advice, Mmap};

use super::{npy, vecs, Kind};
use crate::{Error, Result};

/// How rows lie in the file: `rows` runs of `dim` elements, `stride` bytes apart from `first`.
#[derive(Debug, Clone, Copy)]
enum Layout {
    F32 { first: usize, stride: usize },
    U8 { first: usize, stride: usize },
}

/// An `.fvecs`, `.bvecs` or `.npy` (`<f4` or `|u1`) file of vectors, mapped read-only.
///
/// Opening checks the whole structure (every row's dimension header, the length); values are
/// not checked (the index does that). The file must not be truncated while it is open: reading
/// a row past a new end raises SIGBUS, which ends the process (true of every mapped file).
pub struct VectorFile {
    map: Mmap,
    path: PathBuf,
    rows: usize,
    dim: usize,
    layout: Layout,
}

impl std::fmt::Debug for VectorFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VectorFile")
            .field("path", &self.path)
            .field("rows", &self.rows)
            .field("dim", &self.dim)
            .finish_non_exhaustive()
    }
}

impl VectorFile {
    pub fn open(path: &Path) -> Result<Self> {
        let kind = Kind::of(path)?;
        super::check_regular(path)?;
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        // SAFETY: a read-only mapping; another process truncating the file while it is mapped
        // would fault us, as with any mapped file (we do not change it ourselves).
        let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
        let bytes: &[u8] = &map;
        let (rows, dim, layout) = match kind {
            Kind::Fvecs => {
                let (rows, dim) = vecs::check_rows(bytes, path, "fvecs", 4)?;
                (
                    rows,
                    dim,
                    Layout::F32 {
                        first: 4,
                        stride: 4 + 4 * dim,
                    },
                )
            }
            Kind::Bvecs => {
                let (rows, dim) = vecs::check_rows(bytes, path, "bvecs", 1)?;
                (
                    rows,
                    dim,
                    Layout::U8 {
                        first: 4,
                        stride: 4 + dim,
                    },
                )
            }
            Kind::Npy => {
                let array = npy::parse_npy(bytes, path)?;
                let (rows, dim, data, size) = array.shape_and_data();
                let first = data.as_ptr() as usize - bytes.as_ptr() as usize;
                let layout =
                    match size {
                        Some(4) => Layout::F32 {
                            first,
                            stride: 4 * dim,
                        },
                        Some(1) => Layout::U8 { first, stride: dim },
                        _ => return Err(Error::format(
                            path,
                            "npy",
                            "only <f4 and |u1 arrays can be read by mapping; convert it or load it",
                        )),
                    };
                (rows, dim, layout)
            }
            Kind::Ivecs => {
                return Err(Error::format(
                    path,
                    "ivecs",
                    "an .ivecs file holds ids, not vectors",
                ))
            }
        };
        // A build reads rows in order (in parallel chunks): read-ahead pays.
        let _ = map.advise(Advice::Sequential);
        Ok(Self {
            map,
            path: path.to_path_buf(),
            rows,
            dim,
            layout,
        })
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Row `i` (`i < rows()`): borrowed from the mapping when it can be, else widened or
    /// decoded into `buf`.
    pub fn row<'a>(&'a self, i: usize, buf: &'a mut Vec<f32>) -> &'a [f32] {
        let bytes: &[u8] = &self.map;
        match self.layout {
            Layout::F32 { first, stride } => {
                let raw = &bytes[first + i * stride..][..4 * self.dim];
                match bytemuck::try_cast_slice::<u8, f32>(raw) {
                    Ok(v) if cfg!(target_endian = "little") => v,
                    _ => {
                        buf.clear();
                        buf.extend(
                            raw.chunks_exact(4)
                                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                        );
                        buf
                    }
                }
            }
            Layout::U8 { first, stride } => {
                buf.clear();
                buf.extend(
                    bytes[first + i * stride..][..self.dim]
                        .iter()
                        .map(|&b| f32::from(b)),
                );
                buf
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{read_vectors, write_fvecs, write_npy, Matrix};
    use super::*;

    fn sample() -> Matrix<f32> {
        Matrix {
            rows: 5,
            dim: 3,
            data: (0..15).map(|x| x as f32 * 0.5 - 2.0).collect(),
        }
    }

    #[test]
    fn mapped_rows_match_the_reader() {
        let dir = tempfile::tempdir().unwrap();
        let m = sample();
        let f = dir.path().join("a.fvecs");
        let n = dir.path().join("a.npy");
        write_fvecs(&f, &m).unwrap();
        write_npy(&n, &m).unwrap();
        let b = dir.path().join("a.bvecs");
        let mut bytes = Vec::new();
        for r in 0..2u8 {
            bytes.extend(3i32.to_le_bytes());
            bytes.extend([r, r + 1, 255]);
        }
        std::fs::write(&b, &bytes).unwrap();
        for path in [&f, &n, &b] {
            let file = VectorFile::open(path).unwrap();
            let want = read_vectors(path).unwrap();
            assert_eq!((file.rows(), file.dim()), (want.rows, want.dim));
            let mut buf = Vec::new();
            for i in 0..want.rows {
                assert_eq!(
                    file.row(i, &mut buf),
                    want.row(i),
                    "{} row {i}",
                    path.display()
                );
            }
        }
    }

    #[test]
    fn a_row_of_another_dimension_is_named_not_taken_for_a_truncation() {
        // Ten rows of dimension 3, but row 5 declares 4 (and holds 4 values): the length is no
        // longer a whole number of rows, and the error must name row 5, not a later truncation.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mixed.fvecs");
        let mut bytes = Vec::new();
        for row in 0..10 {
            let dim: i32 = if row == 5 { 4 } else { 3 };
            bytes.extend(dim.to_le_bytes());
            for j in 0..dim {
                bytes.extend((j as f32).to_le_bytes());
            }
        }
        std::fs::write(&path, &bytes).unwrap();
        for err in [
            VectorFile::open(&path).unwrap_err().to_string(),
            read_vectors(&path).unwrap_err().to_string(),
        ] {
            assert!(err.contains("row 5 has dimension 4"), "{err}");
        }
    }

    #[test]
    fn malformed_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.fvecs");
        write_fvecs(&f, &sample()).unwrap();
        let good = std::fs::read(&f).unwrap();
        std::fs::write(&f, &good[..good.len() - 2]).unwrap();
        assert!(matches!(VectorFile::open(&f), Err(Error::Format { .. })));
        let mut mixed = good.clone();
        mixed[16] = 4;
        std::fs::write(&f, &mixed).unwrap();
        let err = VectorFile::open(&f).unwrap_err().to_string();
        assert!(err.contains("row 1"), "{err}");
        std::fs::write(&f, b"").unwrap();
        assert!(VectorFile::open(&f).is_err());
        assert!(matches!(
            VectorFile::open(&dir.path().join("missing.fvecs")),
            Err(Error::Io { .. })
        ));
    }
}
