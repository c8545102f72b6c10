//! The ANN-benchmarks `.hdf5` reader on small files written here with the same HDF5 crate:
//! values come back exactly, the `distance` attribute maps to a metric, and every malformed
//! file is refused with its own error variant, naming the dataset at fault.

use std::path::{Path, PathBuf};

use hdf5::types::{FixedAscii, VarLenUnicode};
use hdf5::{File, H5Type};
use tempfile::TempDir;
use vicino::io::{read_ann_hdf5, Matrix};
use vicino::{Error, Metric};

/// Writes dataset `name` of `shape` holding `data` (nothing is written into an empty one).
pub fn put<T: H5Type>(file: &File, name: &str, shape: &[usize], data: &[T]) {
    let ds = file
        .new_dataset::<T>()
        .shape(shape)
        .create(name)
        .expect("create dataset");
    if !data.is_empty() {
        ds.write_raw(data).expect("write dataset");
    }
}

/// Sets the file attribute `distance` as h5py writes a Python `str`: a variable-length UTF-8
/// scalar.
pub fn set_distance(file: &File, value: &str) {
    let value: VarLenUnicode = value.parse().expect("a string without NUL");
    file.new_attr::<VarLenUnicode>()
        .shape(())
        .create("distance")
        .expect("create attribute")
        .write_scalar(&value)
        .expect("write attribute");
}

/// Writes an ANN-benchmarks file: `train`, `test`, `neighbors` if given, `distance` if given.
pub fn write_ann(
    path: &Path,
    train: &Matrix<f32>,
    test: &Matrix<f32>,
    neighbors: Option<&Matrix<i32>>,
    distance: Option<&str>,
) {
    let file = File::create(path).expect("create file");
    put(&file, "train", &[train.rows, train.dim], &train.data);
    put(&file, "test", &[test.rows, test.dim], &test.data);
    if let Some(gt) = neighbors {
        put(&file, "neighbors", &[gt.rows, gt.dim], &gt.data);
    }
    if let Some(d) = distance {
        set_distance(&file, d);
    }
}

fn matrix<T>(rows: usize, dim: usize, f: impl Fn(usize) -> T) -> Matrix<T> {
    Matrix {
        rows,
        dim,
        data: (0..rows * dim).map(f).collect(),
    }
}

/// 5 x 3 train, 2 x 3 test, neighbours 2 x 4: values that differ everywhere.
fn sample() -> (Matrix<f32>, Matrix<f32>, Matrix<i32>) {
    (
        matrix(5, 3, |i| i as f32 * 0.5 - 3.0),
        matrix(2, 3, |i| 100.0 + i as f32 / 8.0),
        matrix(2, 4, |i| (i * 3 % 5) as i32),
    )
}

struct Dir(TempDir);

impl Dir {
    fn new() -> Self {
        Dir(tempfile::tempdir().expect("temp dir"))
    }

    fn at(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }

    /// A new file `name` filled by `fill`.
    fn file(&self, name: &str, fill: impl FnOnce(&File)) -> PathBuf {
        let path = self.at(name);
        let file = File::create(&path).expect("create file");
        fill(&file);
        drop(file);
        path
    }
}

#[test]
fn reads_back_what_was_written() {
    let dir = Dir::new();
    let (train, test, gt) = sample();
    let path = dir.at("full.hdf5");
    write_ann(&path, &train, &test, Some(&gt), Some("euclidean"));
    let read = read_ann_hdf5(&path).expect("a good file");
    assert_eq!(read.train, train);
    assert_eq!(read.test, test);
    assert_eq!(read.neighbors, Some(gt));
    assert_eq!(read.metric, Some(Metric::L2));
}

#[test]
fn neighbors_and_distance_are_optional() {
    let dir = Dir::new();
    let (train, test, _) = sample();
    let path = dir.at("bare.hdf5");
    write_ann(&path, &train, &test, None, None);
    let read = read_ann_hdf5(&path).expect("a file with only train and test");
    assert_eq!((read.train, read.test), (train, test));
    assert_eq!((read.neighbors, read.metric), (None, None));
}

#[test]
fn distance_names_map_to_metrics() {
    let dir = Dir::new();
    let (train, test, _) = sample();
    for (name, metric) in [
        ("euclidean", Metric::L2),
        ("angular", Metric::Cosine),
        ("Angular", Metric::Cosine),
        ("dot", Metric::InnerProduct),
        ("ip", Metric::InnerProduct),
    ] {
        let path = dir.at(&format!("{name}.hdf5"));
        write_ann(&path, &train, &test, None, Some(name));
        let read = read_ann_hdf5(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(read.metric, Some(metric), "{name}");
    }
    // h5py writes Python `bytes` as a fixed-length ASCII string.
    let path = dir.file("fixed.hdf5", |f| {
        put(f, "train", &[5, 3], &train.data);
        put(f, "test", &[2, 3], &test.data);
        let value = FixedAscii::<9>::from_ascii(b"angular").expect("ascii");
        f.new_attr::<FixedAscii<9>>()
            .shape(())
            .create("distance")
            .and_then(|a| a.write_scalar(&value))
            .expect("write attribute");
    });
    assert_eq!(read_ann_hdf5(&path).unwrap().metric, Some(Metric::Cosine));
}

#[test]
fn float64_vectors_and_wide_ids_are_converted() {
    let dir = Dir::new();
    let train: Vec<f64> = (0..15).map(|i| i as f64 * 0.25).collect();
    let test: Vec<f64> = vec![1.5, -2.0, 0.125];
    let path = dir.file("wide.hdf5", |f| {
        put(f, "train", &[5, 3], &train);
        put(f, "test", &[1, 3], &test);
        put(f, "neighbors", &[1, 3], &[4i64, 0, 2]);
    });
    let read = read_ann_hdf5(&path).expect("float64 and int64 are read");
    let narrowed: Vec<f32> = train.iter().map(|&x| x as f32).collect();
    assert_eq!(read.train.data, narrowed);
    assert_eq!(read.test.data, vec![1.5f32, -2.0, 0.125]);
    assert_eq!(read.neighbors.map(|n| n.data), Some(vec![4, 0, 2]));

    let path = dir.file("unsigned.hdf5", |f| {
        put(f, "train", &[5, 3], &train);
        put(f, "test", &[1, 3], &test);
        put(f, "neighbors", &[1, 2], &[3u32, 1]);
    });
    let read = read_ann_hdf5(&path).expect("uint32 ids are read");
    assert_eq!(read.neighbors.map(|n| n.data), Some(vec![3, 1]));
}

#[test]
fn missing_file_or_a_folder_is_io_error() {
    let dir = Dir::new();
    let folder = dir.at("folder.hdf5");
    std::fs::create_dir(&folder).expect("mkdir");
    for (path, kind) in [
        (dir.at("absent.hdf5"), std::io::ErrorKind::NotFound),
        (folder, std::io::ErrorKind::IsADirectory),
    ] {
        match read_ann_hdf5(&path) {
            Err(Error::Io { path: p, source }) => {
                assert_eq!(p, path);
                assert_eq!(source.kind(), kind);
            }
            other => panic!("expected Error::Io {kind:?}, got {other:?}"),
        }
    }
}

#[test]
fn a_file_that_is_not_hdf5_is_refused() {
    let dir = Dir::new();
    for (name, bytes) in [
        ("text.hdf5", b"train,test\n1,2\n".as_slice()),
        ("empty.hdf5", b"".as_slice()),
    ] {
        let path = dir.at(name);
        std::fs::write(&path, bytes).expect("write");
        match read_ann_hdf5(&path) {
            Err(Error::Hdf5 { path: p, reason }) => {
                assert_eq!(p, path);
                assert!(!reason.is_empty(), "{name}: the library's reason is kept");
            }
            other => panic!("{name}: expected Error::Hdf5, got {other:?}"),
        }
    }
}

#[test]
fn missing_train_or_test_is_named() {
    let dir = Dir::new();
    let (train, test, _) = sample();
    let no_test = dir.file("no_test.hdf5", |f| {
        put(f, "train", &[5, 3], &train.data);
        set_distance(f, "euclidean");
    });
    let no_train = dir.file("no_train.hdf5", |f| {
        put(f, "test", &[2, 3], &test.data);
    });
    for (path, missing) in [(no_test, "test"), (no_train, "train")] {
        match read_ann_hdf5(&path) {
            Err(e @ Error::MissingDataset { name, .. }) => {
                assert_eq!(name, missing);
                assert!(e.to_string().contains(&format!("no dataset \"{missing}\"")));
            }
            other => panic!("expected MissingDataset {missing}, got {other:?}"),
        }
    }
}

/// Expects `DatasetShape` for dataset `name`, with `shape`.
fn assert_shape_error(path: &Path, name: &str, shape: &[usize]) {
    match read_ann_hdf5(path) {
        Err(Error::DatasetShape {
            name: n, shape: s, ..
        }) => assert_eq!((n, s.as_slice()), (name, shape), "{}", path.display()),
        other => panic!("{}: expected DatasetShape, got {other:?}", path.display()),
    }
}

#[test]
fn datasets_must_be_two_dimensional_and_non_empty() {
    let dir = Dir::new();
    let (train, test, _) = sample();
    let flat_train = dir.file("flat_train.hdf5", |f| {
        put(f, "train", &[15], &train.data);
        put(f, "test", &[2, 3], &test.data);
    });
    assert_shape_error(&flat_train, "train", &[15]);

    let cube_test = dir.file("cube_test.hdf5", |f| {
        put(f, "train", &[5, 3], &train.data);
        put(f, "test", &[1, 2, 3], &test.data);
    });
    assert_shape_error(&cube_test, "test", &[1, 2, 3]);

    let scalar_test = dir.file("scalar_test.hdf5", |f| {
        put(f, "train", &[5, 3], &train.data);
        f.new_dataset::<f32>()
            .shape(())
            .create("test")
            .and_then(|d| d.write_scalar(&1.0f32))
            .expect("scalar");
    });
    assert_shape_error(&scalar_test, "test", &[]);

    let no_rows = dir.file("no_rows.hdf5", |f| {
        put::<f32>(f, "train", &[0, 3], &[]);
        put(f, "test", &[2, 3], &test.data);
    });
    assert_shape_error(&no_rows, "train", &[0, 3]);

    let flat_ids = dir.file("flat_ids.hdf5", |f| {
        put(f, "train", &[5, 3], &train.data);
        put(f, "test", &[2, 3], &test.data);
        put(f, "neighbors", &[4], &[0i32, 1, 2, 3]);
    });
    assert_shape_error(&flat_ids, "neighbors", &[4]);
}

#[test]
fn test_dimension_and_neighbor_rows_must_fit() {
    let dir = Dir::new();
    let (train, _, gt) = sample();
    let wide_test = dir.file("wide_test.hdf5", |f| {
        put(f, "train", &[5, 3], &train.data);
        put(f, "test", &[2, 4], &[0.0f32; 8]);
    });
    assert_shape_error(&wide_test, "test", &[2, 4]);
    let message = read_ann_hdf5(&wide_test).unwrap_err().to_string();
    assert!(
        message.contains("dimension 4") && message.contains("dimension 3"),
        "{message}"
    );

    let short_gt = dir.file("short_gt.hdf5", |f| {
        put(f, "train", &[5, 3], &train.data);
        put(f, "test", &[3, 3], &[0.5f32; 9]);
        put(f, "neighbors", &[2, 4], &gt.data);
    });
    assert_shape_error(&short_gt, "neighbors", &[2, 4]);
}

#[test]
fn wrong_element_types_are_refused() {
    let dir = Dir::new();
    let (train, test, _) = sample();
    let int_train = dir.file("int_train.hdf5", |f| {
        put(f, "train", &[5, 3], &[7i32; 15]);
        put(f, "test", &[2, 3], &test.data);
    });
    let float_ids = dir.file("float_ids.hdf5", |f| {
        put(f, "train", &[5, 3], &train.data);
        put(f, "test", &[2, 3], &test.data);
        put(f, "neighbors", &[2, 1], &[0.0f32, 1.0]);
    });
    let int_distance = dir.file("int_distance.hdf5", |f| {
        put(f, "train", &[5, 3], &train.data);
        put(f, "test", &[2, 3], &test.data);
        f.new_attr::<i32>()
            .shape(())
            .create("distance")
            .and_then(|a| a.write_scalar(&2i32))
            .expect("attribute");
    });
    for (path, name, found) in [
        (int_train, "train", "int32"),
        (float_ids, "neighbors", "float32"),
        (int_distance, "distance", "int32"),
    ] {
        match read_ann_hdf5(&path) {
            Err(Error::DatasetType {
                name: n, found: t, ..
            }) => assert_eq!((n, t.as_str()), (name, found)),
            other => panic!("{name}: expected DatasetType, got {other:?}"),
        }
    }
}

#[test]
fn unknown_distance_is_refused() {
    let dir = Dir::new();
    let (train, test, _) = sample();
    let path = dir.at("hamming.hdf5");
    write_ann(&path, &train, &test, None, Some("hamming"));
    match read_ann_hdf5(&path) {
        Err(Error::UnknownDistance { path: p, value }) => {
            assert_eq!((p, value.as_str()), (path, "hamming"));
        }
        other => panic!("expected UnknownDistance, got {other:?}"),
    }
}

#[test]
fn ids_past_the_train_rows_are_refused() {
    let dir = Dir::new();
    let (train, test, _) = sample();
    // Row 1 holds id 5 with 5 train rows; -1 in row 0 is padding and passes.
    let gt = Matrix {
        rows: 2,
        dim: 2,
        data: vec![-1, 4, 0, 5],
    };
    let path = dir.at("past.hdf5");
    write_ann(&path, &train, &test, Some(&gt), None);
    match read_ann_hdf5(&path) {
        Err(e @ Error::Format { .. }) => {
            let message = e.to_string();
            assert!(
                message.contains("row 1 holds id 5") && message.contains("5 rows"),
                "{message}"
            );
        }
        other => panic!("expected Error::Format, got {other:?}"),
    }
}
