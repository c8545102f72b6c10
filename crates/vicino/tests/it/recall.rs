//! Recall against exact search on seeded clustered data, and parallel vs serial builds.

use crate::data::{clustered, recall_at, SEED};
use vicino::{Index, IndexParams, Metric};

fn build_on(threads: usize, params: IndexParams, dim: usize, base: &[f32]) -> Index {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| Index::build(params, dim, base).unwrap())
}

#[test]
fn recall_at_ef_100_is_at_least_095_l2_and_cosine() {
    let (rows, dim) = (20_000, 64);
    for metric in [Metric::L2, Metric::Cosine] {
        let data = clustered(rows + 200, dim, 50, SEED);
        let (base, queries) = data.split_at(rows * dim);
        let index = Index::build(IndexParams::new(metric), dim, base).unwrap();
        assert_eq!(index.len(), rows);
        let r = recall_at(&index, base, queries, 10, 100);
        eprintln!("{metric}: recall@10 at ef 100 = {r:.4} (seed {SEED})");
        assert!(r >= 0.95, "{metric}: recall@10 {r} < 0.95 (seed {SEED})");
    }
}

#[test]
fn inner_product_recall() {
    let (rows, dim) = (5_000, 32);
    let data = clustered(rows + 100, dim, 20, SEED + 3);
    let (base, queries) = data.split_at(rows * dim);
    let index = Index::build(IndexParams::new(Metric::InnerProduct), dim, base).unwrap();
    let r = recall_at(&index, base, queries, 10, 200);
    assert!(r >= 0.9, "ip recall@10 {r} < 0.9 (seed {})", SEED + 3);
}

#[test]
fn parallel_build_matches_serial_recall() {
    let (rows, dim) = (10_000, 32);
    let data = clustered(rows + 1_000, dim, 40, SEED + 1);
    let (base, queries) = data.split_at(rows * dim);
    let params = IndexParams::new(Metric::L2).ef_construction(100);
    let serial = build_on(1, params, dim, base);
    let parallel = build_on(4, params, dim, base);
    let (rs, rp) = (
        recall_at(&serial, base, queries, 10, 40),
        recall_at(&parallel, base, queries, 10, 40),
    );
    eprintln!("serial {rs:.4} parallel {rp:.4}");
    assert!(
        rp >= rs - 0.01,
        "parallel {rp} vs serial {rs} (seed {})",
        SEED + 1
    );
}

#[test]
fn stored_vectors_are_their_own_nearest_neighbours() {
    let (rows, dim) = (3_000, 16);
    let base = clustered(rows, dim, 10, SEED + 2);
    let index = Index::build(IndexParams::new(Metric::L2), dim, &base).unwrap();
    let found = index.search_batch(&base, 1, 64).unwrap();
    let hits = found
        .iter()
        .enumerate()
        .filter(|(i, f)| f[0].key == *i as u64)
        .count();
    assert!(
        hits as f64 >= 0.99 * rows as f64,
        "{hits} of {rows} found themselves"
    );
}

#[test]
fn results_are_sorted_with_reported_distances() {
    let (rows, dim) = (2_000, 8);
    let base = clustered(rows, dim, 5, SEED + 4);
    for metric in [Metric::L2, Metric::Cosine, Metric::InnerProduct] {
        let index = Index::build(IndexParams::new(metric), dim, &base).unwrap();
        let q = &base[..dim];
        let hits = index.search(q, 10, 50).unwrap();
        assert_eq!(hits.len(), 10);
        assert!(hits.windows(2).all(|w| w[0].distance <= w[1].distance));
        // The reported distance is the metric's documented one.
        let v = &base[hits[3].key as usize * dim..][..dim];
        let want = match metric {
            Metric::L2 => q.iter().zip(v).map(|(a, b)| (a - b) * (a - b)).sum::<f32>(),
            Metric::InnerProduct => 1.0 - q.iter().zip(v).map(|(a, b)| a * b).sum::<f32>(),
            Metric::Cosine => {
                let dot: f32 = q.iter().zip(v).map(|(a, b)| a * b).sum();
                let n = |x: &[f32]| x.iter().map(|a| a * a).sum::<f32>().sqrt();
                1.0 - dot / (n(q) * n(v))
            }
        };
        let got = hits[3].distance;
        assert!(
            (got - want).abs() <= 1e-3 * want.abs().max(1.0),
            "{metric}: {got} vs {want}"
        );
    }
}

/// An on-disk build computes its distances on 8-bit codes of the vectors: the graph it makes
/// must be as good as one built on the full vectors (searched with the full vectors).
#[test]
fn building_on_codes_keeps_recall_every_metric() {
    let (rows, dim) = (10_000, 48);
    let dir = tempfile::tempdir().unwrap();
    for metric in [Metric::L2, Metric::Cosine, Metric::InnerProduct] {
        let seed = SEED + 30 + metric as u64;
        let data = clustered(rows + 200, dim, 40, seed);
        let (base, queries) = data.split_at(rows * dim);
        let params = IndexParams::new(metric).ef_construction(100);
        let in_ram = Index::build(params, dim, base).unwrap();
        // Codes fitted to a sample of every tenth row.
        let sample: Vec<f32> = base.chunks(dim).step_by(10).flatten().copied().collect();
        let on_disk = Index::with_capacity_on_disk(params, dim, rows, dir.path(), &sample).unwrap();
        let keys: Vec<u64> = (0..rows as u64).collect();
        on_disk.add_batch(&keys, base).unwrap();
        on_disk.repair().unwrap();
        assert_eq!(on_disk.len(), rows);
        let (r_ram, r_disk) = (
            recall_at(&in_ram, base, queries, 10, 64),
            recall_at(&on_disk, base, queries, 10, 64),
        );
        eprintln!("{metric}: recall@10 at ef 64: full vectors {r_ram:.4}, codes {r_disk:.4}");
        assert!(
            r_disk >= r_ram - 0.01 && r_disk >= 0.9,
            "{metric}: built on codes {r_disk} vs full vectors {r_ram} (seed {seed})"
        );
        // Distances reported are the full vectors' own.
        let q = &base[..dim];
        let (a, b) = (
            in_ram.search(q, 1, 64).unwrap()[0],
            on_disk.search(q, 1, 64).unwrap()[0],
        );
        assert_eq!((a.key, a.distance), (b.key, b.distance));
    }
}

#[test]
fn on_disk_build_refuses_a_bad_code_sample() {
    let dir = tempfile::tempdir().unwrap();
    let params = IndexParams::new(Metric::L2);
    let open = |sample: &[f32]| Index::with_capacity_on_disk(params, 4, 10, dir.path(), sample);
    assert!(matches!(open(&[]), Err(vicino::Error::Empty { .. })));
    assert!(matches!(
        open(&[1.0, 2.0, 3.0]),
        Err(vicino::Error::RaggedMatrix { .. })
    ));
    assert!(matches!(
        open(&[1.0, 2.0, f32::NAN, 0.0]),
        Err(vicino::Error::NonFinite { .. })
    ));
    let cosine = IndexParams::new(Metric::Cosine);
    assert!(matches!(
        Index::with_capacity_on_disk(cosine, 2, 10, dir.path(), &[0.0, 0.0]),
        Err(vicino::Error::ZeroVector { .. })
    ));
    // Degenerate samples fit every range to a point, and the build's distances say nothing
    // (recall 0.19 where a build in RAM gave 1.0): one row, identical rows, rows that vary in
    // fewer than half the dimensions.
    let one_row = [1.0, 2.0, 3.0, 4.0];
    let identical = one_row.repeat(50);
    let narrow: Vec<f32> = (0..50).flat_map(|i| [i as f32, 0.0, 0.0, 0.0]).collect();
    for (what, sample) in [
        ("one row", &one_row[..]),
        ("identical", &identical),
        ("narrow", &narrow),
    ] {
        assert!(
            matches!(
                open(sample),
                Err(vicino::Error::InvalidParameter { name: "sample", .. })
            ),
            "{what}"
        );
    }
    let spread: Vec<f32> = (0..50)
        .flat_map(|i| [i as f32, (i % 7) as f32, 0.0, (i % 3) as f32])
        .collect();
    assert!(open(&spread).is_ok());
}

#[test]
fn a_seeded_build_on_one_thread_is_reproducible() {
    // The README promises byte-identical files from a seeded one-thread build (and no more: a
    // parallel build's ids and link order follow thread timing).
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let dim = 16;
    let data = clustered(2_000, dim, 8, SEED + 30);
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<Vec<u8>> = (0..2)
        .map(|i| {
            let params = IndexParams::new(Metric::L2).seed(7);
            let index = pool.install(|| Index::build(params, dim, &data)).unwrap();
            let path = dir.path().join(format!("{i}.vcn"));
            index.save(&path).unwrap();
            std::fs::read(&path).unwrap()
        })
        .collect();
    assert!(files[0] == files[1], "two seeded one-thread builds differ");
}
