//! Reader for ANN-benchmarks `.hdf5` files, in pure Rust (no libhdf5).
//!
//! ```text
//!  ann-benchmarks file (as h5py writes it)
//!  /                        root group
//!  |-- @distance            attribute, string: "euclidean" | "angular" | "dot" | "ip"
//!  |                        (also "l2", "cosine"); variable-length UTF-8 or fixed ASCII
//!  |-- train      n x d     float32 (or float64)  base vectors          -> AnnDataset::train
//!  |-- test       q x d     float32 (or float64)  query vectors         -> AnnDataset::test
//!  |-- neighbors  q x K     any integer type      true neighbour ids    -> AnnDataset::neighbors
//!  |                        (negative = padding; every other id < n)
//!  `-- distances  q x K     float32               (not read)
//!
//!  storage: contiguous, compact, or chunked (deflate/gzip, shuffle, fletcher32, ...);
//!  superblock v0-v3, object headers v1/v2, symbol-table and link-message groups.
//! ```
//!
//! Parsing is done by the [`hdf5_reader`] crate (pure Rust). This module adds
//! the ANN-benchmarks rules on top and keeps a corrupt file from making it
//! allocate much more than the file could hold: a dataset's decoded size is
//! checked against the file size (times the largest deflate ratio for chunked
//! data) before any buffer is allocated.
//!
//! Metric names: `euclidean`/`l2` -> [`Metric::L2`], `angular`/`cosine` ->
//! [`Metric::Cosine`], `dot`/`ip` -> [`Metric::InnerProduct`] (case-insensitive).
//! An unknown name is refused before any vector is read.

use std::path::{Path, PathBuf};

use hdf5_reader::{
    Dataset, Datatype, Hdf5File, OpenOptions, SliceInfo, SliceInfoElem, StringSize, VarLenKind,
};
use vicino::Metric;

use crate::error::{Error, Result};
use crate::io::{Matrix, MAX_DIM};

/// Name used in [`Error::Format`] for this file kind.
const FORMAT: &str = "ANN-benchmarks HDF5";

/// Deflate cannot expand data by more than about 1032:1, so a chunked
/// dataset cannot decode to more than this many times the file's size.
const MAX_EXPANSION: u64 = 1032;

/// Rows are read in blocks of about this many decoded bytes.
const BLOCK_BYTES: usize = 16 << 20;

/// An ANN-benchmarks data set.
#[derive(Debug, Clone, PartialEq)]
pub struct AnnDataset {
    /// Base vectors (`/train`), narrowed to `f32`.
    pub train: Matrix<f32>,
    /// Query vectors (`/test`), same dimension as `train`.
    pub test: Matrix<f32>,
    /// True neighbour ids (`/neighbors`), one row per query; negative ids are
    /// padding. `None` when the file has no `/neighbors`.
    pub neighbors: Option<Matrix<i32>>,
    /// Metric named by the root attribute `distance`; `None` without one.
    pub metric: Option<Metric>,
}

/// Read an ANN-benchmarks `.hdf5` file (see the module doc for the layout).
///
/// Errors: [`Error::Io`] when the file cannot be opened (a folder gives
/// `IsADirectory`); [`Error::Hdf5`] when it is not HDF5 or cannot be decoded;
/// [`Error::MissingDataset`] without `train` or `test`;
/// [`Error::DatasetShape`] for a dataset that is not 2-D, is empty, is wider
/// than [`MAX_DIM`], or whose shape does not match the others;
/// [`Error::DatasetType`] for non-float vectors, non-integer ids, or a
/// non-string `distance`; [`Error::UnknownDistance`]; [`Error::Format`] for an
/// id past the last train row or out of `i32` range.
pub fn read_ann_hdf5(path: &Path) -> Result<AnnDataset> {
    let file_len = super::check_regular(path)?.len();
    let reader = Reader {
        path,
        file_len,
        file: open(path, file_len)?,
    };

    // Metric first: an unsupported one is refused before reading vectors.
    let metric = reader.metric()?;

    let train = reader.dataset("train")?;
    let test = reader.dataset("test")?;
    let neighbors = reader.optional_dataset("neighbors")?;

    // Check every shape and type before reading (and allocating) anything.
    let (train_rows, dim) = reader.matrix_shape("train", &train)?;
    let (test_rows, test_dim) = reader.matrix_shape("test", &test)?;
    if test_dim != dim {
        return Err(Error::DatasetShape {
            path: path.to_path_buf(),
            name: "test",
            shape: vec![test_rows, test_dim],
            reason: format!("its dimension differs from train's ({dim})"),
        });
    }
    let train_kind = reader.float_kind("train", &train)?;
    let test_kind = reader.float_kind("test", &test)?;
    let ids_shape = match &neighbors {
        Some(ds) => {
            let (rows, k) = reader.matrix_shape("neighbors", ds)?;
            if rows != test_rows {
                return Err(Error::DatasetShape {
                    path: path.to_path_buf(),
                    name: "neighbors",
                    shape: vec![rows, k],
                    reason: format!("it has {rows} rows but test has {test_rows} queries"),
                });
            }
            Some((rows, k, reader.int_kind("neighbors", ds)?))
        }
        None => None,
    };

    let train = reader.read_floats("train", &train, train_rows, dim, train_kind)?;
    let test = reader.read_floats("test", &test, test_rows, dim, test_kind)?;
    let neighbors = match (neighbors, ids_shape) {
        (Some(ds), Some((rows, k, kind))) => Some(reader.read_ids(&ds, rows, k, kind, train_rows)?),
        _ => None,
    };
    Ok(AnnDataset {
        train,
        test,
        neighbors,
        metric,
    })
}

/// Open `path` with allocation limits derived from the file size.
fn open(path: &Path, file_len: u64) -> Result<Hdf5File> {
    let budget = usize::try_from(file_len.saturating_mul(MAX_EXPANSION)).unwrap_or(usize::MAX);
    let header_cap = usize::try_from(file_len).unwrap_or(usize::MAX);
    // Blocks are read whole chunks at a time, so no chunk needs caching.
    let options = OpenOptions::default()
        .with_chunk_cache_bytes(0)
        .with_max_read_bytes(budget)
        .with_max_chunk_bytes(budget.min(hdf5_reader::DEFAULT_MAX_CHUNK_BYTES))
        .with_max_object_header_bytes(header_cap.min(hdf5_reader::DEFAULT_MAX_OBJECT_HEADER_BYTES));
    let file = Hdf5File::open_with_options(path, options).map_err(|e| match e {
        hdf5_reader::error::Error::Io(source) => Error::io(path, source),
        other => hdf5_error(path, "cannot open file", &other),
    })?;
    // Like libhdf5, refuse a file shorter than its superblock says, even when
    // the bytes cut off belong to something this reader would not read.
    let sb = file.superblock();
    let end = sb.base_address.saturating_add(sb.eof_address);
    if end > file_len {
        return Err(Error::Hdf5 {
            path: path.to_path_buf(),
            reason: format!(
                "truncated file: the superblock says {end} bytes, the file has {file_len}"
            ),
        });
    }
    Ok(file)
}

fn hdf5_error(path: &Path, what: &str, e: &hdf5_reader::error::Error) -> Error {
    Error::Hdf5 {
        path: path.to_path_buf(),
        reason: format!("{what}: {e}"),
    }
}

/// Element type of a float dataset.
#[derive(Clone, Copy)]
enum FloatKind {
    F32,
    F64,
}

/// Element type of an integer dataset.
#[derive(Clone, Copy)]
enum IntKind {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
}

impl IntKind {
    fn size(self) -> u64 {
        match self {
            IntKind::I8 | IntKind::U8 => 1,
            IntKind::I16 | IntKind::U16 => 2,
            IntKind::I32 | IntKind::U32 => 4,
            IntKind::I64 | IntKind::U64 => 8,
        }
    }
}

struct Reader<'a> {
    path: &'a Path,
    file_len: u64,
    file: Hdf5File,
}

impl Reader<'_> {
    fn path_buf(&self) -> PathBuf {
        self.path.to_path_buf()
    }

    fn hdf5(&self, what: &str, e: &hdf5_reader::error::Error) -> Error {
        hdf5_error(self.path, what, e)
    }

    fn hdf5_reason(&self, reason: String) -> Error {
        Error::Hdf5 {
            path: self.path_buf(),
            reason,
        }
    }

    /// The root attribute `distance`, parsed; `None` when absent.
    fn metric(&self) -> Result<Option<Metric>> {
        let root = self
            .file
            .root_group()
            .map_err(|e| self.hdf5("cannot read the root group", &e))?;
        let attrs = root
            .attributes()
            .map_err(|e| self.hdf5("cannot read the root group's attributes", &e))?;
        let Some(attr) = attrs.into_iter().find(|a| a.name == "distance") else {
            return Ok(None);
        };
        let is_string = match &attr.datatype {
            Datatype::String { .. } => true,
            Datatype::VarLen { kind, .. } => matches!(kind, VarLenKind::String),
            _ => false,
        };
        if !is_string {
            return Err(Error::DatasetType {
                path: self.path_buf(),
                name: "distance",
                found: describe(&attr.datatype),
                expected: "a string",
            });
        }
        let value = attr
            .read_string()
            .map_err(|e| self.hdf5("cannot read the \"distance\" attribute", &e))?;
        parse_metric(&value)
            .map(Some)
            .ok_or_else(|| Error::UnknownDistance {
                path: self.path_buf(),
                value,
            })
    }

    /// Names of the datasets directly under the root group.
    fn root_datasets(&self) -> Result<Vec<String>> {
        let root = self
            .file
            .root_group()
            .map_err(|e| self.hdf5("cannot read the root group", &e))?;
        let (_, datasets) = root
            .member_names()
            .map_err(|e| self.hdf5("cannot list the root group", &e))?;
        Ok(datasets)
    }

    fn optional_dataset(&self, name: &'static str) -> Result<Option<Dataset>> {
        if !self.root_datasets()?.iter().any(|n| n == name) {
            return Ok(None);
        }
        self.file
            .dataset(name)
            .map(Some)
            .map_err(|e| self.hdf5(&format!("cannot open dataset {name:?}"), &e))
    }

    fn dataset(&self, name: &'static str) -> Result<Dataset> {
        self.optional_dataset(name)?
            .ok_or_else(|| Error::MissingDataset {
                path: self.path_buf(),
                name,
            })
    }

    /// `(rows, columns)` of a non-empty 2-D dataset no wider than [`MAX_DIM`].
    fn matrix_shape(&self, name: &'static str, ds: &Dataset) -> Result<(usize, usize)> {
        let raw = ds.shape();
        let shape: Vec<usize> = raw
            .iter()
            .map(|&d| usize::try_from(d).unwrap_or(usize::MAX))
            .collect();
        let bad = |reason: &str| Error::DatasetShape {
            path: self.path_buf(),
            name,
            shape: shape.clone(),
            reason: reason.to_string(),
        };
        let &[rows, cols] = shape.as_slice() else {
            return Err(bad("expected a 2-D dataset"));
        };
        if rows == 0 || cols == 0 {
            return Err(bad("it is empty"));
        }
        if cols > MAX_DIM {
            return Err(bad(&format!("rows wider than {MAX_DIM} are refused")));
        }
        Ok((rows, cols))
    }

    fn float_kind(&self, name: &'static str, ds: &Dataset) -> Result<FloatKind> {
        match ds.dtype() {
            Datatype::FloatingPoint { size: 4, .. } => Ok(FloatKind::F32),
            Datatype::FloatingPoint { size: 8, .. } => Ok(FloatKind::F64),
            other => Err(Error::DatasetType {
                path: self.path_buf(),
                name,
                found: describe(other),
                expected: "float32 or float64 vectors",
            }),
        }
    }

    fn int_kind(&self, name: &'static str, ds: &Dataset) -> Result<IntKind> {
        let kind = match ds.dtype() {
            Datatype::FixedPoint { size, signed, .. } => match (size, signed) {
                (1, true) => Some(IntKind::I8),
                (1, false) => Some(IntKind::U8),
                (2, true) => Some(IntKind::I16),
                (2, false) => Some(IntKind::U16),
                (4, true) => Some(IntKind::I32),
                (4, false) => Some(IntKind::U32),
                (8, true) => Some(IntKind::I64),
                (8, false) => Some(IntKind::U64),
                _ => None,
            },
            _ => None,
        };
        kind.ok_or_else(|| Error::DatasetType {
            path: self.path_buf(),
            name,
            found: describe(ds.dtype()),
            expected: "integer ids",
        })
    }

    /// Element count of a `rows x cols` dataset, after checking that its
    /// decoded size fits what a file of this size can hold.
    fn checked_len(
        &self,
        name: &'static str,
        ds: &Dataset,
        rows: usize,
        cols: usize,
        elem_size: u64,
    ) -> Result<usize> {
        let too_big = |reason: String| Error::DatasetShape {
            path: self.path_buf(),
            name,
            shape: vec![rows, cols],
            reason,
        };
        let len = rows
            .checked_mul(cols)
            .ok_or_else(|| too_big("its element count overflows".to_string()))?;
        let bytes = u64::try_from(len)
            .ok()
            .and_then(|n| n.checked_mul(elem_size))
            .ok_or_else(|| too_big("its size overflows".to_string()))?;
        let cap = if ds.chunks().is_some() {
            self.file_len.saturating_mul(MAX_EXPANSION)
        } else {
            self.file_len
        };
        if bytes > cap {
            return Err(too_big(format!(
                "its {bytes} bytes cannot be stored in a {} byte file",
                self.file_len
            )));
        }
        Ok(len)
    }

    /// Read a `rows x cols` dataset of `T` in blocks of rows, converting
    /// each element with `convert` into `out` (which must be empty, with
    /// capacity reserved). Reading in blocks keeps the extra memory to one
    /// block, whatever the stored type.
    fn read_blocks<T: hdf5_reader::H5Type + Copy, U>(
        &self,
        name: &'static str,
        ds: &Dataset,
        (rows, cols): (usize, usize),
        out: &mut Vec<U>,
        mut convert: impl FnMut(usize, T) -> Result<U>,
    ) -> Result<()> {
        let row_bytes = cols.saturating_mul(std::mem::size_of::<T>()).max(1);
        let mut block = (BLOCK_BYTES / row_bytes).max(1);
        if let Some(chunk_rows) = ds.chunks().and_then(|c| c.first().copied()) {
            // Whole chunks per block, so no chunk is decoded twice.
            let chunk_rows = usize::try_from(chunk_rows).unwrap_or(1).max(1);
            block = block.div_ceil(chunk_rows).saturating_mul(chunk_rows);
        }
        let mut start = 0usize;
        while start < rows {
            let end = start.saturating_add(block).min(rows);
            let selection = SliceInfo {
                selections: vec![
                    SliceInfoElem::Slice {
                        start: start as u64,
                        end: end as u64,
                        step: 1,
                    },
                    SliceInfoElem::Slice {
                        start: 0,
                        end: cols as u64,
                        step: 1,
                    },
                ],
            };
            let values = ds
                .read_slice::<T>(&selection)
                .map_err(|e| self.hdf5(&format!("cannot read dataset {name:?}"), &e))?;
            if values.len() != (end - start).saturating_mul(cols) {
                return Err(self.hdf5_reason(format!(
                    "dataset {name:?}: rows {start}..{end} gave {} values",
                    values.len()
                )));
            }
            match values.as_slice() {
                Some(slice) => {
                    for &value in slice {
                        let index = out.len();
                        out.push(convert(index, value)?);
                    }
                }
                // Not in standard layout: `iter` still walks it row-major.
                None => {
                    for &value in &values {
                        let index = out.len();
                        out.push(convert(index, value)?);
                    }
                }
            }
            start = end;
        }
        Ok(())
    }

    fn read_floats(
        &self,
        name: &'static str,
        ds: &Dataset,
        rows: usize,
        dim: usize,
        kind: FloatKind,
    ) -> Result<Matrix<f32>> {
        let shape = (rows, dim);
        let mut data = Vec::new();
        match kind {
            FloatKind::F32 => {
                data.reserve_exact(self.checked_len(name, ds, rows, dim, 4)?);
                self.read_blocks(name, ds, shape, &mut data, |_, x: f32| Ok(x))?;
            }
            FloatKind::F64 => {
                data.reserve_exact(self.checked_len(name, ds, rows, dim, 8)?);
                // Narrowing is the documented behaviour for float64 files.
                #[allow(clippy::cast_possible_truncation)]
                self.read_blocks(name, ds, shape, &mut data, |_, x: f64| Ok(x as f32))?;
            }
        }
        Ok(Matrix { rows, dim, data })
    }

    /// Read ids stored as `T` into `out`, checked and converted to `i32`
    /// (through `i128`, which holds every integer type exactly).
    fn ids_into<T: hdf5_reader::H5Type + Copy + Into<i128>>(
        &self,
        ds: &Dataset,
        shape: (usize, usize),
        train_rows: usize,
        out: &mut Vec<i32>,
    ) -> Result<()> {
        self.read_blocks("neighbors", ds, shape, out, |i, v: T| {
            self.id_to_i32(i, shape.1, v.into(), train_rows)
        })
    }

    /// Id `id` at flat index `i` of a `? x k` neighbors matrix, as `i32`:
    /// negative ids are padding (below `i32::MIN` they become -1), the
    /// others must be train rows.
    fn id_to_i32(&self, i: usize, k: usize, id: i128, train_rows: usize) -> Result<i32> {
        if id < 0 {
            return Ok(i32::try_from(id).unwrap_or(-1));
        }
        let is_row = usize::try_from(id).is_ok_and(|u| u < train_rows);
        match i32::try_from(id) {
            Ok(v) if is_row => Ok(v),
            _ => {
                Err(Error::format(
                    self.path,
                    FORMAT,
                    format!(
                    "neighbors[{}][{}] = {id} is not a train row (train has {train_rows} rows{})",
                    i / k.max(1),
                    i % k.max(1),
                    if is_row { ", and ids must fit in i32" } else { "" }
                ),
                ))
            }
        }
    }

    fn read_ids(
        &self,
        ds: &Dataset,
        rows: usize,
        k: usize,
        kind: IntKind,
        train_rows: usize,
    ) -> Result<Matrix<i32>> {
        const NAME: &str = "neighbors";
        let len = self.checked_len(NAME, ds, rows, k, kind.size())?;
        let mut data = Vec::with_capacity(len);
        let shape = (rows, k);
        match kind {
            IntKind::I8 => self.ids_into::<i8>(ds, shape, train_rows, &mut data),
            IntKind::U8 => self.ids_into::<u8>(ds, shape, train_rows, &mut data),
            IntKind::I16 => self.ids_into::<i16>(ds, shape, train_rows, &mut data),
            IntKind::U16 => self.ids_into::<u16>(ds, shape, train_rows, &mut data),
            IntKind::I32 => self.ids_into::<i32>(ds, shape, train_rows, &mut data),
            IntKind::U32 => self.ids_into::<u32>(ds, shape, train_rows, &mut data),
            IntKind::I64 => self.ids_into::<i64>(ds, shape, train_rows, &mut data),
            IntKind::U64 => self.ids_into::<u64>(ds, shape, train_rows, &mut data),
        }?;
        Ok(Matrix { rows, dim: k, data })
    }
}

/// Metric for an ANN-benchmarks `distance` name (case-insensitive).
fn parse_metric(value: &str) -> Option<Metric> {
    match value.trim().to_ascii_lowercase().as_str() {
        "euclidean" | "l2" => Some(Metric::L2),
        "angular" | "cosine" => Some(Metric::Cosine),
        "dot" | "ip" => Some(Metric::InnerProduct),
        _ => None,
    }
}

/// Short human name of an HDF5 datatype, for [`Error::DatasetType`].
fn describe(dt: &Datatype) -> String {
    match dt {
        Datatype::FixedPoint { size, signed, .. } => {
            format!(
                "{}int{}",
                if *signed { "" } else { "u" },
                u32::from(*size) * 8
            )
        }
        Datatype::FloatingPoint { size, .. } => format!("float{}", u32::from(*size) * 8),
        Datatype::String {
            size: StringSize::Fixed(n),
            ..
        } => format!("a fixed-length string ({n} bytes)"),
        Datatype::String { .. } => "a variable-length string".to_string(),
        Datatype::VarLen {
            kind: VarLenKind::String,
            ..
        } => "a variable-length string".to_string(),
        Datatype::VarLen { .. } => "a variable-length sequence".to_string(),
        Datatype::Compound { .. } => "a compound type".to_string(),
        Datatype::Array { .. } => "an array type".to_string(),
        Datatype::Enum { .. } => "an enum".to_string(),
        Datatype::Opaque { .. } => "an opaque type".to_string(),
        Datatype::Reference { .. } => "a reference".to_string(),
        Datatype::Bitfield { .. } => "a bitfield".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names() {
        assert!(matches!(parse_metric("euclidean"), Some(Metric::L2)));
        assert!(matches!(parse_metric("L2"), Some(Metric::L2)));
        assert!(matches!(parse_metric("angular"), Some(Metric::Cosine)));
        assert!(matches!(parse_metric("cosine"), Some(Metric::Cosine)));
        assert!(matches!(parse_metric("dot"), Some(Metric::InnerProduct)));
        assert!(matches!(parse_metric(" ip "), Some(Metric::InnerProduct)));
        assert!(parse_metric("hamming").is_none());
        assert!(parse_metric("").is_none());
    }
}
