//! Unquantized builds on build codes (`IndexParams::exact_build(false)`, the default): the
//! recall of an exact build, codes gone after the batch, `add_rows` alike to `add_batch`, and
//! the batches that go the exact way.

use crate::data::{clustered, recall_at, SEED};
use vicino::{Error, Index, IndexParams, Metric, Neighbor};

const METRICS: [Metric; 3] = [Metric::L2, Metric::Cosine, Metric::InnerProduct];

/// `index`'s answers to every query row at ef 64.
fn answers(index: &Index, queries: &[f32], dim: usize) -> Vec<Vec<Neighbor>> {
    queries
        .chunks_exact(dim)
        .map(|q| index.search(q, 10, 64).unwrap())
        .collect()
}

/// A pool of one thread: the same data and seed give the same graph.
fn one_thread() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
}

fn build_one_thread(params: IndexParams, dim: usize, base: &[f32]) -> Index {
    one_thread()
        .install(|| Index::build(params, dim, base))
        .unwrap()
}

/// Repairs `index`, then checks it holds every one of `rows` and its recall@10 at ef 128.
fn assert_whole(index: &Index, rows: usize, base: &[f32], queries: &[f32], what: &str) {
    index.repair().unwrap();
    assert_eq!(index.len(), rows, "{what}");
    let recall = recall_at(index, base, queries, 10, 128);
    eprintln!("{what}: recall@10 at ef 128 {recall:.4}");
    assert!(recall >= 0.95, "{what}: {recall}");
}

#[test]
fn a_build_on_codes_has_the_recall_of_an_exact_build_every_metric() {
    let (rows, dim) = (8_000, 48);
    for (i, metric) in METRICS.into_iter().enumerate() {
        let seed = SEED + 10 + i as u64;
        let data = clustered(rows + 200, dim, 30, seed);
        let (base, queries) = data.split_at(rows * dim);
        let exact = build_one_thread(IndexParams::new(metric).exact_build(true), dim, base);
        let coded = build_one_thread(IndexParams::new(metric), dim, base);
        // The codes were used: with a narrow beam they find other candidates than exact
        // distances do, so the graphs, and some answers, differ.
        let narrow = |p: IndexParams| build_one_thread(p.ef_construction(16), dim, base);
        assert_ne!(
            answers(
                &narrow(IndexParams::new(metric).exact_build(true)),
                queries,
                dim
            ),
            answers(&narrow(IndexParams::new(metric)), queries, dim),
            "{metric}: a build on codes gave the exact build's graph"
        );
        // Nothing of the codes is left: the two indexes hold the same memory.
        assert_eq!(exact.memory_bytes(), coded.memory_bytes(), "{metric}");
        for ef in [32, 128] {
            let (r_exact, r_coded) = (
                recall_at(&exact, base, queries, 10, ef),
                recall_at(&coded, base, queries, 10, ef),
            );
            eprintln!(
                "{metric} ef {ef}: recall@10 exact build {r_exact:.4}, on codes {r_coded:.4}"
            );
            // The codes only find the candidates; links are chosen on exact distances.
            assert!(
                r_coded >= r_exact - 0.005,
                "{metric} ef {ef}: on codes {r_coded} vs exact {r_exact} (seed {seed})"
            );
        }
        assert!(
            recall_at(&coded, base, queries, 10, 128) >= 0.95,
            "{metric}"
        );
    }
}

#[test]
fn add_rows_builds_what_add_batch_builds() {
    let (rows, dim) = (6_000, 32);
    let data = clustered(rows + 100, dim, 20, SEED + 20);
    let (base, queries) = data.split_at(rows * dim);
    let keys: Vec<u64> = (0..rows as u64).map(|k| 1000 + 7 * k).collect();
    let pool = one_thread();
    let params = IndexParams::new(Metric::Cosine);
    let batch = Index::new(params, dim).unwrap();
    pool.install(|| batch.add_batch(&keys, base)).unwrap();
    let streamed = Index::new(params, dim).unwrap();
    let counted = std::sync::atomic::AtomicUsize::new(0);
    pool.install(|| {
        streamed.add_rows(
            &keys,
            |i, buf| buf.extend_from_slice(&base[i * dim..(i + 1) * dim]),
            || {
                counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            },
        )
    })
    .unwrap();
    assert_eq!(counted.into_inner(), rows, "one call per insert");
    assert_eq!(streamed.len(), rows);
    assert_eq!(
        answers(&batch, queries, dim),
        answers(&streamed, queries, dim)
    );
}

#[test]
fn add_rows_refuses_a_bad_row_and_keeps_the_index_usable() {
    let (rows, dim) = (5_000, 16);
    let base = clustered(rows, dim, 10, SEED + 30);
    let keys: Vec<u64> = (0..rows as u64).collect();
    let index = Index::new(IndexParams::new(Metric::L2), dim).unwrap();
    // A NaN in a sampled row (row 0 is always sampled): refused before any insert.
    let err = index
        .add_rows(
            &keys,
            |i, buf| {
                buf.extend_from_slice(&base[i * dim..(i + 1) * dim]);
                if i == 0 {
                    buf[3] = f32::NAN;
                }
            },
            || {},
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::NonFinite {
                row: 0,
                component: 3
            }
        ),
        "{err}"
    );
    assert_eq!(index.len(), 0);
    // A row of the wrong length.
    let err = index
        .add_rows(
            &keys[..10],
            |_, buf| buf.extend_from_slice(&[1.0; 3]),
            || {},
        )
        .unwrap_err();
    assert!(matches!(err, Error::DimensionMismatch { .. }), "{err}");
    // The index still takes the good rows and finds them.
    index.add_batch(&keys, &base).unwrap();
    assert_eq!(index.len(), rows);
    let hit = index.search(&base[42 * dim..43 * dim], 1, 32).unwrap();
    assert_eq!(hit[0].key, 42);
}

#[test]
fn later_batches_large_or_small_keep_the_recall() {
    let (first, second, third, dim) = (5_000, 4_500, 300, 32);
    let data = clustered(first + second + third + 200, dim, 25, SEED + 40);
    let (base, queries) = data.split_at((first + second + third) * dim);
    for exact in [false, true] {
        let index = Index::new(IndexParams::new(Metric::L2).exact_build(exact), dim).unwrap();
        let mut start = 0;
        // The second batch is large enough to code the first one's nodes again; the third is
        // too small and goes the exact way.
        for rows in [first, second, third] {
            let keys: Vec<u64> = (start..start + rows).map(|k| k as u64).collect();
            index
                .add_batch(&keys, &base[start * dim..(start + rows) * dim])
                .unwrap();
            start += rows;
        }
        assert_whole(
            &index,
            start,
            base,
            queries,
            &format!("exact_build {exact}"),
        );
    }
}

#[test]
fn adds_and_searches_go_on_during_a_batch_on_build_codes() {
    let (first, batch, singles, dim) = (2_000, 8_000, 400, 24);
    let total = first + batch + singles;
    let data = clustered(total + 100, dim, 20, SEED + 50);
    let (base, queries) = data.split_at(total * dim);
    let row = |i: usize| &base[i * dim..(i + 1) * dim];
    let index = Index::new(IndexParams::new(Metric::Cosine), dim).unwrap();
    // Too small for build codes: exact.
    let keys: Vec<u64> = (0..first as u64).collect();
    index.add_batch(&keys, &base[..first * dim]).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            let keys: Vec<u64> = (first..first + batch).map(|k| k as u64).collect();
            index
                .add_batch(&keys, &base[first * dim..(first + batch) * dim])
                .unwrap();
        });
        s.spawn(|| {
            for i in first + batch..total {
                index.add(i as u64, row(i)).unwrap();
                let hit = index.search(row(i), 1, 32).unwrap();
                assert_eq!(hit[0].key, i as u64, "a node just added is found");
            }
        });
    });
    assert_whole(&index, total, base, queries, "after concurrent adds");
}

#[test]
fn two_large_batches_at_once_on_one_pool_share_the_codes() {
    // Both batches run on one rayon pool: the one that makes the codes must not hold a lock
    // the other's inserts wait on while its own inserts run (a worker could take one of them).
    let (half, dim) = (5_000, 16);
    let data = clustered(2 * half + 100, dim, 15, SEED + 60);
    let (base, queries) = data.split_at(2 * half * dim);
    let index = Index::new(IndexParams::new(Metric::L2), dim).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let keys: Vec<u64> = (0..2 * half as u64).collect();
    let (a, b) = pool.install(|| {
        rayon::join(
            || index.add_batch(&keys[..half], &base[..half * dim]),
            || index.add_batch(&keys[half..], &base[half * dim..]),
        )
    });
    a.unwrap();
    b.unwrap();
    assert_whole(&index, 2 * half, base, queries, "two batches at once");
}
