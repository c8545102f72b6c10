//! `vicino bench` end to end on generated files: one JSON line per (M, ef) in the bench schema,
//! its bad flags refused before any work, and its `--plot` chart.

use std::path::PathBuf;

use serde_json::Value;

use crate::cli::{fails, names_in, vicino, Arg, Fixture};

/// The keys of a `vicino bench` JSON line, in order.
pub(crate) const BENCH_KEYS: [&str; 15] = [
    "library",
    "dataset",
    "metric",
    "m",
    "ef_construction",
    "ef",
    "k",
    "recall",
    "qps",
    "build_s",
    "index_bytes",
    "bytes_per_vector",
    "rows",
    "dim",
    "queries",
];

/// One JSON line of `vicino bench`, parsed after checking that it holds `BENCH_KEYS` in that
/// order (serde_json sorts keys when parsing, so the order is read from the text itself).
pub(crate) fn bench_line(line: &str) -> Value {
    let mut at = 0;
    for key in BENCH_KEYS {
        let found = line[at..]
            .find(&format!("\"{key}\":"))
            .unwrap_or_else(|| panic!("{key} after position {at} in {line}"));
        at += found + 1;
    }
    serde_json::from_str(line).expect("a JSON line")
}

/// Runs `vicino bench` (M 8 and 12, ef 10 and 40) on `data`, with `gt` if given, and returns
/// its JSON lines, each checked for key order and sane values.
fn bench(data: &Fixture, gt: Option<&PathBuf>, name: &str) -> Vec<Value> {
    let output = data.path(name);
    let mut parts: Vec<&dyn Arg> = vec![
        &"bench --base",
        &data.base,
        &"--queries",
        &data.queries,
        &"--metric l2 --m 8,12 --ef 10,40 --ef-construction 64 --threads-build 2 --output",
        &output,
    ];
    if let Some(gt) = gt {
        parts.extend([&"--gt" as &dyn Arg, gt]);
    }
    let out = vicino(&parts);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("m 8: best"), "headline per M: {stdout}");
    let text = std::fs::read_to_string(&output).expect("results written");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "one line per (M, ef): {text}");
    let values: Vec<Value> = lines
        .iter()
        .map(|line| {
            let v = bench_line(line);
            let obj = v.as_object().expect("an object");
            assert_eq!(obj.len(), BENCH_KEYS.len(), "exactly the keys: {line}");
            assert_eq!(v["library"], "vicino");
            assert_eq!(v["dataset"], "base");
            assert_eq!(
                (v["rows"].as_u64(), v["dim"].as_u64()),
                (Some(2000), Some(16))
            );
            assert_eq!(v["queries"].as_u64(), Some(50));
            let recall = v["recall"].as_f64().expect("recall");
            assert!((0.0..=1.0).contains(&recall), "recall {recall}");
            assert!(v["qps"].as_f64().expect("qps") > 0.0);
            assert!(v["bytes_per_vector"].as_f64().expect("bytes") > 16.0 * 4.0);
            v
        })
        .collect();
    let config: Vec<(u64, u64)> = values
        .iter()
        .map(|v| (v["m"].as_u64().unwrap(), v["ef"].as_u64().unwrap()))
        .collect();
    assert_eq!(config, [(8, 10), (8, 40), (12, 10), (12, 40)]);
    for pair in values.chunks(2) {
        let (low, high) = (pair[0]["recall"].as_f64(), pair[1]["recall"].as_f64());
        assert!(low <= high, "recall grows with ef: {low:?} then {high:?}");
        assert!(high >= Some(0.8), "recall at ef 40: {high:?}");
    }
    values
}

#[test]
fn bench_writes_a_line_per_m_and_ef() {
    let data = Fixture::new(2000, 16, "l2", 11);
    bench(&data, Some(&data.gt), "with_gt.jsonl");
    bench(&data, None, "brute_force.jsonl");
}

#[test]
fn bench_refuses_bad_flags_before_any_work() {
    let data = Fixture::small();
    let before = names_in(data.dir.path());
    let run = |flags: &str, output: &PathBuf, expected: &str| {
        fails(
            &[
                &"bench --base",
                &data.base,
                &"--queries",
                &data.queries,
                &"--metric l2",
                &flags,
                &"--output",
                output,
            ],
            expected,
        );
    };
    let output = data.path("results.jsonl");
    run("--ef 0", &output, "--ef");
    run("--ef 10,,20", &output, "--ef");
    run("--m 1", &output, "invalid parameter m");
    run("--k 0", &output, "k");
    let missing = data.path("missing");
    run("--m 8", &missing.join("results.jsonl"), "does not exist");
    assert!(!missing.exists());
    assert_eq!(names_in(data.dir.path()), before, "no file left behind");
}

#[test]
fn bench_plot_draws_an_svg_chart() {
    let data = Fixture::small();
    let output = data.path("results.jsonl");
    let plot = data.path("chart.svg");
    let out = vicino(&[
        &"bench --base",
        &data.base,
        &"--queries",
        &data.queries,
        &"--metric l2 --m 8,12 --ef 10,40 --ef-construction 64 --threads-build 2",
        &"--name plotted-set --output",
        &output,
        &"--plot",
        &plot,
    ]);
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&output).expect("results written");
    assert_eq!(text.lines().count(), 4, "one line per (M, ef): {text}");
    let svg = std::fs::read_to_string(&plot).expect("plot written");
    let start = svg.trim_start();
    assert!(
        start.starts_with("<svg") || (start.starts_with("<?xml") && start.contains("<svg")),
        "an SVG: {}",
        &svg[..svg.len().min(200)]
    );
    assert!(svg.trim_end().ends_with("</svg>"), "a whole SVG");
    for text in [
        "plotted-set",
        "Recall@10",
        "Queries per second (1 thread)",
        "vicino M=8",
        "vicino M=12",
        "vicino Pareto front",
    ] {
        assert!(svg.contains(text), "{text} in the SVG");
    }
    let mut names = names_in(data.dir.path());
    names.retain(|n| n.starts_with('.'));
    assert!(names.is_empty(), "no temp file left behind: {names:?}");
}

#[test]
fn bench_plot_in_a_missing_folder_fails_before_any_work() {
    let data = Fixture::small();
    let before = names_in(data.dir.path());
    let missing = data.path("missing");
    fails(
        &[
            &"bench --base",
            &data.base,
            &"--queries",
            &data.queries,
            &"--metric l2 --m 8 --ef 10 --output",
            &data.path("results.jsonl"),
            &"--plot",
            &missing.join("chart.svg"),
        ],
        "--plot",
    );
    assert!(!missing.exists());
    assert_eq!(names_in(data.dir.path()), before, "no file left behind");
}
