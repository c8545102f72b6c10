//! Tests of the `.npy` reader and writer.

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
    assert!(text.starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 128), }"));
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
    assert!(
        reason(i32s(&npy(1, &dict("<f4", false, "(1, 1)"), &f4))).contains("cannot be read as ids")
    );
}

#[test]
fn wrong_dtype() {
    for descr in ["<f2", "<c8", "<U10", "O", "<M8[s]", ">f4", ">f8", ""] {
        let r = reason(f32s(&npy(1, &dict(descr, false, "(1, 1)"), &[0; 8])));
        assert!(r.contains("dtype"), "{descr}: {r}");
    }
    assert!(reason(f32s(&npy(1, &dict(">f4", false, "(1, 1)"), &[0; 4]))).contains("big-endian"));
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
    assert!(matches!(read_vectors(&path), Err(Error::Format { path: ref p, .. }) if *p == path));
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
