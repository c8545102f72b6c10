//! `.fvecs`, `.bvecs` and `.ivecs`: the TEXMEX formats of SIFT1M, GIST1M, BIGANN and friends.
//!
//! ```text
//! row 0: ┌─────────────┬──────────────────────────────┐
//!        │ dim: i32 LE │ dim × (f32 LE | u8 | i32 LE) │
//!        └─────────────┴──────────────────────────────┘
//! row 1: the same, with the same dim
//! ...    rows back to back to the end of the file
//! ```
//!
//! Reading checks every row's header, so a truncated file or a file of mixed dimensions fails
//! with the row that is wrong. The output is allocated once, from the file's length, so its size
//! is bounded by the file and never by a header.

use std::io::{self, Write};
use std::path::Path;

use bytemuck::Pod;

use super::write_atomic;
use super::{check_dim, check_matrix, check_write_dim, Matrix};
use crate::{Error, Result};

/// Parses `.fvecs` bytes (f32 rows). `path` only names the file in errors.
pub(crate) fn parse_fvecs(bytes: &[u8], path: &Path) -> Result<Matrix<f32>> {
    parse_vecs(bytes, path, "fvecs", 4, |out, src| {
        copy_le(out, src, f32::from_le_bytes)
    })
}

/// Parses `.bvecs` bytes (u8 rows), widening each byte to f32.
pub(crate) fn parse_bvecs(bytes: &[u8], path: &Path) -> Result<Matrix<f32>> {
    parse_vecs(bytes, path, "bvecs", 1, |out, src| {
        for (o, &b) in out.iter_mut().zip(src) {
            *o = f32::from(b);
        }
    })
}

/// Parses `.ivecs` bytes (i32 rows).
pub(crate) fn parse_ivecs(bytes: &[u8], path: &Path) -> Result<Matrix<i32>> {
    parse_vecs(bytes, path, "ivecs", 4, |out, src| {
        copy_le(out, src, i32::from_le_bytes)
    })
}

/// The one reader behind the three formats, values of `elem` bytes. It checks every row header
/// first, then allocates once and lets `fill` decode each row's payload into its output row.
fn parse_vecs<T: Pod>(
    bytes: &[u8],
    path: &Path,
    format: &'static str,
    elem: usize,
    fill: impl Fn(&mut [T], &[u8]),
) -> Result<Matrix<T>> {
    let (rows, dim) = check_rows(bytes, path, format, elem)?;
    let row_bytes = 4 + dim * elem;
    // Bounded by the file: rows * dim * elem < bytes.len().
    let mut data = vec![T::zeroed(); rows * dim];
    for (out, row) in data
        .chunks_exact_mut(dim)
        .zip(bytes.chunks_exact(row_bytes))
    {
        fill(out, &row[4..]);
    }
    Ok(Matrix { rows, dim, data })
}

/// Walks the row headers: every row must declare row 0's dimension and be whole, each row's
/// header checked before its length (so a row of another dimension is named as such, not as a
/// truncation further on). Returns `(rows, dim)`. The mapped reader uses it too.
pub(super) fn check_rows(
    bytes: &[u8],
    path: &Path,
    format: &'static str,
    elem: usize,
) -> Result<(usize, usize)> {
    let dim = match read_dim(bytes) {
        Some(d) => check_dim(d.into(), path, format, "row 0")?,
        None if bytes.is_empty() => {
            return Err(Error::format(path, format, "file holds no vectors"))
        }
        None => {
            return Err(Error::format(
                path,
                format,
                format!(
                    "file of {} bytes is too short for a row header",
                    bytes.len()
                ),
            ))
        }
    };
    let row_bytes = 4 + dim * elem; // dim <= MAX_DIM and elem <= 4, so no overflow.
    let mut rest = bytes;
    let mut row = 0usize;
    while !rest.is_empty() {
        let Some(d) = read_dim(rest) else {
            return Err(Error::format(
                path,
                format,
                format!(
                    "truncated row {row}: {} bytes left, too few for its dimension header",
                    rest.len()
                ),
            ));
        };
        if usize::try_from(d) != Ok(dim) {
            // Say what the row holds, bogus or not, then that it differs from row 0.
            let got = check_dim(d.into(), path, format, &format!("row {row}"))?;
            return Err(Error::format(
                path,
                format,
                format!("row {row} has dimension {got}, but row 0 has {dim}"),
            ));
        }
        let Some(tail) = rest.get(row_bytes..) else {
            return Err(Error::format(
                path,
                format,
                format!(
                    "truncated row {row}: needs {row_bytes} bytes, only {} left",
                    rest.len()
                ),
            ));
        };
        rest = tail;
        row += 1;
    }
    Ok((row, dim))
}

/// Decodes little-endian values of `N` bytes into `out` (`out.len() * N == src.len()`). On a
/// little-endian target that is a plain copy into `out`'s bytes (always aligned: `out` is a
/// `[T]`); elsewhere each value is decoded by `from_le`.
fn copy_le<T: Pod, const N: usize>(out: &mut [T], src: &[u8], from_le: fn([u8; N]) -> T) {
    if cfg!(target_endian = "little") && std::mem::size_of::<T>() == N {
        bytemuck::cast_slice_mut::<T, u8>(out).copy_from_slice(src);
    } else {
        for (o, c) in out.iter_mut().zip(src.chunks_exact(N)) {
            let mut a = [0u8; N];
            a.copy_from_slice(c);
            *o = from_le(a);
        }
    }
}

/// The little-endian i32 at the start of `bytes`, if there are four bytes.
fn read_dim(bytes: &[u8]) -> Option<i32> {
    let head: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
    Some(i32::from_le_bytes(head))
}

/// Writes `m` as `.fvecs`, atomically (see the module docs of `io`). An empty matrix writes an
/// empty file.
///
/// # Errors
/// [`Error::Invalid`] if `m.data.len() != m.rows * m.dim` or the dimension is outside
/// `1..=MAX_DIM`; [`Error::Io`] naming `path` if the file cannot be written.
pub fn write_fvecs(path: &Path, m: &Matrix<f32>) -> Result<()> {
    check_matrix(m)?;
    write_atomic(path, |w| {
        write_rows(w, m.data.chunks_exact(m.dim.max(1)), f32::to_le_bytes)
    })
}

/// Writes ground-truth ids as `.ivecs`, atomically. Every row must have the same length; an empty
/// `rows` writes an empty file.
///
/// # Errors
/// [`Error::Invalid`] if a row's length differs from row 0's, if the rows are empty vectors or longer than `MAX_DIM`, or an id
/// does not fit in the format's i32; [`Error::Io`] naming `path` if the file cannot be written.
pub fn write_ivecs(path: &Path, rows: &[Vec<u32>]) -> Result<()> {
    if let Some(first) = rows.first() {
        let dim = first.len();
        check_write_dim(dim, "rows")?;
        for (i, r) in rows.iter().enumerate() {
            if r.len() != dim {
                return Err(Error::invalid(
                    "rows",
                    format!("row {i} holds {} ids, row 0 holds {dim}", r.len()),
                ));
            }
            if let Some(j) = r.iter().position(|&id| i32::try_from(id).is_err()) {
                return Err(Error::invalid(
                    "rows",
                    format!("id {} at row {i}, column {j} does not fit in an i32", r[j]),
                ));
            }
        }
    }
    // Checked above: every id fits in an i32, so its bits are the i32's.
    write_atomic(path, |w| {
        write_rows(w, rows.iter().map(Vec::as_slice), |id: u32| {
            id.to_le_bytes()
        })
    })
}

/// Writes each row as its length (i32 LE) followed by its encoded values.
fn write_rows<'a, T: Copy + 'a, const N: usize>(
    w: &mut impl Write,
    rows: impl Iterator<Item = &'a [T]>,
    encode: impl Fn(T) -> [u8; N],
) -> io::Result<()> {
    let mut buf = Vec::new();
    for row in rows {
        // Callers checked row.len() <= MAX_DIM.
        let dim = i32::try_from(row.len()).map_err(io::Error::other)?;
        buf.clear();
        buf.extend_from_slice(&dim.to_le_bytes());
        for &v in row {
            buf.extend_from_slice(&encode(v));
        }
        w.write_all(&buf)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn matrix(rows: usize, dim: usize) -> Matrix<f32> {
        let data = (0..rows * dim).map(|i| i as f32 * 0.25 - 3.0).collect();
        Matrix { rows, dim, data }
    }

    /// Hand-built rows: each `(dim header, payload bytes)`.
    fn raw(rows: &[(i32, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (d, payload) in rows {
            out.extend_from_slice(&d.to_le_bytes());
            out.extend_from_slice(payload);
        }
        out
    }

    fn reason(r: Result<impl std::fmt::Debug>) -> String {
        match r {
            Err(Error::Format { reason, .. }) => reason,
            other => panic!("expected Error::Format, got {other:?}"),
        }
    }

    #[test]
    fn fvecs_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("base.fvecs");
        for (rows, dim) in [(1, 1), (3, 4), (100, 128), (2, 960)] {
            let m = matrix(rows, dim);
            write_fvecs(&path, &m).unwrap();
            assert_eq!(
                std::fs::metadata(&path).unwrap().len() as usize,
                rows * (4 + 4 * dim)
            );
            assert_eq!(super::super::read_vectors(&path).unwrap(), m);
        }
    }

    #[test]
    fn fvecs_keeps_every_bit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("odd.fvecs");
        let data = vec![
            f32::NAN,
            f32::INFINITY,
            -0.0,
            f32::MIN_POSITIVE,
            f32::MAX,
            1e-45,
        ];
        let m = Matrix {
            rows: 2,
            dim: 3,
            data: data.clone(),
        };
        write_fvecs(&path, &m).unwrap();
        let back = super::super::read_vectors(&path).unwrap();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back.data), bits(&data));
    }

    #[test]
    fn ivecs_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gt.ivecs");
        let rows: Vec<Vec<u32>> = (0..50u32)
            .map(|i| (0..100).map(|j| i * 1000 + j).collect())
            .collect();
        write_ivecs(&path, &rows).unwrap();
        let m = super::super::read_ivecs(&path).unwrap();
        assert_eq!((m.rows, m.dim), (50, 100));
        for (i, r) in rows.iter().enumerate() {
            let want: Vec<i32> = r.iter().map(|&x| x as i32).collect();
            assert_eq!(m.row(i), want.as_slice());
        }
        write_ivecs(&path, &[vec![i32::MAX as u32]]).unwrap();
        assert_eq!(super::super::read_ivecs(&path).unwrap().data, [i32::MAX]);
    }

    #[test]
    fn ivecs_empty_rows_write_an_empty_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.ivecs");
        write_ivecs(&path, &[]).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
        // ...which the reader refuses: it holds no vectors.
        assert!(reason(super::super::read_ivecs(&path)).contains("no vectors"));
    }

    #[test]
    fn ivecs_writer_rejects_bad_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.ivecs");
        assert!(matches!(
            write_ivecs(&path, &[vec![1, 2, 3], vec![4, 5]]),
            Err(Error::Invalid { .. })
        ));
        assert!(matches!(
            write_ivecs(&path, &[vec![], vec![]]),
            Err(Error::Invalid { .. })
        ));
        assert!(matches!(
            write_ivecs(&path, &[vec![1, u32::MAX]]),
            Err(Error::Invalid { .. })
        ));
        assert!(!path.exists());
    }

    #[test]
    fn writers_to_missing_folder_are_io_errors() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("missing/base.fvecs");
        let i = dir.path().join("missing/gt.ivecs");
        assert!(matches!(write_fvecs(&f, &matrix(2, 2)), Err(Error::Io { path, .. }) if path == f));
        assert!(matches!(write_ivecs(&i, &[vec![1]]), Err(Error::Io { path, .. }) if path == i));
    }

    #[test]
    fn bvecs_widens_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("base.bvecs");
        std::fs::write(&path, raw(&[(3, &[0, 1, 255]), (3, &[7, 128, 9])])).unwrap();
        let m = super::super::read_vectors(&path).unwrap();
        assert_eq!((m.rows, m.dim), (2, 3));
        assert_eq!(m.data, [0.0, 1.0, 255.0, 7.0, 128.0, 9.0]);
    }

    #[test]
    fn empty_file_holds_no_vectors() {
        let p = Path::new("e");
        assert!(reason(parse_fvecs(&[], p)).contains("no vectors"));
        assert!(reason(parse_bvecs(&[], p)).contains("no vectors"));
        assert!(reason(parse_ivecs(&[], p)).contains("no vectors"));
        // And through the file path, with the path in the error.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.fvecs");
        std::fs::write(&path, b"").unwrap();
        match super::super::read_vectors(&path) {
            Err(Error::Format {
                path: p, format, ..
            }) => {
                assert_eq!(p, path);
                assert_eq!(format, "fvecs");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn short_header_is_truncated() {
        let r = reason(parse_fvecs(&[4, 0], Path::new("x")));
        assert!(r.contains("too short"), "{r}");
    }

    #[test]
    fn truncated_last_row() {
        let mut bytes = raw(&[(2, &[0; 8]), (2, &[0; 8])]);
        bytes.truncate(bytes.len() - 3);
        let r = reason(parse_fvecs(&bytes, Path::new("x")));
        assert!(r.contains("truncated row 1"), "{r}");
        // A stray partial header after whole rows.
        let mut bytes = raw(&[(2, &[0; 2]), (2, &[0; 2])]);
        bytes.extend_from_slice(&[2, 0]);
        let r = reason(parse_bvecs(&bytes, Path::new("x")));
        assert!(r.contains("truncated row 2"), "{r}");
    }

    #[test]
    fn non_positive_dimension() {
        for d in [0, -1, i32::MIN] {
            let bytes = raw(&[(d, &[0; 16])]);
            let r = reason(parse_fvecs(&bytes, Path::new("x")));
            assert!(r.contains("at least 1"), "{d}: {r}");
        }
    }

    #[test]
    fn absurd_dimension_is_refused_without_allocating() {
        for d in [(1 << 20) + 1, i32::MAX] {
            let bytes = raw(&[(d, &[0; 16])]);
            let r = reason(parse_ivecs(&bytes, Path::new("x")));
            assert!(r.contains("limit"), "{d}: {r}");
        }
        // The largest legal dimension in a truncated file: fails on length, allocates little.
        let bytes = raw(&[(1 << 20, &[0; 16])]);
        assert!(reason(parse_fvecs(&bytes, Path::new("x"))).contains("truncated row 0"));
    }

    #[test]
    fn mixed_dimensions_name_the_row() {
        let bytes = raw(&[(2, &[0; 8]), (2, &[0; 8]), (3, &[0; 12])]);
        let r = reason(parse_fvecs(&bytes, Path::new("x")));
        assert!(r.contains("row 2 has dimension 3, but row 0 has 2"), "{r}");
        let bytes = raw(&[(2, &[0; 8]), (-7, &[0; 8])]);
        let r = reason(parse_fvecs(&bytes, Path::new("x")));
        assert!(r.contains("row 1 has dimension -7"), "{r}");
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let p = Path::new("fuzz");
            let _ = parse_fvecs(&bytes, p);
            let _ = parse_bvecs(&bytes, p);
            let _ = parse_ivecs(&bytes, p);
        }

        /// Small plausible headers reach the row loop far more often than random ones.
        #[test]
        fn plausible_headers_never_panic(
            dim in -2i32..6,
            tail in proptest::collection::vec(any::<u8>(), 0..128),
        ) {
            let mut bytes = dim.to_le_bytes().to_vec();
            bytes.extend_from_slice(&tail);
            let p = Path::new("fuzz");
            if let Ok(m) = parse_fvecs(&bytes, p) {
                prop_assert_eq!(m.data.len(), m.rows * m.dim);
            }
            if let Ok(m) = parse_bvecs(&bytes, p) {
                prop_assert_eq!(m.data.len(), m.rows * m.dim);
            }
            let _ = parse_ivecs(&bytes, p);
        }

        #[test]
        fn fvecs_round_trips_through_bytes(
            dim in 1usize..20,
            data in proptest::collection::vec(any::<f32>(), 1..200),
        ) {
            let rows = data.len() / dim;
            prop_assume!(rows > 0);
            let m = Matrix { rows, dim, data: data[..rows * dim].to_vec() };
            let mut bytes = Vec::new();
            write_rows(&mut bytes, m.data.chunks_exact(dim), f32::to_le_bytes).unwrap();
            let back = parse_fvecs(&bytes, Path::new("x")).unwrap();
            prop_assert_eq!((back.rows, back.dim), (rows, dim));
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            prop_assert_eq!(bits(&back.data), bits(&m.data));
        }
    }
}
