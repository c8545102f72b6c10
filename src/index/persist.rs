//! Saving an index to one file and loading it back (a simple stream format; the versioned,
//! mappable format with per-section checksums replaces it in the storage work).
//!
//! ```text
//! header   magic "VCNTIDX\0" | version u32 | endian marker u32 0x01020304
//!          dim u32 | metric u32 | m u32 | ef_construction u32 | seed u64
//!          nodes u64 | entry id u32 | top level u32   (entry = u32::MAX when empty)
//! node i   key u64 | level u32 | level+1 link lists (layer 0 first): count u32, count * id u32
//!          | vector: dim * f32 (as stored: normalised under cosine)
//! ```
//! All integers and floats little-endian. Loading checks every count, id and value.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::Ordering;

use super::{Index, IndexParams, Slot};
use crate::error::{Error, Result};
use crate::io::write_atomic;
use crate::metric::Metric;

const MAGIC: &[u8; 8] = b"VCNTIDX\0";
const VERSION: u32 = 1;
const ENDIAN_MARKER: u32 = 0x0102_0304;
const FORMAT: &str = "vicinity index";
const NO_ENTRY: u32 = u32::MAX;

fn metric_code(m: Metric) -> u32 {
    match m {
        Metric::L2 => 0,
        Metric::Cosine => 1,
        Metric::InnerProduct => 2,
    }
}

impl Index {
    /// Writes the index to `path` atomically (a temp file beside it, fsync, rename): a failure
    /// never leaves a partial file there. Call it while no other thread is adding.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let nodes = self.ready.load(Ordering::Acquire);
        if nodes != self.allocated.load(Ordering::Acquire) {
            return Err(Error::InvalidParameter {
                name: "index",
                reason: "cannot save while vectors are being added".into(),
            });
        }
        let (entry, top) = self
            .graph
            .entry()
            .map_or((NO_ENTRY, 0), |(e, t)| (e, t as u32));
        let dim = self.dim();
        write_atomic(path, |w| {
            w.write_all(MAGIC)?;
            for x in [
                VERSION,
                ENDIAN_MARKER,
                dim as u32,
                metric_code(self.metric()),
            ] {
                w.write_all(&x.to_le_bytes())?;
            }
            w.write_all(&(self.params.get_m() as u32).to_le_bytes())?;
            w.write_all(&(self.params.get_ef_construction() as u32).to_le_bytes())?;
            w.write_all(&self.params.get_seed().to_le_bytes())?;
            w.write_all(&(nodes as u64).to_le_bytes())?;
            w.write_all(&entry.to_le_bytes())?;
            w.write_all(&top.to_le_bytes())?;
            let mut ids = Vec::new();
            for id in 0..nodes as u32 {
                let key = self.slots.get(id as usize).key.load(Ordering::Relaxed);
                w.write_all(&key.to_le_bytes())?;
                let level = self.graph.level_of(id);
                w.write_all(&(level as u32).to_le_bytes())?;
                for layer in 0..=level {
                    ids.clear();
                    ids.extend(self.graph.links(id, layer).iter());
                    w.write_all(&(ids.len() as u32).to_le_bytes())?;
                    for l in &ids {
                        w.write_all(&l.to_le_bytes())?;
                    }
                }
                for x in &self.space.vectors.get(id)[..dim] {
                    w.write_all(&x.to_le_bytes())?;
                }
            }
            Ok(())
        })
    }

    /// Reads an index written by [`Index::save`] into memory, checking every value.
    pub fn load(path: impl AsRef<Path>) -> Result<Index> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let mut r = Reader {
            bytes: &bytes,
            pos: 0,
            path,
        };
        if r.take(8)? != MAGIC {
            return Err(r.bad("not a vicinity index (wrong magic)"));
        }
        let version = r.u32()?;
        let marker = r.u32()?;
        if marker == ENDIAN_MARKER.swap_bytes() {
            return Err(r.bad("written with the other byte order"));
        }
        if marker != ENDIAN_MARKER {
            return Err(r.bad("bad endianness marker"));
        }
        if version != VERSION {
            return Err(r.bad(format!(
                "format version {version}, this build reads {VERSION}"
            )));
        }
        let dim = r.u32()? as usize;
        let metric = match r.u32()? {
            0 => Metric::L2,
            1 => Metric::Cosine,
            2 => Metric::InnerProduct,
            other => return Err(r.bad(format!("unknown metric code {other}"))),
        };
        let m = r.u32()? as usize;
        let ef_construction = r.u32()? as usize;
        let seed = r.u64()?;
        let params = IndexParams::new(metric)
            .m(m)
            .ef_construction(ef_construction)
            .seed(seed);
        params.validate().map_err(|e| r.bad(e.to_string()))?;
        if dim == 0 || dim > crate::io::MAX_DIM {
            return Err(r.bad(format!("dimension {dim} out of range")));
        }
        let nodes = r.u64()?;
        // Each node takes at least 16 bytes plus its vector: a larger count is a corrupt header.
        let min_node = 16 + 4 * dim as u64;
        if nodes.saturating_mul(min_node) > r.remaining() as u64 {
            return Err(r.bad(format!("{nodes} nodes do not fit in the file")));
        }
        let nodes = nodes as usize;
        let entry = r.u32()?;
        let top = r.u32()? as usize;
        let index = Index::with_capacity(params, dim, nodes)?;
        let graph = &index.graph;
        let mut links = Vec::new();
        let mut vector = vec![0f32; dim];
        for id in 0..nodes as u32 {
            let key = r.u64()?;
            let level = r.u32()? as usize;
            if level > top || level > 31 {
                return Err(r.bad(format!("node {id} has level {level} above the top {top}")));
            }
            graph.prepare_node(id, level)?;
            for layer in 0..=level {
                let count = r.u32()? as usize;
                if count > graph.cap(layer) {
                    return Err(r.bad(format!("node {id} has {count} links on layer {layer}")));
                }
                links.clear();
                for _ in 0..count {
                    let l = r.u32()?;
                    if l as usize >= nodes || l == id {
                        return Err(r.bad(format!("node {id} links to invalid node {l}")));
                    }
                    links.push(l);
                }
                graph.restore_links(id, layer, &links);
            }
            for x in vector.iter_mut() {
                *x = f32::from_le_bytes(r.array()?);
            }
            if vector.iter().any(|x| !x.is_finite()) {
                return Err(r.bad(format!("node {id} has a non-finite value")));
            }
            index.space.vectors.ensure(id)?;
            // SAFETY: the index is not shared yet, and storage for `id` was just ensured.
            unsafe { index.space.vectors.write(id, &vector) };
            let slot: &Slot = index.slots.get(id as usize);
            slot.key.store(key, Ordering::Relaxed);
            slot.ready.store(true, Ordering::Relaxed);
        }
        if r.remaining() != 0 {
            return Err(r.bad("trailing bytes after the last node"));
        }
        for id in 0..nodes as u32 {
            for layer in 1..=graph.level_of(id) {
                if graph
                    .links(id, layer)
                    .iter()
                    .any(|l| graph.level_of(l) < layer)
                {
                    return Err(r.bad(format!("node {id} links below its target's level")));
                }
            }
        }
        match (nodes, entry) {
            (0, NO_ENTRY) => {}
            (0, _) | (_, NO_ENTRY) => return Err(r.bad("entry point does not match node count")),
            (_, e) if e as usize >= nodes || graph.level_of(e) != top => {
                return Err(r.bad("entry point is not a node on the top level"))
            }
            (_, e) => graph.restore_entry(e, top),
        }
        index.allocated.store(nodes, Ordering::Release);
        index.ready.store(nodes, Ordering::Release);
        Ok(index)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    path: &'a Path,
}

impl<'a> Reader<'a> {
    fn bad(&self, reason: impl Into<String>) -> Error {
        Error::format(self.path, FORMAT, reason)
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.remaining() < n {
            return Err(self.bad(format!("truncated at byte {}", self.bytes.len())));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }
}
