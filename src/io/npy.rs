//! NumPy `.npy` files holding one 2-D C-order array.
//!
//! ```text
//! offset 0   ┌───────────┬───────┬───────┐
//!            │ \x93NUMPY │ major │ minor │   major 1: HEADER_LEN is u16 LE at 8, dict at 10
//!            └───────────┴───────┴───────┘   major 2, 3: HEADER_LEN is u32 LE at 8, dict at 12
//! dict       {'descr': '<f4', 'fortran_order': False, 'shape': (rows, dim), }
//!            padded with spaces and ended by '\n' so the data starts on a 64-byte boundary
//! data       rows * dim values, row after row, in the dtype 'descr' names
//! ```
//!
//! The dict is a Python literal; we parse the small subset NumPy writes (quoted strings,
//! `True`/`False`, tuples of integers) and refuse anything else with a reason. The data length
//! must match the shape exactly, and is checked before anything is allocated.

use std::io::Write;
use std::path::Path;

use super::atomic::write_atomic;
use super::{check_dim, check_matrix, Matrix};
use crate::{Error, Result};

const MAGIC: &[u8; 6] = b"\x93NUMPY";
const FORMAT: &str = "npy";

/// The element types we convert from. `descr` strings are little-endian (`<`) or, for single
/// bytes, `|`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dtype {
    F32,
    F64,
    U8,
    I8,
    I32,
    I64,
    U32,
    U64,
}

impl Dtype {
    fn parse(descr: &str) -> std::result::Result<Self, String> {
        let (Some(order), Some(code)) = (descr.get(..1), descr.get(1..)) else {
            return Err(format!("dtype {descr:?} is not a simple numeric type"));
        };
        let little = match order {
            "<" | "|" => true,
            "=" => cfg!(target_endian = "little"),
            ">" => false,
            _ => return Err(format!("dtype {descr:?} is not a simple numeric type")),
        };
        let t = match code {
            "f4" => Dtype::F32,
            "f8" => Dtype::F64,
            "u1" => Dtype::U8,
            "i1" => Dtype::I8,
            "i4" => Dtype::I32,
            "i8" => Dtype::I64,
            "u4" => Dtype::U32,
            "u8" => Dtype::U64,
            _ => return Err(format!("unsupported dtype {descr:?}")),
        };
        if !little && t.size() > 1 {
            return Err(format!(
                "big-endian dtype {descr:?} is not supported; save with '<{code}'"
            ));
        }
        Ok(t)
    }

    fn size(self) -> usize {
        match self {
            Dtype::U8 | Dtype::I8 => 1,
            Dtype::F32 | Dtype::I32 | Dtype::U32 => 4,
            Dtype::F64 | Dtype::I64 | Dtype::U64 => 8,
        }
    }
}

/// A checked view of an `.npy` file: header parsed, data length matching the shape.
#[derive(Debug)]
pub(crate) struct NpyArray<'a> {
    /// The `descr` as written, for error messages.
    descr: String,
    dtype: Dtype,
    rows: usize,
    dim: usize,
    /// Exactly `rows * dim * dtype.size()` bytes.
    data: &'a [u8],
}

/// Parses and checks an `.npy` file's header; the data stays borrowed until converted.
pub(crate) fn parse_npy<'a>(bytes: &'a [u8], path: &Path) -> Result<NpyArray<'a>> {
    let bad = |reason: String| Error::format(path, FORMAT, reason);
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(bad("missing the \\x93NUMPY magic".into()));
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let (header_len, start): (usize, usize) = match major {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 => match bytes.get(8..12) {
            Some(&[a, b, c, d]) => (u32::from_le_bytes([a, b, c, d]) as usize, 12),
            _ => return Err(bad("truncated header length".into())),
        },
        _ => return Err(bad(format!("unsupported format version {major}.{minor}"))),
    };
    let header = start
        .checked_add(header_len)
        .and_then(|end| bytes.get(start..end))
        .ok_or_else(|| {
            bad(format!(
                "header claims {header_len} bytes but the file has {} after the preamble",
                bytes.len() - start
            ))
        })?;
    let data = &bytes[start + header_len..];
    // v1 and v2 headers are latin-1, v3 UTF-8; what we accept is ASCII, so UTF-8 covers all.
    let text = std::str::from_utf8(header).map_err(|_| bad("header is not text".into()))?;
    let h = parse_header(text).map_err(|r| bad(format!("bad header: {r}")))?;

    let dtype = Dtype::parse(&h.descr).map_err(bad)?;
    if h.fortran_order {
        return Err(bad(
            "Fortran-order arrays are not supported; save a C-order array (np.ascontiguousarray)"
                .into(),
        ));
    }
    let &[rows, dim] = h.shape.as_slice() else {
        return Err(bad(format!(
            "expected a 2-D array (rows, dim), found shape {:?}",
            h.shape
        )));
    };
    if rows == 0 {
        return Err(bad("file holds no vectors (shape has 0 rows)".into()));
    }
    let dim = check_dim(
        i64::try_from(dim).unwrap_or(i64::MAX),
        path,
        FORMAT,
        "the array",
    )?;
    let want = rows
        .checked_mul(dim)
        .and_then(|n| n.checked_mul(dtype.size()))
        .ok_or_else(|| bad(format!("shape ({rows}, {dim}) is too large")))?;
    if data.len() != want {
        let what = if data.len() < want {
            "truncated data"
        } else {
            "trailing bytes after the data"
        };
        return Err(bad(format!(
            "{what}: shape ({rows}, {dim}) of {} needs {want} bytes, found {}",
            h.descr,
            data.len()
        )));
    }
    Ok(NpyArray {
        descr: h.descr,
        dtype,
        rows,
        dim,
        data,
    })
}

impl NpyArray<'_> {
    /// The array as f32 vectors: `<f4` as is, `<f8` narrowed, `|u1` and `|i1` widened.
    pub(crate) fn to_f32(&self, path: &Path) -> Result<Matrix<f32>> {
        let data = match self.dtype {
            Dtype::F32 => decode(self.data, f32::from_le_bytes),
            Dtype::F64 => decode(self.data, |b| f64::from_le_bytes(b) as f32),
            Dtype::U8 => decode(self.data, |[b]: [u8; 1]| f32::from(b)),
            Dtype::I8 => decode(self.data, |[b]: [u8; 1]| f32::from(b as i8)),
            _ => {
                return Err(Error::format(
                    path,
                    FORMAT,
                    format!(
                        "dtype {} cannot be read as vectors; expected <f4, <f8, |u1 or |i1",
                        self.descr
                    ),
                ))
            }
        };
        Ok(self.matrix(data))
    }

    /// The array as i32 ids: `<i4` as is; `<i8`, `<u4` and `<u8` if every value fits.
    pub(crate) fn to_i32(&self, path: &Path) -> Result<Matrix<i32>> {
        let data = match self.dtype {
            Dtype::I32 => Ok(decode(self.data, i32::from_le_bytes)),
            Dtype::I64 => try_decode(self.data, |b| i32::try_from(i64::from_le_bytes(b)).ok()),
            Dtype::U32 => try_decode(self.data, |b| i32::try_from(u32::from_le_bytes(b)).ok()),
            Dtype::U64 => try_decode(self.data, |b| i32::try_from(u64::from_le_bytes(b)).ok()),
            _ => {
                return Err(Error::format(
                    path,
                    FORMAT,
                    format!(
                        "dtype {} cannot be read as ids; expected <i4, <i8, <u4 or <u8",
                        self.descr
                    ),
                ))
            }
        };
        let data = data.map_err(|i| {
            Error::format(
                path,
                FORMAT,
                format!(
                    "value at row {}, column {} does not fit in an i32",
                    i / self.dim,
                    i % self.dim
                ),
            )
        })?;
        Ok(self.matrix(data))
    }

    fn matrix<T>(&self, data: Vec<T>) -> Matrix<T> {
        debug_assert_eq!(data.len(), self.rows * self.dim);
        Matrix {
            rows: self.rows,
            dim: self.dim,
            data,
        }
    }
}

fn decode<T, const N: usize>(bytes: &[u8], f: impl Fn([u8; N]) -> T) -> Vec<T> {
    bytes.chunks_exact(N).map(|c| f(array(c))).collect()
}

/// Like [`decode`], failing with the index of the first value `f` refuses.
fn try_decode<T, const N: usize>(
    bytes: &[u8],
    f: impl Fn([u8; N]) -> Option<T>,
) -> std::result::Result<Vec<T>, usize> {
    bytes
        .chunks_exact(N)
        .enumerate()
        .map(|(i, c)| f(array(c)).ok_or(i))
        .collect()
}

fn array<const N: usize>(c: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(c);
    a
}

/// The three keys of an `.npy` header dict.
#[derive(Debug, PartialEq)]
struct Header {
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// A value in the header dict.
enum Value {
    Str(String),
    Bool(bool),
    Tuple(Vec<usize>),
}

/// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` plus trailing spaces and
/// newline. Keys other than the three are skipped if their values parse.
fn parse_header(text: &str) -> std::result::Result<Header, String> {
    let mut c = Cursor {
        s: text.as_bytes(),
        pos: 0,
    };
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    c.expect(b'{')?;
    loop {
        if c.eat(b'}') {
            break;
        }
        let key = c.string()?;
        c.expect(b':')?;
        let value = c.value()?;
        let slot_taken = match (key.as_str(), value) {
            ("descr", Value::Str(s)) => descr.replace(s).is_some(),
            ("fortran_order", Value::Bool(b)) => fortran.replace(b).is_some(),
            ("shape", Value::Tuple(t)) => shape.replace(t).is_some(),
            ("descr" | "fortran_order" | "shape", _) => {
                return Err(format!("{key:?} has a value of the wrong type"))
            }
            _ => false,
        };
        if slot_taken {
            return Err(format!("key {key:?} appears twice"));
        }
        if !c.eat(b',') {
            c.expect(b'}')?;
            break;
        }
    }
    c.skip_ws();
    if c.pos != c.s.len() {
        return Err(format!("unexpected text after the dict at byte {}", c.pos));
    }
    Ok(Header {
        descr: descr.ok_or("no 'descr' key")?,
        fortran_order: fortran.ok_or("no 'fortran_order' key")?,
        shape: shape.ok_or("no 'shape' key")?,
    })
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn skip_ws(&mut self) {
        while self.s.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
    }

    /// Skips whitespace, then takes `b` if it is next.
    fn eat(&mut self, b: u8) -> bool {
        self.skip_ws();
        if self.s.get(self.pos) == Some(&b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, b: u8) -> std::result::Result<(), String> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(format!("expected '{}' at byte {}", b as char, self.pos))
        }
    }

    /// A `'...'` or `"..."` string without escapes.
    fn string(&mut self) -> std::result::Result<String, String> {
        self.skip_ws();
        let quote = match self.s.get(self.pos) {
            Some(&q @ (b'\'' | b'"')) => q,
            _ => return Err(format!("expected a quoted string at byte {}", self.pos)),
        };
        let start = self.pos + 1;
        let len = self.s[start..]
            .iter()
            .position(|&b| b == quote)
            .ok_or("unterminated string")?;
        let body = &self.s[start..start + len];
        if body.contains(&b'\\') {
            return Err("escapes in strings are not supported".into());
        }
        self.pos = start + len + 1;
        // `text` was a &str and quotes are ASCII, so the body is whole characters.
        Ok(String::from_utf8_lossy(body).into_owned())
    }

    fn value(&mut self) -> std::result::Result<Value, String> {
        self.skip_ws();
        let rest = &self.s[self.pos..];
        if rest.starts_with(b"True") {
            self.pos += 4;
            Ok(Value::Bool(true))
        } else if rest.starts_with(b"False") {
            self.pos += 5;
            Ok(Value::Bool(false))
        } else if rest.starts_with(b"(") {
            self.tuple().map(Value::Tuple)
        } else if rest.starts_with(b"'") || rest.starts_with(b"\"") {
            self.string().map(Value::Str)
        } else {
            Err(format!(
                "unsupported value at byte {} (structured dtypes are not supported)",
                self.pos
            ))
        }
    }

    /// `()`, `(n,)`, `(n, m)`, ... of non-negative integers (an `L` suffix is allowed, as old
    /// Python 2 NumPy wrote it).
    fn tuple(&mut self) -> std::result::Result<Vec<usize>, String> {
        self.expect(b'(')?;
        let mut items = Vec::new();
        loop {
            if self.eat(b')') {
                return Ok(items);
            }
            if items.len() == 32 {
                return Err("shape has more than 32 dimensions".into());
            }
            items.push(self.integer()?);
            self.eat(b'L');
            if !self.eat(b',') {
                self.expect(b')')?;
                return Ok(items);
            }
        }
    }

    fn integer(&mut self) -> std::result::Result<usize, String> {
        self.skip_ws();
        let start = self.pos;
        while self.s.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        let digits = std::str::from_utf8(&self.s[start..self.pos]).unwrap_or("");
        if digits.is_empty() {
            return Err(format!("expected a non-negative integer at byte {start}"));
        }
        digits
            .parse()
            .map_err(|_| format!("integer {digits} is too large"))
    }
}

/// Writes `m` as `.npy` v1.0 (`<f4`, C order, shape `(rows, dim)`), atomically.
///
/// # Errors
/// [`Error::InvalidParameter`] if `m.data.len() != m.rows * m.dim` or (for a non-empty matrix)
/// the dimension is outside `1..=MAX_DIM`; [`Error::Io`] naming `path` if the file cannot be
/// written.
pub fn write_npy(path: &Path, m: &Matrix<f32>) -> Result<()> {
    check_matrix(m)?;
    let header = header_bytes(m.rows, m.dim);
    write_atomic(path, |w| {
        w.write_all(&header)?;
        let mut buf = Vec::with_capacity(4 * m.dim.clamp(1, 1 << 16));
        for chunk in m.data.chunks(1 << 16) {
            buf.clear();
            for v in chunk {
                buf.extend_from_slice(&v.to_le_bytes());
            }
            w.write_all(&buf)?;
        }
        Ok(())
    })
}

/// Magic, version 1.0, length and dict, padded so the data starts at a multiple of 64.
fn header_bytes(rows: usize, dim: usize) -> Vec<u8> {
    let dict = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {dim}), }}");
    // 10 preamble bytes + dict + padding + '\n' ≡ 0 (mod 64). The dict is well under 200 bytes
    // (two usizes of at most 20 digits), so the length fits the v1.0 u16.
    let unpadded = 10 + dict.len() + 1;
    let total = unpadded.div_ceil(64) * 64;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&((total - 10) as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.resize(total - 1, b' ');
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::super::{read_ivecs, read_vectors};
    use super::*;
    use proptest::prelude::*;

    /// An `.npy` file with the given version, dict text and data bytes (padding added).
    fn npy(major: u8, dict: &str, data: &[u8]) -> Vec<u8> {
        let pre = if major == 1 { 10 } else { 12 };
        let unpadded = pre + dict.len() + 1;
        let hlen = unpadded.div_ceil(64) * 64 - pre;
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[major, 0]);
        if major == 1 {
            out.extend_from_slice(&(hlen as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(hlen as u32).to_le_bytes());
        }
        out.extend_from_slice(dict.as_bytes());
        out.resize(pre + hlen - 1, b' ');
        out.push(b'\n');
        out.extend_from_slice(data);
        out
    }

    fn dict(descr: &str, fortran: bool, shape: &str) -> String {
        let f = if fortran { "True" } else { "False" };
        format!("{{'descr': '{descr}', 'fortran_order': {f}, 'shape': {shape}, }}")
    }

    fn le<T: Copy, const N: usize>(v: &[T], f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
        v.iter().flat_map(|&x| f(x)).collect()
    }

    fn reason<T: std::fmt::Debug>(r: Result<T>) -> String {
        match r {
            Err(Error::Format { reason, format, .. }) => {
                assert_eq!(format, "npy");
                reason
            }
            other => panic!("expected Error::Format, got {other:?}"),
        }
    }

    fn f32s(bytes: &[u8]) -> Result<Matrix<f32>> {
        parse_npy(bytes, Path::new("t.npy"))?.to_f32(Path::new("t.npy"))
    }

    fn i32s(bytes: &[u8]) -> Result<Matrix<i32>> {
        parse_npy(bytes, Path::new("t.npy"))?.to_i32(Path::new("t.npy"))
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("base.npy");
        for (rows, dim) in [(1, 1), (5, 3), (1000, 128), (3, 100_000)] {
            let data: Vec<f32> = (0..rows * dim).map(|i| (i as f32).sin()).collect();
            let m = Matrix { rows, dim, data };
            write_npy(&path, &m).unwrap();
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(bytes.len(), header_bytes(rows, dim).len() + 4 * rows * dim);
            assert_eq!(read_vectors(&path).unwrap(), m);
        }
    }

    #[test]
    fn header_is_what_numpy_writes() {
        let h = header_bytes(1000, 128);
        assert_eq!(h.len() % 64, 0);
        assert_eq!(&h[..8], b"\x93NUMPY\x01\x00");
        assert_eq!(usize::from(u16::from_le_bytes([h[8], h[9]])), h.len() - 10);
        let text = std::str::from_utf8(&h[10..]).unwrap();
        assert!(
            text.starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 128), }")
        );
        assert!(text.ends_with(" \n"));
        // np.save(f, np.zeros((1000, 128), np.float32)) writes exactly this header.
        let numpy = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 128), }";
        assert_eq!(&h[10..10 + numpy.len()], numpy.as_bytes());
        assert_eq!(h.len(), 128);
    }

    #[test]
    fn empty_matrix_writes_zero_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.npy");
        let m = Matrix {
            rows: 0,
            dim: 4,
            data: vec![],
        };
        write_npy(&path, &m).unwrap();
        assert!(reason(read_vectors(&path)).contains("no vectors"));
    }

    #[test]
    fn unwritable_path_is_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing/base.npy");
        let m = Matrix {
            rows: 1,
            dim: 1,
            data: vec![1.0],
        };
        assert!(matches!(write_npy(&path, &m), Err(Error::Io { path: p, .. }) if p == path));
    }

    #[test]
    fn versions_2_and_3_and_python2_longs() {
        let data = le(&[1.0f32, 2.0, 3.0, 4.0], f32::to_le_bytes);
        for major in [1, 2, 3] {
            let m = f32s(&npy(major, &dict("<f4", false, "(2, 2)"), &data)).unwrap();
            assert_eq!(
                (m.rows, m.dim, m.data.as_slice()),
                (2, 2, &[1.0, 2.0, 3.0, 4.0][..])
            );
        }
        let d = "{\"descr\":\"<f4\",\"fortran_order\":False,\"shape\":(2L,2L)}";
        assert_eq!(f32s(&npy(1, d, &data)).unwrap().dim, 2);
    }

    #[test]
    fn other_dtypes_convert_to_f32() {
        let f8 = le(&[1.5f64, -2.25], f64::to_le_bytes);
        assert_eq!(
            f32s(&npy(1, &dict("<f8", false, "(1, 2)"), &f8))
                .unwrap()
                .data,
            [1.5, -2.25]
        );
        let u1 = [0u8, 200, 255];
        assert_eq!(
            f32s(&npy(1, &dict("|u1", false, "(3, 1)"), &u1))
                .unwrap()
                .data,
            [0.0, 200.0, 255.0]
        );
        let i1 = [0x80u8, 0xff, 7];
        assert_eq!(
            f32s(&npy(1, &dict("|i1", false, "(1, 3)"), &i1))
                .unwrap()
                .data,
            [-128.0, -1.0, 7.0]
        );
        let i4 = le(&[1i32], i32::to_le_bytes);
        assert!(reason(f32s(&npy(1, &dict("<i4", false, "(1, 1)"), &i4)))
            .contains("cannot be read as vectors"));
    }

    #[test]
    fn ids_from_int32_and_int64() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gt.npy");
        let i4 = le(&[0i32, 5, -1, i32::MAX], i32::to_le_bytes);
        std::fs::write(&path, npy(1, &dict("<i4", false, "(2, 2)"), &i4)).unwrap();
        let m = read_ivecs(&path).unwrap();
        assert_eq!(
            (m.rows, m.dim, m.data.as_slice()),
            (2, 2, &[0, 5, -1, i32::MAX][..])
        );

        let i8 = le(&[3i64, 4, 5], i64::to_le_bytes);
        assert_eq!(
            i32s(&npy(1, &dict("<i8", false, "(3, 1)"), &i8))
                .unwrap()
                .data,
            [3, 4, 5]
        );
        let u8s = le(&[9u64], u64::to_le_bytes);
        assert_eq!(
            i32s(&npy(1, &dict("<u8", false, "(1, 1)"), &u8s))
                .unwrap()
                .data,
            [9]
        );

        let big = le(&[1i64, 2, 3, 1 << 40], i64::to_le_bytes);
        let r = reason(i32s(&npy(1, &dict("<i8", false, "(2, 2)"), &big)));
        assert!(r.contains("row 1, column 1"), "{r}");
        let f4 = le(&[1.0f32], f32::to_le_bytes);
        assert!(reason(i32s(&npy(1, &dict("<f4", false, "(1, 1)"), &f4)))
            .contains("cannot be read as ids"));
    }

    #[test]
    fn wrong_dtype() {
        for descr in ["<f2", "<c8", "<U10", "O", "<M8[s]", ">f4", ">f8", ""] {
            let r = reason(f32s(&npy(1, &dict(descr, false, "(1, 1)"), &[0; 8])));
            assert!(r.contains("dtype"), "{descr}: {r}");
        }
        assert!(
            reason(f32s(&npy(1, &dict(">f4", false, "(1, 1)"), &[0; 4]))).contains("big-endian")
        );
        let structured = "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }";
        assert!(reason(f32s(&npy(1, structured, &[0; 4]))).contains("structured"));
    }

    #[test]
    fn fortran_order_is_refused() {
        let r = reason(f32s(&npy(1, &dict("<f4", true, "(2, 2)"), &[0; 16])));
        assert!(r.contains("Fortran"), "{r}");
    }

    #[test]
    fn not_2d_is_refused() {
        for (shape, n) in [("()", 4), ("(4,)", 16), ("(2, 2, 2)", 32)] {
            let r = reason(f32s(&npy(1, &dict("<f4", false, shape), &vec![0; n])));
            assert!(r.contains("2-D"), "{shape}: {r}");
        }
    }

    #[test]
    fn zero_rows_and_bad_dims() {
        assert!(reason(f32s(&npy(1, &dict("<f4", false, "(0, 4)"), &[]))).contains("no vectors"));
        assert!(reason(f32s(&npy(1, &dict("<f4", false, "(4, 0)"), &[]))).contains("at least 1"));
        let r = reason(f32s(&npy(1, &dict("<f4", false, "(1, 2000000)"), &[])));
        assert!(r.contains("limit"), "{r}");
        let r = reason(f32s(&npy(
            1,
            &dict("<f4", false, "(18446744073709551615, 1024)"),
            &[],
        )));
        assert!(r.contains("too large"), "{r}");
        let r = reason(f32s(&npy(
            1,
            &dict("<f4", false, "(99999999999999999999999, 1)"),
            &[],
        )));
        assert!(r.contains("too large"), "{r}");
    }

    #[test]
    fn truncated_or_padded_data() {
        let d = dict("<f4", false, "(2, 3)");
        let r = reason(f32s(&npy(1, &d, &[0; 23])));
        assert!(
            r.contains("truncated data") && r.contains("needs 24 bytes, found 23"),
            "{r}"
        );
        let r = reason(f32s(&npy(1, &d, &[0; 25])));
        assert!(r.contains("trailing bytes"), "{r}");
        // A huge shape over a tiny file: refused by length, nothing allocated.
        let r = reason(f32s(&npy(
            1,
            &dict("<f4", false, "(1000000000000, 1024)"),
            &[0; 4],
        )));
        assert!(r.contains("truncated data"), "{r}");
    }

    #[test]
    fn bad_preamble() {
        assert!(reason(f32s(b"")).contains("magic"));
        assert!(reason(f32s(b"\x93NUMP")).contains("magic"));
        assert!(reason(f32s(b"\x93NUMPZ\x01\x00\x00\x00")).contains("magic"));
        let mut v = npy(1, &dict("<f4", false, "(1, 1)"), &[0; 4]);
        v[6] = 4;
        assert!(reason(f32s(&v)).contains("version 4.0"));
        assert!(reason(f32s(b"\x93NUMPY\x02\x00\x05\x00")).contains("truncated header length"));
        // Header length beyond the end of the file.
        assert!(reason(f32s(b"\x93NUMPY\x01\x00\xff\xff{}")).contains("header claims 65535 bytes"));
        let mut v = b"\x93NUMPY\x02\x00".to_vec();
        v.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(reason(f32s(&v)).contains("header claims"));
    }

    #[test]
    fn bad_header_dict() {
        for (text, why) in [
            ("", "expected '{'"),
            ("{'descr': '<f4', 'fortran_order': False}", "no 'shape'"),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1)",
                "expected '}'",
            ),
            (
                "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1, 1)}",
                "twice",
            ),
            (
                "{'descr': 4, 'fortran_order': False, 'shape': (1, 1)}",
                "unsupported value",
            ),
            (
                "{'descr': '<f4', 'fortran_order': 'no', 'shape': (1, 1)}",
                "wrong type",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (1, -1)}",
                "non-negative integer",
            ),
            (
                "{'descr': '<f4, 'fortran_order': False, 'shape': (1, 1)}",
                "expected '}'",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1)} x",
                "after the dict",
            ),
            ("{'de\\scr': '<f4'}", "escapes"),
            ("{'descr': '<f4", "unterminated"),
        ] {
            let r = reason(f32s(&npy(1, text, &[0; 4])));
            assert!(r.contains(why), "{text}: {r}");
        }
        // Not text at all.
        let mut v = npy(1, &dict("<f4", false, "(1, 1)"), &[0; 4]);
        v[12] = 0xff;
        assert!(reason(f32s(&v)).contains("not text"));
        // An extra key is skipped.
        let extra = "{'descr': '<f4', 'extra': (1,), 'fortran_order': False, 'shape': (1, 1), }";
        assert!(f32s(&npy(1, extra, &[0; 4])).is_ok());
    }

    #[test]
    fn missing_and_empty_file_through_read_vectors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("base.npy");
        assert!(matches!(read_vectors(&path), Err(Error::Io { path: ref p, .. }) if *p == path));
        std::fs::write(&path, b"").unwrap();
        assert!(
            matches!(read_vectors(&path), Err(Error::Format { path: ref p, .. }) if *p == path)
        );
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = f32s(&bytes);
            let _ = i32s(&bytes);
        }

        /// A real preamble followed by random header text and data.
        #[test]
        fn random_headers_never_panic(
            major in 1u8..4,
            text in "[{}()',: a-z_<|>0-9LTrueFalse]{0,80}",
            data in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let _ = f32s(&npy(major, &text, &data));
            let _ = i32s(&npy(major, &text, &data));
        }

        /// A valid file with one byte changed.
        #[test]
        fn mutated_files_never_panic(
            pos in 0usize..160,
            byte in any::<u8>(),
            rows in 1usize..4,
            dim in 1usize..5,
        ) {
            let mut v = npy(1, &dict("<f4", false, &format!("({rows}, {dim})")), &vec![0; rows * dim * 4]);
            let pos = pos % v.len();
            v[pos] = byte;
            if let Ok(m) = f32s(&v) {
                prop_assert_eq!(m.data.len(), m.rows * m.dim);
            }
            let _ = i32s(&v);
        }

        #[test]
        fn write_then_parse(rows in 1usize..20, dim in 1usize..40) {
            let data: Vec<f32> = (0..rows * dim).map(|i| i as f32 - 7.5).collect();
            let mut bytes = header_bytes(rows, dim);
            bytes.extend(data.iter().flat_map(|v| v.to_le_bytes()));
            let m = f32s(&bytes).unwrap();
            prop_assert_eq!(m, Matrix { rows, dim, data });
        }
    }
}
