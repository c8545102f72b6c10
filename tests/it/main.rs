//! Integration tests: one binary, a module per area.

#[cfg(feature = "hdf5")]
mod ann_hdf5;
mod api;
mod cli;
#[cfg(feature = "hdf5")]
mod cli_hdf5;
mod concurrency;
mod data;
mod golden;
mod memory;
mod persist;
mod plot;
mod recall;
