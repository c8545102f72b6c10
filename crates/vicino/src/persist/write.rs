//! Writing an index file from [`IndexParts`]: sections streamed with their checksums, then the
//! header, atomically.

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use super::atomic::write_atomic;
use super::format::{Header, Section, HEADER_LEN, SECTIONS, VERSION};
use super::IndexParts;
use crate::error::{Error, Result};
use crate::quantize::Quantization;

/// A writer that keeps the CRC-32C and length of what passes through it.
struct Checked<'a, W: Write> {
    inner: &'a mut W,
    crc: u32,
    written: u64,
}

impl<W: Write> Checked<'_, W> {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.crc = crc32c::crc32c_append(self.crc, bytes);
        self.written += bytes.len() as u64;
        self.inner.write_all(bytes)
    }
}

/// Writes `parts` to `path` atomically (see [`write_atomic`]).
pub(crate) fn write(path: &Path, parts: &IndexParts<'_>) -> Result<()> {
    if cfg!(target_endian = "big") {
        return Err(Error::Unsupported(
            "index files are little-endian; big-endian hosts cannot save them",
        ));
    }
    let IndexParts {
        metric,
        nodes,
        vectors,
        graph,
        keys,
        quantization,
        codes,
    } = *parts;
    if quantization != Quantization::None && nodes > 0 && codes.is_none() {
        return Err(Error::Unsupported(
            "a quantized index with nodes but no codes cannot be saved",
        ));
    }
    let config = graph.config();
    let levels: Vec<u8> = (0..nodes as u32)
        .map(|id| graph.level_of(id) as u8)
        .collect();
    let upper_rows: usize = levels.iter().map(|&l| l as usize).sum();
    let mut header = Header {
        version: VERSION,
        metric,
        dim: vectors.dim(),
        stride: vectors.stride(),
        m: config.m,
        m0: config.m0,
        ef_construction: config.ef_construction,
        seed: config.seed,
        nodes,
        entry: graph.entry(),
        quantization,
        sections: Default::default(),
    };
    header.layout(upper_rows);

    write_atomic(path, |w| {
        w.write_all(&[0u8; HEADER_LEN])?;
        let mut ids = Vec::with_capacity(config.m0 + 1);
        for (i, section) in SECTIONS.iter().enumerate() {
            let entry = header.sections[i];
            let pos = w.stream_position()?;
            w.write_all(&vec![0u8; (entry.offset - pos) as usize])?;
            let mut out = Checked {
                inner: w,
                crc: 0,
                written: 0,
            };
            match section {
                Section::Vectors => {
                    for id in 0..nodes as u32 {
                        out.put(bytemuck::cast_slice(vectors.get(id)))?;
                    }
                }
                Section::Layer0 => {
                    for id in 0..nodes as u32 {
                        put_links(&mut out, graph.links(id, 0).iter(), config.m0, &mut ids)?;
                    }
                }
                Section::Levels => out.put(&levels)?,
                Section::Upper => {
                    for (id, &level) in levels.iter().enumerate() {
                        for layer in 1..=level as usize {
                            put_links(
                                &mut out,
                                graph.links(id as u32, layer).iter(),
                                config.m,
                                &mut ids,
                            )?;
                        }
                    }
                }
                Section::Keys => {
                    for id in 0..nodes as u32 {
                        out.put(&keys(id).to_le_bytes())?;
                    }
                }
                Section::Codes => {
                    if let Some(codes) = codes {
                        for id in 0..nodes as u32 {
                            out.put(codes.row(id))?;
                        }
                    }
                }
                Section::CodeRanges => {
                    if let Some(codes) = codes {
                        let (offset, scale) = codes.ranges();
                        out.put(bytemuck::cast_slice(offset))?;
                        out.put(bytemuck::cast_slice(scale))?;
                    }
                }
            }
            debug_assert_eq!(out.written, entry.len);
            header.sections[i].crc = out.crc;
        }
        let end = w.stream_position()?;
        w.write_all(&vec![0u8; (header.file_len() - end) as usize])?;
        w.seek(SeekFrom::Start(0))?;
        w.write_all(&header.encode())?;
        Ok(())
    })
}

/// One link row: `[count, ids..., zeros up to cap]`.
fn put_links<W: Write>(
    out: &mut Checked<'_, W>,
    links: impl Iterator<Item = u32>,
    cap: usize,
    ids: &mut Vec<u32>,
) -> std::io::Result<()> {
    ids.clear();
    ids.push(0);
    ids.extend(links.take(cap));
    ids[0] = (ids.len() - 1) as u32;
    ids.resize(cap + 1, 0);
    out.put(bytemuck::cast_slice(ids))
}
