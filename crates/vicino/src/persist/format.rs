//! The header of an index file: fixed fields, the section table, and their checks.

use crate::arena::padded_dim;
use crate::error::{Error, Result};
use crate::graph::{MAX_EF_CONSTRUCTION, MAX_NODES};
use crate::metric::Metric;
use crate::quantize::Quantization;
use crate::space::MAX_DIM;

pub(crate) const MAGIC: [u8; 8] = *b"VICINITY";
/// Bumped whenever the layout changes; older versions stay readable (golden files prove it).
/// Version 2 added the quantization mode (in version 1's reserved word) and the two code
/// sections; version 1 files have five sections and no codes.
pub const VERSION: u32 = 2;
pub(crate) const ENDIAN_MARKER: u32 = 0x0102_0304;
/// The header occupies the first page; sections start on page boundaries after it.
pub(crate) const HEADER_LEN: usize = 4096;
pub(crate) const SECTION_ALIGN: usize = 4096;
/// Bytes of the header before the section table.
const FIXED_FIELDS: usize = 80;
/// Bytes of one section table entry.
const ENTRY_LEN: usize = 32;

/// Bytes of the header covered by its checksum (the checksum sits right after them): 240 in
/// version 1 (five sections), 304 from version 2 (seven).
fn header_checked(version: u32) -> usize {
    FIXED_FIELDS + ENTRY_LEN * section_count(version)
}

/// Sections in a file of `version`: the first five in version 1, all seven from version 2.
pub(crate) fn section_count(version: u32) -> usize {
    if version == 1 {
        5
    } else {
        SECTIONS.len()
    }
}

/// The sections, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    /// `nodes * stride` f32: the arena rows, padded with zeros.
    Vectors = 1,
    /// `nodes * (1 + m0)` u32: per node `[count, ids...]`.
    Layer0 = 2,
    /// `nodes` u8: each node's top layer.
    Levels = 3,
    /// per node with level L > 0, in id order: L rows of `1 + m` u32 (layers 1..=L).
    Upper = 4,
    /// `nodes` u64: the user's keys.
    Keys = 5,
    /// A quantized index's `nodes * stride` u8: each vector's 8-bit codes (empty otherwise).
    Codes = 6,
    /// A quantized index's `2 * stride` f32: each dimension's code offset, then its scale
    /// (empty otherwise, and when the index is empty).
    CodeRanges = 7,
}

pub(crate) const SECTIONS: [Section; 7] = [
    Section::Vectors,
    Section::Layer0,
    Section::Levels,
    Section::Upper,
    Section::Keys,
    Section::Codes,
    Section::CodeRanges,
];

impl Section {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Section::Vectors => "vectors",
            Section::Layer0 => "layer-0 links",
            Section::Levels => "levels",
            Section::Upper => "upper links",
            Section::Keys => "keys",
            Section::Codes => "codes",
            Section::CodeRanges => "code ranges",
        }
    }
}

/// Where a section lies and its CRC-32C.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct SectionEntry {
    pub offset: u64,
    pub len: u64,
    pub crc: u32,
}

/// Everything the first page says.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Header {
    pub version: u32,
    pub metric: Metric,
    pub dim: usize,
    pub stride: usize,
    pub m: usize,
    pub m0: usize,
    pub ef_construction: usize,
    pub seed: u64,
    pub nodes: usize,
    /// `(id, top level)` of the entry point; `None` for an empty index.
    pub entry: Option<(u32, usize)>,
    pub quantization: Quantization,
    /// Version 1 files have the first five; the last two are then empty, at the file's end.
    pub sections: [SectionEntry; 7],
}

fn metric_code(m: Metric) -> u32 {
    match m {
        Metric::L2 => 0,
        Metric::Cosine => 1,
        Metric::InnerProduct => 2,
    }
}

fn metric_from(code: u32) -> Option<Metric> {
    match code {
        0 => Some(Metric::L2),
        1 => Some(Metric::Cosine),
        2 => Some(Metric::InnerProduct),
        _ => None,
    }
}

pub(crate) fn align_up(x: u64) -> u64 {
    x.div_ceil(SECTION_ALIGN as u64) * SECTION_ALIGN as u64
}

impl Header {
    /// Section offsets and lengths for these counts (`upper_rows`: total upper-layer rows).
    pub(crate) fn layout(&mut self, upper_rows: usize) {
        let n = self.nodes as u64;
        // An empty quantized index has learnt no ranges yet: it learns them from its first batch.
        let coded = u64::from(self.quantization != Quantization::None && n > 0);
        let lens = [
            n * self.stride as u64 * 4,
            n * (1 + self.m0) as u64 * 4,
            n,
            upper_rows as u64 * (1 + self.m) as u64 * 4,
            n * 8,
            coded * n * self.stride as u64,
            coded * 2 * self.stride as u64 * 4,
        ];
        let mut offset = HEADER_LEN as u64;
        for (entry, len) in self.sections.iter_mut().zip(lens) {
            *entry = SectionEntry {
                offset,
                len,
                crc: entry.crc,
            };
            offset = align_up(offset + len);
        }
    }

    /// The file's total length: the end of the last section, padded to a page.
    pub(crate) fn file_len(&self) -> u64 {
        let last = self.sections[SECTIONS.len() - 1];
        align_up(last.offset + last.len)
    }

    pub(crate) fn section(&self, s: Section) -> SectionEntry {
        self.sections[s as usize - 1]
    }

    pub(crate) fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        let mut w = Writer {
            buf: &mut b,
            pos: 0,
        };
        w.bytes(&MAGIC);
        w.u32(self.version);
        w.u32(ENDIAN_MARKER);
        w.u32(HEADER_LEN as u32);
        w.u32(metric_code(self.metric));
        w.u32(self.dim as u32);
        w.u32(self.stride as u32);
        w.u32(self.m as u32);
        w.u32(self.m0 as u32);
        w.u32(self.ef_construction as u32);
        w.u32(self.entry.map_or(0, |e| e.1 as u32));
        w.u64(self.seed);
        w.u64(self.nodes as u64);
        w.u64(self.entry.map_or(u64::MAX, |e| e.0 as u64));
        let count = section_count(self.version);
        w.u32(count as u32);
        w.u32(self.quantization.code());
        for (kind, s) in SECTIONS.iter().zip(&self.sections).take(count) {
            w.u32(*kind as u32);
            w.u32(s.crc);
            w.u64(s.offset);
            w.u64(s.len);
            w.u64(0);
        }
        let checked = header_checked(self.version);
        debug_assert_eq!(w.pos, checked);
        let crc = crc32c::crc32c(&b[..checked]);
        b[checked..checked + 4].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// Parses and checks the header of a file of `file_len` bytes. `bad` builds the error.
    pub(crate) fn decode(
        bytes: &[u8],
        file_len: u64,
        bad: &dyn Fn(String) -> Error,
    ) -> Result<Header> {
        if bytes.len() < 8 || bytes[..8] != MAGIC {
            return Err(bad("not a vicino index (wrong magic bytes)".into()));
        }
        if bytes.len() < HEADER_LEN {
            return Err(bad(format!(
                "truncated: {} bytes, the header alone is {HEADER_LEN}",
                bytes.len()
            )));
        }
        let mut r = Reader { buf: bytes, pos: 8 };
        let version = r.u32();
        let marker = r.u32();
        if marker == ENDIAN_MARKER.swap_bytes() {
            return Err(bad("written with the other byte order".into()));
        }
        if marker != ENDIAN_MARKER {
            return Err(bad("bad byte-order marker".into()));
        }
        if version > VERSION {
            return Err(bad(format!(
                "format version {version} is newer than this build reads ({VERSION}): upgrade vicino"
            )));
        }
        if version == 0 {
            return Err(bad("format version 0 does not exist".into()));
        }
        let checked = header_checked(version);
        let stored = u32::from_le_bytes(bytes[checked..checked + 4].try_into().unwrap_or_default());
        if crc32c::crc32c(&bytes[..checked]) != stored {
            return Err(bad("header checksum mismatch".into()));
        }
        if bytes[checked + 4..HEADER_LEN].iter().any(|&b| b != 0) {
            return Err(bad("header padding is not zero".into()));
        }
        let header_len = r.u32() as usize;
        let metric_code = r.u32();
        let dim = r.u32() as usize;
        let stride = r.u32() as usize;
        let m = r.u32() as usize;
        let m0 = r.u32() as usize;
        let ef_construction = r.u32() as usize;
        let top = r.u32() as usize;
        let seed = r.u64();
        let nodes = r.u64();
        let entry = r.u64();
        let count = r.u32() as usize;
        let quantization_code = r.u32();
        if header_len != HEADER_LEN || count != section_count(version) {
            return Err(bad(format!(
                "unsupported layout ({header_len}-byte header, {count} sections)"
            )));
        }
        let metric = metric_from(metric_code)
            .ok_or_else(|| bad(format!("unknown metric code {metric_code}")))?;
        // Version 1 wrote zero here (a reserved word): no quantization.
        let quantization = Quantization::from_code(quantization_code)
            .ok_or_else(|| bad(format!("unknown quantization code {quantization_code}")))?;
        if dim == 0 || dim > MAX_DIM || stride != padded_dim(dim) {
            return Err(bad(format!(
                "dimension {dim} / row stride {stride} out of range"
            )));
        }
        if !(2..=1024).contains(&m)
            || m0 != 2 * m
            || !(1..=MAX_EF_CONSTRUCTION).contains(&ef_construction)
        {
            return Err(bad(format!(
                "bad parameters m = {m}, m0 = {m0}, ef_construction = {ef_construction}"
            )));
        }
        if nodes > MAX_NODES as u64 {
            return Err(bad(format!("{nodes} nodes is more than an index holds")));
        }
        let nodes = nodes as usize;
        let entry = match (nodes, entry) {
            (0, u64::MAX) => None,
            (n, e) if n > 0 && e < n as u64 && top <= 31 => Some((e as u32, top)),
            _ => {
                return Err(bad(format!(
                    "entry point {entry} (level {top}) does not fit {nodes} nodes"
                )))
            }
        };
        let mut sections = [SectionEntry::default(); SECTIONS.len()];
        for (want, slot) in SECTIONS.iter().zip(sections.iter_mut()).take(count) {
            let kind = r.u32();
            let crc = r.u32();
            let offset = r.u64();
            let len = r.u64();
            let _reserved = r.u64();
            if kind != *want as u32 {
                return Err(bad(format!(
                    "section {kind} where {} was expected",
                    want.name()
                )));
            }
            *slot = SectionEntry { offset, len, crc };
        }
        let mut header = Header {
            version,
            metric,
            dim,
            stride,
            m,
            m0,
            ef_construction,
            seed,
            nodes,
            entry,
            quantization,
            sections,
        };
        // The upper section's length depends on the levels; check it against itself here and
        // against the levels once they are read.
        let upper = sections[Section::Upper as usize - 1];
        let row_bytes = (1 + m) as u64 * 4;
        if upper.len % row_bytes != 0 || upper.len / row_bytes > 32 * nodes as u64 {
            return Err(bad(format!(
                "upper-link section of {} bytes is malformed",
                upper.len
            )));
        }
        let mut expected = header.clone();
        expected.layout((upper.len / row_bytes) as usize);
        // A version 1 file has no code sections: they lie, empty, where the layout puts them.
        for (slot, want) in sections.iter_mut().zip(&expected.sections).skip(count) {
            *slot = *want;
        }
        for (i, (got, want)) in sections.iter().zip(&expected.sections).enumerate() {
            if got.offset != want.offset || got.len != want.len {
                return Err(bad(format!(
                    "{} section at {}+{} where {}+{} was expected",
                    SECTIONS[i].name(),
                    got.offset,
                    got.len,
                    want.offset,
                    want.len
                )));
            }
        }
        if expected.file_len() != file_len {
            return Err(bad(format!(
                "file is {file_len} bytes, its header describes {} (truncated or extended)",
                expected.file_len()
            )));
        }
        header.sections = sections;
        Ok(header)
    }
}

struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn bytes(&mut self, b: &[u8]) {
        self.buf[self.pos..self.pos + b.len()].copy_from_slice(b);
        self.pos += b.len();
    }
    fn u32(&mut self, x: u32) {
        self.bytes(&x.to_le_bytes());
    }
    fn u64(&mut self, x: u64) {
        self.bytes(&x.to_le_bytes());
    }
}

/// Reads fixed fields from a buffer already checked to hold the whole header.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut a = [0u8; N];
        a.copy_from_slice(&self.buf[self.pos..self.pos + N]);
        self.pos += N;
        a
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Header {
        let mut h = Header {
            version: VERSION,
            metric: Metric::Cosine,
            dim: 100,
            stride: padded_dim(100),
            m: 16,
            m0: 32,
            ef_construction: 200,
            seed: 7,
            nodes: 1000,
            entry: Some((3, 2)),
            quantization: Quantization::Sq8,
            sections: Default::default(),
        };
        h.layout(70);
        h
    }

    fn bad(reason: String) -> Error {
        Error::corrupt("test", reason)
    }

    #[test]
    fn header_round_trips() {
        let h = sample();
        let bytes = h.encode();
        assert_eq!(Header::decode(&bytes, h.file_len(), &bad).unwrap(), h);
    }

    #[test]
    fn wrong_file_length_is_refused() {
        let h = sample();
        let err = Header::decode(&h.encode(), h.file_len() - 1, &bad).unwrap_err();
        assert!(err.to_string().contains("truncated or extended"), "{err}");
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..5000), len in any::<u64>()) {
            let _ = Header::decode(&bytes, len, &bad);
        }

        #[test]
        fn any_changed_header_byte_is_caught(pos in 0usize..HEADER_LEN, x in 1u8..=255) {
            let h = sample();
            let mut bytes = h.encode();
            bytes[pos] ^= x;
            prop_assert!(Header::decode(&bytes, h.file_len(), &bad).is_err());
        }
    }
}
