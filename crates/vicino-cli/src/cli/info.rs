//! `vicino info`: read an index file once, check every checksum (`Index::verify`), and print
//! its header and section table.
//!
//! A file that fails a check prints nothing on stdout: the error names the file and the check.

use anyhow::{Context, Result};
use vicino::Index;

use super::report::JsonLine;
use super::InfoArgs;

pub fn run(args: InfoArgs) -> Result<()> {
    let info = Index::verify(&args.index).context("--index")?;
    let sections = info.sections.iter().map(|&(name, bytes, crc)| {
        JsonLine::new()
            .field("name", name)
            .field("bytes", bytes)
            .field("crc32c", crc)
    });
    JsonLine::new()
        .field("format_version", info.format_version)
        .field("dim", info.dim)
        .field("metric", info.metric.name())
        .field("m", info.m)
        .field("m0", 2 * info.m)
        .field("ef_construction", info.ef_construction)
        .field("seed", info.seed)
        .field("nodes", info.nodes)
        .field("file_bytes", info.file_bytes)
        .objects("sections", sections)
        .field("checksums", "verified")
        .print()
}
