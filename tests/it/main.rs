//! Integration tests: one binary, a module per area.

mod api;
mod cli;
mod concurrency;
mod data;
mod persist;
mod recall;
