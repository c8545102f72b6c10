//! Distance metrics and how their distances are reported.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// The largest squared length a vector may have: a quarter of `f32::MAX`, so that the squared
/// distance between two such vectors (at most twice the sum of their squared lengths) and their
/// dot product stay finite.
pub const MAX_SQUARED_NORM: f32 = f32::MAX / 4.0;

/// How closeness is measured. Every metric reports a *distance*: smaller is closer.
///
/// | metric | reported distance | notes |
/// |---|---|---|
/// | `L2` | squared Euclidean distance `Σ (a-b)²` | no square root; take `sqrt` for the true distance |
/// | `Cosine` | `1 - cos(a, b)`, in `[0, 2]` | vectors are normalised once at insert; a zero vector is refused |
/// | `InnerProduct` | `1 - a·b` | as hnswlib reports it; order is that of the largest dot product |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Squared Euclidean distance.
    L2,
    /// One minus cosine similarity.
    Cosine,
    /// One minus the inner product (maximum inner product search).
    InnerProduct,
}

impl Metric {
    /// The canonical short name: `l2`, `cosine` or `ip`.
    pub fn name(self) -> &'static str {
        match self {
            Metric::L2 => "l2",
            Metric::Cosine => "cosine",
            Metric::InnerProduct => "ip",
        }
    }

    /// Whether `vector` can be indexed or searched under this metric: every component finite,
    /// a squared length of at most [`MAX_SQUARED_NORM`] (so no distance between two accepted
    /// vectors overflows `f32`), and not all zeros under cosine (no direction). `row` numbers
    /// the vector in the error. Every entry point of the index makes this check; tools that
    /// read a file before building call it to report a bad row by its place in the file.
    pub fn check_vector(self, vector: &[f32], row: usize) -> Result<(), Error> {
        if let Some(component) = vector.iter().position(|x| !x.is_finite()) {
            return Err(Error::NonFinite { row, component });
        }
        let squared_norm: f64 = vector.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
        if squared_norm > f64::from(MAX_SQUARED_NORM) {
            return Err(Error::TooLarge { row, squared_norm });
        }
        if self == Metric::Cosine && squared_norm == 0.0 {
            return Err(Error::ZeroVector { row });
        }
        Ok(())
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Metric {
    type Err = Error;

    /// Accepts `l2`/`euclidean`, `cosine`/`angular`, `ip`/`dot`/`inner_product`, any case.
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().as_str() {
            "l2" | "euclidean" => Ok(Metric::L2),
            "cosine" | "angular" => Ok(Metric::Cosine),
            "ip" | "dot" | "inner_product" | "innerproduct" => Ok(Metric::InnerProduct),
            _ => Err(Error::UnknownMetric(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_ann_benchmarks_aliases() {
        assert_eq!("l2".parse::<Metric>().unwrap(), Metric::L2);
        assert_eq!("Euclidean".parse::<Metric>().unwrap(), Metric::L2);
        assert_eq!("angular".parse::<Metric>().unwrap(), Metric::Cosine);
        assert_eq!("ip".parse::<Metric>().unwrap(), Metric::InnerProduct);
        assert!(matches!(
            "hamming".parse::<Metric>(),
            Err(Error::UnknownMetric(_))
        ));
    }

    #[test]
    fn name_round_trips() {
        for m in [Metric::L2, Metric::Cosine, Metric::InnerProduct] {
            assert_eq!(m.name().parse::<Metric>().unwrap(), m);
        }
    }
}
