//! The engine's integration tests: one binary, a module per area.

mod api;
mod build_codes;
mod concurrency;
mod data;
mod golden;
mod persist;
mod quantized;
mod recall;
