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
                    // At least one search whatever the scheduling, then until the adds end.
                    loop {
                        let qi = (count * 7 + t) % (queries.len() / dim);
                        let q = &queries[qi * dim..(qi + 1) * dim];
                        let hits = index.search(q, 10, 32).unwrap();
                        assert_eq!(hits.len(), 10, "the first 1,000 rows are always there");
                        assert!(hits.windows(2).all(|w| w[0].distance <= w[1].distance));
                        for h in &hits {
                            // Key k is row k: its stored vector must be at the reported
                            // distance. A node linked before its key or vector was written
                            // (an unset key reads 0) fails here; `key < rows` could not.
                            let row = &base[h.key as usize * dim..][..dim];
                            let d: f32 = row.iter().zip(q).map(|(a, b)| (a - b) * (a - b)).sum();
                            assert!(
                                (d - h.distance).abs() <= 1e-3 * d.max(1.0),
                                "key {} reported at {}, its vector is at {d}",
                                h.key,
                                h.distance
                            );
                        }
                        let mut keys: Vec<u64> = hits.iter().map(|h| h.key).collect();
                        keys.sort_unstable();
                        keys.dedup();
                        assert_eq!(keys.len(), hits.len(), "duplicate keys in one result");
                        count += 1;
                        if done.load(Ordering::Acquire) {
                            break;
                        }
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
    assert!(searches >= 2, "each searcher searched at least once");
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
    index.repair().unwrap();
    assert_eq!(index.len(), rows);
    let r = recall_at(&index, base, queries, 10, 100);
    assert!(r >= 0.95, "recall {r} (seed {})", SEED + 8);
}

#[test]
fn index_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Index>();
}

/// Every operation at once, from several threads, for a bounded time: adds (single and batch),
/// searches, exact searches, `memory_bytes`, `repair`, and save + load. Nothing may panic; every
/// save that returns `Ok` must load and answer; a search during adds returns only keys already
/// given to `add`; and once the adds are done the index is whole and finds its vectors.
#[test]
fn everything_at_once_keeps_every_file_loadable_and_every_answer_valid() {
    let (rows, dim) = (6_000, 16);
    let data = clustered(rows + 50, dim, 20, SEED + 9);
    let (base, queries) = data.split_at(rows * dim);
    // Key k is given to vector row k, so a returned key must be below the rows added so far.
    let index = Index::new(IndexParams::new(Metric::L2).ef_construction(64), dim).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let added = std::sync::atomic::AtomicUsize::new(0);
    let done = AtomicBool::new(false);
    let saves = std::thread::scope(|s| {
        let (index, done, added, dir) = (&index, &done, &added, &dir);
        // Two adders: one with single adds, one with batches, over interleaved halves.
        let adders: Vec<_> = (0..2)
            .map(|t| {
                s.spawn(move || {
                    let mut i = t * 500;
                    while i < rows {
                        let end = (i + 500).min(rows);
                        let keys: Vec<u64> = (i as u64..end as u64).collect();
                        // Before the adds: a key may show in a search as soon as it is linked.
                        added.fetch_max(end, Ordering::AcqRel);
                        if t == 0 {
                            for (k, v) in keys.iter().zip(base[i * dim..end * dim].chunks(dim)) {
                                index.add(*k, v).unwrap();
                            }
                        } else {
                            index.add_batch(&keys, &base[i * dim..end * dim]).unwrap();
                        }
                        i += 1_000;
                    }
                })
            })
            .collect();
        let readers: Vec<_> = (0..2)
            .map(|t| {
                s.spawn(move || {
                    let mut n = 0usize;
                    while !done.load(Ordering::Acquire) {
                        let qi = (n * 5 + t) % 50;
                        let q = &queries[qi * dim..(qi + 1) * dim];
                        let answers = [
                            index.search(q, 10, 32).unwrap(),
                            index.exact_search(q, 10).unwrap(),
                        ];
                        // Read after the searches: every key they saw was announced by then.
                        let bound = added.load(Ordering::Acquire) as u64;
                        for hits in answers {
                            assert!(hits.len() <= 10);
                            assert!(hits.windows(2).all(|w| w[0].distance <= w[1].distance));
                            for h in &hits {
                                assert!(h.key < bound, "key {} beyond the adds ({bound})", h.key);
                                // The key and the vector agree: a node whose key is not set yet
                                // (0) or whose vector is half written would fail here.
                                let row = &base[h.key as usize * dim..][..dim];
                                let d: f32 =
                                    row.iter().zip(q).map(|(a, b)| (a - b) * (a - b)).sum();
                                assert!(
                                    (d - h.distance).abs() <= 1e-3 * d.max(1.0),
                                    "key {} at distance {} but its vector is at {d}",
                                    h.key,
                                    h.distance
                                );
                            }
                        }
                        let len = index.len();
                        assert!(
                            index.memory_bytes() >= len * dim * 4,
                            "memory below the vectors"
                        );
                        n += 1;
                    }
                })
            })
            .collect();
        let maintainer = s.spawn(move || {
            let mut saves = Vec::new();
            let mut n = 0;
            while !done.load(Ordering::Acquire) {
                index.repair().unwrap();
                let path = dir.path().join(format!("snap-{}.vcn", n % 3));
                index.save(&path).unwrap();
                // The file must be whole and consistent now, before another save replaces it.
                let loaded = Index::load(&path).unwrap();
                let opened = Index::open(&path).unwrap();
                Index::verify(&path).unwrap();
                let q = &queries[..dim];
                if !loaded.is_empty() {
                    assert_eq!(
                        loaded.search(q, 5, 32).unwrap(),
                        opened.search(q, 5, 32).unwrap()
                    );
                }
                saves.push(loaded.len());
                n += 1;
            }
            saves
        });
        for a in adders {
            a.join().unwrap();
        }
        // Let the readers and the maintainer see the finished index too, then stop them.
        std::thread::sleep(std::time::Duration::from_millis(200));
        done.store(true, Ordering::Release);
        for r in readers {
            r.join().unwrap();
        }
        maintainer.join().unwrap()
    });
    assert!(!saves.is_empty());
    assert!(
        saves.windows(2).all(|w| w[0] <= w[1]),
        "saves shrank: {saves:?}"
    );
    assert_eq!(index.len(), rows);
    index.repair().unwrap();
    let path = dir.path().join("final.vcn");
    index.save(&path).unwrap();
    assert_eq!(Index::load(&path).unwrap().len(), rows);
    let r = recall_at(&index, base, queries, 10, 64);
    assert!(r >= 0.9, "recall after the storm {r} (seed {})", SEED + 9);
}
