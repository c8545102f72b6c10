//! Integration tests: one binary, a module per area.

mod cli;
mod concurrency;
mod data;
mod persist;
mod recall;
