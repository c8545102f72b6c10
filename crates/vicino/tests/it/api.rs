//! The library's contract at its edges: each bad input gives its typed error, never a panic.

use crate::data::{clustered, SEED};
use vicino::{Error, FlatIndex, Index, IndexParams, Metric};

fn small(metric: Metric) -> (Index, Vec<f32>) {
    let dim = 6;
    let base = clustered(300, dim, 3, SEED);
    (
        Index::build(IndexParams::new(metric), dim, &base).unwrap(),
        base,
    )
}

#[test]
fn empty_index_gives_empty_results() {
    let index = Index::new(IndexParams::new(Metric::L2), 3).unwrap();
    assert!(index.is_empty());
    assert!(index.search(&[1.0, 2.0, 3.0], 5, 10).unwrap().is_empty());
    assert!(index.exact_search(&[1.0, 2.0, 3.0], 5).unwrap().is_empty());
}

#[test]
fn ef_below_k_is_raised_to_k() {
    let (index, base) = small(Metric::L2);
    let hits = index.search(&base[..6], 20, 1).unwrap();
    assert_eq!(hits.len(), 20);
    let exact = index.exact_search(&base[..6], 20).unwrap();
    assert_eq!(hits[0].key, exact[0].key);
}

#[test]
fn a_huge_k_is_clamped_to_the_vectors_there_are() {
    // k = 2^40 aborted (k + 1 slots allocated up front), 2^62 panicked.
    let (index, base) = small(Metric::L2);
    let flat = FlatIndex::new(Metric::L2, 6, &base).unwrap();
    for k in [1usize << 40, 1 << 62, usize::MAX] {
        assert_eq!(index.exact_search(&base[..6], k).unwrap().len(), 300);
        assert_eq!(flat.search(&base[..6], k).unwrap().len(), 300);
        assert_eq!(index.search(&base[..6], k, 10).unwrap().len(), 300);
    }
}

#[test]
fn vectors_whose_distances_would_overflow_are_refused() {
    // Finite, but ±3e38 gives NaN and -inf inner products and an infinite L2 distance.
    for metric in [Metric::L2, Metric::Cosine, Metric::InnerProduct] {
        let index = Index::new(IndexParams::new(metric), 4).unwrap();
        let huge = [3e38f32, -3e38, 1.0, 1.0];
        assert!(matches!(
            index.add(0, &huge),
            Err(Error::TooLarge { row: 0, .. })
        ));
        index.add(1, &[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert!(matches!(
            index.search(&huge, 1, 10),
            Err(Error::TooLarge { .. })
        ));
        // Just under the limit is taken, and its distances stay finite.
        let big = [4e18f32, -4e18, 4e18, -4e18];
        index.add(2, &big).unwrap();
        let hits = index.search(&big, 2, 10).unwrap();
        assert!(hits.iter().all(|h| h.distance.is_finite()), "{hits:?}");
        assert!(matches!(
            FlatIndex::new(metric, 4, &huge),
            Err(Error::TooLarge { .. })
        ));
    }
}

#[test]
fn bad_queries_are_typed_errors() {
    let (index, _) = small(Metric::Cosine);
    assert!(matches!(
        index.search(&[1.0; 5], 3, 10),
        Err(Error::DimensionMismatch {
            expected: 6,
            got: 5
        })
    ));
    assert!(matches!(
        index.search(&[1.0; 6], 0, 10),
        Err(Error::InvalidParameter { name: "k", .. })
    ));
    let mut nan = [1.0f32; 6];
    nan[2] = f32::NAN;
    assert!(matches!(
        index.search(&nan, 3, 10),
        Err(Error::NonFinite { component: 2, .. })
    ));
    assert!(matches!(
        index.search(&[0.0; 6], 3, 10),
        Err(Error::ZeroVector { .. })
    ));
    assert!(matches!(
        index.search_batch(&[1.0; 7], 3, 10),
        Err(Error::RaggedMatrix { .. })
    ));
}

#[test]
fn bad_vectors_are_refused_whole() {
    let (index, _) = small(Metric::Cosine);
    let before = index.len();
    let mut batch = vec![1.0f32; 6 * 4];
    batch[6 * 3] = 0.0;
    batch[6 * 3 + 1..6 * 4].fill(0.0); // last row all zero under cosine
    let err = index.add_batch(&[1, 2, 3, 4], &batch).unwrap_err();
    assert!(matches!(err, Error::ZeroVector { row: 3 }), "{err}");
    assert_eq!(index.len(), before, "a refused batch added nothing");
    assert!(matches!(
        index.add_batch(&[1, 2], &[1.0; 6]),
        Err(Error::KeyCountMismatch {
            keys: 2,
            vectors: 1
        })
    ));
    assert!(matches!(
        index.add(9, &[f32::INFINITY; 6]),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        index.add(9, &[1.0; 2]),
        Err(Error::DimensionMismatch { .. })
    ));
}

#[test]
fn bad_parameters_and_empty_input() {
    let params = IndexParams::new(Metric::L2);
    assert!(matches!(
        Index::build(params, 4, &[]),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        Index::build(params.m(1), 2, &[1.0, 2.0]),
        Err(Error::InvalidParameter { name: "m", .. })
    ));
    // A dimension or ef_construction the index file could not hold is refused when the index
    // is made, not when it is saved (or loaded).
    for dim in [0, vicino::MAX_DIM + 1] {
        assert!(matches!(
            Index::new(params, dim),
            Err(Error::InvalidParameter { name: "dim", .. })
        ));
    }
    assert!(matches!(
        Index::new(params.ef_construction(4_294_967_360), 8),
        Err(Error::InvalidParameter {
            name: "ef_construction",
            ..
        })
    ));
    assert!(matches!(
        Index::build(params, 3, &[1.0; 4]),
        Err(Error::RaggedMatrix { .. })
    ));
    assert!(matches!(
        "hamming".parse::<Metric>(),
        Err(Error::UnknownMetric(_))
    ));
    assert!(matches!(
        FlatIndex::new(Metric::L2, 2, &[1.0, f32::NAN]),
        Err(Error::NonFinite { .. })
    ));
}

#[test]
fn keys_are_returned_as_given() {
    let dim = 4;
    let base = clustered(500, dim, 5, SEED + 11);
    let keys: Vec<u64> = (0..500u64).map(|i| i * 1_000_003 + 17).collect();
    let index = Index::new(IndexParams::new(Metric::L2), dim).unwrap();
    index.add_batch(&keys, &base).unwrap();
    let hit = index.search(&base[123 * dim..124 * dim], 1, 32).unwrap();
    assert_eq!(hit[0].key, keys[123]);
}

#[test]
fn keys_lists_every_key_and_survives_a_save() {
    let dim = 4;
    let base = clustered(200, dim, 5, SEED + 12);
    let keys: Vec<u64> = (0..200u64).map(|i| i * 7 + 3).collect();
    let index = Index::new(IndexParams::new(Metric::L2), dim).unwrap();
    assert!(index.keys().is_empty());
    index.add_batch(&keys, &base).unwrap();
    index.add(u64::MAX, &base[..dim]).unwrap();
    let listed = index.keys();
    // One add after the batch: it began last.
    assert_eq!(listed.last(), Some(&u64::MAX));
    let mut sorted = listed.clone();
    sorted.pop();
    sorted.sort_unstable();
    assert_eq!(sorted, keys);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.vcn");
    index.save(&path).unwrap();
    assert_eq!(Index::load(&path).unwrap().keys(), listed);
    assert_eq!(Index::open(&path).unwrap().keys(), listed);
}

#[test]
fn flat_index_is_exact() {
    let dim = 5;
    let base = clustered(400, dim, 4, SEED + 12);
    let flat = FlatIndex::new(Metric::L2, dim, &base).unwrap();
    let q = &base[10 * dim..11 * dim];
    let hits = flat.search(q, 400).unwrap();
    let mut want: Vec<(f32, u64)> = base
        .chunks_exact(dim)
        .enumerate()
        .map(|(i, v)| {
            (
                q.iter().zip(v).map(|(a, b)| (a - b) * (a - b)).sum(),
                i as u64,
            )
        })
        .collect();
    want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    for (h, w) in hits.iter().zip(&want) {
        assert!((h.distance - w.0).abs() <= 1e-4 * w.0.max(1.0));
    }
    assert_eq!(hits[0].key, 10);
}

#[test]
fn one_wide_vector_reserves_megabytes_not_hundreds() {
    // One add of a 100,000-d vector reserved (and committed) 1,024 rows: 404 MB.
    let dim = 100_000;
    let index = Index::new(IndexParams::new(Metric::L2), dim).unwrap();
    index.add(1, &vec![0.5; dim]).unwrap();
    let bytes = index.memory_bytes();
    assert!(
        bytes < 8 << 20,
        "{bytes} bytes for one vector of {} bytes",
        dim * 4
    );
    assert_eq!(index.search(&vec![0.5; dim], 1, 10).unwrap()[0].key, 1);
}
