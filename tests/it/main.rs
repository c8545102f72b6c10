//! Integration tests: one binary, a module per area.

#[cfg(feature = "hdf5")]
mod ann_hdf5;
mod api;
mod cli;
mod concurrency;
mod data;
mod golden;
mod memory;
mod persist;
mod recall;
