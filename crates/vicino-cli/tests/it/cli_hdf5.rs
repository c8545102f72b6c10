//! `vicino bench --dataset FILE.hdf5` end to end, on ANN-benchmarks files written from a
//! generated fixture: the JSON lines, ground truth taken from the file, the metric from its
//! `distance` attribute, and the bad files and flags refused with one line.

use std::path::PathBuf;

use serde_json::Value;
use vicino::io::{read_ivecs, read_vectors, Matrix};

use crate::ann_hdf5::{put, write_ann};
use crate::cli::{bench_line, fails, vicino, Fixture};

/// The fixture's files as an ANN-benchmarks file `name` with truth `gt` and `distance`.
fn hdf5_of(
    data: &Fixture,
    name: &str,
    gt: Option<&Matrix<i32>>,
    distance: Option<&str>,
) -> PathBuf {
    let train = read_vectors(&data.base).expect("base");
    let test = read_vectors(&data.queries).expect("queries");
    let path = data.path(name);
    write_ann(&path, &train, &test, gt, distance);
    path
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
    let data = Fixture::new(2000, 16, "l2", 11);
    let gt = read_ivecs(&data.gt).expect("ground truth");
    let file = hdf5_of(&data, "tiny.hdf5", Some(&gt), Some("euclidean"));
    let lines = bench_lines(&file, "--m 8,12 --ef 10,40", &data.path("r.jsonl"));
    assert_eq!(lines.len(), 4, "one line per (M, ef)");
    for v in &lines {
        assert_eq!(v["dataset"], "tiny", "the file stem names the data set");
        assert_eq!(v["metric"], "l2", "the metric comes from the file");
        assert_eq!(v["ef_construction"].as_u64(), Some(64));
        let sizes = [&v["rows"], &v["dim"], &v["queries"]].map(|x| x.as_u64());
        assert_eq!(sizes, [Some(2000), Some(16), Some(50)]);
        assert!(v["qps"].as_f64().expect("qps") > 0.0);
        assert!(v["build_s"].as_f64().expect("build_s") > 0.0);
        let bytes = v["index_bytes"].as_f64().expect("index_bytes");
        let per_vector = v["bytes_per_vector"].as_f64().expect("bytes_per_vector");
        assert!(per_vector > 16.0 * 4.0, "{per_vector}");
        assert!((bytes / 2000.0 - per_vector).abs() < 1e-6);
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
    let data = Fixture::new(2000, 16, "l2", 5);
    // Neighbours that are wrong on purpose (the last rows, for every query): recall must fall,
    // which shows the file's ids are the ones scored.
    let wrong = Matrix {
        rows: 50,
        dim: 10,
        data: (0..50).flat_map(|_| 1990..2000).collect(),
    };
    let file = hdf5_of(&data, "wrong.hdf5", Some(&wrong), Some("euclidean"));
    let lines = bench_lines(&file, "--m 8 --ef 40", &data.path("wrong.jsonl"));
    let scored = best_recall(&lines);
    assert!(scored < 0.5, "recall against wrong neighbours: {scored}");

    // No neighbors in the file, no distance either: exact truth by brute force, --metric given.
    let bare = hdf5_of(&data, "bare.hdf5", None, None);
    let lines = bench_lines(&bare, "--m 8 --ef 40 --metric l2", &data.path("bare.jsonl"));
    let exact = best_recall(&lines);
    assert!(exact >= 0.9, "recall against brute force: {exact}");
}

#[test]
fn bench_dataset_refuses_bad_files_and_flags() {
    let data = Fixture::small();
    let gt = read_ivecs(&data.gt).expect("ground truth");
    let five: Matrix<i32> = Matrix {
        rows: gt.rows,
        dim: 5,
        data: (0..gt.rows).flat_map(|r| gt.row(r)[..5].to_vec()).collect(),
    };
    let run = |file: &PathBuf, flags: &str, expected: &str| {
        let output = data.path("r.jsonl");
        fails(
            &[&"bench --dataset", file, &flags, &"--output", &output],
            expected,
        );
        assert!(!output.exists(), "no results on failure");
    };

    let short = hdf5_of(&data, "short.hdf5", Some(&five), Some("euclidean"));
    run(
        &short,
        "--k 10",
        "--dataset neighbors has 5 ids per query, fewer than --k 10",
    );

    let no_test = data.path("no_test.hdf5");
    let train = read_vectors(&data.base).expect("base");
    let file = hdf5::File::create(&no_test).expect("create");
    put(&file, "train", &[train.rows, train.dim], &train.data);
    drop(file);
    run(&no_test, "--metric l2", "no dataset \"test\"");

    let angular = hdf5_of(&data, "angular.hdf5", None, Some("angular"));
    run(
        &angular,
        "--metric l2",
        "--metric l2 disagrees with --dataset",
    );

    let bare = hdf5_of(&data, "bare.hdf5", None, None);
    run(&bare, "", "has no distance attribute: give --metric");

    let text = data.path("text.hdf5");
    std::fs::write(&text, "not hdf5").expect("write");
    run(&text, "", "HDF5");
}
