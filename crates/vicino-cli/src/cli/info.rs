//! `vicino info`: read an index file once, check every checksum (`Index::verify`), and print
//! its header and section table.
//!
//! A file that fails a check prints nothing on stdout: the error names the file and the check.

use anyhow::{Context, Result};
use serde::Serialize;
use vicino::Index;

use super::report::print_json;
use super::InfoArgs;

pub fn run(args: InfoArgs) -> Result<()> {
    let info = Index::verify(&args.index).context("--index")?;
    let sections = info
        .sections
        .iter()
        .map(|&(name, bytes, crc32c)| SectionReport {
            name,
            bytes,
            crc32c,
        })
        .collect();
    print_json(&InfoReport {
        format_version: info.format_version,
        dim: info.dim,
        metric: info.metric.name(),
        m: info.m,
        m0: 2 * info.m,
        ef_construction: info.ef_construction,
        seed: info.seed,
        nodes: info.nodes,
        quantize: info.quantization.name(),
        file_bytes: info.file_bytes,
        sections,
        checksums: "verified",
    })
}

/// The line `vicino info` prints.
#[derive(Serialize)]
struct InfoReport {
    format_version: u32,
    dim: usize,
    metric: &'static str,
    m: usize,
    m0: usize,
    ef_construction: usize,
    seed: u64,
    nodes: usize,
    quantize: &'static str,
    file_bytes: u64,
    sections: Vec<SectionReport>,
    checksums: &'static str,
}

#[derive(Serialize)]
struct SectionReport {
    name: &'static str,
    bytes: u64,
    crc32c: u32,
}
