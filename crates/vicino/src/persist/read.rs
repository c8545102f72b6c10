//! Turning the bytes of an index file into an [`Index`], checking everything it relies on.

use std::path::Path;
use std::sync::atomic::AtomicU32;
use std::sync::Arc;

use super::file::{FileBytes, SectionBacking};
use super::format::{Header, Section, SECTIONS};
use crate::arena::{RowStore, VectorArena};
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::index::graph_config;
use crate::{Index, IndexParams};

/// What to check beyond the structure (which is always checked).
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Checks {
    /// Every section's checksum: reads the whole file.
    All,
    /// All but the vectors', so opening a mapped file does not read every vector page.
    AllButVectors,
}

pub(crate) fn header_of(file: &FileBytes, path: &Path) -> Result<Header> {
    let bad = |reason: String| Error::corrupt(path, reason);
    // SAFETY: nothing writes the file's memory while the index is being opened.
    let bytes = unsafe { file.bytes() };
    Header::decode(bytes, file.len() as u64, &bad)
}

/// Checks the section checksums (and that the gaps between sections are zero).
pub(crate) fn check_sections(
    file: &FileBytes,
    header: &Header,
    checks: Checks,
    path: &Path,
) -> Result<()> {
    // SAFETY: as in `header_of`.
    let bytes = unsafe { file.bytes() };
    let mut gap_start = super::format::HEADER_LEN;
    for (i, s) in header.sections.iter().enumerate() {
        let (start, end) = (s.offset as usize, (s.offset + s.len) as usize);
        if bytes[gap_start..start].iter().any(|&b| b != 0) {
            return Err(Error::corrupt(
                path,
                format!(
                    "padding before the {} section is not zero",
                    SECTIONS[i].name()
                ),
            ));
        }
        gap_start = end;
        if checks == Checks::AllButVectors && SECTIONS[i] == Section::Vectors {
            continue;
        }
        if crc32c::crc32c(&bytes[start..end]) != s.crc {
            return Err(Error::corrupt(
                path,
                format!("{} section checksum mismatch", SECTIONS[i].name()),
            ));
        }
    }
    if bytes[gap_start..].iter().any(|&b| b != 0) {
        return Err(Error::corrupt(
            path,
            "padding after the last section is not zero",
        ));
    }
    Ok(())
}

fn u32s(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
}

/// Builds an index over `file`: vectors and layer-0 links are used in place.
pub(crate) fn index_from_file(file: FileBytes, checks: Checks, path: &Path) -> Result<Index> {
    if cfg!(target_endian = "big") {
        return Err(Error::corrupt(
            path,
            "index files are little-endian; this host is not",
        ));
    }
    let bad = |reason: String| Error::corrupt(path, reason);
    let header = header_of(&file, path)?;
    check_sections(&file, &header, checks, path)?;
    // SAFETY: as in `header_of`; the slices below are dropped before the index is shared.
    let bytes = unsafe { file.bytes() };
    let section = |s: Section| {
        let e = header.section(s);
        &bytes[e.offset as usize..(e.offset + e.len) as usize]
    };
    let n = header.nodes;

    let levels: Vec<u8> = section(Section::Levels).to_vec();
    if let Some(id) = levels.iter().position(|&l| l > 31) {
        return Err(bad(format!("node {id} has level {}", levels[id])));
    }
    let upper_rows: usize = levels.iter().map(|&l| l as usize).sum();
    if upper_rows * (1 + header.m) * 4 != header.section(Section::Upper).len as usize {
        return Err(bad("upper-link section does not match the levels".into()));
    }
    if let Some((entry, top)) = header.entry {
        if levels[entry as usize] as usize != top || levels.iter().any(|&l| l as usize > top) {
            return Err(bad(format!(
                "entry point {entry} is not on the top level {top}"
            )));
        }
    }
    // Every link must name another existing node on a layer it is on: searches follow links
    // without bounds checks beyond the arena's own.
    let check_row = |id: usize, layer: usize, row: &[u8], cap: usize| -> Result<()> {
        let mut it = u32s(row);
        let count = it.next().unwrap_or(0) as usize;
        if count > cap {
            return Err(bad(format!(
                "node {id} has {count} links on layer {layer}, the cap is {cap}"
            )));
        }
        for l in it.take(count) {
            if l as usize >= n || l as usize == id || (levels[l as usize] as usize) < layer {
                return Err(bad(format!(
                    "node {id} links to invalid node {l} on layer {layer}"
                )));
            }
        }
        Ok(())
    };
    let row0 = (1 + header.m0) * 4;
    for (id, row) in section(Section::Layer0).chunks_exact(row0).enumerate() {
        check_row(id, 0, row, header.m0)?;
    }
    let row_up = (1 + header.m) * 4;
    let mut upper = section(Section::Upper).chunks_exact(row_up);
    let mut upper_links = Vec::with_capacity(upper_rows);
    for (id, &level) in levels.iter().enumerate() {
        for layer in 1..=level as usize {
            let row = upper
                .next()
                .ok_or_else(|| bad("upper-link section too short".into()))?;
            check_row(id, layer, row, header.m)?;
            let ids: Vec<u32> = u32s(row)
                .skip(1)
                .take(u32s(row).next().unwrap_or(0) as usize)
                .collect();
            upper_links.push(ids);
        }
    }
    let keys: Vec<u64> = section(Section::Keys)
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
        .collect();

    let params = IndexParams::new(header.metric)
        .m(header.m)
        .ef_construction(header.ef_construction)
        .seed(header.seed);
    params.validate().map_err(|e| bad(e.to_string()))?;
    let vectors_at = header.section(Section::Vectors).offset as usize;
    let layer0_at = header.section(Section::Layer0).offset as usize;
    let file = Arc::new(file);
    let vectors = RowStore::with_backing(
        header.stride,
        n,
        Box::new(
            SectionBacking::<f32>::new(file.clone(), vectors_at, n * header.stride).map_err(bad)?,
        ),
    )?;
    let layer0 = RowStore::with_backing(
        1 + header.m0,
        n,
        Box::new(
            SectionBacking::<AtomicU32>::new(file.clone(), layer0_at, n * (1 + header.m0))
                .map_err(bad)?,
        ),
    )?;
    let graph = Graph::with_layer0(graph_config(&params), layer0, n);
    let mut upper_links = upper_links.into_iter();
    for (id, &level) in levels.iter().enumerate() {
        graph.prepare_node(id as u32, level as usize)?;
        for layer in 1..=level as usize {
            if let Some(ids) = upper_links.next() {
                graph.restore_links(id as u32, layer, &ids);
            }
        }
    }
    if let Some((entry, top)) = header.entry {
        graph.restore_entry(entry, top);
    }
    let index = Index::from_parts(
        params,
        VectorArena::from_rows(header.dim, vectors),
        graph,
        n,
    );
    index.restore_nodes(keys.into_iter());
    Ok(index)
}
