// TEMPORARY: replaced by the pure-Rust reader.
use super::Matrix;
use crate::{Error, Result};
use std::path::Path;
use vicino::Metric;
#[derive(Debug, Clone, PartialEq)]
pub struct AnnDataset {
    pub train: Matrix<f32>,
    pub test: Matrix<f32>,
    pub neighbors: Option<Matrix<i32>>,
    pub metric: Option<Metric>,
}
pub fn read_ann_hdf5(path: &Path) -> Result<AnnDataset> {
    Err(Error::Hdf5 {
        path: path.into(),
        reason: "pending".into(),
    })
}
