//! Turning the bytes of an index file into [`FileParts`], checking everything they are relied on
//! for; and verifying a file without keeping it.

use std::path::Path;
use std::sync::atomic::AtomicU32;
use std::sync::Arc;

use super::file::{FileBytes, SectionBacking};
use super::format::{self, Header, Section, SECTIONS};
use super::{CodeParts, FileInfo, FileParts};
use crate::arena::RowStore;
use crate::error::{Error, Result};
use crate::quantize::Quantization;

/// How a file is brought in, and so what is checked beyond the structure (always checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Read whole into RAM; every section's checksum is checked.
    Read,
    /// Mapped copy-on-write; every checksum but those of the vectors and codes, so that
    /// opening does not read every vector page.
    Map,
}

/// What to check beyond the structure.
#[derive(Clone, Copy, PartialEq)]
enum Checks {
    /// Every section's checksum: reads the whole file.
    All,
    /// All but those of the vectors and codes (any code byte is a valid code).
    AllButVectors,
}

/// Reads and checks the file at `path` (see [`Access`]) into its parts: vectors and layer-0
/// links stay in the file's memory.
pub(crate) fn read(path: &Path, access: Access) -> Result<FileParts> {
    match access {
        Access::Read => parts_of(FileBytes::read(path)?, Checks::All, path),
        Access::Map => parts_of(FileBytes::map(path)?, Checks::AllButVectors, path),
    }
}

/// Checks every checksum of the file at `path` (reading it whole, sequentially) and reports
/// what it holds.
pub(crate) fn verify(path: &Path) -> Result<FileInfo> {
    let file = FileBytes::read(path)?;
    let header = header_of(&file, path)?;
    check_sections(&file, &header, Checks::All, path)?;
    // SAFETY: as in `header_of`.
    let bytes = unsafe { file.bytes() };
    // Everything `read` checks, whichever way the file is later brought in.
    check_graph(bytes, &header, path)?;
    check_vector_values(bytes, &header, path)?;
    code_ranges(bytes, &header, path)?;
    Ok(FileInfo {
        format_version: header.version,
        dim: header.dim,
        metric: header.metric,
        m: header.m,
        ef_construction: header.ef_construction,
        seed: header.seed,
        nodes: header.nodes,
        quantization: header.quantization,
        file_bytes: file.len() as u64,
        sections: SECTIONS
            .iter()
            .zip(&header.sections)
            .take(format::section_count(header.version))
            .map(|(s, e)| (s.name(), e.len, e.crc))
            .collect(),
    })
}

fn header_of(file: &FileBytes, path: &Path) -> Result<Header> {
    let bad = |reason: String| Error::corrupt(path, reason);
    // SAFETY: nothing writes the file's memory while the index is being opened.
    let bytes = unsafe { file.bytes() };
    Header::decode(bytes, file.len() as u64, &bad)
}

/// Checks the section checksums (and that the gaps between sections are zero).
fn check_sections(file: &FileBytes, header: &Header, checks: Checks, path: &Path) -> Result<()> {
    // SAFETY: as in `header_of`.
    let bytes = unsafe { file.bytes() };
    let mut gap_start = format::HEADER_LEN;
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
        if checks == Checks::AllButVectors
            && matches!(SECTIONS[i], Section::Vectors | Section::Codes)
        {
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

/// The parts of `file`, checked: vectors and layer-0 links are used in place.
fn parts_of(file: FileBytes, checks: Checks, path: &Path) -> Result<FileParts> {
    if cfg!(target_endian = "big") {
        return Err(Error::corrupt(
            path,
            "index files are little-endian; this host is not",
        ));
    }
    let bad = |reason: String| Error::corrupt(path, reason);
    let header = header_of(&file, path)?;
    check_sections(&file, &header, checks, path)?;
    // SAFETY: as in `header_of`; the slices below are dropped before the parts are returned.
    let bytes = unsafe { file.bytes() };
    let Graph {
        levels,
        upper,
        keys,
    } = check_graph(bytes, &header, path)?;
    if checks == Checks::All {
        check_vector_values(bytes, &header, path)?;
    }
    let n = header.nodes;

    let ranges = code_ranges(bytes, &header, path)?;
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
    let codes = match ranges {
        None => None,
        Some((offset, scale)) => {
            let at = header.section(Section::Codes).offset as usize;
            let backing = SectionBacking::<u8>::new(file.clone(), at, n * header.stride);
            Some(CodeParts {
                rows: RowStore::with_backing(header.stride, n, Box::new(backing.map_err(bad)?))?,
                offset,
                scale,
            })
        }
    };
    Ok(FileParts {
        metric: header.metric,
        dim: header.dim,
        m: header.m,
        ef_construction: header.ef_construction,
        seed: header.seed,
        entry: header.entry,
        vectors,
        layer0,
        levels,
        upper,
        keys,
        quantization: header.quantization,
        codes,
    })
}

/// A quantized file's code ranges (offset, then scale, per dimension), checked: finite, and no
/// scale negative. `None` when the file is not quantized.
fn code_ranges(bytes: &[u8], header: &Header, path: &Path) -> Result<Option<(Vec<f32>, Vec<f32>)>> {
    if header.quantization == Quantization::None || header.nodes == 0 {
        return Ok(None);
    }
    let e = header.section(Section::CodeRanges);
    let values: Vec<f32> = bytes[e.offset as usize..(e.offset + e.len) as usize]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let (offset, scale) = values.split_at(header.stride);
    if let Some(i) = (0..header.stride)
        .find(|&i| !offset[i].is_finite() || !scale[i].is_finite() || scale[i] < 0.0)
    {
        return Err(Error::corrupt(
            path,
            format!(
                "dimension {i} has code offset {} and scale {}",
                offset[i], scale[i]
            ),
        ));
    }
    Ok(Some((offset.to_vec(), scale.to_vec())))
}

/// The links, levels and keys of a file, every link checked.
struct Graph {
    levels: Vec<u8>,
    upper: Vec<u32>,
    keys: Vec<u64>,
}

/// Checks the graph sections: levels, the entry point, and every link (in range, not to
/// itself, to a node on that layer, counts within the caps), so a search never follows a bad
/// link. `read` and `verify` both run it.
fn check_graph(bytes: &[u8], header: &Header, path: &Path) -> Result<Graph> {
    let bad = |reason: String| Error::corrupt(path, reason);
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
    for (id, &level) in levels.iter().enumerate() {
        for layer in 1..=level as usize {
            let row = upper
                .next()
                .ok_or_else(|| bad("upper-link section too short".into()))?;
            check_row(id, layer, row, header.m)?;
        }
    }
    let upper: Vec<u32> = u32s(section(Section::Upper)).collect();
    let keys: Vec<u64> = section(Section::Keys)
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
        .collect();

    Ok(Graph {
        levels,
        upper,
        keys,
    })
}

/// Checks every stored vector as an insert would have (finite, not too long, not zero under
/// cosine) and that its padding past `dim` is zero: edited values pass the checksums once
/// re-sealed, and a NaN or a stray padding value ruins every distance to that row. Reads every
/// vector page, so `open` (mapped) leaves it to `load` and `verify`.
fn check_vector_values(bytes: &[u8], header: &Header, path: &Path) -> Result<()> {
    let e = header.section(Section::Vectors);
    let vectors = &bytes[e.offset as usize..(e.offset + e.len) as usize];
    let mut row = vec![0f32; header.stride];
    for (id, raw) in vectors.chunks_exact(header.stride * 4).enumerate() {
        for (x, c) in row.iter_mut().zip(raw.chunks_exact(4)) {
            *x = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        }
        let (values, padding) = row.split_at(header.dim);
        header
            .metric
            .check_vector(values, id)
            .map_err(|e| Error::corrupt(path, format!("stored {e}")))?;
        if let Some(j) = padding.iter().position(|x| x.to_bits() != 0) {
            return Err(Error::corrupt(
                path,
                format!(
                    "vector {id} has {} in its padding at {}",
                    padding[j],
                    header.dim + j
                ),
            ));
        }
    }
    Ok(())
}
