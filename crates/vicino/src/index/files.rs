//! Index files, seen from the index: [`Index::save`], [`Index::load`], [`Index::open`] and
//! [`Index::verify`] hand plain parts to `crate::persist` and take them back from it; the
//! format, its checks and the file I/O are all there.

use std::path::Path;
use std::sync::OnceLock;

use super::{graph_config, Index, IndexParams};
use crate::arena::VectorArena;
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::persist::{self, Access, FileInfo, IndexParts};
use crate::quantize::{CodedSpace, Sq8};

impl Index {
    /// Writes the index to `path` atomically (a temp file in the same folder, fsync, rename): an
    /// error or a crash never leaves a partial file there nor harms the file it replaces.
    /// Adds in flight on other threads finish first, and adds started meanwhile wait until the
    /// file is written, so the file is one consistent graph (searches go on meanwhile).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        // Inserts in flight finish first and new ones wait: the file is one consistent graph.
        let _quiet = self.without_inserts();
        let nodes = self
            .quiescent_len()
            .ok_or(Error::Busy { operation: "save" })?;
        persist::write(
            path.as_ref(),
            &IndexParts {
                metric: self.metric(),
                nodes,
                vectors: &self.space.vectors,
                graph: &self.graph,
                keys: &|id| self.key_of(id),
                quantization: self.params.quantization(),
                codes: self.walk_codes(),
            },
        )
    }

    /// Reads an index file into memory, checking every checksum.
    pub fn load(path: impl AsRef<Path>) -> Result<Index> {
        Self::from_file(path.as_ref(), Access::Read)
    }

    /// Opens an index file by mapping it (copy-on-write): vectors and layer-0 links are searched
    /// in place and paged in by the OS as needed, so an index larger than RAM can be served.
    /// Checks the structure and every checksum except the vectors' (see [`Index::verify`]).
    /// The opened index takes more `add`s; they stay in memory until the next `save`.
    ///
    /// The file must not be truncated or rewritten in place while it is open: a search that
    /// touches a page past a new end gets SIGBUS from the OS, which ends the process (true of
    /// every memory-mapped file). `save` never writes in place (it renames a new file over the
    /// path), so saving over an open index is safe; [`Index::load`] avoids the mapping.
    pub fn open(path: impl AsRef<Path>) -> Result<Index> {
        Self::from_file(path.as_ref(), Access::Map)
    }

    /// Checks every checksum of an index file (reading it whole, sequentially) and reports what
    /// it holds.
    pub fn verify(path: impl AsRef<Path>) -> Result<FileInfo> {
        persist::verify(path.as_ref())
    }

    /// An index over the parts of the file at `path`, every node ready.
    fn from_file(path: &Path, access: Access) -> Result<Index> {
        let parts = persist::read(path, access)?;
        let params = IndexParams::new(parts.metric)
            .m(parts.m)
            .ef_construction(parts.ef_construction)
            .seed(parts.seed)
            .quantize(parts.quantization);
        params
            .validate()
            .map_err(|e| Error::corrupt(path, e.to_string()))?;
        let nodes = parts.levels.len();
        let graph = Graph::restore(
            graph_config(&params),
            parts.layer0,
            &parts.levels,
            &parts.upper,
            parts.entry,
        )?;
        let vectors = VectorArena::from_rows(parts.dim, parts.vectors);
        let mut index = Index::from_parts(params, vectors, graph, nodes)?;
        if let Some(sketches) = &index.space.sketches {
            // Sketches are not in the file: they are made from the rows, one pass over them.
            for id in 0..nodes as u32 {
                sketches.ensure(id)?;
                // SAFETY: the index is not shared yet: nothing else reads or writes the row.
                unsafe { sketches.write(id, index.space.vectors.get(id)) };
            }
        }
        if let Some(codes) = parts.codes {
            let sq8 = Sq8::from_ranges(codes.offset, codes.scale);
            index.codes = OnceLock::from(CodedSpace::from_rows(sq8, codes.rows, parts.metric));
        }
        index.restore_nodes(parts.keys.into_iter());
        Ok(index)
    }
}
