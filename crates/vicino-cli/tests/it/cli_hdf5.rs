//! `vicino bench --dataset FILE.hdf5` end to end, on ANN-benchmarks files written by h5py (the
//! fixtures of vicino-bench, `crates/vicino-bench/tests/data/`, made by its
//! `tests/make_hdf5_fixtures.py`): the JSON lines, ground truth taken from the file, the metric
//! from its `distance` attribute, and the bad files and flags refused with one line.

use std::path::PathBuf;

use serde_json::Value;

use crate::bench::bench_line;
use crate::cli::{fails, vicino, Fixture};

/// An h5py-written fixture of vicino-bench.
fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../vicino-bench/tests/data")
        .join(name)
}

/// Runs `bench --dataset` with `flags` (and ef_construction 64, 2 build threads) and returns
/// its JSON lines, each checked for the schema's keys in order.
fn bench_lines(file: &PathBuf, flags: &str, output: &PathBuf) -> Vec<Value> {
    let out = vicino(&[
        &"bench --dataset",
        file,
        &"--ef-construction 64 --threads-build 2",
        &flags,
        &"--output",
        output,
    ]);
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(output).expect("results written");
    text.lines().map(bench_line).collect()
}

/// The best recall over the lines.
fn best_recall(lines: &[Value]) -> f64 {
    lines
        .iter()
        .map(|v| v["recall"].as_f64().expect("recall"))
        .fold(0.0, f64::max)
}

#[test]
fn bench_runs_on_an_ann_benchmarks_file() {
    // 50 x 8 float32 train, 5 queries, int64 neighbours, distance "euclidean": as
    // ann-benchmarks writes its files.
    let data = Fixture::small();
    let file = fixture("ann-tiny.hdf5");
    let lines = bench_lines(&file, "--m 8,12 --ef 10,40", &data.path("r.jsonl"));
    assert_eq!(lines.len(), 4, "one line per (M, ef)");
    for v in &lines {
        assert_eq!(v["dataset"], "ann-tiny", "the file stem names the data set");
        assert_eq!(v["metric"], "l2", "the metric comes from the file");
        assert_eq!(v["ef_construction"].as_u64(), Some(64));
        let sizes = [&v["rows"], &v["dim"], &v["queries"]].map(|x| x.as_u64());
        assert_eq!(sizes, [Some(50), Some(8), Some(5)]);
        assert!(v["qps"].as_f64().expect("qps") > 0.0);
        assert!(v["build_s"].as_f64().expect("build_s") > 0.0);
        let bytes = v["index_bytes"].as_f64().expect("index_bytes");
        let per_vector = v["bytes_per_vector"].as_f64().expect("bytes_per_vector");
        assert!(per_vector > 8.0 * 4.0, "{per_vector}");
        assert!((bytes / 50.0 - per_vector).abs() < 1e-6);
    }
    let config: Vec<(u64, u64)> = lines
        .iter()
        .map(|v| (v["m"].as_u64().unwrap(), v["ef"].as_u64().unwrap()))
        .collect();
    assert_eq!(config, [(8, 10), (8, 40), (12, 10), (12, 40)]);
    let best = best_recall(&lines);
    assert!(
        best >= 0.9,
        "recall at ef 40 against the file's neighbours: {best}"
    );

    // --name replaces the stem; a --metric that agrees (an alias of the file's) is taken.
    let named = bench_lines(
        &file,
        "--m 8 --ef 40 --metric l2 --name custom",
        &data.path("named.jsonl"),
    );
    assert_eq!(named.len(), 1);
    assert_eq!(named[0]["dataset"], "custom");
}

#[test]
fn truth_comes_from_the_file_or_brute_force() {
    let data = Fixture::small();
    // ann-tiny's vectors with the 10 farthest rows as neighbours: recall must fall, which shows
    // the file's ids are the ones scored.
    let wrong = fixture("ann-wrong-neighbors.hdf5");
    let lines = bench_lines(&wrong, "--m 8 --ef 40", &data.path("wrong.jsonl"));
    let scored = best_recall(&lines);
    assert!(scored < 0.5, "recall against wrong neighbours: {scored}");

    // No neighbors in the file, no distance either: exact truth by brute force, --metric given.
    let bare = fixture("ann-no-neighbors.hdf5");
    let lines = bench_lines(
        &bare,
        "--m 8 --ef 40 --k 3 --metric l2",
        &data.path("bare.jsonl"),
    );
    let exact = best_recall(&lines);
    assert!(exact >= 0.9, "recall against brute force: {exact}");
}

#[test]
fn bench_dataset_refuses_bad_files_and_flags() {
    let data = Fixture::small();
    let run = |file: &PathBuf, flags: &str, expected: &str| {
        let output = data.path("r.jsonl");
        fails(
            &[&"bench --dataset", file, &flags, &"--output", &output],
            expected,
        );
        assert!(!output.exists(), "no results on failure");
    };

    // ann-tiny holds 10 neighbours per query.
    run(
        &fixture("ann-tiny.hdf5"),
        "--k 20",
        "--dataset neighbors: 10 ids per query, fewer than k = 20",
    );
    run(
        &fixture("bad-missing-test.hdf5"),
        "--metric l2",
        "no dataset \"test\"",
    );
    run(
        &fixture("ann-angular-f64.hdf5"),
        "--metric l2",
        "--metric l2 disagrees with --dataset",
    );
    run(
        &fixture("ann-no-neighbors.hdf5"),
        "--k 3",
        "has no distance attribute: give --metric",
    );
    run(
        &fixture("bad-id-past-train.hdf5"),
        "--k 3",
        "is not a train row",
    );

    let text = data.path("text.hdf5");
    std::fs::write(&text, "not hdf5").expect("write");
    run(&text, "", "HDF5");
}
