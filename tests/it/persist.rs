//! Save and load: same answers, and bad files refused with typed errors.

use crate::data::{clustered, SEED};
use vicinity::{Error, Index, IndexParams, Metric};

#[test]
fn saved_index_answers_identically_and_takes_more_adds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.vcn");
    let (rows, dim) = (3_000, 20);
    let data = clustered(rows + 100, dim, 12, SEED + 9);
    let (base, queries) = data.split_at(rows * dim);
    for metric in [Metric::L2, Metric::Cosine, Metric::InnerProduct] {
        let index = Index::build(IndexParams::new(metric).m(8), dim, &base[..2_000 * dim]).unwrap();
        index.save(&path).unwrap();
        let loaded = Index::load(&path).unwrap();
        assert_eq!(loaded.len(), index.len());
        assert_eq!(loaded.params(), index.params());
        let a = index.search_batch(queries, 10, 50).unwrap();
        let b = loaded.search_batch(queries, 10, 50).unwrap();
        assert_eq!(a, b, "{metric}: loaded index answers differently");
        let keys: Vec<u64> = (2_000..rows as u64).collect();
        loaded.add_batch(&keys, &base[2_000 * dim..]).unwrap();
        assert_eq!(loaded.len(), rows);
        if metric != Metric::InnerProduct {
            // (Under inner product a longer vector can beat the query's own copy.)
            let hit = loaded
                .search(&base[2_500 * dim..2_501 * dim], 1, 50)
                .unwrap();
            assert_eq!(hit[0].key, 2_500, "{metric}");
        }
    }
}

#[test]
fn damaged_or_foreign_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.vcn");
    let dim = 8;
    let base = clustered(500, dim, 4, SEED);
    Index::build(IndexParams::new(Metric::L2), dim, &base)
        .unwrap()
        .save(&path)
        .unwrap();
    let good = std::fs::read(&path).unwrap();
    let bad = dir.path().join("bad.vcn");
    let step = (good.len() / 97).max(1);
    for cut in (0..good.len()).step_by(step) {
        std::fs::write(&bad, &good[..cut]).unwrap();
        assert!(
            matches!(Index::load(&bad), Err(Error::Format { .. })),
            "cut at {cut}"
        );
    }
    std::fs::write(&bad, b"\x08\0\0\0not an index at all").unwrap();
    assert!(matches!(Index::load(&bad), Err(Error::Format { .. })));
    assert!(matches!(
        Index::load(dir.path().join("missing")),
        Err(Error::Io { .. })
    ));
    let mut newer = good.clone();
    newer[8] = 99;
    std::fs::write(&bad, &newer).unwrap();
    let err = Index::load(&bad).unwrap_err().to_string();
    assert!(err.contains("version"), "{err}");
}

#[test]
fn failed_save_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let index = Index::build(IndexParams::new(Metric::L2), 4, &[1.0, 2.0, 3.0, 4.0]).unwrap();
    let target = dir.path().join("no-such-dir").join("x.vcn");
    assert!(matches!(index.save(&target), Err(Error::Io { .. })));
    assert!(!target.exists());
}
