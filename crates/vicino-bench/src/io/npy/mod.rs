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

use super::write_atomic;
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

impl<'a> NpyArray<'a> {
    /// `(rows, dim, data, element size)`, the size given only for the types a mapped reader
    /// uses in place or widens (`<f4`: 4, `|u1`: 1).
    pub(crate) fn shape_and_data(&self) -> (usize, usize, &'a [u8], Option<usize>) {
        let size = match self.dtype {
            Dtype::F32 => Some(4),
            Dtype::U8 => Some(1),
            _ => None,
        };
        (self.rows, self.dim, self.data, size)
    }

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
/// [`Error::Invalid`] if `m.data.len() != m.rows * m.dim` or (for a non-empty matrix)
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
mod tests;
