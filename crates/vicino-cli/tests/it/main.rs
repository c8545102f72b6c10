//! The command line driven end to end: one binary, a module per area.

mod cli;

mod data;
mod memory;
mod plot;
