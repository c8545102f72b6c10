//! Index files: one versioned, self-describing file per index, saved atomically, and read back
//! either into RAM or by mapping it, with the vectors and layer-0 links used in place.
//!
//! ```text
//!  offset 0       header (one 4 KiB page, little-endian)
//!                 ┌──────────────────────────────────────────────────────────────────────┐
//!                 │ magic "VICINITY"│ version u32 │ byte-order marker u32 0x01020304     │
//!                 │ header_len u32 │ metric u32 │ dim u32 │ stride u32 │ m u32 │ m0 u32    │
//!                 │ ef_construction u32 │ top level u32 │ seed u64 │ nodes u64 │ entry u64 │
//!                 │ section count u32 │ reserved u32                                      │
//!                 │ 5 x { kind u32 │ crc32c u32 │ offset u64 │ length u64 │ reserved u64 }  │
//!                 │ header crc32c u32 (over the 240 bytes above) │ zeros to 4096          │
//!                 └──────────────────────────────────────────────────────────────────────┘
//!  page-aligned   vectors      nodes x stride f32       (rows zero-padded to 16 floats)
//!  page-aligned   layer 0      nodes x (1 + m0) u32     ([count, ids..., zeros])
//!  page-aligned   levels       nodes x u8
//!  page-aligned   upper links  for each node with level L > 0, in id order: L x (1 + m) u32
//!  page-aligned   keys         nodes x u64
//!                 zeros to the next page boundary (the file length is checked)
//! ```
//!
//! Every section carries a CRC-32C; gaps must be zero. Opening checks the header, every
//! checksum but the vectors' (which would read every vector page), and every link (ids in
//! range, caps, levels), so a search never follows a bad link. Reading the file whole and
//! verifying it also check the vectors.
//!
//! This module knows files, not indexes: it writes an [`IndexParts`] (plain borrowed data: the
//! header's fields, the vectors, the graph's links and levels, the keys) and reads a file back
//! into [`FileParts`] (the same, owned, with vectors and layer-0 links left in the file's memory).
//! `crate::index` puts an `Index` together from them (`Index::save`, `load`, `open`, `verify`);
//! nothing here uses `crate::index`.
//!
//! It also owns every file mapping, so [`scratch_rows`], the unlinked scratch file behind the
//! vectors of an on-disk build (`Index::with_capacity_on_disk`), lives here too: the arena stays
//! free of file I/O, and the `unsafe` of mapping files sits in one module.
//!
//! | file | owns |
//! |---|---|
//! | `mod.rs` | [`IndexParts`] and [`FileParts`], the plain data a file is written from and read into |
//! | `format.rs` | the header, the section table, their checks |
//! | `file.rs` | the file's bytes (heap or copy-on-write mapping), sections as arena backings, the scratch-file backing |
//! | `write.rs` | saving: sections streamed with checksums, then the header, atomically |
//! | `read.rs` | opening: checks, then the file's sections as [`FileParts`]; verifying |
//! | `atomic.rs` | writing any file atomically: temp file, fsync, rename |

mod atomic;
mod file;
mod format;
mod read;
mod write;

use std::path::Path;
use std::sync::atomic::AtomicU32;

use self::file::DiskBacking;
use crate::arena::{RowStore, VectorArena, ZeroInit};
use crate::error::Result;
use crate::graph::Graph;
use crate::metric::Metric;
use crate::quantize::{CodedSpace, Quantization};

pub use self::atomic::write_atomic;
pub use self::format::VERSION as FORMAT_VERSION;
pub(crate) use self::read::{read, verify, Access};
pub(crate) use self::write::write;

/// What `Index::verify` found in a file that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct FileInfo {
    pub format_version: u32,
    pub dim: usize,
    pub metric: Metric,
    pub m: usize,
    pub ef_construction: usize,
    pub seed: u64,
    pub nodes: usize,
    pub quantization: Quantization,
    pub file_bytes: u64,
    /// Name and CRC-32C of each section, in file order.
    pub sections: Vec<(&'static str, u64, u32)>,
}

/// What a file is written from, borrowed from a quiescent index (no insert in flight).
pub(crate) struct IndexParts<'a> {
    pub metric: Metric,
    /// Nodes `0..nodes` are written, all fully inserted.
    pub nodes: usize,
    /// Rows of the vectors, with their dimension and stride.
    pub vectors: &'a VectorArena,
    /// Links, levels and the entry point; its config gives `m`, `m0`, `ef_construction` and
    /// the seed.
    pub graph: &'a Graph,
    /// The key of each node.
    pub keys: &'a dyn Fn(u32) -> u64,
    pub quantization: Quantization,
    /// A quantized index's codes (with their ranges), written with it: present when the index is
    /// quantized and holds nodes.
    pub codes: Option<&'a CodedSpace>,
}

/// What a checked file holds: the header's fields, then its sections. Every link names an
/// existing node on a layer that node is on, and no list is longer than its cap.
pub(crate) struct FileParts {
    pub metric: Metric,
    pub dim: usize,
    pub m: usize,
    pub ef_construction: usize,
    pub seed: u64,
    /// `(node, top level)` of the entry point; `None` for an empty index.
    pub entry: Option<(u32, usize)>,
    /// `nodes` rows of `stride` floats, in the file's memory.
    pub vectors: RowStore<f32>,
    /// `nodes` rows of `[count, ids..., zeros]`, `1 + m0` wide, in the file's memory.
    pub layer0: RowStore<AtomicU32>,
    /// Each node's top layer (its length is the node count).
    pub levels: Vec<u8>,
    /// For each node with level L > 0, in id order, L rows (layers 1..=L) of `[count, ids...,
    /// zeros]`, `1 + m` wide.
    pub upper: Vec<u32>,
    /// Each node's key.
    pub keys: Vec<u64>,
    pub quantization: Quantization,
    /// A quantized index's codes (when it holds nodes): `nodes` rows of `stride` bytes in the file's memory, and each
    /// dimension's offset and scale (checked finite, scales not negative).
    pub codes: Option<CodeParts>,
}

/// The codes of a quantized index, as a file holds them.
pub(crate) struct CodeParts {
    pub rows: RowStore<u8>,
    pub offset: Vec<f32>,
    pub scale: Vec<f32>,
}

/// `rows` zeroed rows of `width` elements in a shared mapping of an unlinked scratch file in
/// `dir`: arena memory the OS can write back and drop under memory pressure. Past `rows` the
/// store grows on the heap.
pub(crate) fn scratch_rows<T: ZeroInit>(
    dir: &Path,
    width: usize,
    rows: usize,
) -> Result<RowStore<T>> {
    let backing = DiskBacking::<T>::create(dir, rows.saturating_mul(width))?;
    RowStore::with_backing(width, rows, Box::new(backing))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::GraphConfig;

    /// Three nodes, node 0 and 2 on layer 1, entry point 0.
    fn graph() -> Graph {
        let config = GraphConfig {
            m: 2,
            m0: 4,
            ef_construction: 10,
            level_multiplier: 1.0,
            seed: 9,
        };
        let layer0 = RowStore::new(1 + config.m0, 3).unwrap();
        let levels = [1u8, 0, 1];
        let upper = [1, 2, 0, /* node 2, layer 1: */ 1, 0, 0];
        let graph = Graph::restore(config, layer0, &levels, &upper, Some((0, 1))).unwrap();
        graph.restore_links(0, 0, &[1, 2]);
        graph.restore_links(1, 0, &[0]);
        graph.restore_links(2, 0, &[1, 0]);
        graph
    }

    fn links(graph: &Graph, id: u32, layer: usize) -> Vec<u32> {
        graph.links(id, layer).iter().collect()
    }

    /// Parts written by hand read back as the same parts, mapped or read: the file layer needs no
    /// index.
    #[test]
    fn parts_written_read_back_the_same() {
        let graph = graph();
        let vectors = VectorArena::new(3, 3).unwrap();
        for id in 0..3u32 {
            vectors.ensure(id).unwrap();
            // SAFETY: storage ensured just above; this thread alone sees the arena.
            unsafe { vectors.write(id, &[id as f32, 0.5, -1.0]) };
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parts.vcn");
        let parts = IndexParts {
            metric: Metric::InnerProduct,
            nodes: 3,
            vectors: &vectors,
            graph: &graph,
            keys: &|id| 100 + u64::from(id),
            quantization: Quantization::None,
            codes: None,
        };
        write(&path, &parts).unwrap();

        for access in [Access::Read, Access::Map] {
            let back = read(&path, access).unwrap();
            assert_eq!(back.metric, Metric::InnerProduct);
            assert_eq!(
                (back.dim, back.m, back.ef_construction, back.seed),
                (3, 2, 10, 9)
            );
            assert_eq!(back.entry, Some((0, 1)));
            assert_eq!(back.levels, [1, 0, 1]);
            assert_eq!(back.upper, [1, 2, 0, 1, 0, 0]);
            assert_eq!(back.keys, [100, 101, 102]);
            for id in 0..3u32 {
                assert_eq!(back.vectors.row(id as usize), vectors.get(id));
            }
            let restored = Graph::restore(
                *graph.config(),
                back.layer0,
                &back.levels,
                &back.upper,
                back.entry,
            )
            .unwrap();
            assert_eq!(restored.entry(), Some((0, 1)));
            for (id, level) in [(0, 1), (1, 0), (2, 1)] {
                assert_eq!(restored.level_of(id), level);
                for layer in 0..=level {
                    assert_eq!(links(&restored, id, layer), links(&graph, id, layer));
                }
            }
        }
        let info = verify(&path).unwrap();
        assert_eq!((info.nodes, info.dim, info.m), (3, 3, 2));
    }
}
