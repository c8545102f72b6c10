//! The command line driven end to end: one binary, a module per area.

mod bench;
mod cli;
mod cli_hdf5;

mod memory;
mod plot;
