//! Integration tests: one binary, a module per area.

mod api;
mod cli;
mod concurrency;
mod data;
mod golden;
mod memory;
mod persist;
mod plot;
mod recall;
