//! Searches running while other threads add.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::data::{clustered, recall_at, SEED};
use vicino::{Index, IndexParams, Metric};

#[test]
fn searches_during_adds_are_valid_and_recall_holds_after() {
    let (rows, dim) = (12_000, 24);
    let data = clustered(rows + 100, dim, 30, SEED + 7);
    let (base, queries) = data.split_at(rows * dim);
    let index = Index::new(IndexParams::new(Metric::L2).ef_construction(100), dim).unwrap();
    // Seed the index so searches have something to find from the start.
    let first = 1_000;
    let keys: Vec<u64> = (0..rows as u64).collect();
    index
        .add_batch(&keys[..first], &base[..first * dim])
        .unwrap();

    let done = AtomicBool::new(false);
    let searches = std::thread::scope(|s| {
        let searchers: Vec<_> = (0..2)
            .map(|t| {
                let (index, done) = (&index, &done);
                s.spawn(move || {
                    let mut count = 0usize;
                    while !done.load(Ordering::Acquire) {
                        let qi = (count * 7 + t) % (queries.len() / dim);
                        let q = &queries[qi * dim..(qi + 1) * dim];
                        let hits = index.search(q, 10, 32).unwrap();
                        assert!(!hits.is_empty());
                        assert!(hits.len() <= 10);
                        assert!(hits.windows(2).all(|w| w[0].distance <= w[1].distance));
                        assert!(hits.iter().all(|h| (h.key as usize) < rows));
                        let mut keys: Vec<u64> = hits.iter().map(|h| h.key).collect();
                        keys.sort_unstable();
                        keys.dedup();
                        assert_eq!(keys.len(), hits.len(), "duplicate keys in one result");
                        count += 1;
                    }
                    count
                })
            })
            .collect();
        // The adds run on the rayon pool, in parallel with the searchers.
        for chunk in (first..rows).step_by(2_000) {
            let end = (chunk + 2_000).min(rows);
            index
                .add_batch(&keys[chunk..end], &base[chunk * dim..end * dim])
                .unwrap();
        }
        done.store(true, Ordering::Release);
        searchers
            .into_iter()
            .map(|h| h.join().unwrap())
            .sum::<usize>()
    });
    assert!(searches > 0);
    assert_eq!(index.len(), rows);
    let r = recall_at(&index, base, queries, 10, 100);
    assert!(
        r >= 0.95,
        "recall after concurrent adds {r} (seed {})",
        SEED + 7
    );
}

#[test]
fn single_adds_from_many_threads() {
    let (rows, dim) = (4_000, 12);
    let data = clustered(rows + 50, dim, 10, SEED + 8);
    let (base, queries) = data.split_at(rows * dim);
    let index = Index::new(IndexParams::new(Metric::Cosine), dim).unwrap();
    std::thread::scope(|s| {
        for t in 0..4 {
            let index = &index;
            s.spawn(move || {
                for i in (t..rows).step_by(4) {
                    index.add(i as u64, &base[i * dim..(i + 1) * dim]).unwrap();
                }
            });
        }
    });
    index.repair();
    assert_eq!(index.len(), rows);
    let r = recall_at(&index, base, queries, 10, 100);
    assert!(r >= 0.95, "recall {r} (seed {})", SEED + 8);
}

#[test]
fn index_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Index>();
}
