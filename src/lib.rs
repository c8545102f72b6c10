//! # vicinity
//!
//! Approximate nearest-neighbour search with HNSW (Malkov & Yashunin, 2016): a flat vector arena,
//! SIMD distance kernels picked at run time, and a concurrent graph that takes inserts from many
//! threads while others search.
//!
//! ```
//! use vicinity::{Index, IndexParams, Metric};
//!
//! let dim = 8;
//! let data: Vec<f32> = (0..1000 * dim).map(|i| ((i * 7919) % 1000) as f32 / 1000.0).collect();
//! let index = Index::build(IndexParams::new(Metric::L2), dim, &data).unwrap();
//! let hits = index.search(&data[..dim], 5, 50).unwrap();
//! assert_eq!(hits[0].key, 0);
//! assert!(hits.windows(2).all(|w| w[0].distance <= w[1].distance));
//! ```

mod arena;
pub mod distance;
mod error;
mod graph;
mod index;
pub mod io;
mod metric;
mod space;

pub use error::{Error, Result};
pub use index::{FlatIndex, Index, IndexParams, Neighbor, MAX_NODES};
pub use metric::Metric;
