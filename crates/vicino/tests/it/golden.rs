//! A golden index file written by format version 1: every later version must still open it and
//! answer as recorded. To (re)write it after a deliberate change of the data below, run
//! `VICINO_WRITE_GOLDEN=1 cargo test --test it golden -- --ignored` and commit both files.

use std::path::PathBuf;

use vicino::{Index, IndexParams, Metric};

const DIM: usize = 12;
const ROWS: usize = 400;

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
}

/// Data defined by a formula, so it does not depend on any RNG crate's version.
fn vector(i: usize) -> Vec<f32> {
    (0..DIM)
        .map(|j| (((i * 7 + 3) * (j + 1)) as f32 * 0.37).sin() * (1.0 + (i % 5) as f32))
        .collect()
}

fn queries() -> Vec<Vec<f32>> {
    (0..8).map(|q| vector(10_000 + q * 31)).collect()
}

fn answers(index: &Index) -> Vec<Vec<u64>> {
    queries()
        .iter()
        .map(|q| {
            index
                .search(q, 5, 200)
                .unwrap()
                .iter()
                .map(|n| n.key)
                .collect()
        })
        .collect()
}

#[test]
#[ignore = "writes the golden files; run on purpose only"]
fn write_golden_file() {
    if std::env::var_os("VICINO_WRITE_GOLDEN").is_none() {
        return;
    }
    let data: Vec<f32> = (0..ROWS).flat_map(vector).collect();
    let params = IndexParams::new(Metric::Cosine)
        .m(6)
        .ef_construction(64)
        .seed(42);
    let index = Index::new(params, DIM).unwrap();
    let keys: Vec<u64> = (0..ROWS as u64).map(|k| k * 10 + 1).collect();
    index.add_batch(&keys, &data).unwrap();
    index.repair().unwrap();
    index.save(golden_dir().join("golden-v1.vcn")).unwrap();
    let expected = serde_json::json!({ "answers": answers(&index) });
    std::fs::write(golden_dir().join("golden-v1.json"), expected.to_string()).unwrap();
}

#[test]
fn version_1_golden_file_still_opens_and_answers_as_recorded() {
    let path = golden_dir().join("golden-v1.vcn");
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(golden_dir().join("golden-v1.json")).unwrap())
            .unwrap();
    let expected: Vec<Vec<u64>> = serde_json::from_value(expected["answers"].clone()).unwrap();
    let info = Index::verify(&path).unwrap();
    assert_eq!(
        (info.format_version, info.dim, info.nodes, info.m),
        (1, DIM, ROWS, 6)
    );
    assert_eq!(info.metric, Metric::Cosine);
    for index in [Index::load(&path).unwrap(), Index::open(&path).unwrap()] {
        assert_eq!(index.len(), ROWS);
        assert_eq!(answers(&index), expected);
        // The recorded answers are the exact ones.
        for (q, want) in queries().iter().zip(&expected) {
            let exact: Vec<u64> = index
                .exact_search(q, 5)
                .unwrap()
                .iter()
                .map(|n| n.key)
                .collect();
            assert_eq!(&exact, want);
        }
    }
}
