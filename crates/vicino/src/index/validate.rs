//! Input checks shared by every entry point: dimension, finiteness, cosine zero vectors.

use crate::error::{Error, Result};
use crate::metric::Metric;

/// The number of rows in `data`, after checking every value. `first_row` numbers rows in errors.
pub(crate) fn check_matrix(
    data: &[f32],
    dim: usize,
    metric: Metric,
    first_row: usize,
) -> Result<usize> {
    if dim == 0 {
        return Err(Error::InvalidParameter {
            name: "dim",
            reason: "must be at least 1".into(),
        });
    }
    if !data.len().is_multiple_of(dim) {
        return Err(Error::RaggedMatrix {
            len: data.len(),
            dim,
        });
    }
    for (i, row) in data.chunks_exact(dim).enumerate() {
        check_row(row, metric, first_row + i)?;
    }
    Ok(data.len() / dim)
}

/// Checks one vector of the right length.
pub(crate) fn check_vector(v: &[f32], dim: usize, metric: Metric) -> Result<()> {
    check_row_of(v, dim, metric, 0)
}

/// [`check_vector`] for row `row` of a batch, which errors name.
pub(crate) fn check_row_of(v: &[f32], dim: usize, metric: Metric, row: usize) -> Result<()> {
    if v.len() != dim {
        return Err(Error::DimensionMismatch {
            expected: dim,
            got: v.len(),
        });
    }
    check_row(v, metric, row)
}

fn check_row(row: &[f32], metric: Metric, index: usize) -> Result<()> {
    metric.check_vector(row, index)
}

pub(crate) fn check_k(k: usize) -> Result<()> {
    if k == 0 {
        return Err(Error::InvalidParameter {
            name: "k",
            reason: "must be at least 1".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bad_input_has_its_error() {
        let m = Metric::L2;
        assert!(matches!(
            check_matrix(&[1.0; 5], 2, m, 0),
            Err(Error::RaggedMatrix { len: 5, dim: 2 })
        ));
        assert!(matches!(
            check_matrix(&[1.0; 4], 0, m, 0),
            Err(Error::InvalidParameter { name: "dim", .. })
        ));
        assert!(matches!(
            check_matrix(&[1.0, 2.0, 3.0, f32::NAN], 2, m, 10),
            Err(Error::NonFinite {
                row: 11,
                component: 1
            })
        ));
        assert!(matches!(
            check_vector(&[f32::INFINITY], 1, m),
            Err(Error::NonFinite { .. })
        ));
        assert!(matches!(
            check_vector(&[1.0; 3], 4, m),
            Err(Error::DimensionMismatch {
                expected: 4,
                got: 3
            })
        ));
        assert!(matches!(
            check_vector(&[0.0; 3], 3, Metric::Cosine),
            Err(Error::ZeroVector { .. })
        ));
        assert!(check_vector(&[0.0; 3], 3, Metric::L2).is_ok());
        assert!(matches!(
            check_k(0),
            Err(Error::InvalidParameter { name: "k", .. })
        ));
        assert_eq!(check_matrix(&[], 3, m, 0).unwrap(), 0);
    }
}
