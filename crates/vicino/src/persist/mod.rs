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
//! range, caps, levels), so a search never follows a bad link. [`crate::Index::verify`] and
//! [`crate::Index::load`] also check the vectors.
//!
//! | file | owns |
//! |---|---|
//! | `format.rs` | the header, the section table, their checks |
//! | `file.rs` | the file's bytes (heap or copy-on-write mapping) and sections as arena backings |
//! | `write.rs` | saving: sections streamed with checksums, then the header, atomically |
//! | `read.rs` | opening: checks, then an index over the file's sections |
//! | `atomic.rs` | writing any file atomically: temp file, fsync, rename |

mod atomic;
mod file;
mod format;
mod read;
mod write;

use std::path::Path;

use self::file::{DiskBacking, FileBytes};
use self::read::{check_sections, header_of, index_from_file, Checks};
use crate::arena::{padded_dim, PaddedQuery, RowStore, VectorArena};
use crate::error::Result;
use crate::graph::Graph;
use crate::index::{check_matrix, check_shape, graph_config, prepare_query};
use crate::quantize::{CodedSpace, Sq8Trainer};
use crate::Index;
use crate::IndexParams;

pub use self::atomic::write_atomic;
pub use self::format::VERSION as FORMAT_VERSION;

/// What [`Index::verify`] found in a file that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct FileInfo {
    pub format_version: u32,
    pub dim: usize,
    pub metric: crate::Metric,
    pub m: usize,
    pub ef_construction: usize,
    pub seed: u64,
    pub nodes: usize,
    pub file_bytes: u64,
    /// Name and CRC-32C of each section, in file order.
    pub sections: Vec<(&'static str, u64, u32)>,
}

impl Index {
    /// Writes the index to `path` atomically (a temp file in the same folder, fsync, rename): an
    /// error or a crash never leaves a partial file there nor harms the file it replaces.
    /// Fails if another thread is adding at that moment.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        write::save(self, path.as_ref())
    }

    /// Reads an index file into memory, checking every checksum.
    pub fn load(path: impl AsRef<Path>) -> Result<Index> {
        let path = path.as_ref();
        index_from_file(FileBytes::read(path)?, Checks::All, path)
    }

    /// Opens an index file by mapping it (copy-on-write): vectors and layer-0 links are searched
    /// in place and paged in by the OS as needed, so an index larger than RAM can be served.
    /// Checks the structure and every checksum except the vectors' (see [`Index::verify`]).
    /// The opened index takes more `add`s; they stay in memory until the next `save`.
    pub fn open(path: impl AsRef<Path>) -> Result<Index> {
        let path = path.as_ref();
        index_from_file(FileBytes::map(path)?, Checks::AllButVectors, path)
    }

    /// An empty index whose first `capacity` vectors live in a scratch file in `dir` (mapped
    /// shared, unlinked at once), built on 8-bit codes of its vectors held in RAM: an index whose
    /// vectors exceed memory can be built. Past `capacity` it grows on the heap.
    ///
    /// HNSW construction reads vectors at random, so inserts compute their distances on the
    /// codes (a quarter of the vectors' size, see `sample`), and the full vectors in the
    /// scratch file are only written, which the OS can page out freely. Searches, `save` and
    /// everything after the build use the full vectors.
    ///
    /// `sample` (rows of `dim` floats, e.g. a few thousand spread over the data) sets each
    /// dimension's range for the codes; later values outside it are clamped to the range.
    pub fn with_capacity_on_disk(
        params: IndexParams,
        dim: usize,
        capacity: usize,
        dir: impl AsRef<Path>,
        sample: &[f32],
    ) -> Result<Index> {
        check_shape(&params, dim, capacity)?;
        let codes = fit_codes(&params, dim, capacity, sample)?;
        let dir = dir.as_ref();
        let stride = padded_dim(dim);
        let config = graph_config(&params);
        let vectors = RowStore::with_backing(
            stride,
            capacity,
            Box::new(DiskBacking::<f32>::create(
                dir,
                capacity.saturating_mul(stride),
            )?),
        )?;
        // Links stay in RAM (a quarter of the vectors' size at dim 128): they are rewritten all
        // through the build, and as file pages they would be written back again and again.
        let layer0 = RowStore::new(1 + config.m0, capacity)?;
        let graph = Graph::with_layer0(config, layer0, capacity);
        let mut index = Index::from_parts(
            params,
            VectorArena::from_rows(dim, vectors),
            graph,
            capacity,
        );
        index.set_build_codes(codes);
        Ok(index)
    }

    /// Checks every checksum of an index file (reading it whole, sequentially) and reports what
    /// it holds.
    pub fn verify(path: impl AsRef<Path>) -> Result<FileInfo> {
        let path = path.as_ref();
        let file = FileBytes::read(path)?;
        let header = header_of(&file, path)?;
        check_sections(&file, &header, Checks::All, path)?;
        Ok(FileInfo {
            format_version: header.version,
            dim: header.dim,
            metric: header.metric,
            m: header.m,
            ef_construction: header.ef_construction,
            seed: header.seed,
            nodes: header.nodes,
            file_bytes: file.len() as u64,
            sections: format::SECTIONS
                .iter()
                .zip(&header.sections)
                .map(|(s, e)| (s.name(), e.len, e.crc))
                .collect(),
        })
    }
}

/// 8-bit codes fitted to `sample` (checked like any input matrix, and prepared as stored
/// vectors are: normalised under cosine), with room for `capacity` rows.
fn fit_codes(
    params: &IndexParams,
    dim: usize,
    capacity: usize,
    sample: &[f32],
) -> Result<CodedSpace> {
    let metric = params.metric();
    check_matrix(sample, dim, metric, 0)?;
    let mut trainer = Sq8Trainer::new(padded_dim(dim));
    let mut row = PaddedQuery::new(padded_dim(dim))?;
    for v in sample.chunks_exact(dim) {
        trainer.observe(prepare_query(&mut row, v, metric));
    }
    CodedSpace::new(trainer.finish()?, metric, capacity)
}
