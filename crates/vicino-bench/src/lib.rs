//! # vicino-bench
//!
//! Everything a benchmark of [`vicino`] needs besides the engine, written once and used by the
//! `vicino` command line, the criterion benches, the tests and the examples:
//!
//! | module | owns |
//! |---|---|
//! | [`datasets`] | benchmark sets by name in the data folder (texmex folders, `.hdf5` files) |
//! | [`io`] | dataset files: `.fvecs` / `.bvecs` / `.ivecs`, `.npy`, ANN-benchmarks `.hdf5` |
//! | [`synth`] | seeded synthetic data (clustered Gaussians) |
//! | [`truth`] | exact ground truth and recall@k |
//! | [`report`] | results as JSON lines, the sweep's record |
//! | [`plot`] | the QPS / recall chart (SVG, PNG) |

pub mod datasets;
mod error;
pub mod io;
pub mod plot;
pub mod report;
pub mod synth;
pub mod truth;

pub use error::{Error, Result};
