//! Index files: the same answers from RAM, a loaded file and a mapped file; damaged, foreign
//! and newer files refused with typed errors; atomic saves.

use std::path::{Path, PathBuf};

use crate::data::{clustered, recall_at, SEED};
use vicino::{Error, Index, IndexParams, Metric};

/// The three ways to hold an index that must answer alike.
fn three_ways(index: Index, path: &Path) -> [(&'static str, Index); 3] {
    index.save(path).unwrap();
    [
        ("ram", index),
        ("loaded", Index::load(path).unwrap()),
        ("mapped", Index::open(path).unwrap()),
    ]
}

#[test]
fn ram_loaded_and_mapped_answer_identically() {
    let dir = tempfile::tempdir().unwrap();
    // 260-d rows get sign sketches (made again from the rows when a file is read).
    for (rows, dim) in [(3_000, 20), (2_000, 260)] {
        let data = clustered(rows + 100, dim, 12, SEED + 9);
        let (base, queries) = data.split_at(rows * dim);
        for metric in [Metric::L2, Metric::Cosine, Metric::InnerProduct] {
            let path = dir.path().join(format!("{metric}-{dim}.vcn"));
            let index = Index::build(IndexParams::new(metric).m(8), dim, base).unwrap();
            let ways = three_ways(index, &path);
            let answers: Vec<_> = ways
                .iter()
                .map(|(_, i)| i.search_batch(queries, 10, 50).unwrap())
                .collect();
            for (w, a) in ways.iter().zip(&answers).skip(1) {
                assert_eq!(w.1.len(), rows);
                assert_eq!(w.1.params(), ways[0].1.params());
                assert_eq!(a, &answers[0], "{metric}: {} answers differently", w.0);
            }
            for (name, index) in &ways {
                let r = recall_at(index, base, queries, 10, 100);
                assert!(r >= 0.95, "{metric} {name}: recall {r}");
            }
            let info = Index::verify(&path).unwrap();
            assert_eq!((info.nodes, info.dim, info.metric), (rows, dim, metric));
        }
    }
}

#[test]
fn round_trip_after_adds_keeps_every_key() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.vcn"), dir.path().join("b.vcn"));
    let (rows, dim) = (4_000, 16);
    let data = clustered(rows + 100, dim, 10, SEED + 10);
    let (base, queries) = data.split_at(rows * dim);
    let half = rows / 2;
    Index::build(IndexParams::new(Metric::L2), dim, &base[..half * dim])
        .unwrap()
        .save(&a)
        .unwrap();

    let opened = Index::open(&a).unwrap();
    let keys: Vec<u64> = (half as u64..rows as u64).collect();
    opened.add_batch(&keys, &base[half * dim..]).unwrap();
    opened.repair().unwrap();
    opened.save(&b).unwrap();
    // Adds to a mapped index never reach its file.
    assert_eq!(Index::verify(&a).unwrap().nodes, half);

    let reopened = Index::open(&b).unwrap();
    assert_eq!(reopened.len(), rows);
    for key in [0usize, half - 1, half, rows - 1] {
        let hit = reopened
            .search(&base[key * dim..(key + 1) * dim], 1, 64)
            .unwrap();
        assert_eq!(hit[0].key, key as u64);
    }
    let r = recall_at(&reopened, base, queries, 10, 100);
    assert!(r >= 0.95, "recall after open/add/save/open {r}");
}

#[test]
fn every_truncation_and_flipped_byte_is_caught() {
    // Small enough to try every cut and every byte: 60 nodes in 6 page-aligned sections.
    let dir = tempfile::tempdir().unwrap();
    let good = saved(&dir.path().join("good.vcn"), Metric::Cosine, 60, 8, 3);
    let bad = dir.path().join("bad.vcn");
    let vectors = section(&good, 0);

    for cut in 0..good.len() {
        std::fs::write(&bad, &good[..cut]).unwrap();
        for (how, result) in [
            ("load", Index::load(&bad).map(|_| ())),
            ("open", Index::open(&bad).map(|_| ())),
            ("verify", Index::verify(&bad).map(|_| ())),
        ] {
            assert!(
                matches!(result, Err(Error::Corrupt { .. })),
                "{how} of a file cut at {cut}: {result:?}"
            );
        }
    }
    for pos in 0..good.len() {
        let mut flipped = good.clone();
        flipped[pos] ^= 0x5a;
        std::fs::write(&bad, &flipped).unwrap();
        assert!(
            matches!(Index::load(&bad), Err(Error::Corrupt { .. })),
            "load, byte {pos} flipped"
        );
        assert!(
            matches!(Index::verify(&bad), Err(Error::Corrupt { .. })),
            "verify, byte {pos} flipped"
        );
        // Opening skips the vectors' checksum (it would read every vector page), and only it.
        let opened = Index::open(&bad);
        if vectors.contains(&pos) {
            assert!(opened.is_ok(), "open, byte {pos} of the vectors flipped");
        } else {
            assert!(
                matches!(opened, Err(Error::Corrupt { .. })),
                "open, byte {pos} flipped (outside the vectors)"
            );
        }
    }
}

#[test]
fn foreign_newer_and_missing_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.vcn");
    Index::build(
        IndexParams::new(Metric::L2),
        4,
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 9.0],
    )
    .unwrap()
    .save(&path)
    .unwrap();
    let good = std::fs::read(&path).unwrap();
    let bad = dir.path().join("bad.vcn");

    // An fvecs file given as an index.
    let mut fvecs = 4i32.to_le_bytes().to_vec();
    fvecs.extend([1f32, 2.0, 3.0, 4.0].iter().flat_map(|x| x.to_le_bytes()));
    std::fs::write(&bad, &fvecs).unwrap();
    let err = Index::open(&bad).unwrap_err().to_string();
    assert!(err.contains("not a vicino index"), "{err}");

    let mut newer = good.clone();
    newer[8..12].copy_from_slice(&99u32.to_le_bytes());
    std::fs::write(&bad, &newer).unwrap();
    let err = Index::load(&bad).unwrap_err().to_string();
    assert!(err.contains("newer"), "{err}");

    let mut swapped = good.clone();
    swapped[12..16].copy_from_slice(&0x0102_0304u32.to_be_bytes());
    std::fs::write(&bad, &swapped).unwrap();
    let err = Index::open(&bad).unwrap_err().to_string();
    assert!(err.contains("byte order"), "{err}");

    std::fs::write(&bad, b"").unwrap();
    assert!(matches!(Index::open(&bad), Err(Error::Corrupt { .. })));
    assert!(matches!(
        Index::load(dir.path().join("missing")),
        Err(Error::Io { .. })
    ));
    assert!(matches!(
        Index::open(dir.path().join("missing")),
        Err(Error::Io { .. })
    ));
}

#[test]
fn empty_index_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.vcn");
    Index::new(IndexParams::new(Metric::Cosine), 5)
        .unwrap()
        .save(&path)
        .unwrap();
    for index in [Index::load(&path).unwrap(), Index::open(&path).unwrap()] {
        assert!(index.is_empty());
        assert!(index.search(&[1.0; 5], 3, 10).unwrap().is_empty());
        index.add(7, &[1.0, 0.0, 0.0, 0.0, 0.0]).unwrap();
        assert_eq!(index.search(&[1.0; 5], 3, 10).unwrap()[0].key, 7);
    }
}

#[test]
fn a_save_into_a_missing_folder_fails_cleanly_and_a_save_replaces_the_old_file_whole() {
    let dir = tempfile::tempdir().unwrap();
    let index = Index::build(IndexParams::new(Metric::L2), 4, &[1.0, 2.0, 3.0, 4.0]).unwrap();
    let target = dir.path().join("no-such-dir").join("x.vcn");
    assert!(matches!(index.save(&target), Err(Error::Io { .. })));
    assert!(!target.exists());
    // Saving over an existing index replaces it whole.
    let path = dir.path().join("x.vcn");
    index.save(&path).unwrap();
    let bigger = Index::build(IndexParams::new(Metric::L2), 4, &[1.0; 40]).unwrap();
    bigger.save(&path).unwrap();
    assert_eq!(Index::load(&path).unwrap().len(), 10);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "temp files left: {leftovers:?}");
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    /// A small valid index file to mutate.
    fn seed_file() -> &'static Vec<u8> {
        static FILE: OnceLock<Vec<u8>> = OnceLock::new();
        FILE.get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("seed.vcn");
            let base = clustered(120, 5, 3, SEED);
            Index::build(IndexParams::new(Metric::L2).m(3), 5, &base)
                .unwrap()
                .save(&path)
                .unwrap();
            std::fs::read(&path).unwrap()
        })
    }

    proptest! {
        // `PROPTEST_CASES=20000 cargo test --test it fuzz` for a longer run.
        #[test]
        fn mutated_files_never_panic(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in proptest::option::of(any::<prop::sample::Index>()),
            resealed in any::<bool>(),
        ) {
            let mut bytes = seed_file().clone();
            for (at, value) in edits {
                let i = at.index(bytes.len());
                bytes[i] = value;
            }
            // Half the cases get valid checksums again, so the edits reach the structure and
            // link checks instead of stopping at a checksum.
            if resealed {
                reseal(&mut bytes);
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(bytes.len()));
            }
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("m.vcn");
            std::fs::write(&path, &bytes).unwrap();
            let verified = Index::verify(&path).is_ok();
            let loaded = Index::load(&path);
            // verify runs every check load runs, and no other.
            prop_assert_eq!(loaded.is_ok(), verified);
            for index in [loaded, Index::open(&path)].into_iter().flatten() {
                // Whatever opened must search without panicking.
                let _ = index.search(&[0.5; 5], 3, 16);
                let _ = index.exact_search(&[0.5; 5], 3);
            }
        }
    }
}

/// Rewrites `bytes` so every checksum matches again (as a careless or hostile writer would).
/// Sections the (possibly edited) table places outside the file are left as they are.
fn reseal(bytes: &mut [u8]) {
    // The section count (at byte 72) sets where the header's checksum sits: 5 sections in
    // version 1, 7 from version 2. An edited count is clamped so the header stays readable.
    let count = (u32::from_le_bytes(bytes[72..76].try_into().unwrap()) as usize).min(7);
    let checked = 80 + 32 * count;
    for i in 0..count {
        let Some(data) = bytes.get(section(bytes, i)) else {
            continue;
        };
        let crc = crc32c::crc32c(data);
        let at = 80 + i * 32;
        bytes[at + 4..at + 8].copy_from_slice(&crc.to_le_bytes());
    }
    let crc = crc32c::crc32c(&bytes[..checked]);
    bytes[checked..checked + 4].copy_from_slice(&crc.to_le_bytes());
}

#[test]
fn bad_links_with_valid_checksums_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let good = saved(&dir.path().join("a.vcn"), Metric::L2, 300, 4, 4);
    // Row 0 of layer 0 is [count, ids...].
    let layer0 = section(&good, 1).start;
    let cases: [(&str, usize, u32); 3] = [
        ("out of range", layer0 + 4, 300),
        ("self link", layer0 + 4, 0),
        ("count above the cap", layer0, 9),
    ];
    for (what, at, value) in cases {
        let bad = edited_and_resealed(dir.path(), &good, at, value.to_le_bytes());
        // verify (and so `vicino info`) runs every check open and load run.
        for result in [
            Index::open(&bad).map(|_| ()),
            Index::load(&bad).map(|_| ()),
            Index::verify(&bad).map(|_| ()),
        ] {
            let err = result.unwrap_err().to_string();
            assert!(
                err.contains("node 0") || err.contains("links"),
                "{what}: {err}"
            );
        }
    }
}

#[test]
fn edited_vectors_with_valid_checksums_are_refused_by_load_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    // Dimension 4: rows padded to 16 floats.
    let good = saved(&dir.path().join("a.vcn"), Metric::L2, 300, 4, 4);
    let vectors = section(&good, 0).start;
    // Row 7 starts at vectors + 7 * 16 floats.
    let row7 = vectors + 7 * 16 * 4;
    let cases: [(&str, usize, f32, &str); 4] = [
        ("NaN", row7 + 4, f32::NAN, "non-finite"),
        ("infinity", row7, f32::INFINITY, "non-finite"),
        ("too long", row7 + 8, 3e38, "squared length"),
        ("padding", row7 + 5 * 4, 1.0, "padding"),
    ];
    for (what, at, value, expected) in cases {
        let bad = edited_and_resealed(dir.path(), &good, at, value.to_le_bytes());
        for result in [
            Index::load(&bad).map(|_| ()),
            Index::verify(&bad).map(|_| ()),
        ] {
            let err = result.unwrap_err().to_string();
            assert!(err.contains("vector 7"), "{what}: {err}");
            assert!(err.contains(expected), "{what}: {err}");
        }
    }
}

#[test]
fn an_index_path_that_is_not_a_regular_file_is_refused_at_once() {
    // /dev/zero would be read until memory runs out; a FIFO would block the open forever.
    let dir = tempfile::tempdir().unwrap();
    let zero = dir.path().join("zero.vcn");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let mut paths = vec![zero, dir.path().to_path_buf()];
    let fifo = dir.path().join("pipe.vcn");
    if std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        paths.push(fifo);
    }
    for path in &paths {
        for result in [
            Index::load(path).map(|_| ()),
            Index::open(path).map(|_| ()),
            Index::verify(path).map(|_| ()),
        ] {
            match result {
                Err(Error::Io { source, .. }) => {
                    assert_eq!(source.kind(), std::io::ErrorKind::InvalidInput, "{path:?}")
                }
                other => panic!("{path:?}: {other:?}"),
            }
        }
    }
}

/// The byte range of section `i` (0 vectors, 1 layer 0, 2 levels, 3 upper links, 4 keys), as
/// the section table of `bytes` gives it.
fn section(bytes: &[u8], i: usize) -> std::ops::Range<usize> {
    let at = 80 + i * 32;
    let field = |o: usize| u64::from_le_bytes(bytes[at + o..at + o + 8].try_into().unwrap());
    let (offset, len) = (field(8) as usize, field(16) as usize);
    offset..offset.saturating_add(len)
}

/// A small index of seeded clustered rows, saved at `path`; returns the file's bytes.
fn saved(path: &Path, metric: Metric, rows: usize, dim: usize, m: usize) -> Vec<u8> {
    let base = clustered(rows, dim, 4, SEED);
    Index::build(IndexParams::new(metric).m(m), dim, &base)
        .unwrap()
        .save(path)
        .unwrap();
    std::fs::read(path).unwrap()
}

/// `good` with `value` written at byte `at` and every checksum re-sealed, as `dir/bad.vcn`.
fn edited_and_resealed(dir: &Path, good: &[u8], at: usize, value: [u8; 4]) -> PathBuf {
    let mut bytes = good.to_vec();
    bytes[at..at + 4].copy_from_slice(&value);
    reseal(&mut bytes);
    let bad = dir.join("bad.vcn");
    std::fs::write(&bad, &bytes).unwrap();
    bad
}
