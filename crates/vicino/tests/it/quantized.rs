//! Quantized indexes (`Quantization::Sq8`): recall against exact search under every metric,
//! exact distances after the re-rank, the same answers in RAM, loaded and mapped, and the file's
//! quantization surviving a save.

use crate::data::{clustered, recall_at, SEED};
use vicino::{Error, Index, IndexParams, Metric, Neighbor, Quantization};

const METRICS: [Metric; 3] = [Metric::L2, Metric::Cosine, Metric::InnerProduct];

fn sq8(metric: Metric) -> IndexParams {
    IndexParams::new(metric).quantize(Quantization::Sq8)
}

/// Searches every query row at `ef` with the default re-rank.
fn answers(index: &Index, queries: &[f32], dim: usize, ef: usize) -> Vec<Vec<Neighbor>> {
    queries
        .chunks_exact(dim)
        .map(|q| index.search(q, 10, ef).unwrap())
        .collect()
}

#[test]
fn quantized_recall_is_within_a_point_of_full_vectors_every_metric() {
    let (rows, dim) = (8_000, 48);
    for (i, metric) in METRICS.into_iter().enumerate() {
        let seed = SEED + i as u64;
        let data = clustered(rows + 200, dim, 30, seed);
        let (base, queries) = data.split_at(rows * dim);
        let full = Index::build(IndexParams::new(metric), dim, base).unwrap();
        let coded = Index::build(sq8(metric), dim, base).unwrap();
        assert_eq!(coded.params().quantization(), Quantization::Sq8);
        for ef in [32, 128] {
            let (r_full, r_coded) = (
                recall_at(&full, base, queries, 10, ef),
                recall_at(&coded, base, queries, 10, ef),
            );
            eprintln!(
                "{metric} ef {ef}: recall@10 f32 {r_full:.4}, sq8 {r_coded:.4} (seed {seed})"
            );
            assert!(
                r_coded >= r_full - 0.01,
                "{metric} ef {ef}: sq8 {r_coded} vs f32 {r_full} (seed {seed})"
            );
        }
        assert!(
            recall_at(&coded, base, queries, 10, 128) >= 0.95,
            "{metric}"
        );
    }
}

/// The metric's distance in f64 (see `Metric`): squared L2, `1 - cos`, or `1 - dot`.
fn exact_distance(metric: Metric, a: &[f32], b: &[f32]) -> f32 {
    let dot = |x: &[f32], y: &[f32]| -> f64 {
        x.iter()
            .zip(y)
            .map(|(&p, &q)| f64::from(p) * f64::from(q))
            .sum()
    };
    (match metric {
        Metric::L2 => a
            .iter()
            .zip(b)
            .map(|(&p, &q)| (f64::from(p) - f64::from(q)).powi(2))
            .sum(),
        Metric::Cosine => 1.0 - dot(a, b) / (dot(a, a) * dot(b, b)).sqrt(),
        Metric::InnerProduct => 1.0 - dot(a, b),
    }) as f32
}

#[test]
fn quantized_distances_are_exact_and_sorted() {
    let (rows, dim) = (3_000, 20);
    for metric in METRICS {
        let data = clustered(rows + 50, dim, 10, SEED);
        let (base, queries) = data.split_at(rows * dim);
        let coded = Index::build(sq8(metric), dim, base).unwrap();
        for q in queries.chunks_exact(dim) {
            // One candidate re-ranked or all of them: the distances are the full vectors'.
            for rerank in [1, 10, 64] {
                let hits = coded.search_rerank(q, 10, 64, rerank).unwrap();
                assert_eq!(hits.len(), 10);
                assert!(hits.windows(2).all(|w| w[0].distance <= w[1].distance));
                for hit in &hits {
                    let row = &base[hit.key as usize * dim..][..dim];
                    let exact = exact_distance(metric, q, row);
                    assert!(
                        (hit.distance - exact).abs() <= 1e-4 * exact.abs().max(1.0),
                        "{metric} rerank {rerank}: {} vs {exact}",
                        hit.distance
                    );
                }
            }
        }
    }
}

#[test]
fn a_quantized_index_answers_alike_in_ram_loaded_and_mapped() {
    let (rows, dim) = (4_000, 24);
    let dir = tempfile::tempdir().unwrap();
    for metric in METRICS {
        let data = clustered(rows + 100, dim, 16, SEED + 7);
        let (base, queries) = data.split_at(rows * dim);
        let built = Index::build(sq8(metric), dim, base).unwrap();
        let path = dir.path().join(format!("{metric}.vcn"));
        built.save(&path).unwrap();
        let info = Index::verify(&path).unwrap();
        assert_eq!(info.quantization, Quantization::Sq8);
        assert_eq!(info.format_version, vicino::FORMAT_VERSION);
        let want = answers(&built, queries, dim, 40);
        for (how, index) in [
            ("loaded", Index::load(&path).unwrap()),
            ("mapped", Index::open(&path).unwrap()),
        ] {
            assert_eq!(index.params().quantization(), Quantization::Sq8, "{how}");
            assert_eq!(answers(&index, queries, dim, 40), want, "{metric} {how}");
            assert!(index.memory_bytes() > 0);
        }
        // An opened index takes more adds, coded with the file's ranges.
        let opened = Index::open(&path).unwrap();
        opened.add(1 << 40, &queries[..dim]).unwrap();
        assert_eq!(
            opened.search(&queries[..dim], 1, 32).unwrap()[0].key,
            1 << 40
        );
    }
}

#[test]
fn an_empty_quantized_index_keeps_its_mode_and_learns_from_its_first_batch() {
    let dim = 16;
    let data = clustered(2_000, dim, 8, SEED);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.vcn");
    Index::new(sq8(Metric::L2), dim)
        .unwrap()
        .save(&path)
        .unwrap();
    let index = Index::load(&path).unwrap();
    assert_eq!(index.params().quantization(), Quantization::Sq8);
    // One vector spans no range: refused, and nothing is added.
    let err = index.add(0, &data[..dim]).unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { .. }), "{err}");
    assert!(err.to_string().contains("range"), "{err}");
    assert_eq!(index.len(), 0);
    // A batch teaches the ranges; single adds work from then on.
    let keys: Vec<u64> = (0..1_999).collect();
    index.add_batch(&keys, &data[..1_999 * dim]).unwrap();
    index.add(1_999, &data[1_999 * dim..]).unwrap();
    assert_eq!(index.len(), 2_000);
    let q = &data[1_999 * dim..];
    assert_eq!(index.search(q, 1, 32).unwrap()[0].key, 1_999);
    assert!(recall_at(&index, &data, &data[..100 * dim], 10, 64) >= 0.95);
}

#[test]
fn learn_codes_lets_single_adds_build_a_quantized_index() {
    let (rows, dim) = (3_000, 32);
    let data = clustered(rows, dim, 12, SEED + 1);
    let index = Index::new(sq8(Metric::Cosine), dim).unwrap();
    index.learn_codes(&data[..500 * dim]).unwrap();
    for (i, v) in data.chunks_exact(dim).enumerate() {
        index.add(i as u64, v).unwrap();
    }
    index.repair().unwrap();
    let r = recall_at(&index, &data, &data[..200 * dim], 10, 64);
    assert!(r >= 0.95, "recall {r}");
}

#[test]
fn quantization_modes_are_named() {
    for q in Quantization::ALL {
        assert_eq!(Quantization::from_name(q.name()), Some(q));
    }
    assert_eq!(Quantization::from_name("sq9"), None);
    assert_eq!(Quantization::default(), Quantization::None);
}
