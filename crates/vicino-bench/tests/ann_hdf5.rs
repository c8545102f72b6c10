//! Tests of `io::hdf5::read_ann_hdf5` against the h5py-written fixtures in
//! tests/data/ (made by tests/make_hdf5_fixtures.py).
//!
//! The fixtures' values come from a seeded splitmix64 stream that
//! `splitmix_values` below re-implements, so the expected train/test vectors
//! and exact neighbours are recomputed here rather than stored.

use std::path::{Path, PathBuf};

use vicino::Metric;
use vicino_bench::io::{read_ann_hdf5, AnnDataset, Matrix};
use vicino_bench::Error;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(name)
}

/// Same stream as `splitmix_values` in make_hdf5_fixtures.py.
fn splitmix_values(seed: u64, count: usize) -> Vec<f32> {
    let mut state = seed;
    (0..count)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            let v = i32::try_from((z >> 40) % 2001).expect("< 2001") - 1000;
            // Exact: a multiple of 1/64 with at most 10 significant bits.
            v as f32 / 64.0
        })
        .collect()
}

fn vectors(seed: u64, rows: usize, dim: usize) -> Matrix<f32> {
    Matrix {
        rows,
        dim,
        data: splitmix_values(seed, rows * dim),
    }
}

/// Exact L2 neighbours, ties broken by the lower id (numpy's stable argsort).
fn exact_knn(train: &Matrix<f32>, test: &Matrix<f32>, k: usize) -> Matrix<i32> {
    let mut data = Vec::new();
    for q in test.data.chunks(test.dim) {
        let mut d: Vec<(f64, usize)> = train
            .data
            .chunks(train.dim)
            .enumerate()
            .map(|(i, t)| {
                let s: f64 = q
                    .iter()
                    .zip(t)
                    .map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2))
                    .sum();
                (s, i)
            })
            .collect();
        d.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        data.extend(
            d[..k]
                .iter()
                .map(|&(_, i)| i32::try_from(i).expect("small")),
        );
    }
    Matrix {
        rows: test.rows,
        dim: k,
        data,
    }
}

/// Expected contents for the fixtures' two shapes.
fn expected(
    rows: usize,
    queries: usize,
    dim: usize,
    k: usize,
) -> (Matrix<f32>, Matrix<f32>, Matrix<i32>) {
    let train = vectors(1, rows, dim);
    let test = vectors(2, queries, dim);
    let ids = exact_knn(&train, &test, k);
    (train, test, ids)
}

fn full() -> (Matrix<f32>, Matrix<f32>, Matrix<i32>) {
    expected(50, 5, 8, 10)
}

fn small() -> (Matrix<f32>, Matrix<f32>, Matrix<i32>) {
    expected(12, 3, 4, 3)
}

fn read(name: &str) -> AnnDataset {
    match read_ann_hdf5(&fixture(name)) {
        Ok(ds) => ds,
        Err(e) => panic!("{name}: {e}"),
    }
}

fn read_err(name: &str) -> Error {
    match read_ann_hdf5(&fixture(name)) {
        Ok(ds) => panic!("{name}: expected an error, read {ds:?}"),
        Err(e) => e,
    }
}

fn assert_contents(ds: &AnnDataset, want: &(Matrix<f32>, Matrix<f32>, Matrix<i32>)) {
    assert_eq!(ds.train, want.0);
    assert_eq!(ds.test, want.1);
    assert_eq!(ds.neighbors.as_ref(), Some(&want.2));
}

/// A fresh temp folder for this test, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("vicino-hdf5-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------- valid files

#[test]
fn reads_ann_benchmarks_file() {
    let ds = read("ann-tiny.hdf5");
    assert_contents(&ds, &full());
    assert!(matches!(ds.metric, Some(Metric::L2)));
    assert_eq!((ds.train.rows, ds.train.dim), (50, 8));
    assert_eq!((ds.test.rows, ds.test.dim), (5, 8));
}

#[test]
fn reads_float64_train_and_int32_ids_angular() {
    let ds = read("ann-angular-f64.hdf5");
    assert_contents(&ds, &small());
    assert!(matches!(ds.metric, Some(Metric::Cosine)));
}

#[test]
fn reads_fixed_length_bytes_distance() {
    let ds = read("ann-fixed-bytes.hdf5");
    assert_contents(&ds, &small());
    assert!(matches!(ds.metric, Some(Metric::InnerProduct)));
}

#[test]
fn reads_chunked_gzip_shuffle_with_uint32_ids() {
    let ds = read("ann-chunked-gzip.hdf5");
    assert_contents(&ds, &full());
    assert!(matches!(ds.metric, Some(Metric::InnerProduct)));
}

#[test]
fn reads_two_level_chunk_btree() {
    let ds = read("ann-chunked-deep.hdf5");
    assert_contents(&ds, &full());
    assert!(matches!(ds.metric, Some(Metric::L2)));
}

#[test]
fn reads_latest_format_chunked() {
    let ds = read("ann-latest-chunked.hdf5");
    assert_contents(&ds, &full());
    assert!(matches!(ds.metric, Some(Metric::Cosine)));
}

#[test]
fn reads_latest_format_gzip() {
    let ds = read("ann-latest-gzip.hdf5");
    assert_contents(&ds, &small());
    assert!(matches!(ds.metric, Some(Metric::L2)));
}

#[test]
fn neighbors_and_distance_are_optional() {
    let ds = read("ann-no-neighbors.hdf5");
    let (train, test, _) = small();
    assert_eq!(ds.train, train);
    assert_eq!(ds.test, test);
    assert!(ds.neighbors.is_none());
    assert!(ds.metric.is_none());
}

#[test]
fn negative_ids_are_padding() {
    let ds = read("ann-padded-ids.hdf5");
    let (_, _, mut ids) = small();
    for row in ids.data.chunks_mut(ids.dim) {
        if let Some(last) = row.last_mut() {
            *last = -1;
        }
    }
    assert_eq!(ds.neighbors, Some(ids));
}

// ---------------------------------------------------------------- errors

#[test]
fn missing_file_is_io_error() {
    let err = read_err("no-such-file.hdf5");
    match err {
        Error::Io { source, .. } => assert_eq!(source.kind(), std::io::ErrorKind::NotFound),
        other => panic!("expected Io, got {other:?}"),
    }
}

#[test]
fn folder_is_io_error() {
    let dir = TempDir::new("folder");
    match read_ann_hdf5(&dir.0) {
        Err(Error::Io { source, .. }) => {
            assert_eq!(source.kind(), std::io::ErrorKind::IsADirectory);
        }
        other => panic!("expected Io(IsADirectory), got {other:?}"),
    }
}

#[test]
fn non_hdf5_file_is_hdf5_error() {
    let dir = TempDir::new("nonhdf5");
    for (name, bytes) in [
        ("text.hdf5", b"this is not an HDF5 file at all\n".repeat(40)),
        ("empty.hdf5", Vec::new()),
        ("magic-only.hdf5", b"\x89HDF\r\n\x1a\n".to_vec()),
    ] {
        let path = dir.0.join(name);
        std::fs::write(&path, bytes).expect("write");
        match read_ann_hdf5(&path) {
            Err(Error::Hdf5 { .. }) => {}
            other => panic!("{name}: expected Hdf5, got {other:?}"),
        }
    }
}

#[test]
fn missing_test_dataset() {
    match read_err("bad-missing-test.hdf5") {
        Error::MissingDataset { name, .. } => assert_eq!(name, "test"),
        other => panic!("expected MissingDataset, got {other:?}"),
    }
}

#[test]
fn one_dimensional_train() {
    match read_err("bad-1d-train.hdf5") {
        Error::DatasetShape { name, shape, .. } => {
            assert_eq!(name, "train");
            assert_eq!(shape, vec![48]);
        }
        other => panic!("expected DatasetShape, got {other:?}"),
    }
}

#[test]
fn empty_train() {
    match read_err("bad-empty-train.hdf5") {
        Error::DatasetShape { name, shape, .. } => {
            assert_eq!(name, "train");
            assert_eq!(shape, vec![0, 4]);
        }
        other => panic!("expected DatasetShape, got {other:?}"),
    }
}

#[test]
fn test_dimension_mismatch() {
    match read_err("bad-test-dim.hdf5") {
        Error::DatasetShape { name, shape, .. } => {
            assert_eq!(name, "test");
            assert_eq!(shape, vec![3, 3]);
        }
        other => panic!("expected DatasetShape, got {other:?}"),
    }
}

#[test]
fn neighbors_row_mismatch() {
    match read_err("bad-neighbors-rows.hdf5") {
        Error::DatasetShape { name, shape, .. } => {
            assert_eq!(name, "neighbors");
            assert_eq!(shape, vec![2, 3]);
        }
        other => panic!("expected DatasetShape, got {other:?}"),
    }
}

#[test]
fn integer_vectors_are_refused() {
    match read_err("bad-int-vectors.hdf5") {
        Error::DatasetType { name, found, .. } => {
            assert_eq!(name, "train");
            assert_eq!(found, "int32");
        }
        other => panic!("expected DatasetType, got {other:?}"),
    }
}

#[test]
fn float_ids_are_refused() {
    match read_err("bad-float-ids.hdf5") {
        Error::DatasetType { name, found, .. } => {
            assert_eq!(name, "neighbors");
            assert_eq!(found, "float32");
        }
        other => panic!("expected DatasetType, got {other:?}"),
    }
}

#[test]
fn non_string_distance_is_refused() {
    match read_err("bad-int-distance.hdf5") {
        Error::DatasetType { name, .. } => assert_eq!(name, "distance"),
        other => panic!("expected DatasetType, got {other:?}"),
    }
}

#[test]
fn unknown_distance_is_checked_before_vectors() {
    // This file also has int32 train vectors: the metric error must win.
    match read_err("bad-unknown-distance.hdf5") {
        Error::UnknownDistance { value, .. } => assert_eq!(value, "hamming"),
        other => panic!("expected UnknownDistance, got {other:?}"),
    }
}

#[test]
fn id_past_train_rows() {
    match read_err("bad-id-past-train.hdf5") {
        Error::Format { reason, .. } => assert!(reason.contains("= 12"), "{reason}"),
        other => panic!("expected Format, got {other:?}"),
    }
}

#[test]
fn id_out_of_i32_range() {
    match read_err("bad-id-overflow.hdf5") {
        Error::Format { reason, .. } => {
            assert!(reason.contains(&i64::MAX.to_string()), "{reason}");
        }
        other => panic!("expected Format, got {other:?}"),
    }
}

// ---------------------------------------------------------------- robustness

/// Every prefix of a fixture (all short ones, then a stride) must give an
/// error, never a panic or a read.
#[test]
fn truncated_files_are_errors() {
    let dir = TempDir::new("truncated");
    for name in [
        "ann-tiny.hdf5",
        "ann-chunked-gzip.hdf5",
        "ann-latest-chunked.hdf5",
    ] {
        let bytes = std::fs::read(fixture(name)).expect("fixture");
        let path = dir.0.join(name);
        let lengths = (0..bytes.len().min(1024)).chain((1024..bytes.len()).step_by(37));
        for len in lengths.chain([bytes.len() - 1]) {
            std::fs::write(&path, &bytes[..len]).expect("write");
            match read_ann_hdf5(&path) {
                Err(Error::Io { .. }) => panic!("{name} cut at {len}: unexpected Io error"),
                Err(_) => {}
                Ok(_) => panic!("{name} cut at {len} of {} bytes was read", bytes.len()),
            }
        }
    }
}

/// xorshift64*, for reproducible corruption without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n).expect("fits")).expect("fits")
    }
}

/// Random byte corruption must give Ok or Err, never a panic (or an abort
/// from a huge allocation).
#[test]
fn corrupted_files_do_not_panic() {
    let dir = TempDir::new("corrupt");
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut outcomes = [0usize; 2];
    for name in [
        "ann-tiny.hdf5",
        "ann-chunked-gzip.hdf5",
        "ann-latest-chunked.hdf5",
    ] {
        let bytes = std::fs::read(fixture(name)).expect("fixture");
        let path = dir.0.join(name);
        for round in 0..400 {
            let mut b = bytes.clone();
            let flips = 1 + rng.below(8);
            for _ in 0..flips {
                let i = rng.below(b.len());
                if round % 2 == 0 {
                    b[i] ^= 1 << rng.below(8); // one bit
                } else {
                    b[i] = u8::try_from(rng.below(256)).expect("byte"); // whole byte
                }
            }
            std::fs::write(&path, &b).expect("write");
            let outcome = read_ann_hdf5(&path);
            if let Err(Error::Io { .. }) = outcome {
                panic!("{name}: unexpected Io error for a readable file");
            }
            outcomes[usize::from(outcome.is_ok())] += 1;
        }
    }
    // Most single-field corruptions land in raw data and still read fine.
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
}
