//! # vicino
//!
//! Approximate nearest-neighbour search with HNSW (Malkov & Yashunin, 2016): a flat vector arena,
//! SIMD distance kernels picked at run time, and a concurrent graph that takes inserts from many
//! threads while others search.
//!
//! ```
//! use vicino::{Index, IndexParams, Metric};
//!
//! // 1,000 vectors of 8 floats, row-major (a stand-in for real embeddings).
//! let dim = 8;
//! let data: Vec<f32> = (0..1000 * dim as u64)
//!     .map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as f32 / (1u64 << 24) as f32)
//!     .collect();
//! let index = Index::build(IndexParams::new(Metric::L2), dim, &data).unwrap();
//!
//! // The 5 nearest neighbours of row 42, searched with beam width ef = 50.
//! let hits = index.search(&data[42 * dim..43 * dim], 5, 50).unwrap();
//! assert_eq!(hits[0].key, 42);
//! assert_eq!(hits[0].distance, 0.0);
//! assert!(hits.windows(2).all(|w| w[0].distance <= w[1].distance));
//! ```

mod arena;
pub mod distance;
mod error;
mod graph;
mod index;
mod metric;
mod persist;
mod quantize;
mod sign_filter;
mod space;

pub use error::{Error, Result};
pub use index::{FlatIndex, Index, IndexParams, Neighbor, MAX_DIM, MAX_NODES};
pub use metric::{Metric, MAX_SQUARED_NORM};
pub use persist::{write_atomic, FileInfo, FORMAT_VERSION};
pub use quantize::Quantization;
